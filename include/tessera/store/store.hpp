#pragma once
// tessera::store: the provenance store of one profile.
//
//   tessera::store st("/path/to/profile");            // creates or migrates the profile
//   { auto tx = st.begin_write(); ...; tx.commit(); }  // one IMMEDIATE transaction
//   auto ref = st.write([&](write_tx& tx) { return tx.add_data(Int{1}); });  // group commit
//   auto fut = st.submit([&](write_tx& tx) { ... });   // group commit, asynchronous
//   auto r = st.read(); r.node(pk); r.children(pk);    // pooled read connection
//
// Threads: every method is thread-safe. One writer connection (guarded by a mutex: a direct
// write_tx holds it for its life) plus a pool of read connections (WAL readers never block
// the writer). Several OS processes may open the same profile: writers serialize on SQLite's
// write lock (BEGIN IMMEDIATE, busy timeout, retry of SQLITE_BUSY).
//
// Rules that keep this deadlock-free: a thread holds at most one write_tx at a time; a
// group-commit unit must not call write()/submit()/begin_write() (it runs on the committer
// thread, which holds the writer); a write_tx is not used after commit()/rollback().
//
// Group commit: units passed to write()/submit() are queued; one committer thread runs
// everything queued (at most group_commit_max_batch units, waiting at most
// group_commit_delay after the first for more) in ONE SQLite transaction, each unit inside
// its own SAVEPOINT so a unit that throws is rolled back alone and gets its exception,
// then commits once and completes the units. A unit's result is delivered only after the
// commit, so "returned" means "durable" (per the profile's synchronous mode). While a
// commit runs, new units accumulate for the next batch, so throughput is not capped by
// commits per second; the delay a unit can see is bounded by the batch before it plus
// group_commit_delay.
//
// Checkpoints: the WAL is copied back into the database by a thread of its own once it
// holds profile_options::wal_autocheckpoint_pages pages (PASSIVE: it never blocks the
// writer), not by the commit that crossed the threshold.
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include <tessera/store/detail/connection_pool.hpp>
#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/error.hpp>
#include <tessera/store/profile.hpp>
#include <tessera/store/reader.hpp>
#include <tessera/store/repository.hpp>
#include <tessera/store/write_tx.hpp>

namespace tessera {

namespace store_detail {

struct unit_base {
  std::function<void(std::exception_ptr)> on_done;  // optional: called after complete()/fail()
  virtual ~unit_base() = default;
  virtual void run(write_tx& tx) = 0;         // inside the batch's transaction
  virtual void complete() = 0;                // after the commit
  virtual void fail(std::exception_ptr) = 0;  // unit or commit failed
  bool ok = false;      // ran and released its savepoint
  bool failed = false;  // fail() already called
};

template <class F>
struct unit final : unit_base {
  using result_t = std::invoke_result_t<F&, write_tx&>;
  explicit unit(F f) : fn(std::move(f)) {}
  void run(write_tx& tx) override {
    if constexpr (std::is_void_v<result_t>) {
      fn(tx);
    } else {
      result.emplace(fn(tx));
    }
  }
  void complete() override {
    if constexpr (std::is_void_v<result_t>) {
      promise.set_value();
    } else {
      promise.set_value(std::move(*result));
    }
    if (on_done) on_done(nullptr);
  }
  void fail(std::exception_ptr e) override {
    promise.set_exception(e);
    if (on_done) on_done(e);
  }

  F fn;
  std::promise<result_t> promise;
  std::optional<std::conditional_t<std::is_void_v<result_t>, int, result_t>> result;
};

}  // namespace store_detail

/// A read connection on loan from the store's pool (returned on destruction).
class read_lease : public store_reader {
 public:
  read_lease(store_detail::connection_pool& pool, std::unique_ptr<store_detail::connection> c)
      : store_reader(*c), pool_(&pool), conn_(std::move(c)) {}
  read_lease(read_lease&&) noexcept = default;
  read_lease& operator=(read_lease&&) = delete;
  read_lease(const read_lease&) = delete;
  read_lease& operator=(const read_lease&) = delete;
  ~read_lease() {
    if (conn_) pool_->release(std::move(conn_));
  }

