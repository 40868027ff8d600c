#pragma once
// The daemon's supervisor: one process per profile that keeps N worker processes alive.
//
// Workers are the user's executable (work chains are compiled C++), run as
//   PROGRAM --tessera-worker --profile <abs profile> --slot <K> --lease-ms <L>   (K = 0..N-1)
// with stdin from /dev/null, stdout and stderr appended to <profile>/daemon/worker-<K>.log,
// the supervisor's environment, an empty signal mask and PR_SET_PDEATHSIG = SIGTERM (a
// supervisor that dies, even by SIGKILL, stops its workers gracefully). They stay in the
// supervisor's process group, which the supervisor leads (pgid = its pid), so `stop
// --timeout` can end the whole daemon with one killpg once it has verified the leader.
//
// Exit status 0 after the supervisor sent SIGTERM is a stop on request; anything else (a
// non-zero status, a signal, an exit 0 nobody asked for, a program that cannot be executed)
// is a crash: the slot is restarted after a back-off of 1 s, doubled per consecutive crash
// up to 60 s, back to 1 s once a worker has run for 60 s. Every start, exit and restart is a
// line in supervisor.log; status.json (settings.hpp) is rewritten on every change.
//
// Signals, read through a signalfd (never in a handler): SIGTERM or SIGINT: stop: SIGTERM
// to every worker, wait for all of them, remove the pid file, exit 0. SIGHUP: re-read
// daemon.json and apply its worker count: new slots start at once; slots at or above the
// new count get SIGTERM and are dropped when their worker has exited. SIGCHLD: reap.
#include <poll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/daemon/detail/posix.hpp>
#include <tessera/daemon/pid_file.hpp>
#include <tessera/daemon/settings.hpp>

namespace tessera::daemon {

/// How long a crashed slot waits before its worker is started again.
struct backoff_policy {
  std::int64_t initial_ms = 1'000;
  std::int64_t max_ms = 60'000;
  std::int64_t reset_after_ms = 60'000;  // a worker that ran this long starts the next back-off at initial_ms
};

/// A worker that exits this soon after the daemon started fails `start`: the usual cause
/// is a program that is not a worker program, better said at once than restarted forever.
inline constexpr std::int64_t start_grace_ms = 250;

class supervisor {
 public:
  explicit supervisor(daemon_paths paths, backoff_policy backoff = {}) : paths_(std::move(paths)), backoff_(backoff) {}

  /// Called once: with nullopt when every worker has started and survived start_grace_ms,
  /// or with the reason the daemon could not start (it has stopped what it started).
  using ready_fn = std::function<void(const std::optional<std::string>& error)>;

