#pragma once
// CalcJobs: a calculation that runs an external code as a job on a computer, through the
// computer's transport and scheduler plugins.
//
//   struct my_add : tessera::calc_job<my_add> {
//     static constexpr std::string_view process_name = "mylab.add";
//     static constexpr std::string_view default_parser = "mylab.add";    // or a static parse()
//     static auto define() {
//       using namespace tessera::spec;
//       return extend(calc_job<my_add>::define(), input<"x", Int>(), output<"sum", Int>(), ...);
//     }
//     calcjob::calc_info prepare(calcjob::sandbox& box) const;          // input files, command
//   };
//   // in a work chain step:  auto c = co_await run<my_add>(inputs);  c.out<"sum">()
//
// Lifecycle: upload -> submit -> update -> retrieve -> parse. Each stage's outcome and the
// next stage are committed in one transaction (checkpoint and the `calc_job_state`
// attribute, with the remote_folder / retrieved output nodes, the input files as uploaded
// (attribute raw_input, objects in the file repository) and the job id), so a restarted
// runner (resume_all) continues at the stage that had not completed. Transport and
// scheduler work runs on the computer's transport queue, never on the event loop; a task
// that fails after the computer's retry attempts pauses the process (play retries it).
// Submission is idempotent: the job is named after the process uuid, and a submit stage
// that may already have submitted (a restart, a retry) first asks the scheduler for a job
// of that name. Killing the process kills its job (queued on the transport queue with
// back-off, so it also works while the computer is unreachable).
#include <algorithm>
#include <atomic>
#include <coroutine>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/calcjob/calc_info.hpp>
#include <tessera/calcjob/job_template.hpp>
#include <tessera/calcjob/parser.hpp>
#include <tessera/calcjob/services.hpp>
#include <tessera/data/folder.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/remote.hpp>
#include <tessera/data/str.hpp>
#include <tessera/engine/detail/awaitables.hpp>
#include <tessera/engine/detail/provenance.hpp>
#include <tessera/engine/runner.hpp>
#include <tessera/engine/work_chain.hpp>
#include <tessera/spec.hpp>
#include <tessera/store/code.hpp>

namespace tessera {

namespace calcjob_detail {
template <class Self>
class calc_job_instance;
}

/// Base of calculation classes (CRTP). Self defines process_name, define() (extending
/// calc_job<Self>::define()), prepare(), and either default_parser (a parser plugin name) or
/// static parse(const calcjob::retrieved_files&, const port_values& inputs).
template <class Self>
class calc_job : public spec::ports<Self> {
 public:
  using engine_instance = calcjob_detail::calc_job_instance<Self>;
  static constexpr node_kind kind = node_kind::calc_job;

  /// The ports and exit codes of every calcjob.
  static auto define() {
    using namespace tessera::spec;
    return process_spec(
        input<"code", InstalledCode>(help("the code to run: an executable installed on a computer")),
        input<"metadata.options.resources.num_machines", Int>(default_value(1), non_db),
        input<"metadata.options.resources.num_mpiprocs_per_machine", Int>(default_value(1), non_db),
        input<"metadata.options.max_wallclock_seconds", Int>(required(false), non_db),
        input<"metadata.options.queue_name", Str>(required(false), non_db),
        output<"remote_folder", RemoteData>(help("the job's working directory on the computer")),
        output<"retrieved", FolderData>(help("the files brought back after the job")),
        exit_code<150, "ERROR_JOB_KILLED_OUTSIDE">(
            "the job ended before its command completed: killed or cancelled outside tessera"));
  }

  /// This process's pk (0 before it runs).
  std::int64_t pk() const noexcept { return pk_; }

