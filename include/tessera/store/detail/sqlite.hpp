#pragma once
// Thin RAII layer over the SQLite C API: a connection, prepared statements with typed
// binding, a per-connection cache of persistent statements, and an IMMEDIATE transaction
// guard. Internal to tessera::store (users go through store / query).
#include <sqlite3.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include <tessera/store/error.hpp>

namespace tessera::store_detail {

[[noreturn]] inline void throw_sqlite(sqlite3* db, int rc, std::string_view context) {
  const char* msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw sqlite_error(fmt::format("sqlite error {} ({}) in {}", rc, msg, context), rc);
}

inline bool is_busy(int rc) noexcept {
  return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
}

/// A prepared statement. Binding indexes are 1-based, column indexes 0-based (as in SQLite).
class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql, bool persistent = false) : db_(db) {
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt_, nullptr);
    if (rc != SQLITE_OK) throw_sqlite(db, rc, fmt::format("prepare of `{}`", sql));
  }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), stmt_(std::exchange(o.stmt_, nullptr)) {}
  statement& operator=(statement&& o) noexcept {
    if (this != &o) {
      finalize();
      db_ = std::exchange(o.db_, nullptr);
      stmt_ = std::exchange(o.stmt_, nullptr);
    }
    return *this;
  }
  ~statement() { finalize(); }

  [[nodiscard]] sqlite3_stmt* get() const noexcept { return stmt_; }
  [[nodiscard]] std::string_view sql() const noexcept {
    const char* s = sqlite3_sql(stmt_);
    return s != nullptr ? std::string_view(s) : std::string_view();
  }

  statement& bind(int i, std::nullptr_t) { return check(sqlite3_bind_null(stmt_, i)); }
  statement& bind(int i, std::int64_t v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  statement& bind(int i, int v) { return check(sqlite3_bind_int64(stmt_, i, v)); }
  statement& bind(int i, bool v) { return check(sqlite3_bind_int64(stmt_, i, v ? 1 : 0)); }
  statement& bind(int i, double v) { return check(sqlite3_bind_double(stmt_, i, v)); }
  statement& bind(int i, std::string_view v) {
    return check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, std::span<const std::byte> v) {
    // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
    static const std::byte empty{};
    return check(sqlite3_bind_blob64(stmt_, i, v.empty() ? &empty : v.data(), v.size(),
                                     SQLITE_TRANSIENT));
  }
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    if (v) return bind(i, *v);
    return bind(i, nullptr);
  }
  template <class... Args>
  statement& bind_all(const Args&... args) {
    int i = 0;
    (bind(++i, args), ...);
    return *this;
  }

  /// Steps once; true when a row is available, false when done. Throws on error.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_sqlite(db_, rc, fmt::format("`{}`", sql()));
  }
  /// Runs a statement that returns no rows (or ignores them) and resets it.
  void run() {
    while (step()) {
    }
    reset();
  }
  void reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  [[nodiscard]] int columns() const noexcept { return sqlite3_column_count(stmt_); }
  [[nodiscard]] int type(int c) const noexcept { return sqlite3_column_type(stmt_, c); }
  [[nodiscard]] bool is_null(int c) const noexcept { return type(c) == SQLITE_NULL; }
  [[nodiscard]] std::int64_t int64(int c) const noexcept { return sqlite3_column_int64(stmt_, c); }
  [[nodiscard]] double real(int c) const noexcept { return sqlite3_column_double(stmt_, c); }
  [[nodiscard]] std::string_view text(int c) const noexcept {
    const auto* p = sqlite3_column_text(stmt_, c);
    const int n = sqlite3_column_bytes(stmt_, c);
    return p != nullptr ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
                        : std::string_view();
  }
  [[nodiscard]] std::span<const std::byte> blob(int c) const noexcept {
    const void* p = sqlite3_column_blob(stmt_, c);
    const int n = sqlite3_column_bytes(stmt_, c);
    return p != nullptr ? std::span<const std::byte>(static_cast<const std::byte*>(p), static_cast<std::size_t>(n))
                        : std::span<const std::byte>();
  }
  [[nodiscard]] std::optional<std::int64_t> opt_int64(int c) const noexcept {
    if (is_null(c)) return std::nullopt;
    return int64(c);
  }

 private:
  statement& check(int rc) {
    if (rc != SQLITE_OK) throw_sqlite(db_, rc, fmt::format("binding a parameter of `{}`", sql()));
    return *this;
  }
  void finalize() noexcept {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// A cached statement on loan: resets (and clears bindings) when it goes out of scope,
/// so the next user finds it clean even if this one threw; while on loan the cache never
/// evicts it.
class statement_lease {
 public:
  statement_lease(statement& s, bool& in_use) noexcept : s_(&s), in_use_(&in_use) { in_use = true; }
  statement_lease(const statement_lease&) = delete;
  statement_lease& operator=(const statement_lease&) = delete;
  statement_lease(statement_lease&& o) noexcept
      : s_(std::exchange(o.s_, nullptr)), in_use_(std::exchange(o.in_use_, nullptr)) {}
  statement_lease& operator=(statement_lease&&) = delete;
  ~statement_lease() {
    if (s_ != nullptr) {
      s_->reset();
      *in_use_ = false;
    }
  }
  statement* operator->() const noexcept { return s_; }
  statement& operator*() const noexcept { return *s_; }

 private:
  statement* s_;
  bool* in_use_;
};

/// Node kinds by pk, direct-mapped. Only facts about COMMITTED nodes go in: a node's kind
/// never changes and nodes are never deleted, so such a fact stays true for every process
/// sharing the profile; an uncommitted node's pk may be handed out again after a rollback.
struct committed_memo {
  static constexpr std::size_t size = 4096;
  std::array<std::pair<std::int64_t, std::uint8_t>, size> kinds{};  // pk 0: empty
  [[nodiscard]] std::optional<std::uint8_t> kind(std::int64_t pk) const noexcept {
    const auto& e = kinds[static_cast<std::size_t>(pk) % size];
    if (e.first == pk && pk != 0) return e.second;
    return std::nullopt;
  }
  void remember(std::int64_t pk, std::uint8_t kind) noexcept { kinds[static_cast<std::size_t>(pk) % size] = {pk, kind}; }
};

/// One SQLite connection with a statement cache. Not thread-safe: the store guards it.
class connection {
 public:
  connection() = default;
  explicit connection(const std::string& path, int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) {
    // SQLite's memory statistics take a global mutex on every allocation it makes, which
    // every connection of every thread then contends for: off, before SQLite initializes
    // (if the program initialized SQLite already, the call fails and nothing changes).
    static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)memstatus_off;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close_v2(db_);
      db_ = nullptr;
      throw sqlite_error(fmt::format("cannot open database {}: {}", path, msg), rc);
    }
    sqlite3_extended_result_codes(db_, 1);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  connection(connection&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), cache_(std::move(o.cache_)), busy_(std::move(o.busy_)) {}
  connection& operator=(connection&& o) noexcept {
    if (this != &o) {
      close();
      db_ = std::exchange(o.db_, nullptr);
      cache_ = std::move(o.cache_);
      busy_ = std::move(o.busy_);
    }
    return *this;
  }

  /// Waits up to `limit` for another process's lock, polling every 50-1,000 us. SQLite's
  /// own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 50, 100 ms in turn: with several
  /// daemon workers and a submitting program sharing a profile, those sleeps, not the
  /// transactions, would set the pace.
  void set_busy_timeout(std::chrono::milliseconds limit) {
    busy_ = std::make_unique<busy_wait>();
    busy_->limit = limit;
    sqlite3_busy_handler(db_, &connection::on_busy, busy_.get());
  }
  ~connection() { close(); }

  [[nodiscard]] sqlite3* get() const noexcept { return db_; }
  explicit operator bool() const noexcept { return db_ != nullptr; }

  void exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw sqlite_error(fmt::format("sqlite error {} ({}) in `{}`", rc, msg, s.substr(0, 200)), rc);
    }
  }
  [[nodiscard]] statement prepare(std::string_view sql) { return statement(db_, sql); }
  /// A persistent prepared statement kept for the life of the connection.
  /// The cache holds at most max_cached statements (the query builder makes many shapes);
  /// beyond that, statements not on loan are dropped.
  [[nodiscard]] statement_lease cached(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      if (cache_.size() >= max_cached) evict();
      auto e = std::make_unique<cache_entry>();
      e->stmt = statement(db_, sql, true);
      it = cache_.emplace(std::string(sql), std::move(e)).first;
    }
    if (it->second->in_use) {
      throw store_error(fmt::format("statement `{}` is already in use on this connection", sql.substr(0, 120)));
    }
    return statement_lease(it->second->stmt, it->second->in_use);
  }
  /// Facts about committed rows that never change, kept for the writer's checks (see
  /// committed_memo); made on first use.
  committed_memo& memo() {
    if (!memo_) memo_ = std::make_unique<committed_memo>();
    return *memo_;
  }
  [[nodiscard]] std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
  [[nodiscard]] int changes() const noexcept { return sqlite3_changes(db_); }
  [[nodiscard]] bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

  /// Single integer result of a query (e.g. a PRAGMA).
  std::int64_t scalar_int(std::string_view sql) {
    auto st = prepare(sql);
    if (!st.step()) throw store_error(fmt::format("query `{}` returned no row", sql));
    return st.int64(0);
  }
  std::string scalar_text(std::string_view sql) {
    auto st = prepare(sql);
    if (!st.step()) throw store_error(fmt::format("query `{}` returned no row", sql));
    return std::string(st.text(0));
  }
  void clear_cache() noexcept { evict(); }

 private:
  void close() noexcept {
    cache_.clear();
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = nullptr;
  }

  sqlite3* db_ = nullptr;
  std::unique_ptr<committed_memo> memo_;
  struct cache_entry {
    statement stmt;
    bool in_use = false;
  };
  static constexpr std::size_t max_cached = 256;
  void evict() noexcept {
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (it->second->in_use) {
        ++it;
      } else {
        it = cache_.erase(it);
      }
    }
  }
  std::map<std::string, std::unique_ptr<cache_entry>, std::less<>> cache_;

  struct busy_wait {
    std::chrono::steady_clock::time_point since{};
    std::chrono::milliseconds limit{0};
  };
  static int on_busy(void* p, int count) noexcept {
    auto* b = static_cast<busy_wait*>(p);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) {
      b->since = now;
    } else if (now - b->since >= b->limit) {
      return 0;  // SQLITE_BUSY for the caller
    }
    std::this_thread::sleep_for(std::chrono::microseconds(count < 20 ? 50 : count < 200 ? 200 : 1000));
    return 1;
  }
  std::unique_ptr<busy_wait> busy_;
};

/// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed. BEGIN retries
/// SQLITE_BUSY (beyond the connection's busy timeout) up to `deadline`.
class immediate_transaction {
 public:
  explicit immediate_transaction(connection& c,
                                 std::chrono::milliseconds retry_for = std::chrono::seconds(60))
      : c_(&c) {
    const auto deadline = std::chrono::steady_clock::now() + retry_for;
    for (;;) {
      const int rc = sqlite3_exec(c.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) break;
      if (!is_busy(rc) || std::chrono::steady_clock::now() > deadline) {
        throw_sqlite(c.get(), rc, "BEGIN IMMEDIATE (another process holds the write lock)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    active_ = true;
  }
  immediate_transaction(const immediate_transaction&) = delete;
  immediate_transaction& operator=(const immediate_transaction&) = delete;
  ~immediate_transaction() { rollback(); }

  void commit() {
    if (!active_) throw store_error("commit of a transaction that is no longer active");
    for (int attempt = 0;; ++attempt) {
      const int rc = sqlite3_exec(c_->get(), "COMMIT", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK) break;
      if (!is_busy(rc) || attempt > 10000) throw_sqlite(c_->get(), rc, "COMMIT");
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    active_ = false;
  }
  void rollback() noexcept {
    if (active_ && c_->in_transaction()) sqlite3_exec(c_->get(), "ROLLBACK", nullptr, nullptr, nullptr);
    active_ = false;
  }
  [[nodiscard]] bool active() const noexcept { return active_; }

 private:
  connection* c_;
  bool active_ = false;
};

}  // namespace tessera::store_detail
