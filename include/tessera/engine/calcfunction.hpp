#pragma once
// calcfunction and workfunction: a plain C++ callable that runs as a process, its argument
// port names declared once.
//
//   inline const auto add = tessera::calcfunction<"add", "x", "y">(
//       [](const Int& x, const Int& y) { return Int{x.value + y.value}; });
//   inline const auto add_multiply = tessera::workfunction<"add_multiply", "x", "y", "z">(
//       [](const Int& x, const Int& y, const Int& z) { return multiply(add(x, y), z); });
//
//   stored<Int> r = add_multiply(Int{1}, Int{2}, Int{3});   // (1 + 2) * 3, with provenance
//
// Provenance as in AiiDA 1.0: a calcfunction node with INPUT_CALC links from its inputs and
// CREATE links to its outputs; a workfunction node with INPUT_WORK links, CALL links to
// what it calls and RETURN links to what it returns. A value passed on is linked to the
// node it came from: a stored<T> carries its node; an input of the caller (the very object
// the caller received) or a result it got is recognised; anything else is a new node.
// A single returned data value is the output "result"; return tessera::outputs (a
// port_values) for several. Inside a work chain step, `co_await call(add, x, y)` runs the
// body on the runner's thread pool instead of blocking the event loop.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <tessera/engine/detail/awaitables.hpp>
#include <tessera/engine/detail/provenance.hpp>
#include <tessera/engine/runner.hpp>
#include <tessera/engine/stored.hpp>
#include <tessera/spec/fixed_string.hpp>
#include <tessera/spec/port_values.hpp>

namespace tessera {

/// What a calcfunction or workfunction returns for several outputs.
using outputs = port_values;

/// A calculation or workflow function that raised: the process is excepted.
class process_excepted : public std::runtime_error {
 public:
  process_excepted(std::int64_t pk, const std::string& what) : std::runtime_error(what), pk_(pk) {}
  std::int64_t pk() const noexcept { return pk_; }