 protected:
  template <class>
  friend class calcjob_detail::calc_job_instance;
  port_values& engine_inputs() { return this->inputs_; }
  std::int64_t pk_ = 0;
};

namespace calcjob {
/// Written by every job script after the command, with its exit status: a job that ended
/// without it was killed before its command completed.
inline constexpr std::string_view exit_status_file = "_tessera_exit_status";
}  // namespace calcjob

namespace calcjob_detail {

using namespace tessera::engine_detail;
using calcjob::transport_queue;

enum class stage { upload, submit, update, retrieve, parse };

constexpr std::string_view to_string(stage s) {
  switch (s) {
    case stage::upload: return "upload";
    case stage::submit: return "submit";
    case stage::update: return "update";
    case stage::retrieve: return "retrieve";
    case stage::parse: return "parse";
  }
  return "?";
}
inline stage stage_from_string(std::string_view s) {
  for (auto v : {stage::upload, stage::submit, stage::update, stage::retrieve, stage::parse}) {
    if (to_string(v) == s) return v;
  }
  throw store_error(fmt::format("invalid calcjob stage '{}' in a checkpoint", s));
}
inline calcjob::job_state job_state_from_string(std::string_view s) {
  using calcjob::job_state;
  for (auto v : {job_state::queued, job_state::queued_held, job_state::running, job_state::suspended, job_state::done,
                 job_state::failed, job_state::cancelled, job_state::gone, job_state::unknown}) {
    if (calcjob::to_string(v) == s) return v;
  }
  return job_state::unknown;
}

// Awaits one task on a computer's transport queue; the outcome comes back on the loop,
// dropped if the process died meanwhile. `work` runs on the queue's thread and must own
// everything it touches (the process may be killed while it runs).
struct queue_op {
  runner& r;
  slot& s;
  transport_queue& q;
  std::string name;
  std::function<void(calcjob::transport&, calcjob::scheduler&)> work;
  std::shared_ptr<std::atomic<bool>> cancelled;
  // Or, for a task that ends in one command (a submission): see transport_queue::task.
  std::function<std::optional<std::string>(calcjob::transport&, calcjob::scheduler&)> prepare{};
  std::function<void(const calcjob::command_result&, calcjob::scheduler&)> finish{};
  std::exception_ptr error{};
  int attempts = 0;

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    auto& rr = r;
    transport_queue::task t;
    t.name = name;
    t.work = std::move(work);
    t.prepare = std::move(prepare);
    t.finish = std::move(finish);
    t.cancelled = cancelled;
    t.done = [&rr, pk = s.pk, gen = s.gen, h, this](std::exception_ptr e, int n) {
      rr.post([&rr, pk, gen, h, this, e, n] {
        if (auto* sl = rr.find_live(pk, gen)) {
          error = e;
          attempts = n;
          rr.resume(*sl, h);
        }
      });
    };
    q.add(std::move(t));
  }
  void await_resume() const noexcept {}
};

// Awaits the end of a job, through the computer's job manager (one poll for all jobs).
struct job_op {
  runner& r;
  slot& s;
  transport_queue& q;
  std::string id;
  calcjob::job_state state = calcjob::job_state::unknown;
  std::exception_ptr error{};

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    auto& rr = r;
    q.watch(id, [&rr, pk = s.pk, gen = s.gen, h, this](calcjob::job_state st, std::exception_ptr e) {
      rr.post([&rr, pk, gen, h, this, st, e] {
        if (auto* sl = rr.find_live(pk, gen)) {
          state = st;
          error = e;
          rr.resume(*sl, h);
        }
      });
    });
  }
  void await_resume() const noexcept {}
};

inline std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

struct output_link {
  std::string label;
  std::int64_t pk = 0;
  any_data value;
};

// Built outside the coroutines: GCC 12 miscompiles aggregates and initializer lists made
// from string literals inside a coroutine body ("array used as initializer").
inline output_link new_output(std::string_view label, any_data value) { return {std::string(label), 0, std::move(value)}; }
inline nlohmann::json one_attribute(std::string_view key, nlohmann::json value) {
  auto j = nlohmann::json::object();
  j[std::string(key)] = std::move(value);
  return j;
}