 private:
  store_detail::connection_pool* pool_;
  std::unique_ptr<store_detail::connection> conn_;
};

class store {
 public:
  explicit store(const std::filesystem::path& dir, profile_options options = {})
      : profile_(profile::open(dir, options)),
        writer_(profile_.connect()),
        pool_(profile_),
        files_(profile_.repository_path()) {
    files_.attach_database(pool_);  // small objects go into the database, see repository.hpp
    // The writer does not copy the WAL back into the database itself (that stalled every
    // commit that crossed the threshold): a checkpointer thread does, while the writer goes
    // on appending. See on_wal_commit.
    if (profile_.options().wal_autocheckpoint_pages > 0) ::sqlite3_wal_hook(writer_.get(), &store::on_wal_commit, this);
  }
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  ~store() {
    {
      std::lock_guard lk(qm_);
      stop_ = true;
    }
    qcv_.notify_all();
    if (committer_.joinable()) committer_.join();
    // Objects put but not yet written (no write followed their put): nothing committed
    // refers to them, but a value naming them may outlive this store object.
    if (files_.pending_objects() > 0) {
      try {
        auto tx = begin_write();
        tx.commit();
      } catch (...) {  // a destructor must not throw; nothing that was committed refers to them
      }
    }
    {
      std::lock_guard lk(cm_);
      checkpoint_stop_ = true;
    }
    ccv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    ::sqlite3_wal_hook(writer_.get(), nullptr, nullptr);
  }

  [[nodiscard]] const tessera::profile& profile() const noexcept { return profile_; }

  /// A direct write transaction (BEGIN IMMEDIATE); commit() it, or it rolls back.
  [[nodiscard]] write_tx begin_write() {
    write_tx tx(writer_, writer_mutex_, profile_.options().busy_timeout);
    // Small repository objects put before its COMMIT, even while it was open, go in with it
    // (see repository.hpp).
    auto keys = std::make_shared<std::vector<digest>>();
    tx.around_commit([this, keys] { *keys = files_.write_pending(writer_); },
                     [this, keys] { files_.committed(*keys); });
    return tx;
  }

  /// Runs `f(write_tx&)` as one unit of a group commit and returns its result once the
  /// batch is durable. Exceptions from f are rethrown here (and only f's writes are undone).
  template <class F>
  auto write(F&& f) {
    return submit(std::forward<F>(f)).get();
  }
  /// As write(), asynchronously: the future is ready when the unit is durable.
  template <class F>
  auto submit(F&& f) {
    using U = store_detail::unit<std::decay_t<F>>;
    auto u = std::make_unique<U>(std::forward<F>(f));
    auto fut = u->promise.get_future();
    {
      std::lock_guard lk(qm_);
      if (stop_) throw store_error("store is closing: cannot submit a write");
      if (!committer_.joinable()) committer_ = std::thread([this] { commit_loop(); });
      queue_.push_back({std::move(u), std::chrono::steady_clock::now()});
    }
    qcv_.notify_one();
    return fut;
  }

  /// As submit(), but calls `done(error)` on the committer thread once the unit is durable
  /// (error null) or failed. For event loops that must not block on a future: `done` should
  /// only hand the news over (post to a queue), never write to the store.
  template <class F, class Done>
  void submit_then(F&& f, Done&& done) {
    using U = store_detail::unit<std::decay_t<F>>;
    auto u = std::make_unique<U>(std::forward<F>(f));
    u->on_done = std::forward<Done>(done);
    {
      std::lock_guard lk(qm_);
      if (stop_) throw store_error("store is closing: cannot submit a write");
      if (!committer_.joinable()) committer_ = std::thread([this] { commit_loop(); });
      queue_.push_back({std::move(u), std::chrono::steady_clock::now()});
    }
    qcv_.notify_one();
  }

