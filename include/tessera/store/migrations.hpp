#pragma once
// Schema versioning: the version lives in PRAGMA user_version. A fresh database is created
// at schema::current_version; an older one is migrated forward one step at a time, each step
// in its own IMMEDIATE transaction (so a failed step leaves the previous version intact),
// after a backup copy has been taken with VACUUM INTO; a newer one is refused.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/error.hpp>
#include <tessera/store/schema.hpp>

namespace tessera {

struct migration {
  int from_version;  // migrates from_version -> from_version + 1
  std::string_view description;
  std::function<void(store_detail::connection&)> apply;
};

namespace schema {

/// Every migration, in order. Add one here (and a test building the old schema) whenever
/// schema::create_current changes.
inline const std::vector<migration>& migrations() {
  static const std::vector<migration> list = {
      {1, "intern process versions in table origin; add the call journal",
       [](store_detail::connection& c) {
         c.exec(origin_ddl);
         c.exec(R"sql(
INSERT OR IGNORE INTO origin(tessera_version, plugin_name, plugin_version)
  SELECT DISTINCT coalesce(tessera_version, ''), coalesce(plugin_name, ''), coalesce(plugin_version, '')
  FROM node WHERE kind > 0 ORDER BY 1, 2, 3;
ALTER TABLE node ADD COLUMN origin INTEGER REFERENCES origin(id);
UPDATE node SET origin = (
  SELECT o.id FROM origin o
  WHERE o.tessera_version = coalesce(node.tessera_version, '')
    AND o.plugin_name = coalesce(node.plugin_name, '')
    AND o.plugin_version = coalesce(node.plugin_version, ''))
WHERE kind > 0;
ALTER TABLE node DROP COLUMN tessera_version;
ALTER TABLE node DROP COLUMN plugin_name;
ALTER TABLE node DROP COLUMN plugin_version;
)sql");
         c.exec(call_journal_ddl);
       }},
      {2, "index the live (created/running/waiting) process nodes",
       [](store_detail::connection& c) { c.exec(live_process_index_ddl); }},
      {3, "add process_control (the paused flag of live processes)",
       [](store_detail::connection& c) { c.exec(process_control_ddl); }},
      {4, "live processes in table live_process instead of a partial index; no state triggers",
       [](store_detail::connection& c) {
         c.exec(live_process_ddl);
         c.exec(R"sql(
INSERT INTO live_process(pk)
  SELECT pk FROM node WHERE kind > 0 AND process_state IN ('created', 'running', 'waiting');
DROP INDEX node_process_live;
DROP TRIGGER checkpoint_drop_on_termination;
DROP TRIGGER process_control_drop_on_termination;
DELETE FROM checkpoint WHERE node NOT IN (SELECT pk FROM live_process);
DELETE FROM process_control WHERE node NOT IN (SELECT pk FROM live_process);
)sql");
       }},
      // Nothing to move: every live root starts without a lease, claimable by any worker.
      {5, "add the daemon's workers and their leases on root processes",
       [](store_detail::connection& c) { c.exec(lease_ddl); }},
      // Objects stored as files stay files (reads look in both places); new small ones are
      // packed from now on.
      {6, "add repository_object (small repository objects packed into the database)",
       [](store_detail::connection& c) { c.exec(repository_object_ddl); }},
  };
  return list;
}

inline int version_of(store_detail::connection& c) {
  return static_cast<int>(c.scalar_int("PRAGMA user_version"));
}

inline bool has_table(store_detail::connection& c, std::string_view name) {
  auto st = c.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?");
  st.bind(1, name);
  return st.step();
}

/// Creates the schema in an empty database, or migrates an older one forward (backing it
/// up into `backup_dir` first), or throws schema_error for a newer or foreign database.
/// Returns the version found before (0 for a fresh database).
inline int upgrade(store_detail::connection& c, const std::filesystem::path& db_path,
                   const std::filesystem::path& backup_dir,
                   std::span<const migration> steps = migrations(), int target = current_version,
                   std::string_view create_sql = {}) {
  const int found = version_of(c);
  if (found > target) {
    throw schema_error(fmt::format(
        "database {} has schema version {}, newer than this tessera knows ({}); "
        "upgrade tessera to open it",
        db_path.string(), found, target));
  }
  if (found == 0) {
    store_detail::immediate_transaction tx(c);
    if (version_of(c) == 0) {
      if (has_table(c, "node")) {
        throw schema_error(fmt::format(
            "database {} has a table 'node' but no schema version: not a tessera database?",
            db_path.string()));
      }
      c.exec(create_sql.empty() ? create_current() : std::string(create_sql));
      c.exec(fmt::format("PRAGMA user_version = {}", target));
    }
    tx.commit();
    return 0;
  }
  if (found == target) return found;

  // Every step must exist before any is applied: a gap found halfway would leave a
  // database migrated to a version this library cannot finish.
  for (int v = found; v < target; ++v) {
    const bool known = std::any_of(steps.begin(), steps.end(), [&](const migration& s) { return s.from_version == v; });
    if (!known) {
      throw schema_error(fmt::format("no migration from schema version {} of database {}", v, db_path.string()));
    }
  }

  // Older: back up first. VACUUM INTO writes a consistent, compact copy. The name carries
  // the time in nanoseconds and the process id, so two processes opening the same old
  // profile at once each write their own backup instead of failing on one file.
  std::filesystem::create_directories(backup_dir);
  const auto stamp = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  auto backup = backup_dir / fmt::format("{}.v{}.{}.{}.bak", db_path.filename().string(), found, stamp,
                                         static_cast<long long>(::getpid()));
  {
    auto st = c.prepare("VACUUM INTO ?");
    st.bind(1, backup.string());
    st.run();
  }
  for (int v = found; v < target; ++v) {
    const migration* m = nullptr;
    for (const auto& s : steps) {
      if (s.from_version == v) m = &s;
    }
    if (m == nullptr) {
      throw schema_error(fmt::format("no migration from schema version {} of database {}", v,
                                     db_path.string()));
    }
    store_detail::immediate_transaction tx(c);
    if (version_of(c) != v) continue;  // another process migrated meanwhile
    try {
      m->apply(c);
    } catch (const std::exception& e) {
      throw schema_error(fmt::format("migration {} -> {} ({}) of database {} failed: {}; "
                                     "database left at version {}, backup at {}",
                                     v, v + 1, m->description, db_path.string(), e.what(), v,
                                     backup.string()));
    }
    c.exec(fmt::format("PRAGMA user_version = {}", v + 1));
    tx.commit();
  }
  c.clear_cache();
  return found;
}

}  // namespace schema
}  // namespace tessera