// Committed with the end of the upload: where the job runs, its input files (a FolderData's
// file list) and which of them are its input and output file (the defaults of `tessera
// calcjob inputcat|outputcat`, like AiiDA's input_filename / output_filename options).
inline nlohmann::json upload_attributes(const std::string& remote_path, const FolderData& raw,
                                        const calcjob::calc_info& info) {
  auto j = nlohmann::json::object();
  j["remote_workdir"] = remote_path;
  j["raw_input"] = data_traits<FolderData>::serialize(raw);
  if (!info.stdin_name.empty()) j["input_filename"] = info.stdin_name;
  if (!info.stdout_name.empty()) j["output_filename"] = info.stdout_name;
  return j;
}

// Queues the kill of the job of killed calcjob `pk`: by id, or (killed mid-submit) by the
// job's name. The outcome is logged on the node and recorded in its extra `job_kill`, so a
// later runner does not try again.
inline void queue_job_kill(transport_queue& q, store& st, std::int64_t pk, std::string id, std::string job,
                           std::string computer) {
  transport_queue::task t;
  t.name = "kill";
  t.work = [id, job](calcjob::transport& tr, calcjob::scheduler& sch) {
    const auto ids = id.empty() ? sch.find_by_name(tr, job) : std::vector<std::string>{id};
    for (const auto& i : ids) sch.kill(tr, i);
  };
  t.done = [st = &st, pk, id, computer](std::exception_ptr e, int attempts) {
    const auto which = id.empty() ? std::string("(found by its name)") : id;
    const auto msg = e ? fmt::format("could not kill job {} on computer '{}' after {} attempt{}: {}", which, computer,
                                     attempts, attempts == 1 ? "" : "s", what_of(e))
                       : fmt::format("killed job {} on computer '{}'", which, computer);
    try {
      st->write([&](write_tx& tx) {
        tx.add_log(pk, e ? log_level::error : log_level::report, msg);
        tx.set_extra(pk, "job_kill", e ? "failed" : "done");
      });
    } catch (...) {
    }
  };
  q.add(std::move(t));
}

// A resume hook: calcjobs killed while no runner held them (or whose runner stopped before
// their job was killed) may have left a job behind. Their stage says whether a job may exist.
inline void kill_orphaned_jobs(runner& r) {
  struct orphan {
    std::int64_t pk;
    std::string job_id, job_name, computer;
  };
  std::vector<orphan> todo;
  {
    auto lease = r.storage().read();
    auto q = lease.connection().prepare(
        "SELECT pk, json_extract(attributes, '$.job_id') FROM node WHERE kind = 2 AND process_state = 'killed' AND "
        "json_extract(attributes, '$.calc_job_state') IN ('submit', 'update') AND "
        "(extras IS NULL OR json_extract(extras, '$.job_kill') IS NULL)");
    while (q.step()) todo.push_back({q.int64(0), q.is_null(1) ? std::string() : std::string(q.text(1)), {}, {}});
    for (auto& o : todo) {
      o.job_name = lease.node(o.pk).id.str();
      for (const auto& l : lease.incoming(o.pk, link_type::input_calc)) {
        if (l.label == "code") o.computer = lease.load_any(l.input).get<InstalledCode>().computer;
      }
    }
  }
  for (auto& o : todo) {
    try {
      queue_job_kill(calcjob::services::of(r).queue_for(o.computer), r.storage(), o.pk, o.job_id, o.job_name, o.computer);
    } catch (const std::exception& e) {
      const auto msg = fmt::format("cannot kill the job of this killed calcjob: {}", e.what());
      r.storage().write([&](write_tx& tx) { tx.add_log(o.pk, log_level::error, msg); });
    }
  }
}
inline const bool orphan_hook_registered = add_resume_hook(&kill_orphaned_jobs);

template <class Self>
class calc_job_instance final : public process_instance {
 public:
  static constexpr node_kind kind = node_kind::calc_job;
  static constexpr std::string_view name = spec::process_name_of<Self>();

  Self p;
  bool fresh = true;
  bool resumed = false;
  stage at = stage::upload;
  std::string job_id;
  std::string remote_path;
  std::optional<calcjob::calc_info> info;
  calcjob::job_state final_state = calcjob::job_state::unknown;
  std::vector<output_link> outputs;  // remote_folder, retrieved
  std::optional<FolderData> retrieved;

