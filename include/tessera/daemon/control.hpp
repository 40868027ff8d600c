#pragma once
// Starting, stopping and resizing a profile's daemon from another process (the `tessera
// daemon` commands). Every signal goes to a pid verified first: the pid file names it AND
// it holds the file's flock (pid_file.hpp) AND it leads its own process group (the
// supervisor calls setpgid(0, 0)); a worker pid from status.json is SIGKILLed only if its
// /proc/<pid>/cmdline is a worker command line of this profile (settings.hpp).
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/daemon/detail/posix.hpp>
#include <tessera/daemon/pid_file.hpp>
#include <tessera/daemon/settings.hpp>
#include <tessera/daemon/supervisor.hpp>

namespace tessera::daemon {

/// status.json as the supervisor last wrote it, or nullopt if there is none (or it is not
/// JSON, which atomic replacement rules out but a hand edit does not).
inline std::optional<nlohmann::json> read_status(const daemon_paths& p) {
  auto text = detail::read_file(p.status());
  if (!text) return std::nullopt;
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

/// The pid of the running supervisor, verified (pid file, flock, process group leader), or
/// nullopt if none runs. Throws if a live lock holder is not a supervisor.
inline std::optional<pid_t> running_supervisor(const daemon_paths& p) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto probe = probe_pid_file(p.pid_file());
    if (!probe.running) return std::nullopt;
    const pid_t pid = *probe.running;
    const auto group = detail::process_group_of(pid);
    if (group == pid) return pid;
    if (group) {
      throw daemon_error(fmt::format("{} is locked and names pid {}, which is not a tessera supervisor (it does not lead "
                                     "its own process group): not signalling it; remove the file if no daemon runs",
                                     p.pid_file().string(), pid));
    }
    // The named pid is gone while the file is still locked: the supervisor was exiting.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

/// What `start` achieved.
struct start_report {
  pid_t pid = 0;
  int workers = 0;
  std::optional<pid_t> stale_pid;  // a dead supervisor's pid file was replaced
};

namespace detail {

// The daemon process (after fork, setsid, fork): detaches from the caller's directory and
// descriptors, runs the supervisor, and tells the caller through `report_fd` whether the
// workers started. Never returns.
[[noreturn]] inline void run_daemonized(const daemon_paths& p, const backoff_policy& b, int report_fd) {
  ::setpgid(0, 0);  // lead our own group: `stop --timeout` verifies and kills the group
  if (::chdir("/") != 0) ::_exit(1);
  int report = ::fcntl(report_fd, F_DUPFD_CLOEXEC, 64);
  ::close(report_fd);
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int log_fd = ::open(p.supervisor_log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) log_fd = null_fd;
  ::dup2(null_fd, STDIN_FILENO);
  ::dup2(log_fd, STDOUT_FILENO);
  ::dup2(log_fd, STDERR_FILENO);
  // Nothing of the caller's stays open (a shell's $(...) pipe would wait for us forever).
  if (report > 3) ::close_range(3, static_cast<unsigned>(report - 1), 0);
  ::close_range(static_cast<unsigned>(report + 1), ~0U, 0);
  auto tell = [&report](std::string line) {
    if (report < 0) return;
    std::replace(line.begin(), line.end(), '\n', ' ');
    line += '\n';
    (void)!::write(report, line.data(), line.size());
    ::close(report);
    report = -1;
  };
  int status = 1;
  try {
    supervisor sup(p, b);
    status = sup.run([&](const std::optional<std::string>& error) {
      if (error) {
        tell("error " + *error);
      } else {
        const auto stale = sup.replaced_stale_pid();
        tell(fmt::format("ok {} {}{}", ::getpid(), sup.workers(), stale ? fmt::format(" {}", *stale) : std::string()));
      }
    });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s supervisor: %s\n", utc_stamp(now_ms()).c_str(), e.what());
    tell(std::string("error ") + e.what());
  }
  std::fflush(nullptr);
  ::_exit(status);
}

}  // namespace detail

/// Starts the daemon with the settings recorded in daemon.json (save_settings first) and
/// returns once its workers run (fork, setsid, fork: the supervisor is no child of ours and
/// has no terminal). Throws daemon_error with the reason it could not start, e.g. another
/// supervisor runs, or a worker exited at once.
inline start_report start_daemon(const daemon_paths& p, const backoff_policy& b = {}) {
  std::error_code ec;
  std::filesystem::create_directories(p.dir(), ec);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw daemon_error(fmt::format("pipe: {}", detail::errno_text(errno)));
  std::fflush(nullptr);  // or the children would write our buffered output again
  const pid_t child = ::fork();
  if (child < 0) {
    const int e = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw daemon_error(fmt::format("cannot fork the daemon: {}", detail::errno_text(e)));
  }
  if (child == 0) {
    ::close(fds[0]);
    if (::setsid() < 0) ::_exit(1);
    const pid_t daemon_pid = ::fork();  // not a session leader: it can never get a terminal
    if (daemon_pid != 0) ::_exit(daemon_pid < 0 ? 1 : 0);
    detail::run_daemonized(p, b, fds[1]);
  }
  ::close(fds[1]);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  std::string text;
  char buf[512];
  for (;;) {
    const auto n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (text.rfind("ok ", 0) == 0) {
    start_report r;
    long pid = 0, workers = 0, stale = 0;
    const int got = std::sscanf(text.c_str(), "ok %ld %ld %ld", &pid, &workers, &stale);
    r.pid = static_cast<pid_t>(pid);
    r.workers = static_cast<int>(workers);
    if (got == 3) r.stale_pid = static_cast<pid_t>(stale);
    return r;
  }
  if (text.rfind("error ", 0) == 0) throw daemon_error(text.substr(6));
  throw daemon_error(fmt::format("the daemon exited before it started its workers: see {}", p.supervisor_log().string()));
}

/// What `stop` did.
struct stop_report {
  pid_t pid = 0;
  bool escalated = false;      // the timeout passed: SIGKILL to the workers and the supervisor
  std::vector<pid_t> killed;   // worker pids SIGKILLed (with the supervisor's group, or alone)
  std::int64_t elapsed_ms = 0;
};

namespace detail {
inline bool wait_for_exit(const daemon_paths& p, pid_t pid, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto probe = probe_pid_file(p.pid_file());
    if (probe.running != pid) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// A worker of this profile's daemon, by its command line.
inline bool is_worker_of(pid_t pid, const daemon_paths& p) {
  const auto args = command_line_of(pid);
  const bool flag = std::find(args.begin(), args.end(), std::string(worker_flag)) != args.end();
  const auto at = std::find(args.begin(), args.end(), std::string("--profile"));
  return flag && at != args.end() && at + 1 != args.end() && *(at + 1) == p.profile.string();
}
}  // namespace detail

/// Stops the daemon gracefully: SIGTERM to the supervisor, which stops its workers (each
/// finishes or checkpoints its step) and exits. After `timeout`, SIGKILL to the workers and
/// the supervisor's process group. Returns nullopt if no daemon runs.
inline std::optional<stop_report> stop_daemon(const daemon_paths& p, std::chrono::milliseconds timeout) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto pid = running_supervisor(p);
  if (!pid) return std::nullopt;
  stop_report r;
  r.pid = *pid;
  if (::kill(*pid, SIGTERM) != 0 && errno != ESRCH) {
    throw daemon_error(fmt::format("cannot signal the supervisor (pid {}): {}", *pid, detail::errno_text(errno)));
  }
  if (!detail::wait_for_exit(p, *pid, t0 + timeout)) {
    r.escalated = true;
    std::vector<pid_t> workers;  // alive and with a worker command line of this profile
    if (const auto st = read_status(p); st && st->contains("slots")) {
      for (const auto& s : (*st)["slots"]) {
        if (!s.value("pid", nlohmann::json()).is_number_integer()) continue;
        const auto w = static_cast<pid_t>(s["pid"].get<long>());
        if (detail::is_worker_of(w, p)) workers.push_back(w);
      }
    }
    // The supervisor first, with its whole group at once, so it cannot restart a worker we
    // kill; verified again just before: the lock holder, leading its group. Then any worker
    // that left the group.
    if (running_supervisor(p) == pid) ::killpg(*pid, SIGKILL);
    for (const pid_t w : workers) {
      if (detail::is_worker_of(w, p)) ::kill(w, SIGKILL);
      r.killed.push_back(w);
    }
    // The supervisor cannot log its own SIGKILL: say it in its log for whoever reads it later.
    if (std::FILE* log = std::fopen(p.supervisor_log().c_str(), "a")) {
      std::fprintf(log, "%s stop: no graceful stop within %lld ms: SIGKILL to the supervisor (pid %d) and its workers\n",
                   detail::utc_stamp(detail::now_ms()).c_str(), static_cast<long long>(timeout.count()), static_cast<int>(*pid));
      std::fclose(log);
    }
    if (!detail::wait_for_exit(p, *pid, std::chrono::steady_clock::now() + std::chrono::seconds(5))) {
      throw daemon_error(fmt::format("the supervisor (pid {}) survived SIGKILL for 5 s: check it with `ps -o pid,stat,cmd -p {}`",
                                     *pid, *pid));
    }
    // A killed supervisor leaves its pid file: remove it if it is still that one's.
    if (const auto probe = probe_pid_file(p.pid_file()); !probe.running && probe.stale == pid) ::unlink(p.pid_file().c_str());
  }
  r.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

/// Asks the running supervisor (SIGHUP) to apply the worker count in daemon.json and waits
/// until status.json shows `workers` slots wanted (and, when growing, started). Returns
/// false if the supervisor did not answer within `timeout`; throws if none runs.
inline bool reload_daemon(const daemon_paths& p, int workers, std::chrono::milliseconds timeout) {
  const auto pid = running_supervisor(p);
  if (!pid) throw daemon_error("the daemon is not running");
  if (::kill(*pid, SIGHUP) != 0) {
    throw daemon_error(fmt::format("cannot signal the supervisor (pid {}): {}", *pid, detail::errno_text(errno)));
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto st = read_status(p); st && st->value("pid", 0L) == *pid && st->value("workers", -1) == workers) {
      const auto& slots = (*st)["slots"];
      int started = 0;
      for (const auto& s : slots) {
        if (s.value("slot", 0) < workers && s["pid"].is_number_integer()) ++started;
      }
      // Growing: the new workers run (or a crash put them on back-off, shown by status).
      if (started == workers || std::any_of(slots.begin(), slots.end(), [](const auto& s) { return !s["next_start"].is_null(); })) {
        return true;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace tessera::daemon