  /// Takes the pid file (throws daemon_error if another supervisor holds it), starts the
  /// workers and supervises them until SIGTERM or SIGINT. Returns the exit status for the
  /// supervisor process: 0 after a stop, 1 if it could not start.
  int run(const ready_fn& ready) {
    auto loaded = load_settings(paths_);
    if (!loaded) throw daemon_error(fmt::format("no daemon settings in {}", paths_.settings().string()));
    settings_ = *loaded;
    target_ = settings_.workers;
    log_fd_.reset(::open(paths_.supervisor_log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));

    sigset_t set;
    ::sigemptyset(&set);
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) ::sigaddset(&set, s);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) throw daemon_error("cannot block the supervisor's signals");
    // Dispositions come from whoever ran `start` (nohup ignores SIGHUP, a shell's background
    // job SIGINT; an ignored SIGCHLD would reap the workers for us and lose their exit
    // statuses). Blocked, default is safe here, and workers inherit default through exec.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGCHLD, SIGQUIT}) ::sigaction(s, &dfl, nullptr);
    signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd_) throw daemon_error(fmt::format("signalfd: {}", detail::errno_text(errno)));
    struct sigaction ign {};
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ign, nullptr);  // a CLI that went away must not kill the daemon

    std::optional<pid_t> stale;
    pid_ = pid_file::acquire(paths_.pid_file(), &stale);
    started_ms_ = detail::now_ms();
    log(fmt::format("supervisor started (pid {}): {} worker{} of {}, lease {} ms{}", ::getpid(), target_,
                    target_ == 1 ? "" : "s", settings_.program.string(), settings_.lease_ms,
                    stale ? fmt::format("; replaced the stale pid file of pid {}", *stale) : std::string()));
    stale_pid_ = stale;

    slots_.resize(static_cast<std::size_t>(target_));
    for (std::size_t k = 0; k < slots_.size(); ++k) {
      if (auto problem = spawn(k)) {
        fail_start(fmt::format("cannot start worker {}: {}", k, *problem));
        break;
      }
    }
    starting_until_ = detail::now_ms() + start_grace_ms;
    write_status();
    loop(ready);
    // The final status first: whoever sees the pid file's lock go sees the last exits.
    write_status();
    log(start_error_ ? "supervisor exited: the daemon did not start" : "supervisor stopped");
    pid_.remove();
    if (!notified_) ready(start_error_ ? start_error_ : std::optional<std::string>("the supervisor stopped while starting"));
    return start_error_ ? 1 : 0;
  }

  /// How many workers the daemon keeps now.
  [[nodiscard]] int workers() const noexcept { return target_; }
  /// The pid of a dead supervisor whose pid file this one replaced.
  [[nodiscard]] std::optional<pid_t> replaced_stale_pid() const noexcept { return stale_pid_; }

 private:
  struct slot {
    pid_t pid = 0;
    std::int64_t started_ms = 0;
    int restarts = 0;
    std::optional<std::string> last_exit;
    std::int64_t last_exit_ms = 0;
    std::int64_t next_start_ms = 0;  // 0: no start pending
    std::int64_t backoff_ms = 0;     // of the last restart
    bool stop_sent = false;          // we sent SIGTERM: exit 0 is a stop on request
  };

  void log(const std::string& line) {
    if (!log_fd_) return;
    const auto text = fmt::format("{} {}\n", detail::utc_stamp(detail::now_ms()), line);
    (void)!::write(log_fd_.get(), text.data(), text.size());
  }

  // fork + exec of the worker of slot k; returns why it could not start, or nullopt. An
  // exec failure comes back through a close-on-exec pipe, so it is known before we go on.
  std::optional<std::string> spawn(std::size_t k) {
    auto& s = slots_[k];
    const auto args = worker_arguments(settings_, paths_, static_cast<int>(k));
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // execv's signature only
    argv.push_back(nullptr);
    const std::string log_path = paths_.worker_log(static_cast<int>(k)).string();
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fmt::format("pipe: {}", detail::errno_text(errno));
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int e = errno;
      ::close(err_pipe[0]);
      ::close(err_pipe[1]);
      return fmt::format("fork: {}", detail::errno_text(e));
    }
    if (pid == 0) {
      // The child: async-signal-safe calls only until exec.
      int failure[2] = {0, 0};  // {stage, errno}: 1 opening the log, 2 exec
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (::getppid() != parent) ::_exit(1);  // the supervisor died before PDEATHSIG was set
      const int null_fd = ::open("/dev/null", O_RDONLY);
      const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (null_fd < 0 || log_fd < 0) {
        failure[0] = 1;
        failure[1] = errno;
      } else {
        ::dup2(null_fd, STDIN_FILENO);
        ::dup2(log_fd, STDOUT_FILENO);
        ::dup2(log_fd, STDERR_FILENO);
        if (null_fd > STDERR_FILENO) ::close(null_fd);
        if (log_fd > STDERR_FILENO) ::close(log_fd);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        ::sigaction(SIGPIPE, &dfl, nullptr);
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execv(argv[0], argv.data());
        failure[0] = 2;
        failure[1] = errno;
      }
      (void)!::write(err_pipe[1], failure, sizeof failure);
      ::_exit(127);
    }
    ::close(err_pipe[1]);
    int failure[2] = {0, 0};
    ssize_t n = 0;
    do n = ::read(err_pipe[0], failure, sizeof failure);
    while (n < 0 && errno == EINTR);
    ::close(err_pipe[0]);
    if (n == static_cast<ssize_t>(sizeof failure)) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return failure[0] == 1 ? fmt::format("cannot open {}: {}", log_path, detail::errno_text(failure[1]))
                             : fmt::format("cannot execute {}: {}", args[0], detail::errno_text(failure[1]));
    }
    s.pid = pid;
    s.started_ms = detail::now_ms();
    s.next_start_ms = 0;
    s.stop_sent = false;
    log(fmt::format("started worker {} (pid {})", k, pid));
    return std::nullopt;
  }

  void fail_start(std::string why) {
    if (!start_error_) start_error_ = std::move(why);
    log(fmt::format("start failed: {}", *start_error_));
    shut_down();
  }

  void shut_down() {
    if (!shutting_down_) log("stopping: SIGTERM to every worker");
    shutting_down_ = true;
    for (auto& s : slots_) {
      s.next_start_ms = 0;
      stop_worker(s);
    }
  }

  void stop_worker(slot& s) {
    // Our own child, not reaped yet: its pid cannot have been reused.
    if (s.pid > 0 && !s.stop_sent) {
      ::kill(s.pid, SIGTERM);
      s.stop_sent = true;
    }
  }

  void reload() {
    std::optional<daemon_settings> s;
    try {
      s = load_settings(paths_);
    } catch (const daemon_error& e) {
      log(fmt::format("SIGHUP: {}; keeping {} workers", e.what(), target_));
      return;
    }
    if (!s) {
      log(fmt::format("SIGHUP: {} is gone; keeping {} workers", paths_.settings().string(), target_));
      return;
    }
    if (shutting_down_) return;
    const int old = target_;
    target_ = s->workers;
    log(fmt::format("SIGHUP: {} -> {} worker{}", old, target_, target_ == 1 ? "" : "s"));
    const auto now = detail::now_ms();
    if (slots_.size() < static_cast<std::size_t>(target_)) slots_.resize(static_cast<std::size_t>(target_));
    for (std::size_t k = 0; k < slots_.size(); ++k) {
      auto& sl = slots_[k];
      if (k >= static_cast<std::size_t>(target_)) {
        sl.next_start_ms = 0;
        if (sl.pid > 0 && !sl.stop_sent) log(fmt::format("stopping worker {} (pid {}): the daemon now has {} worker{}", k, sl.pid, target_, target_ == 1 ? "" : "s"));
        stop_worker(sl);
      } else if (sl.pid == 0 && sl.next_start_ms == 0) {
        sl.next_start_ms = now;  // a new slot
      }
    }
    trim();
  }

  // Slots above the target whose worker has exited are gone.
  void trim() {
    while (slots_.size() > static_cast<std::size_t>(target_) && slots_.back().pid == 0) slots_.pop_back();
  }

  void reap() {
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;  // none left to reap now (or no children at all)
      auto it = std::find_if(slots_.begin(), slots_.end(), [&](const slot& s) { return s.pid == pid; });
      if (it != slots_.end()) exited(static_cast<std::size_t>(it - slots_.begin()), status);
    }
  }

  void exited(std::size_t k, int status) {
    auto& s = slots_[k];
    const auto now = detail::now_ms();
    const auto ran = now - s.started_ms;
    const pid_t pid = std::exchange(s.pid, 0);
    const bool requested = std::exchange(s.stop_sent, false);
    const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    std::string what = detail::describe_wait_status(status);
    if (clean && !requested) what += " without being asked to stop";
    s.last_exit = what;
    s.last_exit_ms = now;
    const auto ran_text = fmt::format("{:.1f} s", static_cast<double>(ran) / 1000.0);
    if (!notified_ && !shutting_down_) {
      fail_start(fmt::format("worker {} (pid {}) {} right after it started: is {} a worker program (its main calls "
                             "tessera::daemon::worker_main)? Its output is in {}",
                             k, pid, what, settings_.program.string(), paths_.worker_log(static_cast<int>(k)).string()));
      return;
    }
    if (shutting_down_ || k >= static_cast<std::size_t>(target_)) {
      log(fmt::format("worker {} (pid {}) stopped: {} after {}", k, pid, what, ran_text));
      trim();
      return;
    }
    if (clean && requested) {  // stopped by a decr that an incr then undid: start it again now
      log(fmt::format("worker {} (pid {}) stopped on request after {}; starting it again", k, pid, ran_text));
      s.next_start_ms = now;
      return;
    }
    s.backoff_ms = ran >= backoff_.reset_after_ms || s.backoff_ms == 0 ? backoff_.initial_ms
                                                                        : std::min(s.backoff_ms * 2, backoff_.max_ms);
    s.next_start_ms = now + s.backoff_ms;
    log(fmt::format("worker {} (pid {}) {} after {}: restart {} in {:.1f} s", k, pid, what, ran_text, s.restarts + 1,
                    static_cast<double>(s.backoff_ms) / 1000.0));
  }

  void start_due() {
    if (shutting_down_) return;
    const auto now = detail::now_ms();
    for (std::size_t k = 0; k < slots_.size() && k < static_cast<std::size_t>(target_); ++k) {
      auto& s = slots_[k];
      if (s.pid != 0 || s.next_start_ms == 0 || s.next_start_ms > now) continue;
      const bool restart = s.last_exit.has_value();
      if (auto problem = spawn(k)) {
        // Counted as a crash: the program may come back (a rebuild in progress).
        s.last_exit = "could not start: " + *problem;
        s.last_exit_ms = now;
        s.backoff_ms = s.backoff_ms == 0 ? backoff_.initial_ms : std::min(s.backoff_ms * 2, backoff_.max_ms);
        s.next_start_ms = now + s.backoff_ms;
        log(fmt::format("worker {}: {}: retry in {:.1f} s", k, *problem, static_cast<double>(s.backoff_ms) / 1000.0));
      } else if (restart) {
        ++s.restarts;
      }
    }
  }

  [[nodiscard]] bool any_running() const {
    return std::any_of(slots_.begin(), slots_.end(), [](const slot& s) { return s.pid != 0; });
  }

  [[nodiscard]] int poll_timeout() const {
    std::int64_t next = -1;
    const auto now = detail::now_ms();
    auto consider = [&](std::int64_t at) { next = next < 0 ? std::max<std::int64_t>(0, at - now) : std::min(next, std::max<std::int64_t>(0, at - now)); };
    if (!notified_ && !shutting_down_) consider(starting_until_);
    if (!shutting_down_) {
      for (const auto& s : slots_) {
        if (s.next_start_ms != 0) consider(s.next_start_ms);
      }
    }
    return next < 0 ? -1 : static_cast<int>(std::min<std::int64_t>(next + 1, 60'000));
  }

  void loop(const ready_fn& ready) {
    while (!(shutting_down_ && !any_running())) {
      pollfd pfd{signal_fd_.get(), POLLIN, 0};
      const int r = ::poll(&pfd, 1, poll_timeout());
      if (r < 0 && errno != EINTR) {
        log(fmt::format("poll: {}; stopping", detail::errno_text(errno)));
        shut_down();
      }
      signalfd_siginfo info{};
      while (::read(signal_fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        switch (info.ssi_signo) {
          case SIGTERM:
          case SIGINT:
            log(fmt::format("received SIG{} from pid {}", info.ssi_signo == SIGTERM ? "TERM" : "INT", info.ssi_pid));
            shut_down();
            break;
          case SIGHUP: reload(); break;
          default: break;  // SIGCHLD: reaped below, whatever woke us
        }
      }
      reap();
      if (!notified_ && !shutting_down_ && detail::now_ms() >= starting_until_) {
        notified_ = true;
        ready(std::nullopt);
      }
      start_due();
      write_status();
    }
  }

  void write_status() {
    auto slots = nlohmann::json::array();
    for (std::size_t k = 0; k < slots_.size(); ++k) {
      const auto& s = slots_[k];
      nlohmann::json j = {{"slot", k}, {"restarts", s.restarts}, {"stopping", s.stop_sent}};
      j["pid"] = s.pid ? nlohmann::json(s.pid) : nlohmann::json();
      j["started"] = s.pid ? nlohmann::json(s.started_ms) : nlohmann::json();
      j["last_exit"] = s.last_exit ? nlohmann::json(*s.last_exit) : nlohmann::json();
      j["last_exit_at"] = s.last_exit ? nlohmann::json(s.last_exit_ms) : nlohmann::json();
      j["next_start"] = s.next_start_ms ? nlohmann::json(s.next_start_ms) : nlohmann::json();
      slots.push_back(std::move(j));
    }
    const char* state = shutting_down_ ? (any_running() ? "stopping" : "stopped") : notified_ ? "running" : "starting";
    const nlohmann::json j = {{"pid", ::getpid()},        {"started", started_ms_},          {"state", state},
                              {"program", settings_.program.string()}, {"lease_ms", settings_.lease_ms},
                              {"workers", target_},       {"slots", std::move(slots)}};
    auto text = j.dump(2) + "\n";
    if (text == last_status_) return;
    try {
      detail::write_file_atomic(paths_.status(), text);
      last_status_ = std::move(text);
    } catch (const daemon_error& e) {
      log(e.what());
    }
  }

  daemon_paths paths_;
  backoff_policy backoff_;
  daemon_settings settings_;
  int target_ = 0;
  std::vector<slot> slots_;
  pid_file pid_;
  detail::unique_fd signal_fd_, log_fd_;
  std::int64_t started_ms_ = 0, starting_until_ = 0;
  bool shutting_down_ = false, notified_ = false;
  std::optional<std::string> start_error_;
  std::optional<pid_t> stale_pid_;
  std::string last_status_;
};

}  // namespace tessera::daemon