  port_values& inputs() { return p.engine_inputs(); }
  std::string initial_checkpoint() const { return encode().dump(); }
  static std::unique_ptr<process_instance> resume(runner& r, std::int64_t pk);
  task<void> drive(runner& r, slot& s) override;
  void on_killed() override;

  nlohmann::json encode() const {
    nlohmann::json j;
    j["format"] = 1;
    j["stage"] = to_string(at);
    j["job_id"] = job_id;
    j["remote_path"] = remote_path;
    j["job_state"] = calcjob::to_string(final_state);
    if (info) j["calc_info"] = info->to_json();
    j["non_db"] = non_db_inputs_json<Self>(p.inputs());
    return j;
  }

 private:
  task<void> upload(runner& r, slot& s);
  task<void> submit(runner& r, slot& s);
  task<void> update(runner& r, slot& s);
  task<void> retrieve(runner& r, slot& s);
  task<void> parse(runner& r, slot& s);
  task<void> pause_after(runner& r, slot& s, std::string_view task_name, int attempts, std::exception_ptr e);
  task<void> advance(runner& r, slot& s, nlohmann::json attributes, std::optional<output_link> out);
  calcjob::job_template make_template() const;
  std::string job_name() const { return uuid_; }

  runner* runner_ = nullptr;
  transport_queue* queue_ = nullptr;
  std::string computer_;
  std::string uuid_;
  bool submit_tried_ = false;  // a submit that may have reached the scheduler
  std::shared_ptr<const std::map<std::string, std::string>> retrieved_contents_;  // what retrieve read
  std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);
};

template <class Self>
calcjob::job_template calc_job_instance<Self>::make_template() const {
  const auto& code = p.template in<"code">();
  calcjob::job_template t;
  t.job_name = job_name();
  t.working_directory = remote_path;
  t.argv.push_back(code.filepath_executable);
  for (const auto& a : info->cmdline_params) t.argv.push_back(a);
  t.stdin_name = info->stdin_name;
  t.stdout_name = info->stdout_name;
  t.stderr_name = info->stderr_name;
  t.join_stderr = info->join_stderr;
  t.resources.num_machines = static_cast<std::uint32_t>(p.template in<"metadata.options.resources.num_machines">().value);
  t.resources.num_mpiprocs_per_machine =
      static_cast<std::uint32_t>(p.template in<"metadata.options.resources.num_mpiprocs_per_machine">().value);
  if (const auto* w = p.template in_if<"metadata.options.max_wallclock_seconds">()) {
    t.resources.max_wallclock_seconds = static_cast<std::uint64_t>(w->value);
  }
  if (const auto* q = p.template in_if<"metadata.options.queue_name">()) t.resources.queue_name = q->value;
  t.prepend_text = code.prepend_text;
  // First thing after the command: its exit status, which tells a completed job from one
  // killed before its command ended.
  t.append_text = fmt::format("echo $? > {}\n", calcjob::shell_quote(calcjob::exit_status_file)) + code.append_text;
  return t;
}

// Commits the move to the next stage: checkpoint, attributes and (maybe) an output node.
template <class Self>
task<void> calc_job_instance<Self>::advance(runner& r, slot& s, nlohmann::json attributes, std::optional<output_link> out) {
  const auto pk = s.pk;
  const auto cp = encode().dump();
  attributes["calc_job_state"] = to_string(at);
  std::optional<std::pair<std::string, any_data>> o;
  if (out) o.emplace(out->label, out->value);
  commit_op<std::int64_t> op{r, s, [pk, cp, attributes, o](write_tx& tx) {
                               ensure_live(tx, pk);
                               std::int64_t d = 0;
                               if (o) {
                                 d = tx.add_data(o->second).pk;
                                 tx.add_link(pk, d, link_type::create, o->first);
                               }
                               tx.set_attributes(pk, attributes);
                               tx.set_checkpoint(pk, cp);
                               return d;
                             }};
  const auto d = co_await op;
  if (out) outputs.push_back({out->label, d, out->value});
}