 private:
  std::int64_t pk_;
};

namespace engine_detail {
inline thread_local std::int64_t running_calculation = 0;
}  // namespace engine_detail

/// The pk of the process whose code is running on this thread: the calcfunction whose body
/// this is, or the workfunction or work chain step. 0 outside any process, and in a
/// calcfunction called outside any process (its node is stored when it returns).
inline std::int64_t current_process_pk() noexcept {
  if (engine_detail::running_calculation) return engine_detail::running_calculation;
  return engine_detail::current_frame ? engine_detail::current_frame->pk : 0;
}

namespace engine_detail {

template <class F>
struct callable_traits : callable_traits<decltype(&F::operator())> {};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...) const> {
  using result = R;
  using args = std::tuple<std::remove_cvref_t<A>...>;
};
template <class C, class R, class... A>
struct callable_traits<R (C::*)(A...)> : callable_traits<R (C::*)(A...) const> {};
template <class R, class... A>
struct callable_traits<R (*)(A...)> {
  using result = R;
  using args = std::tuple<std::remove_cvref_t<A>...>;
};

template <class T> struct unwrap_stored { using type = T; };
template <class T> struct unwrap_stored<stored<T>> { using type = T; };

// One argument as a port: its value and, when known, its node.
template <class T, class A>
port_arg make_arg(std::string label, A&& a, const known_nodes* known) {
  using D = std::remove_cvref_t<A>;
  if constexpr (is_stored<D>::value) {
    static_assert(std::is_same_v<typename unwrap_stored<D>::type, T>, "tessera: argument type does not match the parameter");
    return {std::move(label), any_data(a.value()), a.pk()};
  } else if constexpr (std::is_same_v<D, T>) {
    std::int64_t pk = 0;
    if (known) pk = known->find_address(&a).value_or(0);
    any_data v(a);
    if (known && !pk) pk = known->find_equal(v, true).value_or(0);
    return {std::move(label), std::move(v), pk};
  } else {
    static_assert(std::is_constructible_v<T, A&&>, "tessera: argument cannot be converted to the parameter's data type");
    any_data v(T(std::forward<A>(a)));
    std::int64_t pk = known ? known->find_equal(v, true).value_or(0) : 0;
    return {std::move(label), std::move(v), pk};
  }
}

template <class R>
std::vector<port_arg> results_of(R&& r) {
  using D = std::remove_cvref_t<R>;
  if constexpr (is_stored<D>::value) {
    return {{"result", any_data(r.value()), r.pk()}};
  } else if constexpr (std::is_same_v<D, port_values>) {
    return flatten(r);
  } else {
    return {{"result", any_data(std::forward<R>(r)), 0}};
  }
}

template <class Raw>
using function_result_t = std::conditional_t<std::is_same_v<Raw, port_values>, process_result,
                                             stored<typename unwrap_stored<Raw>::type>>;

template <class Result>
Result make_result(std::int64_t pk, const std::vector<port_arg>& outs, const std::vector<std::int64_t>& pks) {
  if constexpr (std::is_same_v<Result, process_result>) {
    process_result r;
    r.pk = pk;
    r.state = process_state::finished;
    for (std::size_t i = 0; i < outs.size(); ++i) r.outputs.push_back({outs[i].label, pks[i], outs[i].value});
    return r;
  } else {
    using T = std::remove_cvref_t<decltype(std::declval<Result>().value())>;
    return Result(outs.at(0).value.template get<T>(), pks.at(0));
  }
}
template <class Result>
Result make_result(const process_result& r) {
  if constexpr (std::is_same_v<Result, process_result>) {
    return r;
  } else {
    using T = std::remove_cvref_t<decltype(std::declval<Result>().value())>;
    return r.template get<T>("result");
  }
}

inline process_result load_terminated(runner& r, std::int64_t pk, std::string_view name) {
  auto lease = r.storage().read();
  auto res = load_result(lease, pk);
  if (res.state == process_state::excepted) {
    throw process_excepted(pk, fmt::format("'{}' (pk {}) excepted: {}", name, pk, res.exit_message));
  }
  if (res.state == process_state::killed) {
    throw process_excepted(pk, fmt::format("'{}' (pk {}) was killed: {}", name, pk, res.exit_message));
  }
  return res;
}

// A finished calculation with this hash that may serve as a cache source.
inline std::optional<std::int64_t> cache_source(store_reader& r, const digest& h) {
  auto st = r.connection().cached(
      "SELECT pk FROM node WHERE kind IN (1, 2) AND hash = ? AND process_state = 'finished' AND exit_status = 0 "
      "AND (extras IS NULL OR json_extract(extras, '$.cache_invalid') IS NULL) ORDER BY pk LIMIT 1");
  st->bind(1, store_detail::digest_bytes(h));
  if (!st->step()) return std::nullopt;
  return st->int64(0);
}

// Records a calculation's outputs and success.
// The terminating update comes first: it is also the check that nobody (another program's
// kill) ended the calculation meanwhile, so no separate read is needed.
inline std::vector<std::int64_t> finish_calculation(write_tx& tx, std::int64_t pk, const std::vector<port_arg>& outs) {
  if (!tx.try_terminate(pk, process_state::finished, 0)) throw process_terminated(pk);
  return create_outputs(tx, pk, outs);
}
inline void fail_process(write_tx& tx, std::int64_t pk, const std::string& message) {
  ensure_live(tx, pk);
  tx.add_log(pk, log_level::error, message);
  tx.terminate(pk, process_state::excepted, 1, message);
}

struct cached_clone {
  launched node;
  std::vector<port_arg> outs;
  std::vector<std::int64_t> out_pks;
};
// A new calculation node cloned from `source`: same inputs, copies of its outputs.
inline cached_clone clone_from_cache(write_tx& tx, launch_spec ls, std::int64_t source) {
  auto src = tx.node(source);
  ls.state = process_state::finished;
  ls.attributes["cached_from"] = src.id.str();
  ls.attributes["cached_from_pk"] = source;
  cached_clone c;
  c.node = create_process(tx, ls);
  for (const auto& l : tx.outgoing(source, link_type::create)) c.outs.push_back({l.label, tx.load_any(l.output), 0});
  c.out_pks = create_outputs(tx, c.node.pk, c.outs);
  tx.set_exit(c.node.pk, 0);
  return c;
}

template <fixed_string Name, class F, node_kind Kind, fixed_string... Args>
class function_process {
  using traits = callable_traits<F>;
  using params = typename traits::args;
  static_assert(std::tuple_size_v<params> == sizeof...(Args),
                "tessera: declare one port name per parameter of the function");

