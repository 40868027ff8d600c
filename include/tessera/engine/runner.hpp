#pragma once
// tessera::runner: one event loop thread that runs many processes at once, a small thread
// pool for blocking work (calcfunction bodies, workfunctions), and the store's group
// commit for durability.
//
//   tessera::store st("profile");
//   tessera::runner r(st);
//   auto pk = tessera::submit<my_chain>(r, inputs);   // returns at once
//   auto res = r.wait(pk);                             // blocks until it terminates
//
// Threads: coroutines (work chain steps) only ever run on the loop thread. Everything that
// finishes elsewhere (a commit, a calcfunction body) comes back as a posted event that first
// checks the process is still alive: a killed process's coroutine frames are destroyed at
// once, and late news for it is dropped. Waking a parent when its child terminates is such
// an event, never a timer. The only timer is a slow safety-net poll of the control table
// (pause/kill from another OS process arrive as inotify events on <profile>/events).
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <typeindex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/engine/control.hpp>
#include <tessera/engine/detail/notifier.hpp>
#include <tessera/engine/detail/task.hpp>
#include <tessera/engine/process_result.hpp>
#include <tessera/engine/stored.hpp>
#include <tessera/store/store.hpp>
#include <tessera/version.hpp>

namespace tessera {

struct runner_options {
  /// Threads for blocking work (calcfunction bodies, workfunctions).
  unsigned pool_threads = 2;
  /// Caching of calculations: all of them, or only the listed process types.
  bool caching = false;
  std::vector<std::string> cached_types;
  /// Safety-net poll of pause/kill requests from other OS processes (events come first).
  std::chrono::milliseconds control_poll{1000};
  /// Children that work chains launch with submit<C>() go to the daemon's queue (any
  /// worker may run them; the parent waits as for another program's process) instead of
  /// running here. Set by daemon workers; run<C>() children always stay with their parent.
  bool hand_off_submitted_children = false;
};

/// State transitions, for observers (tests, the CLI's watch, hooks).
enum class hook_point : std::uint8_t { entering, entered, exiting };

class runner;

namespace engine_detail {

/// Thrown inside the engine when a process turned out to be terminated in the store (killed
/// from another program): its runner drops it.
class process_terminated : public std::runtime_error {
 public:
  explicit process_terminated(std::int64_t pk)
      : std::runtime_error(fmt::format("process {} has terminated", pk)), pk_(pk) {}
  std::int64_t pk() const noexcept { return pk_; }

 private:
  std::int64_t pk_;
};

/// Inside a write: throws process_terminated unless `pk` is live.
inline void ensure_live(write_tx& tx, std::int64_t pk) {
  auto s = tx.state_of(pk);
  if (!s || is_terminal(*s)) throw process_terminated(pk);
}

/// Nodes a process has in hand (its inputs, the outputs of children it has received): a
/// value the user passes on is linked to the node it came from, found by address (the
/// same object) first, then by equal content (latest first; for calcfunction arguments only
/// among the process's inputs, since a literal like Int{1} must not claim to be some
/// child's result). Deterministic on replay: a replayed step receives the same values in
/// the same order.
class known_nodes {
 public:
  void add(any_data v, std::int64_t pk, bool input = false) { entries_.push_back({std::move(v), pk, input}); }
  template <class T>
  std::optional<std::int64_t> find_address(const T* p) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if (it->value.template get_if<T>() == p) return it->pk;
    }
    return std::nullopt;
  }
  std::optional<std::int64_t> find_equal(const any_data& v, bool inputs_only = false) const {
    for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
      if ((it->input || !inputs_only) && it->value == v) return it->pk;
    }
    return std::nullopt;
  }
  void clear() { entries_.clear(); }

 private:
  struct entry {
    any_data value;
    std::int64_t pk;
    bool input;
  };
  std::vector<entry> entries_;
};

struct pending_log {
  log_level level;
  std::string message;
};

