#pragma once
// Work chains: a process spec (ports, exit codes, outline) plus a typed context, whose
// outline steps are C++20 coroutines run by a tessera::runner.
//
//   struct fib : tessera::work_chain<fib> {
//     static constexpr std::string_view process_name = "demo.fib";
//     static auto define() { ... outline(step<&fib::setup>, while_<&fib::more>(step<&fib::next>), ...) }
//     struct context { std::int64_t i = 0; tessera::stored<Int> a, b; };
//     context ctx;                                   // checkpointed after every step
//     void setup();
//     bool more() const;
//     tessera::async_step next();                          // co_await call(add, ctx.a, ctx.b) ...
//   };
//   auto pk = tessera::submit<fib>(runner, tessera::spec::inputs_for<fib>().set<"n">(10).validated());
//
// Durability: after every step, one transaction holds the checkpoint (outline position,
// steps done, context, outputs so far), the new links, the logs and the state. Inside a
// step every child launch is journaled by (process, step, call number) in the transaction
// that creates the child. After a crash the step runs again from its start and each launch
// finds its journaled child instead of starting another. So: a step must make the same
// launches in the same order every time it runs, i.e. be deterministic between awaits
// (no clocks, random numbers or external state deciding what to launch). A launch that
// replays as a different process type than the journal holds fails the process with an
// error saying so.
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/engine/context_codec.hpp>
#include <tessera/engine/detail/awaitables.hpp>
#include <tessera/engine/detail/provenance.hpp>
#include <tessera/engine/runner.hpp>
#include <tessera/engine/step.hpp>
#include <tessera/engine/stored.hpp>
#include <tessera/spec.hpp>

namespace tessera {

/// Checkpoint format written by this version. Format 1 (tessera 0.0.x) named the outline
/// position "position", the context "ctx", the outputs "out", and keyed the call journal
/// by outline position; it is still read.
inline constexpr int checkpoint_format = 2;

/// A handle on a child process of type P launched by a step: its pk, and (once it has
/// terminated) its typed outputs. Goes into a context like any other member.
template <class P>
class child {
 public:
  child() = default;
  explicit child(std::int64_t pk) : pk_(pk) {}
  std::int64_t pk() const noexcept { return pk_; }
  explicit operator bool() const noexcept { return pk_ != 0; }

  /// The child's result (read from the store the first time).
  const process_result& result() const {
    if (!cache_) {
      runner* r = engine_detail::current_frame ? engine_detail::current_frame->owner : runner::current();
      if (!r) throw std::logic_error("tessera::child::result(): no runner");
      auto lease = r->storage().read();
      cache_ = std::make_shared<const process_result>(load_result(lease, pk_));
    }
    return *cache_;
  }
  bool ok() const { return result().ok(); }
  int exit_status() const { return result().exit_status; }

  /// Output `Name` of the child, typed by its spec (unknown name: compile error).
  template <fixed_string Name>
  stored<spec::detail::port_type<P, spec::direction::output, Name>> out() const {
    using T = spec::detail::port_type<P, spec::direction::output, Name>;
    return result().template get<T>(Name.view());
  }

  void set_result(process_result r) { cache_ = std::make_shared<const process_result>(std::move(r)); }
  nlohmann::json to_checkpoint() const { return pk_; }
  void from_checkpoint(const nlohmann::json& j) {
    pk_ = j.get<std::int64_t>();
    cache_.reset();
  }
  friend bool operator==(const child& a, const child& b) { return a.pk_ == b.pk_; }