template <class Self>
task<void> calc_job_instance<Self>::pause_after(runner& r, slot& s, std::string_view task_name, int attempts,
                                                std::exception_ptr e) {
  const auto pk = s.pk;
  const auto msg = fmt::format(
      "calcjob '{}' (pk {}) on computer '{}': the {} task failed after {} attempt{}: {}; paused: play the process to "
      "retry it",
      name, pk, computer_, task_name, attempts, attempts == 1 ? "" : "s", what_of(e));
  commit_op<int> op{r, s, [pk, msg](write_tx& tx) {
                      ensure_live(tx, pk);
                      tx.add_log(pk, log_level::error, msg);
                      tx.set_paused(pk, true, msg);
                      return 0;
                    }};
  co_await op;
  s.paused = true;
  co_await pause_gate{r, s};
}

template <class Self>
task<void> calc_job_instance<Self>::upload(runner& r, slot& s) {
  calcjob::sandbox box;
  calcjob::calc_info ci;
  try {
    ci = p.prepare(box);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("prepare() raised: {}", e.what()));
  }
  auto files = box.files();
  const auto dir = remote_path;
  queue_op op{r, s, *queue_, std::string("upload"),
              [files, dir](calcjob::transport& t, calcjob::scheduler&) {
                t.makedirs(dir);
                for (const auto& [rel, content] : files) {
                  const auto full = calcjob::transport::join(dir, rel);
                  if (const auto slash = rel.rfind('/'); slash != std::string::npos) {
                    t.makedirs(calcjob::transport::join(dir, rel.substr(0, slash)));
                  }
                  t.write_file(full, content);
                }
              },
              cancelled_};
  co_await op;
  if (op.error) {
    co_await pause_after(r, s, "upload", op.attempts, op.error);
    co_return;
  }
  // The input files as uploaded, into the file repository (on the pool: it syncs to disk) and
  // listed in the attribute raw_input with the stage that follows, so `tessera calcjob
  // inputls|inputcat` shows what the job was given (AiiDA keeps them in the node's repository).
  auto raw = std::make_shared<FolderData>();
  repository& repo = r.storage().files();
  pool_op put{r, s, [files, raw, &repo] {
                for (const auto& [rel, content] : files) raw->files.emplace(rel, repo.put(content));
              }};
  co_await put;
  info = std::move(ci);
  at = stage::submit;
  auto out = new_output("remote_folder", any_data(RemoteData{computer_, remote_path}));
  co_await advance(r, s, upload_attributes(remote_path, *raw, *info), out);
}

template <class Self>
task<void> calc_job_instance<Self>::submit(runner& r, slot& s) {
  const auto jt = make_template();
  const bool check_first = submit_tried_ || resumed;
  submit_tried_ = true;
  auto found = std::make_shared<std::string>();
  auto ran = std::make_shared<bool>(false);
  auto first = std::make_shared<bool>(!check_first);
  // A command task: the queue may run this job's submit command together with other jobs'.
  queue_op op{r, s, *queue_, std::string("submit"), nullptr, cancelled_,
              [jt, found, ran, first](calcjob::transport& t,
                                      calcjob::scheduler& sch) -> std::optional<std::string> {
                if (!*first) {
                  // It may have been submitted before the job id was recorded: find it by name.
                  if (auto ids = sch.find_by_name(t, jt.job_name); !ids.empty()) {
                    *found = ids.front();
                    return std::nullopt;
                  }
                  if (t.path_exists(calcjob::transport::join(jt.working_directory, jt.scheduler_stdout))) {
                    *ran = true;  // it already ran and is gone
                    return std::nullopt;
                  }
                }
                *first = false;  // from here on, a failure may follow a submission
                return sch.prepare_submit(t, jt);
              },
              [found](const calcjob::command_result& res, calcjob::scheduler& sch) {
                *found = sch.parse_submit_output(res);
              }};
  co_await op;
  if (op.error) {
    co_await pause_after(r, s, "submit", op.attempts, op.error);
    co_return;
  }
  if (*ran) {
    at = stage::retrieve;
    final_state = calcjob::job_state::gone;
    co_await advance(r, s, nlohmann::json::object(), std::nullopt);
    co_return;
  }
  job_id = *found;
  at = stage::update;
  co_await advance(r, s, one_attribute("job_id", job_id), std::nullopt);
}

