// tessera init [DIR], tessera profile show, tessera storage info|integrity|backup|migrate
#include <sqlite3.h>

#include <cstdio>
#include <fstream>

#include <fmt/format.h>

#include <tessera/store/migrations.hpp>

#include "detail/common.hpp"

namespace tessera::cli {

namespace fs = std::filesystem;

namespace {

std::uint64_t tree_size(const fs::path& dir, std::uint64_t* files = nullptr) {
  std::uint64_t bytes = 0;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return 0;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) {
      bytes += e.file_size(ec);
      if (files) ++*files;
    }
  }
  return bytes;
}

std::string human(std::uint64_t b) {
  if (b < 1024) return fmt::format("{} B", b);
  if (b < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(b) / 1024);
  if (b < 1024ull * 1024 * 1024) return fmt::format("{:.1f} MiB", static_cast<double>(b) / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", static_cast<double>(b) / (1024.0 * 1024 * 1024));
}

std::uint64_t file_size_or_0(const fs::path& p) {
  std::error_code ec;
  auto s = fs::file_size(p, ec);
  return ec ? 0 : s;
}

void cmd_init(const globals& g, std::string dir_arg, bool set_default, bool no_default) {
  if (set_default && no_default) throw error("give --default or --no-default, not both", exit_usage);
  const fs::path dir = fs::absolute(dir_arg.empty() ? (g.profile.empty() ? default_profile_dir() : fs::path(g.profile))
                                                    : fs::path(dir_arg));
  std::error_code ec;
  const bool existed = fs::exists(dir / "tessera.db", ec);
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw error(fmt::format("{} exists and is not a directory: choose another place for the profile", dir.string()));
  }
  try {
    store st(dir);
  } catch (const store_error&) {
    rethrow_store_error(dir);
  }
  const auto file = default_profile_file();
  const bool had_default = fs::exists(file, ec);
  const bool make_default = !no_default && (set_default || !had_default);
  if (make_default) {
    fs::create_directories(file.parent_path(), ec);
    std::ofstream out(file);
    out << dir.string() << "\n";
    if (!out) throw error(fmt::format("cannot write the default profile file {}", file.string()));
  }
  std::printf("%s profile %s (schema version %d)\n", existed ? "opened existing" : "created", dir.string().c_str(),
              schema::current_version);
  if (make_default) std::printf("default profile: %s (written to %s)\n", dir.string().c_str(), file.string().c_str());
}

void cmd_info(const globals& g) {
  auto st = open_store(g);
  const auto dir = st->profile().directory();
  auto r = st->read();
  auto& c = r.connection();
  nlohmann::json j;
  j["profile"] = fs::absolute(dir).string();
  j["schema_version"] = c.scalar_int("PRAGMA user_version");
  j["synchronous"] = to_string(st->profile().synchronous());
  nlohmann::json kinds = nlohmann::json::object();
  {
    auto q = c.prepare("SELECT kind, count(*) FROM node GROUP BY kind ORDER BY kind");
    while (q.step()) kinds[std::string(to_string(node_kind_from_int(q.int64(0))))] = q.int64(1);
  }
  j["nodes"] = c.scalar_int("SELECT count(*) FROM node");
  j["nodes_by_kind"] = kinds;
  j["active_processes"] = c.scalar_int("SELECT count(*) FROM live_process");
  j["links"] = c.scalar_int("SELECT count(*) FROM link");
  j["logs"] = c.scalar_int("SELECT count(*) FROM log");
  j["computers"] = c.scalar_int("SELECT count(*) FROM computer");
  j["database_bytes"] = file_size_or_0(st->profile().database_path()) +
                        file_size_or_0(st->profile().database_path().string() + "-wal");
  std::uint64_t objects = 0;
  j["repository_bytes"] = tree_size(st->profile().repository_path(), &objects);
  j["repository_files"] = objects;
  // small objects are rows of the database (see repository.hpp); counted in database_bytes
  j["repository_packed_objects"] = c.scalar_int("SELECT count(*) FROM repository_object");
  j["repository_packed_bytes"] = c.scalar_int("SELECT coalesce(sum(length(content)), 0) FROM repository_object");
  if (g.json) {
    print_json(j);
    return;
  }
  table t({"PROPERTY", "VALUE"});
  t.add({"profile", j["profile"].get<std::string>()});
  t.add({"schema version", std::to_string(j["schema_version"].get<std::int64_t>())});
  t.add({"synchronous", j["synchronous"].get<std::string>()});
  t.add({"nodes", std::to_string(j["nodes"].get<std::int64_t>())});
  for (const auto& [k, v] : kinds.items()) t.add({"  " + k, std::to_string(v.get<std::int64_t>())});
  t.add({"active processes", std::to_string(j["active_processes"].get<std::int64_t>())});
  t.add({"links", std::to_string(j["links"].get<std::int64_t>())});
  t.add({"log messages", std::to_string(j["logs"].get<std::int64_t>())});
  t.add({"computers", std::to_string(j["computers"].get<std::int64_t>())});
  t.add({"database size", human(j["database_bytes"].get<std::uint64_t>())});
  t.add({"repository size", fmt::format("{} in {} files", human(j["repository_bytes"].get<std::uint64_t>()), objects)});
  t.add({"packed objects", fmt::format("{} in {} database rows", human(j["repository_packed_bytes"].get<std::uint64_t>()),
                                       j["repository_packed_objects"].get<std::int64_t>())});
  t.print(g);
}