 private:
  std::int64_t pk_ = 0;
  mutable std::shared_ptr<const process_result> cache_;
};

template <class Self>
class work_chain;

namespace engine_detail {

template <class Self>
class work_chain_instance;

template <class P>
bool register_work_chain();

template <class Self>
std::unique_ptr<process_instance> resume_instance(runner& r, std::int64_t pk);

// non_db inputs are in no node: they live in the checkpoint (as typed JSON).
template <class Self>
nlohmann::json non_db_inputs_json(const port_values& inputs) {
  port_values non_db;
  for (const auto& port : Self::spec().ports) {
    if (port.direction != spec::direction::input || !port.non_db) continue;
    if (const auto* v = inputs.find(port.name)) non_db.set(port.name, *v);
  }
  return non_db.to_typed_json();
}

// How the engine launches process class P: as a work chain, unless P names another
// instance type (a calcjob) as P::engine_instance. An instance type has: static kind,
// inputs(), initial_checkpoint() and static resume(runner&, pk).
template <class P>
struct launch_traits {
  using instance = work_chain_instance<P>;
};
template <class P>
  requires requires { typename P::engine_instance; }
struct launch_traits<P> {
  using instance = typename P::engine_instance;
};
template <class P>
using instance_of = typename launch_traits<P>::instance;

template <class P>
struct auto_register {
  static inline const bool done = register_work_chain<P>();
};

/// A workflow must not create data: an output must be a node the process has in hand.
inline std::int64_t resolve_output(const call_frame& f, const std::string& label, const any_data& v, std::int64_t pk) {
  if (pk) return pk;
  if (auto k = f.known.find_equal(v)) return *k;
  throw std::invalid_argument(fmt::format(
      "work chain '{}' (pk {}): output '{}' holds a value that no calculation created ({}): a workflow only "
      "returns data its inputs or its children provide; compute the value in a calcfunction",
      f.type, f.pk, label, v.type_name()));
}

}  // namespace engine_detail

template <class Self>
class work_chain : public spec::ports<Self> {
 public:
  static constexpr node_kind kind = node_kind::work_chain;

  /// This process's pk.
  std::int64_t pk() const noexcept { return slot_ ? slot_->pk : 0; }

  /// A log message, stored with the next checkpoint (shown by `tessera process report`).
  void report(std::string message, log_level level = log_level::report) {
    if (slot_) slot_->frame.logs.push_back({level, std::move(message)});
  }

  /// Emits output `Name` (port and type checked at compile time). A stored<T> or a value
  /// the process has in hand is linked to its node (RETURN link).
  template <fixed_string Name, class V>
  void out(V&& value) {
    using D = std::remove_cvref_t<V>;
    if constexpr (is_stored<D>::value) {
      spec::ports<Self>::template out<Name>(value.value());
      output_pks_[std::string(Name.view())] = value.pk();
    } else {
      spec::ports<Self>::template out<Name>(std::forward<V>(value));
      output_pks_[std::string(Name.view())] = 0;
    }
  }

  /// Launches child process C (a work chain or a calcjob) and returns its handle once it is durably launched; the
  /// engine waits for it before the next step (AiiDA's to_context).
  template <class C>
  engine_detail::task<child<C>> submit(port_values inputs) {
    return launch<C>(std::move(inputs), false);
  }
  template <class C>
  engine_detail::task<child<C>> submit(const spec::inputs_for<C>& inputs) {
    return launch<C>(inputs.values(), false);
  }
  /// Launches child work chain C and returns its handle once it has terminated.
  template <class C>
  engine_detail::task<child<C>> run(port_values inputs) {
    return launch<C>(std::move(inputs), true);
  }
  template <class C>
  engine_detail::task<child<C>> run(const spec::inputs_for<C>& inputs) {
    return launch<C>(inputs.values(), true);
  }

  /// Runs a calcfunction off the event loop: co_await call(add, x, y) -> stored<Int>.
  template <class F, class... A>
  auto call(const F& fn, A&&... args) {
    return fn.async(std::forward<A>(args)...);
  }

 protected:
  // Steps are member functions of Self; all below is the engine's.
  template <class>
  friend class engine_detail::work_chain_instance;

  port_values& engine_inputs() { return this->inputs_; }
  port_values& engine_outputs() { return this->outputs_; }
  std::map<std::string, std::int64_t> output_pks_;  // label -> node (0: resolve at step end)
  std::set<std::string> linked_;                    // outputs already linked
  engine_detail::slot* slot_ = nullptr;
  runner* runner_ = nullptr;