  /// A check run first in every group-commit transaction, e.g. a daemon worker's fencing
  /// (write_tx::check_worker). If it throws, every unit of the batch fails with its error
  /// and nothing of the batch is written. Set it before the first write; not thread-safe
  /// against concurrent writes.
  void set_transaction_guard(std::function<void(write_tx&)> guard) { guard_ = std::move(guard); }

  /// A pooled read connection (sees everything committed before it was taken... and later
  /// commits too, between statements: each statement reads its own WAL snapshot).
  [[nodiscard]] read_lease read() { return read_lease(pool_, pool_.acquire()); }

  /// `PRAGMA integrity_check` of the database: "ok" or the problems found.
  [[nodiscard]] std::string integrity_check() {
    auto r = read();
    auto st = r.connection().prepare("PRAGMA integrity_check");
    std::string out;
    while (st.step()) {
      if (!out.empty()) out += "\n";
      out += st.text(0);
    }
    return out;
  }

  /// The profile's file repository (content of SinglefileData, FolderData, portable codes).
  [[nodiscard]] repository& files() noexcept { return files_; }

  /// Data types whose attributes refer to repository objects (key "object" anywhere inside).
  static constexpr std::string_view repository_types[] = {"core.singlefile", "core.folder", "core.code.portable"};

  struct integrity_report {
    std::string database;                // PRAGMA integrity_check: "ok" or the problems
    repository::report files;            // re-hash of every object
    std::vector<std::string> missing;    // objects referenced by nodes but absent
    [[nodiscard]] bool ok() const { return database == "ok" && files.ok() && missing.empty(); }
  };
  /// Checks the database, re-hashes every repository object, and checks that every object
  /// a node refers to exists (data nodes, and the input files of calcjobs: attribute raw_input).
  [[nodiscard]] integrity_report check_integrity() {
    integrity_report r;
    r.database = integrity_check();
    r.files = files_.verify();
    auto lease = read();
    auto st = lease.connection().prepare(
        // json_tree quotes some keys in fullkey ($."raw_input"...): both spellings.
        "SELECT n.pk, j.value FROM node n, json_tree(n.attributes) j "
        "WHERE ((n.kind = 0 AND n.type IN (?, ?, ?)) OR "
        "(n.kind = 2 AND (j.fullkey LIKE '$.raw_input.%' OR j.fullkey LIKE '$.\"raw_input\".%'))) "
        "AND j.key = 'object' AND j.type = 'text'");
    st.bind_all(repository_types[0], repository_types[1], repository_types[2]);
    while (st.step()) {
      const auto hex = std::string(st.text(1));
      try {
        if (!files_.contains(digest::from_hex(hex))) {
          r.missing.push_back(fmt::format("node {} refers to object {}, which is missing", st.int64(0), hex));
        }
      } catch (const std::exception&) {
        r.missing.push_back(fmt::format("node {} refers to an invalid object name '{}'", st.int64(0), hex));
      }
    }
    return r;
  }

  /// Statistics of the last group commits (for tests and benchmarks).
  struct group_commit_stats {
    std::uint64_t batches = 0;
    std::uint64_t units = 0;
  };
  [[nodiscard]] group_commit_stats stats() const {
    std::lock_guard lk(qm_);
    return stats_;
  }

 private:
  struct queued {
    std::unique_ptr<store_detail::unit_base> unit;
    std::chrono::steady_clock::time_point arrived;
  };

  // Called by SQLite after each commit of the writer, with the WAL's size in pages.
  static int on_wal_commit(void* self, sqlite3* db, const char*, int pages) {
    auto* st = static_cast<store*>(self);
    const auto threshold = st->profile_.options().wal_autocheckpoint_pages;
    if (pages < threshold) return SQLITE_OK;
    if (pages >= 4 * threshold) {
      // The checkpointer is not keeping up (or a long reader holds it back): the writer
      // helps, as SQLite's own auto-checkpoint would, so the WAL stays bounded.
      ::sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      return SQLITE_OK;
    }
    {
      std::lock_guard lk(st->cm_);
      if (st->checkpoint_stop_) return SQLITE_OK;
      st->checkpoint_wanted_ = true;
      if (!st->checkpointer_.joinable()) st->checkpointer_ = std::thread([st] { st->checkpoint_loop(); });
    }
    st->ccv_.notify_one();
    return SQLITE_OK;
  }