/// The process whose code is running on this thread right now (a step on the loop, a
/// workfunction body on a pool thread): where child launches are journaled and logs go.
struct call_frame {
  runner* owner = nullptr;
  std::int64_t pk = 0;
  node_kind kind = node_kind::work_chain;
  std::string type;
  std::int64_t step = 0;  // steps completed: the journal's step key
  std::int64_t seq = 0;   // launches so far in this step
  known_nodes known;
  std::vector<pending_log> logs;
  std::vector<std::int64_t> pending;  // children submitted in this step and not awaited
  // The journal of the current step, loaded when the process was resumed (replay).
  std::optional<std::int64_t> replay_step;
  std::map<std::int64_t, std::int64_t> replay;

  std::optional<std::int64_t> journaled(std::int64_t s) const {
    if (replay_step != step) return std::nullopt;
    auto it = replay.find(s);
    if (it == replay.end()) return std::nullopt;
    return it->second;
  }
  void flush_logs(write_tx& tx, std::vector<pending_log>& logs_to_write) const {
    for (auto& l : logs_to_write) tx.add_log(pk, l.level, l.message);
  }
};

inline thread_local call_frame* current_frame = nullptr;

struct frame_scope {
  call_frame* previous;
  explicit frame_scope(call_frame* f) noexcept : previous(current_frame) { current_frame = f; }
  ~frame_scope() { current_frame = previous; }
  frame_scope(const frame_scope&) = delete;
  frame_scope& operator=(const frame_scope&) = delete;
};

struct slot;

/// A process the runner drives (a work chain, a workfunction).
struct process_instance {
  virtual ~process_instance() = default;
  virtual task<void> drive(runner& r, slot& s) = 0;
  /// Called on the loop when the process was killed (by this or another program), just
  /// before its frames are destroyed: the place to cancel what runs outside the engine
  /// (a calcjob's scheduler job).
  virtual void on_killed() {}
};

struct slot {
  std::int64_t pk = 0;
  std::uint64_t gen = 0;
  node_kind kind = node_kind::work_chain;
  std::string type;
  bool paused = false;
  bool killed = false;
  bool waiting = false;  // the state last persisted is 'waiting'
  std::unique_ptr<process_instance> proc;
  task<void> driver;
  std::vector<std::function<void(const process_result&)>> waiters;
  std::coroutine_handle<> pause_waiter;
  call_frame frame;
};