 private:
  template <class C>
  engine_detail::task<child<C>> launch(port_values inputs, bool wait);
};

namespace engine_detail {

// A state transition: the runner's observers, then the process's own hook if it has one
// (void on_entering(process_state), on_entered(process_state), on_exiting(process_state)).
template <class Self>
void state_hook(runner& r, slot& s, Self& p, hook_point h, process_state st) {
  r.notify_transition(s.pk, h, st);
  if (h == hook_point::entering) {
    if constexpr (requires { p.on_entering(st); }) p.on_entering(st);
  } else if (h == hook_point::entered) {
    if constexpr (requires { p.on_entered(st); }) p.on_entered(st);
  } else {
    if constexpr (requires { p.on_exiting(st); }) p.on_exiting(st);
  }
}

template <class Self>
class work_chain_instance final : public process_instance {
 public:
  using program_t = decltype(spec::program_of<Self, step_outcome>());
  static constexpr node_kind kind = node_kind::work_chain;

  Self p;
  std::uint32_t pc = 0;
  bool fresh = true;  // still in state created

  // Set when the process is resumed from the store: where its frame starts.
  struct resume_info {
    std::int64_t step = 0;
    std::map<std::int64_t, std::int64_t> replay;  // this step's journal: seq -> child
    std::vector<std::pair<any_data, std::int64_t>> known;
    std::size_t inputs = 0;  // the first `inputs` of `known` are the process's inputs
  };
  std::optional<resume_info> resumed;

  static nlohmann::json encode_checkpoint(const Self& p, std::uint32_t pc, std::int64_t step) {
    nlohmann::json j;
    j["format"] = checkpoint_format;
    j["pc"] = pc;
    j["step"] = step;
    if constexpr (requires { p.ctx; }) j["context"] = encode(p.ctx);
    auto outs = nlohmann::json::object();
    for (const auto& [label, pk] : p.output_pks_) {
      if (p.linked_.count(label)) outs[label] = pk;
    }
    j["outputs"] = outs;
    j["non_db"] = non_db_inputs_json<Self>(p.inputs());
    return j;
  }

  // Restores position, steps, context and outputs from a checkpoint of format 1 or 2.
  void decode_checkpoint(const nlohmann::json& j, store_reader& r, std::int64_t& step) {
    const int format = j.value("format", 1);
    if (format > checkpoint_format) {
      throw store_error(fmt::format("checkpoint of process {} has format {}, newer than this tessera ({})", p.pk(),
                                    format, checkpoint_format));
    }
    const bool v1 = format == 1;
    pc = j.at(v1 ? "position" : "pc").template get<std::uint32_t>();
    step = v1 ? pc : j.at("step").template get<std::int64_t>();
    if constexpr (requires { p.ctx; }) {
      if (auto it = j.find(v1 ? "ctx" : "context"); it != j.end()) decode(*it, p.ctx);
    }
    if (auto it = j.find(v1 ? "out" : "outputs"); it != j.end()) {
      for (auto o = it->begin(); o != it->end(); ++o) {
        const auto pk = o.value().template get<std::int64_t>();
        p.engine_outputs().set(o.key(), r.load_any(pk));
        p.output_pks_[o.key()] = pk;
        p.linked_.insert(o.key());
      }
    }
    if (auto it = j.find("non_db"); it != j.end() && !it->is_null()) {
      auto non_db = port_values::from_typed_json(*it);
      for (const auto& a : flatten(non_db)) p.engine_inputs().set(a.label, a.value);
    }
  }

  task<void> drive(runner& r, slot& s) override;
  port_values& inputs() { return p.engine_inputs(); }
  std::string initial_checkpoint() const { return encode_checkpoint(p, 0, 0).dump(); }
  static std::unique_ptr<process_instance> resume(runner& r, std::int64_t pk) { return resume_instance<Self>(r, pk); }

  // A state transition: the runner's observers, then the process's own hook if it has one
  // (void on_entering(process_state), on_entered(process_state), on_exiting(process_state)).
  void transition(runner& r, slot& s, hook_point h, process_state st) { state_hook(r, s, p, h, st); }