 public:
  using raw_result = std::remove_cvref_t<typename traits::result>;
  using result_type = function_result_t<raw_result>;
  static constexpr std::string_view name = Name.view();
  static constexpr node_kind kind = Kind;

  explicit function_process(F f, std::string process_version = "1") : fn_(std::move(f)), version_(std::move(process_version)) {}

  /// Runs the function as a process and returns its result (blocking).
  template <class... A>
  result_type operator()(A&&... a) const {
    static_assert(sizeof...(A) == sizeof...(Args), "tessera: wrong number of arguments for this function");
    call_frame* f = current_frame;
    runner* r = f ? f->owner : runner::current();
    if (!r) {
      throw std::logic_error(fmt::format("cannot run '{}': no tessera::runner exists (create one on a store first)", name));
    }
    auto inputs = make_args(f ? &f->known : nullptr, std::index_sequence_for<A...>{}, std::forward<A>(a)...);
    auto result = f ? run_in(*r, *f, std::move(inputs)) : run_top(*r, std::move(inputs));
    if (f) remember(*f, result);
    return result;
  }

  /// Inside a work chain step: co_await call(fn, args...) (runs the body on the pool).
  template <class... A>
  task<result_type> async(A&&... a) const {
    static_assert(Kind == node_kind::calc_function, "tessera: run workfunctions from a step synchronously");
    call_frame* f = current_frame;
    if (!f || !f->owner || !f->owner->on_loop_thread()) {
      throw std::logic_error(fmt::format("call({}, ...) must be awaited inside a work chain step", name));
    }
    auto inputs = make_args(&f->known, std::index_sequence_for<A...>{}, std::forward<A>(a)...);
    return run_async(*f->owner, *f->owner->find(f->pk), std::move(inputs));
  }

  const std::string& version() const noexcept { return version_; }

 private:
  template <class... A, std::size_t... I>
  static std::vector<port_arg> make_args(const known_nodes* known, std::index_sequence<I...>, A&&... a) {
    constexpr std::string_view labels[] = {Args.view()...};
    return {make_arg<std::tuple_element_t<I, params>>(std::string(labels[I]), std::forward<A>(a), known)...};
  }

  template <std::size_t... I>
  raw_result invoke(const std::vector<port_arg>& in, std::index_sequence<I...>) const {
    return fn_(in[I].value.template get<std::tuple_element_t<I, params>>()...);
  }

  launch_spec spec_for(const std::vector<port_arg>& inputs, const call_frame* parent, std::int64_t seq) const {
    launch_spec ls;
    ls.kind = Kind;
    ls.type = std::string(name);
    ls.inputs = inputs;
    ls.state = process_state::running;
    if (Kind == node_kind::calc_function) ls.hash = process_hash(name, version_, inputs);
    if (parent) {
      ls.parent = parent->pk;
      ls.step = parent->step;
      ls.seq = seq;
    }
    return ls;
  }