/// A fixed pool of threads for blocking work.
class thread_pool {
 public:
  explicit thread_pool(unsigned n) {
    for (unsigned i = 0; i < std::max(1u, n); ++i) threads_.emplace_back([this] {
      ::pthread_setname_np(::pthread_self(), "tessera-pool");
      work();
    });
  }
  ~thread_pool() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void run(std::function<void()> job) {
    {
      std::lock_guard lk(m_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }
  /// Drops the jobs no thread has started; how many (a held runner's steps replay elsewhere).
  std::size_t drop_queued() {
    std::lock_guard lk(m_);
    const auto n = jobs_.size();
    jobs_.clear();
    return n;
  }

 private:
  void work() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lk.unlock();
      job();
      lk.lock();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

/// Creates, from the store, the instance that resumes process `pk` of a registered type.
using resume_factory = std::function<std::unique_ptr<process_instance>(runner&, std::int64_t pk)>;

/// Process types a runner can resume after a restart, by process type name.
class process_registry {
 public:
  static process_registry& global() {
    static process_registry r;
    return r;
  }
  bool add(std::string type, node_kind kind, resume_factory f) {
    std::lock_guard lk(m_);
    entries_[std::move(type)] = {kind, std::move(f)};
    return true;
  }
  const resume_factory* find(std::string_view type) const {
    std::lock_guard lk(m_);
    auto it = entries_.find(std::string(type));
    return it == entries_.end() ? nullptr : &it->second.factory;
  }

 private:
  struct entry {
    node_kind kind;
    resume_factory factory;
  };
  mutable std::mutex m_;
  std::map<std::string, entry> entries_;
};

/// Called by runner::resume_all() before it resumes anything: other layers' clean-up of
/// what happened while no runner ran (the calcjob layer kills the jobs of calcjobs killed
/// meanwhile).
using resume_hook = void (*)(runner&);
inline std::vector<resume_hook>& resume_hooks() {
  static std::vector<resume_hook> hooks;
  return hooks;
}
inline bool add_resume_hook(resume_hook h) {
  auto& hooks = resume_hooks();
  if (std::find(hooks.begin(), hooks.end(), h) == hooks.end()) hooks.push_back(h);
  return true;
}

inline std::atomic<runner*>& default_runner() {
  static std::atomic<runner*> r{nullptr};
  return r;
}

}  // namespace engine_detail

class runner {
 public:
  explicit runner(store& st, runner_options options = {})
      : store_(&st), options_(std::move(options)), pool_(options_.pool_threads) {
    loop_ = std::thread([this] { loop_main(); });
    try {
      watcher_ = std::make_unique<engine_detail::profile_watcher>(st.profile().directory(),
                                                                  [this] { post([this] { poll_control(); }); });
    } catch (const std::exception&) {
      // No inotify (e.g. the per-user instance limit is reached): control requests from
      // other programs then arrive with the control poll instead of at once.
    }
    engine_detail::default_runner().store(this);
  }
  runner(const runner&) = delete;
  runner& operator=(const runner&) = delete;
  ~runner() {
    runner* self = this;
    engine_detail::default_runner().compare_exchange_strong(self, nullptr);
    watcher_.reset();
    // Its thread posts to the loop: gone before the loop is (it is only touched on the loop).
    call_on_loop([this] { states_watcher_.reset(); });
    // Stop the loop first (no new work can start), let in-flight commits and pool jobs
    // end (their news is dropped), then free every process's coroutine frames.
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    loop_.join();
    {
      std::unique_lock lk(m_);
      outstanding_cv_.wait(lk, [&] { return outstanding_ == 0 && busy_pool_ == 0; });
    }
    // Their threads post to this runner: they end while it is still whole.
    extensions_.clear();
    slots_.clear();
  }

  /// The most recently created runner still alive (what calcfunctions called outside any
  /// process use).
  static runner* current() noexcept { return engine_detail::default_runner().load(); }

  store& storage() noexcept { return *store_; }
  const runner_options& options() const noexcept { return options_; }

  bool caching_enabled(std::string_view type) const {
    if (options_.caching) return true;
    return std::find(options_.cached_types.begin(), options_.cached_types.end(), type) != options_.cached_types.end();
  }

  /// Observers of state transitions: fn(pk, hook point, state). Called on the loop thread.
  void on_transition(std::function<void(std::int64_t, hook_point, process_state)> fn) {
    std::lock_guard lk(m_);
    observers_.push_back(std::move(fn));
  }

  /// Blocks until process `pk` terminates; its result.
  process_result wait(std::int64_t pk) {
    auto done = std::make_shared<std::promise<process_result>>();
    auto fut = done->get_future();
    post([this, pk, done] {
      if (auto* s = find(pk)) {
        s->waiters.push_back([done](const process_result& r) { done->set_value(r); });
        return;
      }
      try {
        auto lease = store_->read();
        auto r = load_result(lease, pk);
        if (r.terminated()) {
          done->set_value(std::move(r));
        } else {
          external_waits_.push_back({pk, [done](const process_result& res) { done->set_value(res); }});
        }
      } catch (...) {
        done->set_exception(std::current_exception());
      }
    });
    return fut.get();
  }

  /// Blocks until this runner has no live process.
  void wait_idle() {
    std::unique_lock lk(m_);
    idle_cv_.wait(lk, [&] { return live_ == 0 && queue_.empty(); });
  }

  /// Whether control requests from other programs wake this runner at once (inotify), or
  /// only at the next control poll.
  bool watches_events() const noexcept { return watcher_ != nullptr; }

  /// Number of processes this runner is driving.
  std::size_t live() const {
    std::lock_guard lk(m_);
    return live_;
  }

  /// Whether the process is paused and has come to rest at its pause gate: the step that was
  /// in flight when it was paused has ended and checkpointed, and nothing of it runs until it
  /// is played. pause() returns as soon as the flag is read; this tells when it took effect.
  bool parked(std::int64_t pk) {
    bool at_rest = false;
    call_on_loop([&] {
      if (auto* s = find(pk)) at_rest = s->paused && s->pause_waiter;
    });
    return at_rest;
  }

  /// State that another layer keeps per runner (the calcjob layer's transport queues),
  /// made as T(runner&) on first use and destroyed with the runner, after its loop stopped.
  template <class T>
  T& extension() {
    std::lock_guard lk(extensions_m_);
    auto& p = extensions_[std::type_index(typeid(T))];
    if (!p) p = std::make_shared<T>(*this);
    return *static_cast<T*>(p.get());
  }

  /// Resumes every live work chain, calcjob and workfunction of the profile from its checkpoint
  /// (after a crash or a restart); returns how many. Types must be known to this program
  /// (they register themselves when the program submits or runs them anywhere).
  std::size_t resume_all() {
    for (auto hook : engine_detail::resume_hooks()) hook(*this);
    std::vector<std::pair<std::int64_t, std::string>> todo;
    {
      auto lease = store_->read();
      // Not the daemon's processes (those with a lease row, and their call trees): its
      // workers drive them, and taking one over here would run it twice.
      auto st = lease.connection().prepare(
          "WITH RECURSIVE daemon(pk) AS (SELECT pk FROM process_lease UNION SELECT k.output FROM daemon "
          "JOIN link k ON k.input = daemon.pk AND k.type IN (5, 6) JOIN live_process l ON l.pk = k.output) "
          "SELECT n.pk, n.type, n.kind FROM live_process l JOIN node n ON n.pk = l.pk WHERE n.kind IN (2, 3, 4) "
          "AND l.pk NOT IN daemon ORDER BY n.pk");
      while (st.step()) {
        const auto kind = node_kind_from_int(st.int64(2));
        const std::int64_t pk = st.int64(0);
        if (kind == node_kind::work_function && lease.caller(pk)) continue;  // its caller's replay re-runs it
        todo.emplace_back(pk, std::string(st.text(1)));
      }
    }
    return resume(todo);
  }

  /// The live processes to resume for the given roots: each root and every live process
  /// below it that its caller's replay does not re-run (pk, type), in pk order. What a
  /// daemon worker resumes for the roots it has claimed.
  std::vector<std::pair<std::int64_t, std::string>> resumable_trees(const std::vector<std::int64_t>& roots) {
    std::vector<std::pair<std::int64_t, std::string>> todo;
    if (roots.empty()) return todo;
    auto ids = nlohmann::json::array();
    for (auto pk : roots) ids.push_back(pk);
    auto lease = store_->read();
    // Only live processes are walked (a terminated process has no live descendant), and
    // not into children handed to the daemon (they have lease rows of their own).
    auto st = lease.connection().prepare(
        "WITH RECURSIVE t(pk) AS (SELECT l.pk FROM json_each(?1) j JOIN live_process l ON l.pk = j.value "
        "UNION SELECT k.output FROM t JOIN link k ON k.input = t.pk AND k.type IN (5, 6) "
        "JOIN live_process l ON l.pk = k.output WHERE NOT EXISTS (SELECT 1 FROM process_lease p WHERE p.pk = k.output)) "
        "SELECT n.pk, n.type, n.kind FROM t JOIN node n ON n.pk = t.pk WHERE n.kind IN (2, 3, 4) ORDER BY n.pk");
    st.bind(1, ids.dump());
    const std::unordered_set<std::int64_t> root_set(roots.begin(), roots.end());
    while (st.step()) {
      const auto kind = node_kind_from_int(st.int64(2));
      const std::int64_t pk = st.int64(0);
      if (kind == node_kind::work_function && !root_set.count(pk) && lease.caller(pk)) continue;
      todo.emplace_back(pk, std::string(st.text(1)));
    }
    return todo;
  }

  /// Graceful stop: from now on no process of this runner starts a further step or child.
  /// Blocks until every calcfunction body already running and every commit has ended and
  /// every step has reached its checkpoint or is suspended (awaiting a child, or work that
  /// was dropped before it started); then destroying the runner loses nothing: a process
  /// resumes from its last checkpoint, replaying an unfinished step. False if `deadline`
  /// came first.
  bool hold(std::chrono::steady_clock::time_point deadline) {
    {
      std::lock_guard lk(m_);
      hold_requested_ = true;
    }
    post([this] {
      holding_ = true;
      // Blocking work not started yet is dropped, not waited for: its step is replayed
      // where the process resumes, so a queue of long calcfunctions cannot delay a stop.
      const auto dropped = pool_.drop_queued();
      {
        std::lock_guard lk(m_);
        busy_pool_ -= dropped;
      }
      outstanding_cv_.notify_all();
      cv_.notify_one();
    });
    std::unique_lock lk(m_);
    return idle_cv_.wait_until(lk, deadline, [&] { return settled_ || stop_; });
  }

  /// Resumes the given live processes (pk, type).
  std::size_t resume(const std::vector<std::pair<std::int64_t, std::string>>& todo) {
    std::vector<std::pair<std::int64_t, std::unique_ptr<engine_detail::process_instance>>> made;
    for (const auto& [pk, type] : todo) {
      const auto* f = engine_detail::process_registry::global().find(type);
      if (!f) {
        throw process_control_error(fmt::format(
            "cannot resume process {}: its type '{}' is not known to this program (submit or run it once, or "
            "link the code that defines it)",
            pk, type));
      }
      made.emplace_back(pk, (*f)(*this, pk));
    }
    auto n = made.size();
    auto box = std::make_shared<decltype(made)>(std::move(made));
    {
      std::lock_guard lk(m_);
      live_ += n;  // counted now: wait_idle() must not return before they are started
    }
    post([this, box] {
      std::vector<engine_detail::slot*> started;
      for (auto& [pk, inst] : *box) started.push_back(&adopt(pk, std::move(inst), /*counted=*/true));
      poll_control();  // pause flags of the resumed ones
      for (auto* s : started) start(*s);
    });
    return n;
  }

  /// Pause/play/kill a process (by pk; it may be run by another program). Blocking.
  void pause(std::int64_t pk, std::string_view message = "paused by user") {
    pause_process(*store_, pk, message);
    call_on_loop([&] { poll_control(); });
  }
  void play(std::int64_t pk) {
    play_process(*store_, pk);
    call_on_loop([&] { poll_control(); });
  }
  std::vector<std::int64_t> kill(std::int64_t pk, std::string_view message = "killed by user") {
    auto killed = kill_process(*store_, pk, message);
    call_on_loop([&] { poll_control(); });
    return killed;
  }

  // ---------------------------------------------------------------------------------
  // Engine internals (used by work chains, calcfunctions and workfunctions).

  /// Runs f on the loop thread.
  void post(std::function<void()> f) {
    {
      std::lock_guard lk(m_);
      if (stop_) return;
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }
  /// Runs f on the loop thread and waits for it (not from the loop thread).
  template <class F>
  void call_on_loop(F&& f) {
    if (on_loop_thread()) {
      f();
      return;
    }
    std::promise<void> done;
    auto fut = done.get_future();
    post([&] {
      try {
        f();
        done.set_value();
      } catch (...) {
        done.set_exception(std::current_exception());
      }
    });
    fut.get();
  }
  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == loop_.get_id(); }

  /// Runs `job` on the pool; `then` runs on the loop afterwards (with the job's exception).
  void run_on_pool(std::function<void()> job, std::function<void(std::exception_ptr)> then) {
    {
      std::lock_guard lk(m_);
      ++busy_pool_;
    }
    pool_.run([this, job = std::move(job), then = std::move(then)]() mutable {
      std::exception_ptr e;
      try {
        job();
      } catch (...) {
        e = std::current_exception();
      }
      post([then = std::move(then), e] { then(e); });
      {
        std::lock_guard lk(m_);
        --busy_pool_;
      }
      outstanding_cv_.notify_all();
      cv_.notify_one();  // a held runner judges whether it has settled
    });
  }

  /// Group-commits `unit(write_tx&)`; `then(error)` runs on the loop once it is durable.
  template <class F>
  void commit(F&& unit, std::function<void(std::exception_ptr)> then) {
    {
      std::lock_guard lk(m_);
      ++outstanding_;
    }
    store_->submit_then(std::forward<F>(unit), [this, then = std::move(then)](std::exception_ptr e) mutable {
      post([then = std::move(then), e] { then(e); });
      {
        std::lock_guard lk(m_);
        --outstanding_;
      }
      outstanding_cv_.notify_all();
      cv_.notify_one();  // a held runner judges whether it has settled
    });
  }

  engine_detail::slot* find(std::int64_t pk) {
    auto it = slots_.find(pk);
    return it == slots_.end() ? nullptr : it->second.get();
  }
  engine_detail::slot* find_live(std::int64_t pk, std::uint64_t gen) {
    auto* s = find(pk);
    return s && s->gen == gen && !s->killed ? s : nullptr;
  }

  /// Takes a new process into the runner (on the loop thread); start() runs it.
  engine_detail::slot& adopt(std::int64_t pk, std::unique_ptr<engine_detail::process_instance> inst,
                             bool counted = false) {
    auto s = std::make_unique<engine_detail::slot>();
    s->pk = pk;
    s->gen = ++generation_;
    s->proc = std::move(inst);
    s->frame.owner = this;
    s->frame.pk = pk;
    auto& ref = *s;
    slots_[pk] = std::move(s);
    if (!counted) {
      std::lock_guard lk(m_);
      ++live_;
    }
    return ref;
  }
  void start(engine_detail::slot& s) {
    s.driver = s.proc->drive(*this, s);
    resume(s, s.driver.handle());
  }
  /// Resumes a coroutine of slot `s` with its frame current.
  void resume(engine_detail::slot& s, std::coroutine_handle<> h) {
    engine_detail::frame_scope scope(&s.frame);
    h.resume();
  }

  /// Called by a driver as its last act: wakes the waiters and removes the slot once the
  /// driver has suspended for good.
  void retire(engine_detail::slot& s, std::optional<process_result> result) {
    post([this, pk = s.pk, gen = s.gen, result = std::move(result)]() mutable {
      auto* sl = find(pk);
      if (!sl || sl->gen != gen) return;
      finish(pk, std::move(result));
    });
  }

  void notify_transition(std::int64_t pk, hook_point h, process_state st) {
    std::vector<std::function<void(std::int64_t, hook_point, process_state)>> obs;
    {
      std::lock_guard lk(m_);
      obs = observers_;
    }
    for (auto& o : obs) o(pk, h, st);
  }

  /// Waits (on the loop) for process `pk` to terminate, then calls `then(result)`.
  void when_terminated(std::int64_t pk, std::function<void(const process_result&)> then) {
    if (auto* s = find(pk)) {
      s->waiters.push_back(std::move(then));
      return;
    }
    auto lease = store_->read();
    auto r = load_result(lease, pk);
    if (r.terminated()) {
      post([then = std::move(then), r = std::move(r)] { then(r); });
    } else {
      external_waits_.push_back({pk, std::move(then)});
      watch_states();
    }
  }

  /// Whether children launched with submit<C>() go to the daemon's queue.
  bool hands_off_children() const noexcept { return options_.hand_off_submitted_children; }
  /// A child was handed to the daemon: wake the workers once this batch of events is done.
  void queued_for_daemon() noexcept { queued_since_notify_ = true; }

  /// Pause gate: true when slot may advance; else parks `h` until played.
  bool park_if_paused(engine_detail::slot& s, std::coroutine_handle<> h) {
    if (paused_check_needed_) poll_control();
    if (!s.paused && !holding_) return false;  // held: parked for good, resumed elsewhere
    s.pause_waiter = h;
    return true;
  }

 private:
  void finish(std::int64_t pk, std::optional<process_result> result) {
    auto it = slots_.find(pk);
    if (it == slots_.end()) return;
    auto owned = std::move(it->second);
    slots_.erase(it);
    if (!result) {
      try {
        auto lease = store_->read();
        result = load_result(lease, pk);
      } catch (...) {
        result = process_result{};
        result->pk = pk;
        result->state = process_state::excepted;
      }
    }
    notify_transition(pk, hook_point::entered, result->state);
    auto waiters = std::move(owned->waiters);
    // Destroy the frames before waking anyone: waiters may start new work in this slot's pk.
    owned->driver.reset();
    owned.reset();
    for (auto& w : waiters) w(*result);
    {
      std::lock_guard lk(m_);
      --live_;
    }
    idle_cv_.notify_all();
    terminated_since_notify_ = true;  // other programs (a CLI watch, another runner) hear of it
  }

  // Re-reads pause flags and externally killed processes for the live slots; checks
  // processes waited on that another program runs.
  void poll_control() {
    paused_check_needed_ = false;
    if (slots_.empty() && external_waits_.empty()) return;
    std::unordered_set<std::int64_t> paused;
    std::vector<std::int64_t> killed;
    {
      auto lease = store_->read();
      for (auto pk : lease.paused_processes()) paused.insert(pk);
      if (!slots_.empty()) {
        auto st = lease.connection().prepare(
            "SELECT pk FROM node WHERE process_state IN ('finished', 'excepted', 'killed') AND pk IN "
            "(SELECT value FROM json_each(?))");
        auto ids = nlohmann::json::array();
        for (const auto& [pk, s] : slots_) ids.push_back(pk);
        st.bind(1, ids.dump());
        while (st.step()) killed.push_back(st.int64(0));
      }
    }
    for (auto pk : killed) {
      if (auto* s = find(pk)) {
        s->killed = true;
        s->proc->on_killed();
        finish(pk, std::nullopt);  // destroys its frames; pending news for it is dropped
      }
    }
    for (auto& [pk, s] : slots_) {
      const bool now = paused.count(pk) != 0;
      if (s->paused && !now && s->pause_waiter) {
        s->paused = false;
        auto h = std::exchange(s->pause_waiter, {});
        post([this, pk = pk, gen = s->gen, h] {
          if (auto* sl = find_live(pk, gen)) resume(*sl, h);
        });
      }
      s->paused = now;
    }
    poll_external_waits();
  }

  // Processes this runner waits for that another program runs (a daemon's other workers):
  // one query finds which have terminated, then only those are loaded.
  void poll_external_waits() {
    if (external_waits_.empty()) return;
    std::unordered_set<std::int64_t> ended;
    auto lease = store_->read();
    {
      auto st = lease.connection().prepare(
          "SELECT pk FROM node WHERE process_state IN ('finished', 'excepted', 'killed') AND pk IN "
          "(SELECT value FROM json_each(?))");
      auto ids = nlohmann::json::array();
      for (const auto& w : external_waits_) ids.push_back(w.pk);
      st.bind(1, ids.dump());
      while (st.step()) ended.insert(st.int64(0));
    }
    if (ended.empty()) return;
    auto waits = std::move(external_waits_);
    external_waits_.clear();
    for (auto& w : waits) {
      if (ended.count(w.pk)) {
        w.then(load_result(lease, w.pk));
      } else {
        external_waits_.push_back(std::move(w));
      }
    }
  }

  // Another program's processes end with a write to the profile's "states" channel: the
  // first external wait starts watching it (the control poll stays as the safety net).
  void watch_states() {
    if (states_watcher_ || states_watch_failed_) return;
    try {
      states_watcher_ = std::make_unique<engine_detail::profile_watcher>(
          store_->profile().directory(), [this] { post([this] { poll_external_waits(); }); }, "states");
    } catch (const std::exception&) {
      states_watch_failed_ = true;  // e.g. no inotify instance left: the control poll finds them
    }
  }

  void loop_main() {
    ::pthread_setname_np(::pthread_self(), "tessera-loop");
    std::unique_lock lk(m_);
    for (;;) {
      const bool any = cv_.wait_for(lk, options_.control_poll, [&] {
        return stop_ || !queue_.empty() || (hold_requested_ && !settled_ && outstanding_ == 0 && busy_pool_ == 0);
      });
      if (stop_) return;
      if (queue_.empty() && hold_requested_ && !settled_ && outstanding_ == 0 && busy_pool_ == 0) {
        // Held and nothing in flight: commits and pool jobs post their news before they
        // are uncounted, so an empty queue means no step can move any more.
        settled_ = true;
        idle_cv_.notify_all();
        continue;
      }
      if (!any) {
        lk.unlock();
        poll_control();
        lk.lock();
        continue;
      }
      auto batch = std::move(queue_);
      queue_.clear();
      lk.unlock();
      for (auto& f : batch) {
        try {
          f();
        } catch (const std::exception& e) {
          // An engine bug, not a process failure: report it loudly, keep the loop alive.
          fmt::print(stderr, "tessera runner: unexpected error in the event loop: {}\n", e.what());
        }
      }
      if (terminated_since_notify_) {
        // One wake-up per batch of events, however many processes terminated in it.
        terminated_since_notify_ = false;
        engine_detail::notify_profile(store_->profile().directory(), "states");
      }
      if (queued_since_notify_) {
        queued_since_notify_ = false;
        engine_detail::notify_profile(store_->profile().directory(), "queue");
      }
      lk.lock();
      if (queue_.empty()) idle_cv_.notify_all();
    }
  }

  struct external_wait {
    std::int64_t pk;
    std::function<void(const process_result&)> then;
  };

  store* store_;
  runner_options options_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::condition_variable outstanding_cv_;
  std::deque<std::function<void()>> queue_;
  bool stop_ = false;
  bool hold_requested_ = false;
  bool settled_ = false;
  std::size_t live_ = 0;
  std::size_t outstanding_ = 0;
  std::size_t busy_pool_ = 0;
  std::vector<std::function<void(std::int64_t, hook_point, process_state)>> observers_;
  // loop thread only:
  std::unordered_map<std::int64_t, std::unique_ptr<engine_detail::slot>> slots_;
  std::vector<external_wait> external_waits_;
  std::uint64_t generation_ = 0;
  bool paused_check_needed_ = true;
  bool holding_ = false;
  bool queued_since_notify_ = false;
  bool states_watch_failed_ = false;
  std::unique_ptr<engine_detail::profile_watcher> states_watcher_;
  bool terminated_since_notify_ = false;
  engine_detail::thread_pool pool_;
  std::mutex extensions_m_;
  std::map<std::type_index, std::shared_ptr<void>> extensions_;
  std::thread loop_;
  std::unique_ptr<engine_detail::profile_watcher> watcher_;
};

}  // namespace tessera