 private:
  exit_code_value exit_for(std::string_view label) const {
    if (label.empty()) return {};
    const auto* code = Self::spec().find_exit_code(label);
    return {code->status, code->label, code->message};
  }
  static exit_code_value builtin(std::string_view label, int status, std::string message) {
    if (const auto* code = Self::spec().find_exit_code(label)) return {code->status, code->label, message};
    return {status, std::string(label), std::move(message)};
  }
  // Links new outputs (resolving their nodes); problems become an exit code.
  std::vector<std::pair<std::string, std::int64_t>> new_output_links(slot& s) {
    std::vector<std::pair<std::string, std::int64_t>> links;
    for (auto& [label, pk] : p.output_pks_) {
      if (p.linked_.count(label)) continue;
      const any_data* v = p.outputs().find(label);
      if (!v) continue;
      pk = resolve_output(s.frame, label, *v, pk);
      links.emplace_back(label, pk);
    }
    return links;
  }
  task<void> await_pending(runner& r, slot& s);
  task<void> checkpoint(runner& r, slot& s);
  task<void> terminate(runner& r, slot& s, exit_code_value ec);
  task<void> except(runner& r, slot& s, std::string message);
};

template <class Self>
task<void> work_chain_instance<Self>::await_pending(runner& r, slot& s) {
  if (!s.frame.pending.empty() && !s.waiting) {
    const auto pk = s.pk;
    transition(r, s, hook_point::exiting, process_state::running);
    transition(r, s, hook_point::entering, process_state::waiting);
    commit_op<int> wop{r, s, [pk](write_tx& tx) {
                         ensure_live(tx, pk);
                         tx.set_process_state(pk, process_state::waiting);
                         return 0;
                       }};
    co_await wop;
    s.waiting = true;
    transition(r, s, hook_point::entered, process_state::waiting);
  }
  while (!s.frame.pending.empty()) {
    const auto pk = s.frame.pending.front();
    s.frame.pending.erase(s.frame.pending.begin());
    termination_op op1{r, s, pk, {}};
    auto res = co_await op1;
    for (const auto& o : res.outputs) s.frame.known.add(o.value, o.pk);
  }
}

template <class Self>
task<void> work_chain_instance<Self>::checkpoint(runner& r, slot& s) {
  auto links = new_output_links(s);
  // Linked by this very commit: the checkpoint must hold them (if the commit fails, the
  // process does not go on).
  for (const auto& [label, out] : links) p.linked_.insert(label);
  auto bytes = encode_checkpoint(p, pc, s.frame.step).dump();
  auto logs = std::move(s.frame.logs);
  s.frame.logs.clear();
  const auto pk = s.pk;
  const bool was_waiting = std::exchange(s.waiting, false);
  if (was_waiting) {
    transition(r, s, hook_point::exiting, process_state::waiting);
    transition(r, s, hook_point::entering, process_state::running);
  }
  commit_op<int> op2{r, s, [pk, bytes, links, logs, was_waiting](write_tx& tx) {
                            ensure_live(tx, pk);
                            if (was_waiting) tx.set_process_state(pk, process_state::running);
                            for (const auto& [label, out] : links) tx.add_link(pk, out, link_type::ret, label);
                            for (const auto& l : logs) tx.add_log(pk, l.level, l.message);
                            tx.set_checkpoint(pk, bytes);
                            return 0;
                          }};
  co_await op2;
  if (was_waiting) transition(r, s, hook_point::entered, process_state::running);
}

template <class Self>
task<void> work_chain_instance<Self>::terminate(runner& r, slot& s, exit_code_value ec) {
  std::vector<std::pair<std::string, std::int64_t>> links;
  if (ec.ok()) {
    auto outs = p.outputs();
    auto problems = Self::spec().check(spec::direction::output, outs, false);
    if (!problems.empty()) {
      bool missing_only = true;
      std::string what;
      for (const auto& pr : problems) {
        missing_only = missing_only && pr.message == "required output is missing";
        what += fmt::format("{}{}: {}", what.empty() ? "" : "; ", pr.port, pr.message);
      }
      ec = missing_only ? builtin("ERROR_MISSING_OUTPUT", 11, what) : builtin("ERROR_INVALID_OUTPUT", 10, what);
    }
  }
  try {
    links = new_output_links(s);
  } catch (const std::exception& e) {
    if (ec.ok()) ec = builtin("ERROR_INVALID_OUTPUT", 10, e.what());
  }
  auto logs = std::move(s.frame.logs);
  s.frame.logs.clear();
  if (!ec.ok()) logs.push_back({log_level::error, fmt::format("exit status {} ({}): {}", ec.status, ec.label, ec.message)});
  const auto pk = s.pk;
  transition(r, s, hook_point::exiting, s.waiting ? process_state::waiting : process_state::running);
  transition(r, s, hook_point::entering, process_state::finished);
  commit_op<int> op3{r, s, [pk, links, logs, ec](write_tx& tx) {
                            ensure_live(tx, pk);
                            for (const auto& [label, out] : links) tx.add_link(pk, out, link_type::ret, label);
                            for (const auto& l : logs) tx.add_log(pk, l.level, l.message);
                            tx.terminate(pk, process_state::finished, ec.status, ec.message);
                            return 0;
                          }};
  co_await op3;
  process_result res;
  res.pk = pk;
  res.state = process_state::finished;
  res.exit_status = ec.status;
  res.exit_message = ec.message;
  for (const auto& [label, out] : p.output_pks_) {
    if (const auto* v = p.outputs().find(label)) res.outputs.push_back({label, out, *v});
  }
  for (const auto& [label, out] : links) {
    for (auto& o : res.outputs) {
      if (o.label == label) o.pk = out;
    }
  }
  if constexpr (requires { p.on_entered(process_state::finished); }) p.on_entered(process_state::finished);
  r.retire(s, std::move(res));
}

template <class Self>
task<void> work_chain_instance<Self>::except(runner& r, slot& s, std::string message) {
  auto logs = std::move(s.frame.logs);
  s.frame.logs.clear();
  logs.push_back({log_level::error, message});
  const auto pk = s.pk;
  commit_op<int> op4{r, s, [pk, logs, message](write_tx& tx) {
                            ensure_live(tx, pk);
                            for (const auto& l : logs) tx.add_log(pk, l.level, l.message);
                            tx.terminate(pk, process_state::excepted, 1, message);
                            return 0;
                          }};
  co_await op4;
  if constexpr (requires { p.on_entered(process_state::excepted); }) p.on_entered(process_state::excepted);
  r.retire(s, std::nullopt);
}

template <class Self>
task<void> work_chain_instance<Self>::drive(runner& r, slot& s) {
  p.slot_ = &s;
  p.runner_ = &r;
  s.frame.kind = node_kind::work_chain;
  s.frame.type = std::string(spec::process_name_of<Self>());
  s.kind = node_kind::work_chain;
  s.type = s.frame.type;
  if (resumed) {
    s.frame.step = resumed->step;
    s.frame.replay_step = resumed->step;
    s.frame.replay = std::move(resumed->replay);
    for (std::size_t i = 0; i < resumed->known.size(); ++i) {
      s.frame.known.add(std::move(resumed->known[i].first), resumed->known[i].second, i < resumed->inputs);
    }
    resumed.reset();
  }
  const auto& program = spec::program_of<Self, step_outcome>();
  std::string failure;
  exit_code_value final_code;
  bool finished = false;
  try {
    if (fresh) {
      const auto pk = s.pk;
      transition(r, s, hook_point::entering, process_state::running);
      commit_op<int> op5{r, s, [pk](write_tx& tx) {
                                ensure_live(tx, pk);
                                tx.set_process_state(pk, process_state::running);
                                return 0;
                              }};
      co_await op5;
      fresh = false;
      transition(r, s, hook_point::entered, process_state::running);
    }
    for (;;) {
      co_await pause_gate{r, s};
      const auto& ins = program[pc];
      if (ins.code == spec::op::call_step) {
        s.frame.seq = 0;
        std::string step_error;
        exit_code_value ec;
        try {
          step_outcome o = ins.step(p);
          if (auto* c = std::get_if<exit_code_value>(&o.v)) {
            ec = *c;
          } else if (auto* st = std::get_if<async_step>(&o.v)) {
            co_await std::move(*st);
          } else if (auto* est = std::get_if<async_exit_step>(&o.v)) {
            ec = co_await std::move(*est);
          }
          co_await await_pending(r, s);
        } catch (const process_terminated&) {
          throw;
        } catch (const std::exception& e) {
          step_error = fmt::format("step '{}' raised: {}", ins.name, e.what());
        } catch (...) {
          step_error = fmt::format("step '{}' raised an exception that is not a std::exception", ins.name);
        }
        if (!step_error.empty()) {
          failure = std::move(step_error);
          break;
        }
        if (!ec.ok()) {
          final_code = ec;
          finished = true;
          break;
        }
        // Outputs emitted so far must be declared and of the declared type.
        {
          auto outs = p.outputs();
          std::string what;
          for (const auto& pr : Self::spec().check(spec::direction::output, outs, false)) {
            if (pr.message == "required output is missing") continue;
            what += fmt::format("{}{}: {}", what.empty() ? "" : "; ", pr.port, pr.message);
          }
          if (!what.empty()) {
            final_code = builtin("ERROR_INVALID_OUTPUT", 10, what);
            finished = true;
            break;
          }
        }
        ++pc;
        ++s.frame.step;
        try {
          co_await checkpoint(r, s);
        } catch (const process_terminated&) {
          throw;
        } catch (const std::exception& e) {
          final_code = builtin("ERROR_INVALID_OUTPUT", 10, e.what());
          finished = true;
          break;
        }
      } else if (ins.code == spec::op::jump_if_false) {
        bool go = false;
        try {
          go = ins.condition(p);
        } catch (const std::exception& e) {
          failure = fmt::format("condition '{}' raised: {}", ins.name, e.what());
          break;
        }
        pc = go ? pc + 1 : ins.target;
      } else if (ins.code == spec::op::jump) {
        pc = ins.target;
      } else {
        final_code = exit_for(ins.name);
        finished = true;
        break;
      }
    }
  } catch (const process_terminated&) {
    r.retire(s, std::nullopt);  // killed by another program: nothing more to write
    co_return;
  }
  try {
    if (finished) {
      co_await terminate(r, s, final_code);
    } else {
      co_await except(r, s, failure);
    }
  } catch (const process_terminated&) {
    r.retire(s, std::nullopt);
  } catch (const std::exception& e) {
    // The final write itself failed (e.g. the disk is full): leave the process live, with
    // its last checkpoint, for a later resume.
    s.frame.logs.push_back({log_level::critical, e.what()});
    r.retire(s, std::nullopt);
  }
}

template <class Self>
void remember_inputs(call_frame& f, const port_values& inputs, const std::vector<port_arg>& args,
                     const std::vector<std::int64_t>& pks) {
  // The values the process reads (in<>() returns references into these) -> their nodes.
  for (std::size_t i = 0; i < args.size() && i < pks.size(); ++i) {
    if (const auto* v = inputs.find(args[i].label)) f.known.add(*v, pks[i], true);
  }
}

// Inputs split into stored ones (nodes, links) and non_db ones (checkpoint only).
template <class Self>
std::vector<port_arg> stored_inputs(const port_values& inputs, const call_frame* parent) {
  std::vector<port_arg> out;
  for (auto& a : flatten(inputs)) {
    const auto* port = Self::spec().find_port(spec::direction::input, a.label);
    if (port && port->non_db) continue;
    if (parent) {
      if (auto k = parent->known.find_equal(a.value)) a.pk = *k;
    }
    out.push_back(std::move(a));
  }
  return out;
}

template <class Self>
std::unique_ptr<process_instance> resume_instance(runner& r, std::int64_t pk) {
  auto inst = std::make_unique<work_chain_instance<Self>>();
  typename work_chain_instance<Self>::resume_info info;
  auto lease = r.storage().read();
  auto node = lease.node(pk);
  inst->fresh = node.state == process_state::created;
  for (const auto& l : lease.incoming(pk, link_type::input_work)) {
    auto v = lease.load_any(l.input);
    inst->inputs().set(l.label, v);
    info.known.emplace_back(std::move(v), l.input);
  }
  info.inputs = info.known.size();
  if (auto cp = lease.checkpoint(pk)) {
    inst->decode_checkpoint(nlohmann::json::parse(*cp), lease, info.step);
  }
  for (const auto& e : lease.journal(pk)) {
    if (e.step < info.step) {
      for (auto& o : load_result(lease, e.child).outputs) info.known.emplace_back(std::move(o.value), o.pk);
    } else if (e.step == info.step) {
      info.replay[e.seq] = e.child;
    }
  }
  inst->resumed = std::move(info);
  return inst;
}

}  // namespace engine_detail

template <class Self>
template <class C>
engine_detail::task<child<C>> work_chain<Self>::launch(port_values inputs, bool wait) {
  using namespace engine_detail;
  (void)auto_register<C>::done;
  runner& r = *runner_;
  slot& s = *slot_;
  co_await pause_gate{r, s};
  auto& f = s.frame;
  const std::int64_t seq = f.seq++;
  std::int64_t child_pk = 0;
  if (auto j = f.journaled(seq)) {
    child_pk = *j;
    auto lease = r.storage().read();
    auto n = lease.node(child_pk);
    if (n.type != spec::process_name_of<C>()) {
      throw std::logic_error(fmt::format(
          "step is not deterministic between awaits: call {} of step {} launched '{}' (node {}) before the restart, "
          "now '{}'",
          seq, f.step, n.type, child_pk, spec::process_name_of<C>()));
    }
  } else {
    C::spec().validate_inputs(inputs);
    auto args = stored_inputs<C>(inputs, &f);
    auto inst = std::make_unique<instance_of<C>>();
    inst->inputs() = inputs;
    launch_spec ls;
    ls.kind = instance_of<C>::kind;
    ls.type = std::string(spec::process_name_of<C>());
    ls.inputs = args;
    ls.parent = s.pk;
    ls.step = f.step;
    ls.seq = seq;
    ls.checkpoint = inst->initial_checkpoint();
    auto logs = std::move(f.logs);
    f.logs.clear();
    const auto parent = s.pk;
    const bool to_waiting = wait && !s.waiting;
    Self& self = static_cast<Self&>(*this);
    if (to_waiting) {
      state_hook(r, s, self, hook_point::exiting, process_state::running);
      state_hook(r, s, self, hook_point::entering, process_state::waiting);
    }
    // In a daemon worker a submitted child goes to the daemon's queue, in the unit that
    // creates it, and runs wherever a worker claims it (this one too, maybe).
    const bool hand_off = !wait && r.hands_off_children();
    commit_op<launched> op6{r, s, [ls, logs, parent, to_waiting, hand_off](write_tx& tx) {
                                               ensure_live(tx, parent);
                                               for (const auto& l : logs) tx.add_log(parent, l.level, l.message);
                                               if (to_waiting) tx.set_process_state(parent, process_state::waiting);
                                               auto made = create_process(tx, ls);
                                               if (hand_off) tx.hand_off(made.pk);
                                               return made;
                                             }};
    auto done = co_await op6;
    if (to_waiting) {
      s.waiting = true;
      state_hook(r, s, self, hook_point::entered, process_state::waiting);
    }
    child_pk = done.pk;
    if (hand_off) {
      r.queued_for_daemon();
    } else {
      auto& cs = r.adopt(child_pk, std::move(inst));
      remember_inputs<C>(cs.frame, inputs, args, done.input_pks);
      r.post([&r, pk = child_pk, gen = cs.gen] {
        if (auto* sl = r.find_live(pk, gen)) r.start(*sl);
      });
    }
  }
  child<C> h(child_pk);
  if (wait) {
    termination_op op7{r, s, child_pk, {}};
    auto res = co_await op7;
    for (const auto& o : res.outputs) f.known.add(o.value, o.pk);
    h.set_result(std::move(res));
  } else {
    f.pending.push_back(child_pk);
  }
  co_return h;
}

namespace engine_detail {
template <class P>
bool register_work_chain() {
  return process_registry::global().add(std::string(spec::process_name_of<P>()), instance_of<P>::kind,
                                        [](runner& r, std::int64_t pk) { return instance_of<P>::resume(r, pk); });
}
}  // namespace engine_detail

namespace engine_detail {
// A work chain about to be launched: its instance, stored inputs and launch record.
template <class P>
struct pending_launch {
  port_values inputs;
  std::vector<port_arg> args;
  std::unique_ptr<instance_of<P>> inst;
  launch_spec ls;
};
template <class P>
pending_launch<P> prepare_launch(port_values inputs) {
  (void)auto_register<P>::done;
  P::spec().validate_inputs(inputs);
  pending_launch<P> p;
  p.args = stored_inputs<P>(inputs, nullptr);
  p.inst = std::make_unique<instance_of<P>>();
  p.inst->inputs() = inputs;
  p.inputs = std::move(inputs);
  p.ls.kind = instance_of<P>::kind;
  p.ls.type = std::string(spec::process_name_of<P>());
  p.ls.inputs = p.args;
  p.ls.checkpoint = p.inst->initial_checkpoint();
  return p;
}
// Once the launches are durable: adopt them on the loop and start them.
template <class P>
void start_launched(runner& r, std::vector<pending_launch<P>>& todo, const std::vector<launched>& done) {
  r.call_on_loop([&] {
    for (std::size_t i = 0; i < todo.size(); ++i) {
      auto& s = r.adopt(done[i].pk, std::move(todo[i].inst));
      remember_inputs<P>(s.frame, todo[i].inputs, todo[i].args, done[i].input_pks);
      r.post([&r, pk = done[i].pk, gen = s.gen] {
        if (auto* sl = r.find_live(pk, gen)) r.start(*sl);
      });
    }
  });
}
}  // namespace engine_detail

/// Launches work chain P with validated `inputs`; returns its pk once it is durably stored.
template <class P>
std::int64_t submit(runner& r, port_values inputs) {
  using namespace engine_detail;
  std::vector<pending_launch<P>> todo;
  todo.push_back(prepare_launch<P>(std::move(inputs)));
  std::vector<launched> done{r.storage().write([&](write_tx& tx) { return create_process(tx, todo[0].ls); })};
  start_launched<P>(r, todo, done);
  return done[0].pk;
}
template <class P>
std::int64_t submit(runner& r, const spec::inputs_for<P>& inputs) {
  return submit<P>(r, inputs.values());
}

/// Launches one work chain P per input set, all stored in one transaction (a thousand
/// chains cost one commit, not a thousand); their pks, in order. Every input set is
/// validated first: if one is invalid, nothing is launched and the error names its index.
template <class P>
std::vector<std::int64_t> submit_all(runner& r, std::vector<port_values> inputs) {
  using namespace engine_detail;
  std::vector<pending_launch<P>> todo;
  todo.reserve(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    try {
      todo.push_back(prepare_launch<P>(std::move(inputs[i])));
    } catch (const spec::validation_error& e) {
      throw spec::validation_error(e.process(), fmt::format("inputs (set {} of {})", i, inputs.size()), e.problems());
    }
  }
  auto done = r.storage().write([&](write_tx& tx) {
    std::vector<launched> out;
    out.reserve(todo.size());
    for (const auto& t : todo) out.push_back(create_process(tx, t.ls));
    return out;
  });
  start_launched<P>(r, todo, done);
  std::vector<std::int64_t> pks;
  pks.reserve(done.size());
  for (const auto& d : done) pks.push_back(d.pk);
  return pks;
}
template <class P>
std::vector<std::int64_t> submit_all(runner& r, const std::vector<spec::inputs_for<P>>& inputs) {
  std::vector<port_values> values;
  values.reserve(inputs.size());
  for (const auto& i : inputs) values.push_back(i.values());
  return submit_all<P>(r, std::move(values));
}

/// Runs work chain P to its end in runner r; its result.
template <class P>
process_result run(runner& r, port_values inputs) {
  return r.wait(submit<P>(r, std::move(inputs)));
}
template <class P>
process_result run(runner& r, const spec::inputs_for<P>& inputs) {
  return run<P>(r, inputs.values());
}

}  // namespace tessera
