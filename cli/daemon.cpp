// tessera daemon start|stop|status|restart|incr|decr: the supervisor of a profile's
// worker processes (include/tessera/daemon/). The workers are the user's executable, whose
// main calls tessera::daemon::worker_main; `start --program PATH` records it in
// <profile>/daemon/daemon.json with the worker count and lease, for later commands.
//
// Exit statuses: 0 done; 1 the command failed, or the daemon is not running for `stop`,
// `status`, `incr` and `decr` (the message says so); 2 usage errors, including a --program
// that does not exist or is not executable, or none given and none recorded.
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include <tessera/daemon/control.hpp>
#include <tessera/store/lease.hpp>

#include "detail/common.hpp"

namespace tessera::cli {

namespace fs = std::filesystem;
namespace dmn = tessera::daemon;

namespace {

struct start_options {
  std::optional<int> workers;
  std::string program;
  std::optional<std::int64_t> lease_ms;
};

std::string seconds_text(std::int64_t ms) {
  if (ms < 60'000) return fmt::format("{:.1f} s", static_cast<double>(ms) / 1000.0);
  const auto s = ms / 1000;
  if (s < 3600) return fmt::format("{}m {:02}s", s / 60, s % 60);
  if (s < 86'400) return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
  return fmt::format("{}d {:02}h", s / 86'400, s % 86'400 / 3600);
}

dmn::daemon_paths paths_of(const globals& g) { return dmn::daemon_paths(resolve_profile(g)); }

std::string not_running(const dmn::daemon_paths& p) {
  return fmt::format("the daemon of profile {} is not running", p.profile.string());
}

// incr and decr read, change and write daemon.json: one at a time.
class settings_lock {
 public:
  explicit settings_lock(const dmn::daemon_paths& p)
      : fd_(::open((p.dir() / "daemon.json.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) {
    if (fd_) (void)::flock(fd_.get(), LOCK_EX);
  }

 private:
  dmn::detail::unique_fd fd_;
};

void do_start(const dmn::daemon_paths& p, const dmn::daemon_settings& s) {
  // A start that fails puts daemon.json back: the next start must not reuse what failed.
  const auto previous = dmn::detail::read_file(p.settings());
  dmn::save_settings(p, s);
  dmn::start_report r;
  try {
    r = dmn::start_daemon(p);
  } catch (const dmn::daemon_error&) {
    if (previous) {
      dmn::detail::write_file_atomic(p.settings(), *previous);
    } else {
      ::unlink(p.settings().c_str());
    }
    throw;
  }
  std::printf("daemon started: supervisor pid %d, %d worker%s of %s (logs in %s)\n", static_cast<int>(r.pid), r.workers,
              r.workers == 1 ? "" : "s", s.program.c_str(), p.dir().c_str());
  if (r.stale_pid) {
    std::printf("replaced a stale pid file left by supervisor pid %d, which no longer runs\n", static_cast<int>(*r.stale_pid));
  }
}

void cmd_start(const globals& g, const start_options& o) {
  const auto p = paths_of(g);
  const auto recorded = dmn::load_settings(p);
  dmn::daemon_settings s = recorded.value_or(dmn::daemon_settings{});
  if (o.workers) s.workers = *o.workers;
  if (o.lease_ms) s.lease_ms = *o.lease_ms;
  if (!o.program.empty()) {
    const auto program = fs::absolute(o.program).lexically_normal();
    if (auto problem = dmn::program_problem(program)) {
      throw error(fmt::format("{}: pass --program the path of an executable whose main calls tessera::daemon::worker_main",
                              *problem),
                  exit_usage);
    }
    s.program = program;
  } else if (!recorded) {
    throw error("no worker program recorded for this profile's daemon: pass --program PATH, an executable whose main calls "
                "tessera::daemon::worker_main",
                exit_usage);
  } else if (auto problem = dmn::program_problem(s.program)) {
    throw error(fmt::format("{} (recorded in {}): rebuild it or pass --program PATH", *problem, p.settings().string()));
  }
  // Refused before daemon.json changes: the running daemon's settings stay as they are.
  if (const auto pid = dmn::running_supervisor(p)) {
    throw error(fmt::format("the daemon of profile {} is already running (supervisor pid {}): stop it with `tessera daemon "
                            "stop`, or use `tessera daemon restart`",
                            p.profile.string(), *pid));
  }
  do_start(p, s);
}

std::optional<dmn::stop_report> do_stop(const dmn::daemon_paths& p, double timeout_s) {
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(timeout_s * 1000.0)));
  auto r = dmn::stop_daemon(p, timeout);
  if (!r) return r;
  if (r->escalated) {
    std::string killed;
    for (auto w : r->killed) killed += (killed.empty() ? "" : ", ") + std::to_string(w);
    std::printf("the daemon did not stop within %g s: killed %s and the supervisor (pid %d) with SIGKILL; their "
                "processes resume from their last checkpoints when the daemon starts again\n",
                timeout_s, killed.empty() ? "its process group" : fmt::format("its workers (pids {})", killed).c_str(),
                static_cast<int>(r->pid));
  } else {
    std::printf("daemon stopped (supervisor pid %d, in %s)\n", static_cast<int>(r->pid), seconds_text(r->elapsed_ms).c_str());
  }
  return r;
}

void cmd_stop(const globals& g, double timeout_s) {
  const auto p = paths_of(g);
  if (!do_stop(p, timeout_s)) throw error(not_running(p) + ": nothing to stop");
}

void cmd_restart(const globals& g, double timeout_s) {
  const auto p = paths_of(g);
  const auto s = dmn::load_settings(p);
  if (!s) {
    throw error("no daemon settings recorded for this profile: start it with `tessera daemon start --program PATH`", exit_usage);
  }
  if (auto problem = dmn::program_problem(s->program)) {
    throw error(fmt::format("{} (recorded in {}): rebuild it or pass --program PATH to `tessera daemon start`", *problem,
                            p.settings().string()));
  }
  if (!do_stop(p, timeout_s)) std::printf("%s: starting it\n", not_running(p).c_str());
  do_start(p, *s);
}

void cmd_resize(const globals& g, int delta) {
  const auto p = paths_of(g);
  if (!dmn::running_supervisor(p)) throw error(not_running(p) + ": start it with `tessera daemon start`");
  settings_lock lock(p);
  auto s = dmn::load_settings(p);
  if (!s) throw error(fmt::format("{} is missing: restart the daemon with `tessera daemon start --program PATH`", p.settings().string()));
  const int was = s->workers;
  const int want = was + delta;
  if (want < 1) {
    throw error(fmt::format("the daemon has {} worker{}: it cannot lose {}; stop it with `tessera daemon stop`", was,
                            was == 1 ? "" : "s", -delta));
  }
  if (want > dmn::max_workers) {
    throw error(fmt::format("the daemon has {} workers: {} more would pass the limit of {}", was, delta, dmn::max_workers));
  }
  s->workers = want;
  dmn::save_settings(p, *s);
  if (!dmn::reload_daemon(p, want, std::chrono::seconds(10))) {
    throw error(fmt::format("the supervisor did not apply the new worker count ({}) within 10 s: see {}", want,
                            p.supervisor_log().string()));
  }
  std::printf("daemon now has %d worker%s (was %d)%s\n", want, want == 1 ? "" : "s", was,
              delta < 0 ? "; the removed workers stop gracefully" : "");
}

// The store's worker row of a slot's worker: the newest registration by that pid since the
// slot's worker started (pids are reused over time, worker ids never).
const worker_record* worker_row(const std::vector<worker_record>& rows, std::int64_t pid, std::int64_t started_ms) {
  const worker_record* best = nullptr;
  for (const auto& w : rows) {
    if (w.pid == pid && w.started >= started_ms - 1000 && (!best || w.id > best->id)) best = &w;
  }
  return best;
}

void cmd_status(const globals& g) {
  const auto p = paths_of(g);
  const auto pid = dmn::running_supervisor(p);
  const auto st = pid ? dmn::read_status(p) : std::nullopt;
  if (!pid || !st) {
    if (g.json) {
      print_json({{"running", false}, {"profile", p.profile.string()}});
    } else {
      std::printf("%s\n", not_running(p).c_str());
    }
    throw error("", exit_failure);  // status 1, the message printed already
  }
  std::vector<worker_record> rows;
  std::string store_problem;
  try {
    auto s = open_store(g);
    rows = s->read().workers();
  } catch (const error& e) {
    store_problem = e.what();
  } catch (const std::exception& e) {
    store_problem = e.what();
  }
  const auto now = dmn::detail::now_ms();
  nlohmann::json j = {{"running", true},
                      {"profile", p.profile.string()},
                      {"pid", *pid},
                      {"state", st->value("state", "")},
                      {"started", st->value("started", std::int64_t{0})},
                      {"uptime_ms", now - st->value("started", now)},
                      {"program", st->value("program", "")},
                      {"lease_ms", st->value("lease_ms", std::int64_t{0})},
                      {"workers", st->value("workers", 0)}};
  auto slots = nlohmann::json::array();
  for (const auto& s : st->value("slots", nlohmann::json::array())) {
    nlohmann::json o = {{"slot", s.value("slot", 0)},
                        {"pid", s.value("pid", nlohmann::json())},
                        {"restarts", s.value("restarts", 0)},
                        {"last_exit", s.value("last_exit", nlohmann::json())},
                        {"worker", nlohmann::json()},
                        {"heartbeat_age_ms", nlohmann::json()},
                        {"roots", nlohmann::json()}};
    std::string state;
    if (s["pid"].is_number_integer()) {
      const auto* w = worker_row(rows, s["pid"].get<std::int64_t>(), s.value("started", std::int64_t{0}));
      if (w) {
        o["worker"] = w->id;
        o["heartbeat_age_ms"] = now - w->heartbeat;
        o["roots"] = w->roots;
        // A heartbeat lease_ms late is lost by the store's rule (lease.hpp), even before
        // another worker's claim writes it down.
        const bool late = is_alive(w->state) && now - w->heartbeat >= j["lease_ms"].get<std::int64_t>();
        state = std::string(to_string(late ? worker_state::lost : w->state));
      } else {
        state = store_problem.empty() ? "starting" : "unknown";  // not registered in the store yet
      }
      if (s.value("stopping", false) && state == "running") state = "stopping";
    } else if (s["next_start"].is_number_integer()) {
      state = fmt::format("restarting in {}", seconds_text(std::max<std::int64_t>(0, s["next_start"].get<std::int64_t>() - now)));
    } else {
      state = "stopped";
    }
    o["state"] = state;
    slots.push_back(std::move(o));
  }
  j["slots"] = slots;
  if (!store_problem.empty()) j["store_error"] = store_problem;
  if (g.json) {
    print_json(j);
    return;
  }
  const int n = j["workers"].get<int>();
  std::printf("daemon of profile %s: %s, supervisor pid %d, up %s\n", p.profile.c_str(), j["state"].get<std::string>().c_str(),
              static_cast<int>(*pid), seconds_text(j["uptime_ms"].get<std::int64_t>()).c_str());
  std::printf("%d worker%s of %s, lease %lld ms\n", n, n == 1 ? "" : "s", j["program"].get<std::string>().c_str(),
              static_cast<long long>(j["lease_ms"].get<std::int64_t>()));
  if (!store_problem.empty()) std::printf("worker states unknown: %s\n", store_problem.c_str());
  std::printf("\n");
  table t({"SLOT", "PID", "STATE", "HEARTBEAT", "ROOTS", "RESTARTS", "LAST EXIT"});
  for (const auto& s : slots) {
    const auto& state = s["state"].get_ref<const std::string&>();
    const colour c = state == "running" ? colour::green : state == "starting" || state == "stopping" ? colour::yellow : colour::red;
    t.add({std::to_string(s["slot"].get<int>()), s["pid"].is_null() ? "-" : std::to_string(s["pid"].get<std::int64_t>()),
           table::cell(state, c),
           s["heartbeat_age_ms"].is_null() ? "-" : seconds_text(s["heartbeat_age_ms"].get<std::int64_t>()) + " ago",
           s["roots"].is_null() ? "-" : std::to_string(s["roots"].get<std::int64_t>()), std::to_string(s["restarts"].get<int>()),
           s["last_exit"].is_null() ? "-" : s["last_exit"].get<std::string>()});
  }
  t.print(g);
}

}  // namespace

void add_daemon_commands(CLI::App& app, globals& g) {
  auto* d = app.add_subcommand("daemon", "start, stop and resize the daemon: a supervisor keeping N worker processes alive");
  d->require_subcommand(1);

  auto so = std::make_shared<start_options>();
  auto* start = d->add_subcommand("start", "start the daemon (settings not given are the recorded ones)");
  start->add_option("-n,--workers", so->workers, "how many worker processes (default: the recorded count, else 1)")
      ->check(CLI::Range(1, dmn::max_workers));
  start->add_option("--program", so->program,
                    "the worker program: an executable whose main calls tessera::daemon::worker_main (recorded for later starts)");
  start->add_option("--lease-ms", so->lease_ms,
                    fmt::format("how long a worker's roots stay its own without a heartbeat (default: the recorded one, else {})",
                                dmn::default_lease_ms))
      ->check(CLI::Range(dmn::min_lease_ms, dmn::max_lease_ms));
  start->callback([&g, so] { cmd_start(g, *so); });

  auto timeout = std::make_shared<double>(60.0);
  auto* stop = d->add_subcommand("stop", "stop the daemon gracefully; after --timeout, SIGKILL its workers and itself");
  stop->add_option("-t,--timeout", *timeout, "seconds to wait for a graceful stop")->capture_default_str()->check(CLI::NonNegativeNumber);
  stop->callback([&g, timeout] { cmd_stop(g, *timeout); });

  auto* status = d->add_subcommand("status", "the supervisor and each worker: pid, state, heartbeat, roots held, restarts");
  status->callback([&g] { cmd_status(g); });

  auto* restart = d->add_subcommand("restart", "stop the daemon, then start it with the recorded settings");
  restart->add_option("-t,--timeout", *timeout, "seconds to wait for a graceful stop")->capture_default_str()->check(CLI::NonNegativeNumber);
  restart->callback([&g, timeout] { cmd_restart(g, *timeout); });

  for (auto [name, sign, help] : {std::tuple{"incr", 1, "add N workers to the running daemon (default 1)"},
                                  std::tuple{"decr", -1, "stop N workers of the running daemon gracefully (default 1)"}}) {
    auto n = std::make_shared<int>(1);
    auto* c = d->add_subcommand(name, help);
    c->add_option("N", *n, "how many workers")->capture_default_str()->check(CLI::Range(1, dmn::max_workers));
    c->callback([&g, n, sign = sign] { cmd_resize(g, sign * *n); });
  }
}

}  // namespace tessera::cli
