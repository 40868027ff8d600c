#pragma once
// A daemon worker: one OS process that claims queued root processes of a profile, drives
// them (and their whole call trees) in a runner, and gives them back when it stops.
//
// Work chains are compiled C++, so a worker is the user's own program. Its main hands over
// when the daemon's supervisor starts it (`tessera daemon start --program PATH`):
//
//   int main(int argc, char** argv) {
//     if (tessera::daemon::is_worker(argc, argv))
//       return tessera::daemon::worker_main<my_chain, other_chain>(argc, argv);
//     ...  // the program's own work, e.g. tessera::submit<my_chain>(store, inputs)
//   }
//
// Command line (what the supervisor passes): --tessera-worker --profile DIR --slot K
// [--lease-ms L] [--claim-interval-ms C] [--max-processes N].
//
// Durability and fencing (rules in store/lease.hpp): the worker heartbeats every lease/3;
// every transaction it writes first checks, inside the transaction, that it is still alive
// and its last heartbeat is less than a lease old (store::set_transaction_guard +
// write_tx::check_worker). SQLite serializes that check with other workers' claims, which
// declare a late worker lost before taking its roots; so a worker that was too slow (or
// frozen, or cut off) writes nothing once its roots may be someone else's: it ends itself
// at once (exit status 75) and its supervisor starts a fresh one. A worker that is
// SIGKILLed stops heartbeating; its roots are claimable lease ms after its last heartbeat
// and are taken by the next claim of another worker (bound: lease + claim interval, or
// less: a claim also runs whenever a worker's processes end or a submission arrives).
//
// Graceful stop (SIGTERM, SIGINT): no new claims; the runner is held (no process starts a
// further step or child; steps in progress reach their checkpoint, calcfunction bodies and
// commits end); then the worker marks itself stopped, which hands its roots back to the
// queue, wakes the other workers, and exits 0. Its processes resume elsewhere from their
// last checkpoints: nothing is lost or run twice.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <tessera/daemon/submit.hpp>
#include <tessera/engine/detail/notifier.hpp>
#include <tessera/engine/runner.hpp>
#include <tessera/engine/work_chain.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/plugin/registry.hpp>
#include <tessera/store/lease.hpp>
#include <tessera/store/store.hpp>