template <class Self>
task<void> calc_job_instance<Self>::update(runner& r, slot& s) {
  job_op op{r, s, *queue_, job_id};
  co_await op;
  if (op.error) {
    co_await pause_after(r, s, "update", queue_->settings().retry_max_attempts, op.error);
    co_return;
  }
  final_state = op.state;
  at = stage::retrieve;
  co_await advance(r, s, one_attribute("scheduler_state", std::string(calcjob::to_string(final_state))), std::nullopt);
}

template <class Self>
task<void> calc_job_instance<Self>::retrieve(runner& r, slot& s) {
  std::vector<std::string> names = info->retrieve_list;
  const auto jt = make_template();
  for (const auto& n : {std::string(calcjob::exit_status_file), jt.scheduler_stdout, jt.scheduler_stderr}) {
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
  }
  auto contents = std::make_shared<std::map<std::string, std::string>>();
  const auto dir = remote_path;
  queue_op op{r, s, *queue_, std::string("retrieve"),
              [names, contents, dir](calcjob::transport& t, calcjob::scheduler&) {
                contents->clear();
                const auto present = t.listdir(dir);
                for (const auto& n : names) {
                  const auto full = calcjob::transport::join(dir, n);
                  const bool here = n.find('/') == std::string::npos
                                        ? std::find(present.begin(), present.end(), n) != present.end()
                                        : t.path_exists(full);
                  if (!here || t.is_dir(full)) continue;
                  contents->emplace(n, t.read_file(full));
                }
              },
              cancelled_};
  co_await op;
  if (op.error) {
    co_await pause_after(r, s, "retrieve", op.attempts, op.error);
    co_return;
  }
  // Into the file repository on the pool (it syncs to disk): the queue thread goes on with
  // other jobs' transport work meanwhile.
  auto folder = std::make_shared<FolderData>();
  repository& repo = r.storage().files();
  pool_op put{r, s, [contents, folder, &repo] {
                for (const auto& [n, c] : *contents) folder->files.emplace(n, repo.put(c));
              }};
  co_await put;
  retrieved = *folder;
  retrieved_contents_ = contents;
  at = stage::parse;
  auto out = new_output("retrieved", any_data(*folder));
  co_await advance(r, s, nlohmann::json::object(), out);
}