  // Runs the body; for a workfunction, with its own frame so what it calls is linked to it.
  std::vector<port_arg> execute(runner& r, std::int64_t pk, const std::vector<port_arg>& inputs,
                                const std::vector<std::int64_t>& input_pks) const {
    if constexpr (Kind == node_kind::calc_function) {
      (void)r;
      (void)input_pks;
      struct scope {
        std::int64_t previous = running_calculation;
        explicit scope(std::int64_t p) { running_calculation = p; }
        ~scope() { running_calculation = previous; }
      } calculation(pk);
      return results_of(invoke(inputs, std::make_index_sequence<sizeof...(Args)>{}));
    } else {
      call_frame frame;
      frame.owner = &r;
      frame.pk = pk;
      frame.kind = Kind;
      frame.type = std::string(name);
      for (std::size_t i = 0; i < inputs.size(); ++i) frame.known.add(inputs[i].value, input_pks[i], true);
      {
        // A re-run after a crash finds the children its first run launched.
        auto lease = r.storage().read();
        frame.replay_step = 0;
        for (const auto& e : lease.journal(pk)) frame.replay[e.seq] = e.child;
      }
      frame_scope scope(&frame);
      auto outs = results_of(invoke(inputs, std::make_index_sequence<sizeof...(Args)>{}));
      for (auto& o : outs) o.pk = resolve_output(frame, o.label, o.value, o.pk);
      return outs;
    }
  }

  // Writes the outcome: outputs (calcfunction: new nodes; workfunction: RETURN links).
  static std::vector<std::int64_t> finish(write_tx& tx, std::int64_t pk, const std::vector<port_arg>& outs) {
    if constexpr (Kind == node_kind::calc_function) {
      return finish_calculation(tx, pk, outs);
    } else {
      ensure_live(tx, pk);
      std::vector<std::int64_t> pks;
      for (const auto& o : outs) {
        tx.add_link(pk, o.pk, link_type::ret, o.label);
        pks.push_back(o.pk);
      }
      tx.terminate(pk, process_state::finished, 0);
      return pks;
    }
  }

  std::optional<std::int64_t> cached(runner& r, const launch_spec& ls) const {
    if (Kind != node_kind::calc_function || !ls.hash || !r.caching_enabled(name)) return std::nullopt;
    auto lease = r.storage().read();
    return cache_source(lease, *ls.hash);
  }

  // Synchronous callers write in a transaction of their own: waiting for a group commit's
  // batching delay gains nothing when nobody else is writing at the same moment.
  template <class W>
  static auto write_now(runner& r, W&& w) {
    auto tx = r.storage().begin_write();
    if constexpr (std::is_void_v<decltype(w(tx))>) {
      w(tx);
      tx.commit();
    } else {
      auto out = w(tx);
      tx.commit();
      return out;
    }
  }

  // Outside any process: one transaction once the body has run (nothing to resume).
  result_type run_top(runner& r, std::vector<port_arg> inputs) const {
    auto ls = spec_for(inputs, nullptr, 0);
    if (auto src = cached(r, ls)) {
      auto c = write_now(r, [&](write_tx& tx) { return clone_from_cache(tx, ls, *src); });
      return make_result<result_type>(c.node.pk, c.outs, c.out_pks);
    }
    if constexpr (Kind == node_kind::calc_function) {
      std::vector<port_arg> outs;
      std::string error;
      try {
        outs = execute(r, 0, inputs, {});
      } catch (const std::exception& e) {
        error = e.what();
      }
      auto done = write_now(r, [&](write_tx& tx) {
        auto node = create_process(tx, ls);
        if (!error.empty()) {
          fail_process(tx, node.pk, fmt::format("calcfunction '{}' raised: {}", name, error));
          return std::pair{node.pk, std::vector<std::int64_t>{}};
        }
        return std::pair{node.pk, finish(tx, node.pk, outs)};
      });
      if (!error.empty()) throw process_excepted(done.first, fmt::format("calcfunction '{}' (pk {}) raised: {}", name, done.first, error));
      return make_result<result_type>(done.first, outs, done.second);
    } else {
      auto node = write_now(r, [&](write_tx& tx) { return create_process(tx, ls); });
      return complete(r, node.pk, inputs, node.input_pks);
    }
  }