void cmd_integrity(const globals& g) {
  auto st = open_store(g);
  const auto rep = st->check_integrity();
  if (g.json) {
    print_json({{"ok", rep.ok()}, {"database", rep.database}, {"objects", rep.files.objects},
                {"object_bytes", rep.files.bytes}, {"repository_problems", rep.files.problems}, {"missing", rep.missing}});
  } else {
    std::printf("database: %s\n", paint(g, rep.database == "ok" ? colour::green : colour::red, rep.database).c_str());
    std::printf("repository: %zu objects, %s re-hashed: %s\n", rep.files.objects, human(rep.files.bytes).c_str(),
                paint(g, rep.files.ok() ? colour::green : colour::red, rep.files.ok() ? "ok" : "PROBLEMS").c_str());
    for (const auto& p : rep.files.problems) std::printf("  %s\n", p.c_str());
    std::printf("objects referenced by nodes: %s\n",
                paint(g, rep.missing.empty() ? colour::green : colour::red, rep.missing.empty() ? "all present" : "MISSING").c_str());
    for (const auto& p : rep.missing) std::printf("  %s\n", p.c_str());
  }
  if (!rep.ok()) throw error("the profile failed its integrity check (details above): restore it from a backup");
}

// The database through SQLite's online backup API (a consistent snapshot even while others
// write), then the repository: objects are immutable and written before the nodes that
// refer to them commit, so every object the snapshot refers to is already there to copy.
void cmd_backup(const globals& g, const std::string& dest_arg) {
  auto st = open_store(g);
  const fs::path dest = fs::absolute(dest_arg);
  std::error_code ec;
  if (fs::exists(dest / "tessera.db", ec)) {
    throw error(fmt::format("{} already holds a tessera database: give a new or empty directory", dest.string()));
  }
  fs::create_directories(dest, ec);
  if (ec) throw error(fmt::format("cannot create {}: {}", dest.string(), ec.message()));
  {
    auto r = st->read();
    sqlite3* to = nullptr;
    const auto target = (dest / "tessera.db").string();
    if (sqlite3_open_v2(target.c_str(), &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
      const std::string m = to ? sqlite3_errmsg(to) : "out of memory";
      sqlite3_close(to);
      throw error(fmt::format("cannot create {}: {}", target, m));
    }
    sqlite3_backup* b = sqlite3_backup_init(to, "main", r.connection().get(), "main");
    if (!b) {
      const std::string m = sqlite3_errmsg(to);
      sqlite3_close(to);
      throw error(fmt::format("cannot start the backup: {}", m));
    }
    int rc = SQLITE_OK;
    // The whole database in one step: a snapshot no concurrent writer can disturb.
    while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
      const std::string m = sqlite3_errstr(rc);
      sqlite3_close(to);
      throw error(fmt::format("backup of the database failed: {}", m));
    }
    sqlite3_close(to);
  }
  fs::copy(st->profile().repository_path(), dest / "repository",
           fs::copy_options::recursive | fs::copy_options::skip_existing, ec);
  if (ec) throw error(fmt::format("cannot copy the repository to {}: {}", (dest / "repository").string(), ec.message()));
  std::uint64_t files = 0;
  const auto bytes = tree_size(dest / "repository", &files);
  std::printf("backed up %s to %s (database %s, repository %s in %llu files)\n", st->profile().directory().string().c_str(),
              dest.string().c_str(), human(file_size_or_0(dest / "tessera.db")).c_str(), human(bytes).c_str(),
              static_cast<unsigned long long>(files));
}

void cmd_migrate(const globals& g) {
  const auto dir = resolve_profile(g);
  int before = 0;
  try {
    store_detail::connection c((dir / "tessera.db").string(), SQLITE_OPEN_READONLY);
    before = static_cast<int>(c.scalar_int("PRAGMA user_version"));
  } catch (const store_error&) {
    rethrow_store_error(dir);
  }
  auto st = open_store(g);  // opening migrates
  auto r = st->read();
  const int after = static_cast<int>(r.connection().scalar_int("PRAGMA user_version"));
  if (g.json) {
    print_json({{"from", before}, {"to", after}, {"current", schema::current_version}});
    return;
  }
  if (before == after) {
    std::printf("schema version %d: already current (this tessera knows version %d)\n", after, schema::current_version);
  } else {
    std::printf("migrated schema version %d -> %d (a copy of the old database is in %s)\n", before, after,
                fs::absolute(st->profile().backup_path()).string().c_str());
  }
}

}  // namespace

void add_profile_commands(CLI::App& app, globals& g) {
  struct init_args {
    std::string dir;
    bool set_default = false, no_default = false;
  };
  auto a = std::make_shared<init_args>();
  auto* init = app.add_subcommand("init", "create a profile (a directory with the database and the file repository)");
  init->add_option("DIR", a->dir, "profile directory (default: $XDG_DATA_HOME/tessera/default)");
  init->add_flag("--default", a->set_default, "make it the default profile (done anyway when there is none)");
  init->add_flag("--no-default", a->no_default, "do not make it the default profile");
  init->callback([&g, a] { cmd_init(g, a->dir, a->set_default, a->no_default); });
}

void add_storage_commands(CLI::App& app, globals& g) {
  auto* storage = app.add_subcommand("storage", "the profile's database and file repository");
  storage->require_subcommand(1);
  storage->add_subcommand("info", "counts and sizes")->callback([&g] { cmd_info(g); });
  storage->add_subcommand("integrity", "check the database and re-hash every repository object")->callback([&g] {
    cmd_integrity(g);
  });
  auto dest = std::make_shared<std::string>();
  auto* backup = storage->add_subcommand("backup", "a consistent copy of the profile, safe while others write");
  backup->add_option("DEST", *dest, "new directory for the copy")->required();
  backup->callback([&g, dest] { cmd_backup(g, *dest); });
  storage->add_subcommand("migrate", "bring the database schema up to date and report the versions")->callback([&g] {
    cmd_migrate(g);
  });
}

}  // namespace tessera::cli