template <class Self>
task<void> calc_job_instance<Self>::parse(runner& r, slot& s) {
  const auto pk = s.pk;
  // What the job left, read off the loop (after a restart, from the stored output).
  if (!retrieved) {
    for (const auto& o : outputs) {
      if (o.label == "retrieved") retrieved = o.value.template get<FolderData>();
    }
    if (!retrieved) throw std::runtime_error("the checkpoint says parse, but there is no 'retrieved' output");
  }
  std::shared_ptr<const parser_plugin> plugin;
  if constexpr (!requires(const calcjob::retrieved_files& f, const port_values& in) { Self::parse(f, in); }) {
    plugin = calcjob::services::of(r).parser(std::string(Self::default_parser));
  }
  auto folder = *retrieved;
  auto ins = p.inputs();
  auto result = std::make_shared<calcjob::parse_result>();
  auto killed = std::make_shared<bool>(false);
  repository& repo = r.storage().files();
  const auto state = final_state;
  auto in_memory = retrieved_contents_;
  pool_op op{r, s, [folder, ins, result, killed, plugin, state, in_memory, &repo] {
               std::map<std::string, std::string> contents;
               if (in_memory) {
                 contents = *in_memory;
               } else {
                 for (const auto& [rel, obj] : folder.files) contents.emplace(rel, repo.read(obj.object));
               }
               if (state == calcjob::job_state::cancelled || !contents.contains(std::string(calcjob::exit_status_file))) {
                 *killed = true;
                 return;
               }
               calcjob::retrieved_files files(std::move(contents));
               if constexpr (requires(const calcjob::retrieved_files& f, const port_values& in) { Self::parse(f, in); }) {
                 *result = Self::parse(files, ins);
               } else {
                 *result = plugin->parse(files, ins);
               }
             }};
  try {
    co_await op;
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("the parser raised: {}", e.what()));
  }
  exit_code_value ec;
  std::vector<port_arg> outs;
  if (*killed) {
    const auto* c = Self::spec().find_exit_code("ERROR_JOB_KILLED_OUTSIDE");
    ec = {c->status, c->label,
          fmt::format("{} (scheduler state: {}; no '{}' in the retrieved files)", c->message,
                      calcjob::to_string(state), calcjob::exit_status_file)};
  } else {
    if (!result->exit_label.empty()) {
      const auto* c = Self::spec().find_exit_code(result->exit_label);
      if (!c) {
        throw std::runtime_error(fmt::format("the parser returned exit code '{}', which the spec of '{}' does not declare",
                                             result->exit_label, name));
      }
      ec = {c->status, c->label, result->message.empty() ? c->message : result->message};
    }
    outs = flatten(result->outputs);
    // The parser's outputs must be declared, of the declared type, and complete on success.
    port_values all = result->outputs;
    for (const auto& o : outputs) all.set(o.label, o.value);
    std::string what;
    for (const auto& pr : Self::spec().check(spec::direction::output, all, false)) {
      if (pr.message == "required output is missing" && !ec.ok()) continue;
      what += fmt::format("{}{}: {}", what.empty() ? "" : "; ", pr.port, pr.message);
    }
    if (!what.empty()) {
      const bool missing = what.find("required output is missing") != std::string::npos;
      ec = {missing ? 11 : 10, missing ? "ERROR_MISSING_OUTPUT" : "ERROR_INVALID_OUTPUT",
            fmt::format("parser of '{}': {}", name, what)};
      if (!missing) outs.clear();
    }
  }
  commit_op<std::vector<std::int64_t>> done{r, s, [pk, outs, ec](write_tx& tx) {
                                              if (!tx.try_terminate(pk, process_state::finished, ec.status, ec.message)) {
                                                throw process_terminated(pk);
                                              }
                                              return create_outputs(tx, pk, outs);
                                            }};
  auto pks = co_await done;
  process_result res;
  res.pk = pk;
  res.state = process_state::finished;
  res.exit_status = ec.status;
  res.exit_message = ec.message;
  for (const auto& o : outputs) res.outputs.push_back({o.label, o.pk, o.value});
  for (std::size_t i = 0; i < outs.size(); ++i) res.outputs.push_back({outs[i].label, pks[i], outs[i].value});
  r.notify_transition(pk, hook_point::exiting, process_state::running);
  r.retire(s, std::move(res));
}