  // Runs the body of launched process `pk` and records the outcome (blocking).
  result_type complete(runner& r, std::int64_t pk, const std::vector<port_arg>& inputs,
                       const std::vector<std::int64_t>& input_pks) const {
    std::vector<port_arg> outs;
    try {
      outs = execute(r, pk, inputs, input_pks);
    } catch (const std::exception& e) {
      const auto what = fmt::format("{} '{}' (pk {}) raised: {}",
                                    Kind == node_kind::calc_function ? "calcfunction" : "workfunction", name, pk, e.what());
      write_now(r, [&](write_tx& tx) { fail_process(tx, pk, what); });
      throw process_excepted(pk, what);
    }
    auto pks = write_now(r, [&](write_tx& tx) { return finish(tx, pk, outs); });
    return make_result<result_type>(pk, outs, pks);
  }

  // The inputs' nodes of an already launched process.
  static std::vector<std::int64_t> input_pks_of(runner& r, std::int64_t pk, const std::vector<port_arg>& inputs) {
    auto lease = r.storage().read();
    auto links = lease.incoming(pk, Kind == node_kind::calc_function ? link_type::input_calc : link_type::input_work);
    std::vector<std::int64_t> pks;
    for (const auto& in : inputs) {
      std::int64_t found = 0;
      for (const auto& l : links) {
        if (l.label == in.label) found = l.input;
      }
      pks.push_back(found);
    }
    return pks;
  }

  static void check_replayed_type(runner& r, std::int64_t pk, const call_frame& f, std::int64_t seq) {
    auto lease = r.storage().read();
    auto n = lease.node(pk);
    if (n.type != name) {
      throw std::logic_error(fmt::format(
          "process {} is not deterministic between awaits: call {} of step {} launched '{}' (node {}) before the "
          "restart, now '{}'",
          f.pk, seq, f.step, n.type, pk, name));
    }
  }

  std::optional<std::int64_t> journaled(runner& r, const call_frame& f, std::int64_t seq) const {
    (void)r;
    if (f.replay_step) return f.journaled(seq);
    return std::nullopt;
  }

  // Inside a process, blocking: journaled launch, body, outcome.
  result_type run_in(runner& r, call_frame& f, std::vector<port_arg> inputs) const {
    const std::int64_t seq = f.seq++;
    if (auto j = journaled(r, f, seq)) {
      check_replayed_type(r, *j, f, seq);
      auto lease = r.storage().read();
      auto s = lease.state_of(*j);
      if (s && is_terminal(*s)) return make_result<result_type>(load_terminated(r, *j, name));
      return complete(r, *j, inputs, input_pks_of(r, *j, inputs));
    }
    auto ls = spec_for(inputs, &f, seq);
    auto logs = std::move(f.logs);
    f.logs.clear();
    if (auto src = cached(r, ls)) {
      auto c = write_now(r, [&](write_tx& tx) {
        ensure_live(tx, f.pk);
        for (const auto& l : logs) tx.add_log(f.pk, l.level, l.message);
        return clone_from_cache(tx, ls, *src);
      });
      return make_result<result_type>(c.node.pk, c.outs, c.out_pks);
    }
    auto node = write_now(r, [&](write_tx& tx) {
      ensure_live(tx, f.pk);
      for (const auto& l : logs) tx.add_log(f.pk, l.level, l.message);
      return create_process(tx, ls);
    });
    return complete(r, node.pk, inputs, node.input_pks);
  }

