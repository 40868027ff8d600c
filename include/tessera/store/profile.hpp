#pragma once
// A profile is one directory:
//   <dir>/tessera.db (+ -wal, -shm)   the SQLite database (WAL mode)
//   <dir>/repository/                 the content-addressed file repository
//   <dir>/backups/                    copies taken before schema migrations
// Opening a directory that does not exist creates the profile.
//
// Durability (profile setting "synchronous", stored in the database):
//   normal (DEFAULT): WAL + synchronous=NORMAL. A commit survives the writing process being
//          killed at any point; after a power loss / OS crash the last commits may be lost
//          (never corrupted). No fsync per commit, so thousands of commits per second.
//   full:  WAL + synchronous=FULL. Each commit is fsynced: also survives power loss, at the
//          disk's fsync rate (about 350 commits/s on the development machine; group commit
//          makes that 350 *batches* per second).
//   extra, off: as SQLite defines them (off is for throwaway benchmark profiles only).
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/error.hpp>
#include <tessera/store/migrations.hpp>

namespace tessera {

enum class synchronous_mode { off, normal, full, extra };

constexpr std::string_view to_string(synchronous_mode m) noexcept {
  switch (m) {
    case synchronous_mode::off: return "OFF";
    case synchronous_mode::normal: return "NORMAL";
    case synchronous_mode::full: return "FULL";
    case synchronous_mode::extra: return "EXTRA";
  }
  return "NORMAL";
}
inline synchronous_mode synchronous_mode_from_string(std::string_view s) {
  for (auto m : {synchronous_mode::off, synchronous_mode::normal, synchronous_mode::full,
                 synchronous_mode::extra}) {
    if (to_string(m) == s) return m;
  }
  throw store_error(fmt::format("invalid synchronous mode '{}' (expected OFF, NORMAL, FULL or EXTRA)", s));
}

struct profile_options {
  /// Empty: keep the mode stored in the profile (NORMAL for a new profile). Set: store it.
  std::optional<synchronous_mode> synchronous;
  /// How long a writer waits for another process's write lock before failing.
  std::chrono::milliseconds busy_timeout{60000};
  /// Group commit: a batch waits at most this long for more units after its first one.
  std::chrono::microseconds group_commit_delay{500};
  /// Group commit: at most this many units per SQLite commit.
  std::size_t group_commit_max_batch = 1024;
  /// SQLite page cache per connection, KiB.
  std::int64_t cache_kib = 32768;
  /// Pages the WAL may hold before they are copied back into the database (SQLite's
  /// default is 1,000). A page rewritten by many commits is copied once per checkpoint, so
  /// fewer, larger checkpoints cost less: ~10-15% more calcfunctions/s at 10,000 (a WAL of
  /// ~40 MB). A store's checkpoints run on a thread of their own (tessera-ckpt), not on the
  /// writer; past 4x this size the writer checkpoints too. 0: SQLite never checkpoints
  /// automatically.
  std::int64_t wal_autocheckpoint_pages = 10000;
};

class profile {
 public:
  /// Opens (creating if needed) the profile in `dir`, creating or migrating its schema.
  static profile open(const std::filesystem::path& dir, profile_options options = {}) {
    profile p;
    p.dir_ = dir;
    p.options_ = options;
    std::error_code ec;
    std::filesystem::create_directories(dir / "repository", ec);
    if (ec) {
      throw store_error(fmt::format("cannot create profile directory {}: {}", (dir / "repository").string(),
                                    ec.message()));
    }
    auto c = store_detail::connection(p.database_path().string());
    c.exec(fmt::format("PRAGMA busy_timeout = {}", options.busy_timeout.count()));
    if (c.scalar_text("PRAGMA journal_mode = WAL") != "wal") {
      throw store_error(fmt::format("cannot switch {} to WAL mode", p.database_path().string()));
    }
    schema::upgrade(c, p.database_path(), p.backup_path());
    if (options.synchronous) {
      auto st = c.prepare("INSERT OR REPLACE INTO setting(key, value) VALUES ('synchronous', ?)");
      st.bind(1, to_string(*options.synchronous));
      st.run();
      p.sync_ = *options.synchronous;
    } else {
      auto st = c.prepare("SELECT value FROM setting WHERE key = 'synchronous'");
      p.sync_ = st.step() ? synchronous_mode_from_string(st.text(0)) : synchronous_mode::normal;
    }
    return p;
  }

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return dir_; }
  [[nodiscard]] std::filesystem::path database_path() const { return dir_ / "tessera.db"; }
  [[nodiscard]] std::filesystem::path repository_path() const { return dir_ / "repository"; }
  [[nodiscard]] std::filesystem::path backup_path() const { return dir_ / "backups"; }
  [[nodiscard]] synchronous_mode synchronous() const noexcept { return sync_; }
  [[nodiscard]] const profile_options& options() const noexcept { return options_; }

  /// A new connection to the profile's database, configured (WAL, synchronous, timeouts).
  [[nodiscard]] store_detail::connection connect() const {
    store_detail::connection c(database_path().string(), SQLITE_OPEN_READWRITE);
    c.exec(fmt::format(
        "PRAGMA busy_timeout = {}; PRAGMA synchronous = {}; PRAGMA cache_size = -{}; "
        "PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = {}",
        options_.busy_timeout.count(), to_string(sync_), options_.cache_kib, options_.wal_autocheckpoint_pages));
    c.set_busy_timeout(options_.busy_timeout);
    return c;
  }

 private:
  profile() = default;
  std::filesystem::path dir_;
  profile_options options_;
  synchronous_mode sync_ = synchronous_mode::normal;
};

}  // namespace tessera