  void checkpoint_loop() {
    ::pthread_setname_np(::pthread_self(), "tessera-ckpt");
    std::optional<store_detail::connection> c;
    std::unique_lock lk(cm_);
    for (;;) {
      ccv_.wait(lk, [&] { return checkpoint_stop_ || checkpoint_wanted_; });
      if (checkpoint_stop_) return;
      checkpoint_wanted_ = false;
      lk.unlock();
      try {
        if (!c) c.emplace(profile_.connect());
        // PASSIVE: copies what no reader still needs, never blocks the writer. BUSY (another
        // checkpoint running, e.g. another program's) just means: next time.
        ::sqlite3_wal_checkpoint_v2(c->get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      } catch (const std::exception&) {
        // cannot open a connection now: the writer's fallback keeps the WAL bounded
      }
      lk.lock();
    }
  }

  void commit_loop() {
    ::pthread_setname_np(::pthread_self(), "tessera-commit");  // visible in top -H and gdb
    const auto delay = profile_.options().group_commit_delay;
    const auto max_batch = std::max<std::size_t>(1, profile_.options().group_commit_max_batch);
    std::unique_lock lk(qm_);
    for (;;) {
      qcv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stop_ and drained
      if (delay.count() > 0 && queue_.size() < max_batch && !stop_) {
        const auto until = queue_.front().arrived + delay;
        qcv_.wait_until(lk, until, [&] { return stop_ || queue_.size() >= max_batch; });
      }
      std::vector<std::unique_ptr<store_detail::unit_base>> batch;
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front().unit));
        queue_.pop_front();
      }
      lk.unlock();
      run_batch(batch);
      lk.lock();
    }
  }

  void run_batch(std::vector<std::unique_ptr<store_detail::unit_base>>& batch) {
    std::exception_ptr batch_error;
    std::vector<digest> packed;
    try {
      std::lock_guard wl(writer_mutex_);
      store_detail::immediate_transaction tx(writer_, profile_.options().busy_timeout);
      write_tx wtx(writer_, write_tx::in_batch_t{});
      if (guard_) guard_(wtx);
      for (auto& u : batch) {
        writer_.cached("SAVEPOINT tessera_unit")->run();
        try {
          u->run(wtx);
          writer_.cached("RELEASE tessera_unit")->run();
          u->ok = true;
        } catch (...) {
          writer_.cached("ROLLBACK TO tessera_unit")->run();
          writer_.cached("RELEASE tessera_unit")->run();
          wtx.forget_recent();
          u->failed = true;
          u->fail(std::current_exception());
        }
      }
      // Small repository objects put before these units were submitted, or by the units
      // themselves: in the same transaction as the nodes that refer to them (repository.hpp).
      packed = files_.write_pending(writer_);
      tx.commit();
      wtx.committed();
      files_.committed(packed);
    } catch (...) {
      batch_error = std::current_exception();
    }
    {
      // counted before any unit is completed: a writer that got its result sees its batch in stats()
      std::lock_guard lk(qm_);
      stats_.batches += 1;
      stats_.units += batch.size();
    }
    for (auto& u : batch) {
      if (u->failed) continue;
      if (u->ok && !batch_error) {
        u->complete();
      } else {
        u->fail(batch_error ? batch_error
                            : std::make_exception_ptr(store_error("group commit: unit was not run")));
      }
    }
  }

  tessera::profile profile_;
  store_detail::connection writer_;
  std::mutex writer_mutex_;
  store_detail::connection_pool pool_;
  repository files_;
  std::function<void(write_tx&)> guard_;

  mutable std::mutex qm_;
  std::condition_variable qcv_;
  std::deque<queued> queue_;
  bool stop_ = false;
  group_commit_stats stats_;
  std::thread committer_;

  std::mutex cm_;
  std::condition_variable ccv_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stop_ = false;
  std::thread checkpointer_;
};

}  // namespace tessera