  // Inside a step, on the loop: the same, with the body on the pool and async commits.
  task<result_type> run_async(runner& r, slot& s, std::vector<port_arg> inputs) const {
    co_await pause_gate{r, s};
    auto& f = s.frame;
    const std::int64_t seq = f.seq++;
    std::int64_t pk = 0;
    std::vector<std::int64_t> input_pks;
    if (auto j = f.journaled(seq)) {
      check_replayed_type(r, *j, f, seq);
      auto lease = r.storage().read();
      auto st = lease.state_of(*j);
      if (st && is_terminal(*st)) {
        auto res = make_result<result_type>(load_terminated(r, *j, name));
        remember(f, res);
        co_return res;
      }
      pk = *j;
      input_pks = input_pks_of(r, pk, inputs);
    } else {
      auto ls = spec_for(inputs, &f, seq);
      auto logs = std::move(f.logs);
      f.logs.clear();
      const auto parent = s.pk;
      if (auto src = cached(r, ls)) {
        commit_op<cached_clone> op1{r, s, [ls, logs, parent, src = *src](write_tx& tx) {
                                                    ensure_live(tx, parent);
                                                    for (const auto& l : logs) tx.add_log(parent, l.level, l.message);
                                                    return clone_from_cache(tx, ls, src);
                                                  }};
        auto c = co_await op1;
        auto res = make_result<result_type>(c.node.pk, c.outs, c.out_pks);
        remember(f, res);
        co_return res;
      }
      commit_op<launched> op2{r, s, [ls, logs, parent](write_tx& tx) {
                                                 ensure_live(tx, parent);
                                                 for (const auto& l : logs) tx.add_log(parent, l.level, l.message);
                                                 return create_process(tx, ls);
                                               }};
      auto node = co_await op2;
      pk = node.pk;
      input_pks = node.input_pks;
    }
    // The body runs on the pool with its own copy of everything it needs.
    auto outs = std::make_shared<std::vector<port_arg>>();
    auto error = std::make_shared<std::string>();
    pool_op op3{r, s, [this, &r, pk, inputs, input_pks, outs, error] {
                       try {
                         *outs = execute(r, pk, inputs, input_pks);
                         for (const auto& o : *outs) (void)o.value.hash();  // here, not on the committer
                       } catch (const std::exception& e) {
                         *error = e.what();
                       }
                     }};
    co_await op3;
    if (!error->empty()) {
      const auto what = fmt::format("calcfunction '{}' (pk {}) raised: {}", name, pk, *error);
      commit_op<int> op4{r, s, [pk, what](write_tx& tx) {
                                fail_process(tx, pk, what);
                                return 0;
                              }};
      co_await op4;
      throw process_excepted(pk, what);
    }
    commit_op<std::vector<std::int64_t>> op5{
        r, s, [pk, outs = *outs](write_tx& tx) { return finish(tx, pk, outs); }};
    auto pks = co_await op5;
    auto res = make_result<result_type>(pk, *outs, pks);
    remember(f, res);
    co_return res;
  }

  static void remember(call_frame& f, const result_type& res) {
    if constexpr (std::is_same_v<result_type, process_result>) {
      for (const auto& o : res.outputs) f.known.add(o.value, o.pk);
    } else {
      f.known.add(any_data(res.value()), res.pk());
    }
  }

  F fn_;
  std::string version_;
};

}  // namespace engine_detail

/// A calculation function: creates data from its inputs, recorded with full provenance.
template <fixed_string Name, fixed_string... Args, class F>
auto calcfunction(F f, std::string process_version = "1") {
  return engine_detail::function_process<Name, F, node_kind::calc_function, Args...>(std::move(f), std::move(process_version));
}

/// A workflow function: calls calcfunctions (and other workfunctions) and returns some of
/// their results; it creates no data itself.
template <fixed_string Name, fixed_string... Args, class F>
auto workfunction(F f, std::string process_version = "1") {
  return engine_detail::function_process<Name, F, node_kind::work_function, Args...>(std::move(f), std::move(process_version));
}

}  // namespace tessera