namespace tessera::daemon {

/// Exit status of a worker that found itself fenced (its roots may be another's now).
inline constexpr int fenced_exit_status = 75;

struct worker_options {
  std::filesystem::path profile;
  int slot = 0;
  /// Every worker of a daemon must use the same lease (the supervisor passes it).
  std::chrono::milliseconds lease{10'000};
  /// Safety-net claim interval: submissions and released roots wake workers at once.
  std::chrono::milliseconds claim_interval{1'000};
  /// At most this many live processes (roots and their children) at a time.
  std::size_t max_processes = 1'000;
  /// At most this many roots per claim transaction.
  std::size_t claim_batch = 250;
  runner_options runner;
  /// Where calcjobs find their transport, scheduler and parser plugins: these folders, or
  /// (empty) TESSERA_PLUGIN_PATH and the installed plugin folder, scanned at start.
  std::vector<std::filesystem::path> plugin_directories;
};

/// Milliseconds since the Unix epoch: the lease clock (every worker of a profile runs on
/// the profile's host, as SQLite's WAL requires, so they share it).
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace daemon_detail {
inline std::string hostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}
}  // namespace daemon_detail

class worker {
 public:
  explicit worker(worker_options options) : o_(std::move(options)) {
    if (o_.lease.count() < 30) throw store_error(fmt::format("worker lease of {} ms is too short (at least 30 ms)", o_.lease.count()));
    if (o_.max_processes == 0 || o_.claim_batch == 0) throw store_error("worker max_processes and claim_batch must be positive");
  }
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Registers, then claims and drives processes until request_stop(); returns 0 after a
  /// graceful stop (1 if claiming failed unexpectedly and it stopped on its own). Ends the
  /// OS process with fenced_exit_status if it is fenced.
  int run() {
    store st(o_.profile);
    const auto lease = o_.lease.count();
    id_ = st.write([&](write_tx& tx) { return tx.register_worker(::getpid(), daemon_detail::hostname(), now_ms()); });
    last_heartbeat_ = now_ms();
    log("registered as worker {} (pid {}, lease {} ms)", id_.load(), ::getpid(), lease);
    st.set_transaction_guard([this, lease](write_tx& tx) {
      try {
        tx.check_worker(id_, now_ms(), lease);
      } catch (const worker_fenced_error& e) {
        fenced(e.what());  // inside the transaction: nothing of it is written
      }
    });

    auto ro = o_.runner;
    ro.hand_off_submitted_children = true;  // one parent's children spread over all workers
    // Calcjobs of the claimed trees make their transports, schedulers and parsers through
    // the plugin registry; it outlives the runner.
    auto plugins = o_.plugin_directories.empty() ? std::make_unique<plugin::registry>()
                                                 : std::make_unique<plugin::registry>(o_.plugin_directories);
    for (const auto& p : plugins->problems()) log("plugin library {} refused: {}", p.file.string(), p.message);
    auto r = std::make_unique<runner>(st, ro);
    plugin::use_for_calcjobs(*r, *plugins);
    // What happened while no runner ran (e.g. jobs of calcjobs killed meanwhile).
    for (auto hook : engine_detail::resume_hooks()) hook(*r);
    r->on_transition([this](std::int64_t, hook_point h, process_state s) {
      if (h == hook_point::entered && is_terminal(s)) poke();  // room for more
    });
    std::thread beat([&] { heartbeat_loop(st); });
    std::unique_ptr<engine_detail::profile_watcher> queue_watch;
    try {
      queue_watch = std::make_unique<engine_detail::profile_watcher>(st.profile().directory(), [this] { poke(); },
                                                                     tessera::daemon_detail::queue_channel);
    } catch (const std::exception& e) {
      log("cannot watch the queue ({}): submissions are seen every {} ms", e.what(), o_.claim_interval.count());
    }

    int status = 0;
    try {
      claim_loop(st, *r);
    } catch (const std::exception& e) {
      // Unexpected (claims and starts handle their own errors): stop as on SIGTERM, so
      // the processes go back to the queue and the heartbeat thread is joined.
      log("cannot go on claiming: {}", e.what());
      status = 1;
    }

    log("stopping: no new claims; letting steps in progress reach their checkpoints");
    try {
      st.write([&](write_tx& tx) { tx.set_worker_state(id_, worker_state::stopping); });
    } catch (const std::exception& e) {
      log("cannot mark the worker stopping: {}", e.what());
    }
    queue_watch.reset();
    (void)r->hold(std::chrono::steady_clock::time_point::max());
    const auto live = r->live();
    r.reset();  // frees every held process; they resume elsewhere from their checkpoints
    {
      std::lock_guard lk(m_);
      beat_stop_ = true;
    }
    cv_.notify_all();
    beat.join();
    st.write([&](write_tx& tx) { tx.set_worker_state(id_, worker_state::stopped); });  // roots back to the queue
    engine_detail::notify_profile(st.profile().directory(), tessera::daemon_detail::queue_channel);
    log("stopped; {} live processes handed back to the queue", live);
    return status;
  }

  /// Asks run() to stop gracefully. Thread-safe (not async-signal-safe: worker_main turns
  /// signals into a call from a thread of its own).
  void request_stop() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
  }

  /// The worker's id in the profile's worker table (0 before run() registered it).
  [[nodiscard]] std::int64_t id() const noexcept { return id_; }

 private:
  template <class... A>
  void log(fmt::format_string<A...> f, A&&... a) {
    const auto t = std::chrono::system_clock::now();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    auto line = fmt::format("{:%Y-%m-%d %H:%M:%S}.{:03} worker[slot {}] ", std::chrono::floor<std::chrono::seconds>(t), ms, o_.slot);
    line += fmt::format(f, std::forward<A>(a)...);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }

  [[noreturn]] void fenced(std::string_view why) {
    log("fenced ({}): ending at once without writing; the supervisor starts a new worker", why);
    std::_Exit(fenced_exit_status);
  }