template <class Self>
task<void> calc_job_instance<Self>::drive(runner& r, slot& s) {
  runner_ = &r;
  p.pk_ = s.pk;
  s.kind = node_kind::calc_job;
  s.type = std::string(name);
  s.frame.kind = node_kind::calc_job;
  s.frame.type = s.type;
  std::string failure;
  try {
    {
      auto lease = r.storage().read();
      uuid_ = lease.node(s.pk).id.str();
    }
    computer_ = p.template in<"code">().computer;
    auto& svc = calcjob::services::of(r);
    queue_ = &svc.queue_for(computer_);
    if (remote_path.empty()) {
      auto base = svc.computer(computer_).workdir;
      if (base.empty() || base.front() != '/') {
        throw std::runtime_error(fmt::format("computer '{}' has no absolute work directory (workdir '{}')", computer_, base));
      }
      if (auto at_user = base.find("{username}"); at_user != std::string::npos) {
        const auto& ts = queue_->settings().transport;
        const char* env_user = std::getenv("USER");
        const std::string user = ts.contains("username") && ts["username"].is_string()
                                     ? ts["username"].template get<std::string>()
                                     : std::string(env_user ? env_user : "");
        base.replace(at_user, 10, user);
      }
      remote_path = calcjob::transport::join(base, uuid_.substr(0, 2));
      remote_path = calcjob::transport::join(remote_path, uuid_.substr(2, 2));
      remote_path = calcjob::transport::join(remote_path, uuid_.substr(4));
    }
    if (fresh) {
      const auto pk = s.pk;
      r.notify_transition(pk, hook_point::entering, process_state::running);
      commit_op<int> op{r, s, [pk](write_tx& tx) {
                          ensure_live(tx, pk);
                          tx.set_process_state(pk, process_state::running);
                          tx.set_attribute(pk, "calc_job_state", "upload");
                          return 0;
                        }};
      co_await op;
      fresh = false;
      r.notify_transition(pk, hook_point::entered, process_state::running);
    }
    for (;;) {
      co_await pause_gate{r, s};
      if (at == stage::upload) {
        co_await upload(r, s);
      } else if (at == stage::submit) {
        co_await submit(r, s);
      } else if (at == stage::update) {
        co_await update(r, s);
      } else if (at == stage::retrieve) {
        co_await retrieve(r, s);
      } else {
        co_await parse(r, s);
        co_return;
      }
    }
  } catch (const process_terminated&) {
    r.retire(s, std::nullopt);
    co_return;
  } catch (const std::exception& e) {
    failure = fmt::format("calcjob '{}' (pk {}), stage {}: {}", name, s.pk, to_string(at), e.what());
  }
  try {
    const auto pk = s.pk;
    commit_op<int> op{r, s, [pk, failure](write_tx& tx) {
                        ensure_live(tx, pk);
                        tx.add_log(pk, log_level::error, failure);
                        tx.terminate(pk, process_state::excepted, 1, failure);
                        return 0;
                      }};
    co_await op;
  } catch (...) {
  }
  r.retire(s, std::nullopt);
}

// Killed: nothing more of this process runs, and its job is killed through the queue
// (retried with back-off, so it also happens once an unreachable computer is back).
template <class Self>
void calc_job_instance<Self>::on_killed() {
  cancelled_->store(true);
  if (!queue_ || !runner_) return;
  const bool submitted_maybe = at == stage::submit || at == stage::update;
  if (!submitted_maybe || (at == stage::submit && !submit_tried_ && !resumed)) return;
  if (!job_id.empty()) queue_->unwatch(job_id);
  queue_job_kill(*queue_, runner_->storage(), p.pk_, job_id, job_name(), computer_);
}

template <class Self>
std::unique_ptr<process_instance> calc_job_instance<Self>::resume(runner& r, std::int64_t pk) {
  auto inst = std::make_unique<calc_job_instance<Self>>();
  auto lease = r.storage().read();
  auto node = lease.node(pk);
  inst->fresh = node.state == process_state::created;
  inst->resumed = true;
  for (const auto& l : lease.incoming(pk, link_type::input_calc)) inst->inputs().set(l.label, lease.load_any(l.input));
  if (auto cp = lease.checkpoint(pk)) {
    const auto j = nlohmann::json::parse(*cp);
    if (j.value("format", 0) != 1) {
      throw store_error(fmt::format("calcjob {}: checkpoint format {} is not known to this tessera", pk, j.value("format", 0)));
    }
    inst->at = stage_from_string(j.at("stage").get<std::string>());
    inst->job_id = j.at("job_id").get<std::string>();
    inst->remote_path = j.at("remote_path").get<std::string>();
    inst->final_state = job_state_from_string(j.at("job_state").get<std::string>());
    if (auto it = j.find("calc_info"); it != j.end()) inst->info = calcjob::calc_info::from_json(*it);
    if (auto it = j.find("non_db"); it != j.end() && !it->is_null()) {
      for (const auto& a : flatten(port_values::from_typed_json(*it))) inst->inputs().set(a.label, a.value);
    }
  }
  // Outputs made so far (remote_folder, retrieved): committed with the stage that follows.
  for (const auto& l : lease.outgoing(pk, link_type::create)) inst->outputs.push_back({l.label, l.output, lease.load_any(l.output)});
  return inst;
}

}  // namespace calcjob_detail

}  // namespace tessera