  void poke() {
    {
      std::lock_guard lk(m_);
      poked_ = true;
    }
    cv_.notify_all();
  }

  void heartbeat_loop(store& st) {
    const auto lease = o_.lease.count();
    const auto every = std::chrono::milliseconds(std::max<std::int64_t>(lease / 3, 10));
    std::unique_lock lk(m_);
    while (!cv_.wait_for(lk, every, [&] { return beat_stop_; })) {
      lk.unlock();
      const auto now = now_ms();
      try {
        if (!st.write([&](write_tx& tx) { return tx.heartbeat(id_, now, lease); })) fenced("heartbeat refused");
        last_heartbeat_ = now;
      } catch (const std::exception& e) {
        // A busy database: retry at the next beat, unless the lease is gone by then.
        if (now_ms() >= last_heartbeat_ + lease) fenced(fmt::format("no heartbeat for {} ms: {}", now_ms() - last_heartbeat_, e.what()));
        log("heartbeat failed, retrying: {}", e.what());
      }
      lk.lock();
    }
  }

  void claim_loop(store& st, runner& r) {
    const auto lease = o_.lease.count();
    for (;;) {
      {
        std::unique_lock lk(m_);
        cv_.wait_for(lk, o_.claim_interval, [&] { return stop_ || poked_; });
        if (stop_) return;
        poked_ = false;
      }
      // Claim until the queue is empty, the worker is full, or it has its fair share.
      for (;;) {
        const auto live = r.live();
        if (live >= o_.max_processes) break;
        auto want = std::min(o_.claim_batch, o_.max_processes - live);
        // Its share of what is queued: the other running workers were woken too, so a
        // burst of submissions (or one parent's children) spreads over all of them.
        std::int64_t queued = 0, running = 1;
        try {
          auto rd = st.read();
          queued = rd.connection().scalar_int("SELECT count(*) FROM process_lease WHERE worker = 0");
          running = std::max<std::int64_t>(1, rd.connection().scalar_int("SELECT count(*) FROM worker WHERE state = 'running'"));
        } catch (const std::exception&) {
        }
        const bool shared = running > 1 && queued > 0;
        if (shared) want = std::min<std::size_t>(want, static_cast<std::size_t>((queued + running - 1) / running));
        std::vector<claimed_root> got;
        try {
          got = st.write([&](write_tx& tx) { return tx.claim(id_, now_ms(), lease, want); });
        } catch (const worker_fenced_error& e) {
          fenced(e.what());
        } catch (const std::exception& e) {
          log("claim failed, retrying at the next wake-up: {}", e.what());
          break;
        }
        if (got.empty()) break;
        start(st, r, got);
        if (got.size() < want || shared) break;  // the rest at its next wake-up
        std::lock_guard lk(m_);
        if (stop_) return;
      }
    }
  }

  // Resumes the claimed roots' trees; a root whose tree has a type this program does not
  // know is ended as excepted, with a message naming the type (it cannot run anywhere the
  // program is the same; leaving it queued would have every worker claim it forever).
  void start(store& st, runner& r, const std::vector<claimed_root>& got) {
    std::vector<std::int64_t> roots;
    for (const auto& c : got) roots.push_back(c.pk);
    const auto& reg = engine_detail::process_registry::global();
    auto all = r.resumable_trees(roots);
    bool all_known = true;
    for (const auto& [pk, type] : all) all_known = all_known && reg.find(type) != nullptr;
    if (all_known) {
      r.resume(all);
      log("claimed {} root{}, {} process{} to resume", got.size(), got.size() == 1 ? "" : "s", all.size(),
          all.size() == 1 ? "" : "es");
      return;
    }
    for (auto root : roots) {
      auto tree = r.resumable_trees({root});
      std::string unknown;
      for (const auto& [pk, type] : tree) {
        if (!reg.find(type)) unknown = type;
      }
      if (unknown.empty()) {
        r.resume(tree);
        continue;
      }
      auto msg = fmt::format(
          "the daemon's worker program does not know process type '{}' (list it in "
          "tessera::daemon::worker_main<...> of the program the daemon runs)",
          unknown);
      log("process {}: {}", root, msg);
      try {
        st.write([&](write_tx& tx) {
          for (auto it = tree.rbegin(); it != tree.rend(); ++it) {
            (void)tx.try_terminate(it->first, process_state::excepted, 1, it->first == root ? msg : "its root could not run: " + msg);
          }
        });
      } catch (const std::exception& e) {
        log("cannot end process {}: {}", root, e.what());
      }
    }
  }

  worker_options o_;
  std::atomic<std::int64_t> id_{0};
  std::atomic<std::int64_t> last_heartbeat_{0};
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool poked_ = true;  // claim at once after starting
  bool beat_stop_ = false;
};

/// Whether the program was started as a daemon worker (its arguments hold --tessera-worker).
inline bool is_worker(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--tessera-worker") return true;
  }
  return false;
}

namespace daemon_detail {
// Parses the worker's command line; false (with a message on stderr) if it is wrong.
inline bool parse_worker_args(int argc, char** argv, worker_options& o) {
  auto number = [&](int& i, std::string_view name, std::int64_t& out) {
    if (i + 1 >= argc) {
      fmt::print(stderr, "{}: {} needs a value\n", argv[0], name);
      return false;
    }
    const char* v = argv[++i];
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 0) {
      fmt::print(stderr, "{}: {} must be a non-negative integer, not '{}'\n", argv[0], name, v);
      return false;
    }
    out = n;
    return true;
  };
  bool have_profile = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    std::int64_t n = 0;
    if (a == "--tessera-worker") continue;
    if (a == "--profile") {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{}: --profile needs a directory\n", argv[0]);
        return false;
      }
      o.profile = argv[++i];
      have_profile = true;
    } else if (a == "--slot") {
      if (!number(i, a, n)) return false;
      o.slot = static_cast<int>(n);
    } else if (a == "--lease-ms") {
      if (!number(i, a, n)) return false;
      o.lease = std::chrono::milliseconds(n);
    } else if (a == "--claim-interval-ms") {
      if (!number(i, a, n)) return false;
      o.claim_interval = std::chrono::milliseconds(n);
    } else if (a == "--max-processes") {
      if (!number(i, a, n)) return false;
      o.max_processes = static_cast<std::size_t>(n);
    } else {
      fmt::print(stderr, "{}: unknown worker option '{}' (expected --profile, --slot, --lease-ms, --claim-interval-ms, --max-processes)\n",
                 argv[0], a);
      return false;
    }
  }
  if (!have_profile) {
    fmt::print(stderr, "{}: a worker needs --profile DIR\n", argv[0]);
    return false;
  }
  if (!std::filesystem::exists(o.profile / "tessera.db")) {
    fmt::print(stderr, "{}: no profile in {} (create it with `tessera init {}`)\n", argv[0], o.profile.string(),
               o.profile.string());
    return false;
  }
  return true;
}
}  // namespace daemon_detail

/// The main of a daemon worker that can run work chains Ps (and the processes they call):
/// parses the worker command line (exit 2 if it is wrong), runs until SIGTERM or SIGINT,
/// and returns 0 after a graceful stop.
template <class... Ps>
int worker_main(int argc, char** argv) {
  (void)(engine_detail::auto_register<Ps>::done && ...);
  worker_options o;
  if (!daemon_detail::parse_worker_args(argc, argv, o)) return 2;
  // Signals go to one thread that waits for them (sigwait), never to a handler that
  // interrupts the engine: every thread started from here on inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::unique_ptr<worker> w;
  try {
    w = std::make_unique<worker>(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", argv[0], e.what());
    return 2;
  }
  std::atomic<bool> done{false};
  std::thread signals([&] {
    for (;;) {
      int sig = 0;
      ::sigwait(&set, &sig);
      if (done) return;
      w->request_stop();  // a second signal changes nothing: `tessera daemon stop --timeout` escalates
    }
  });
  int rc = 1;
  try {
    rc = w->run();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: worker failed: {}\n", argv[0], e.what());
  }
  done = true;
  ::pthread_kill(signals.native_handle(), SIGTERM);  // blocked, so it wakes the sigwait
  signals.join();
  return rc;
}

}  // namespace tessera::daemon
