// Schema migrations: one test per migration builds a database at the old version from SQL,
// opens it (migrating forward) and checks the content; plus the framework's failure modes.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <tessera/data/singlefile.hpp>
#include <tessera/store/store.hpp>

#include "../store/support.hpp"

namespace {

using namespace tessera;
using tessera::test::temp_dir;

// Schema version 1, as the first tessera release created it: process versions as three
// text columns on every node, no origin table, no call journal.
constexpr std::string_view schema_v1 = R"sql(
CREATE TABLE setting(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE node(
  pk INTEGER PRIMARY KEY,
  uuid BLOB NOT NULL UNIQUE CHECK(length(uuid) = 16),
  kind INTEGER NOT NULL CHECK(kind BETWEEN 0 AND 4),
  type TEXT NOT NULL,
  label TEXT,
  description TEXT,
  ctime INTEGER NOT NULL,
  mtime INTEGER,
  attributes TEXT,
  extras TEXT,
  hash BLOB,
  process_state TEXT,
  exit_status INTEGER,
  exit_message TEXT,
  tessera_version TEXT,
  plugin_name TEXT,
  plugin_version TEXT
);
CREATE INDEX node_process_ctime ON node(ctime) WHERE kind > 0;
CREATE INDEX node_process_hash ON node(hash) WHERE kind > 0 AND hash IS NOT NULL;
CREATE TRIGGER node_identity_immutable BEFORE UPDATE OF uuid, kind, type, ctime ON node
BEGIN SELECT RAISE(ABORT, 'tessera: uuid, kind, type and ctime of a stored node are immutable'); END;
CREATE TRIGGER node_content_immutable BEFORE UPDATE OF attributes, hash ON node
WHEN old.kind = 0 OR old.process_state IN ('finished', 'excepted', 'killed')
BEGIN SELECT RAISE(ABORT, 'tessera: attributes and hash of a stored data node or terminated process are immutable'); END;
CREATE TABLE link(input INTEGER NOT NULL, output INTEGER NOT NULL, type INTEGER NOT NULL CHECK(type BETWEEN 1 AND 6),
  label TEXT NOT NULL, PRIMARY KEY(input, type, label, output)) WITHOUT ROWID;
CREATE INDEX link_output ON link(output, type, label);
CREATE TABLE log(id INTEGER PRIMARY KEY, node INTEGER NOT NULL, time INTEGER NOT NULL, level INTEGER NOT NULL,
  message TEXT NOT NULL, metadata TEXT);
CREATE INDEX log_node ON log(node);
CREATE TABLE checkpoint(node INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TRIGGER checkpoint_drop_on_termination AFTER UPDATE OF process_state ON node
WHEN new.process_state IN ('finished', 'excepted', 'killed')
BEGIN DELETE FROM checkpoint WHERE node = new.pk; END;
CREATE TABLE computer(pk INTEGER PRIMARY KEY, uuid BLOB NOT NULL UNIQUE, label TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL, description TEXT NOT NULL, transport TEXT NOT NULL, scheduler TEXT NOT NULL,
  workdir TEXT NOT NULL, settings TEXT NOT NULL);
INSERT INTO setting VALUES ('synchronous', 'NORMAL');
INSERT INTO node(pk, uuid, kind, type, label, ctime, attributes, hash) VALUES
  (1, x'00112233445566778899aabbccddeeff', 0, 'core.int', 'x', 1000, '5', x'0101010101010101010101010101010101010101010101010101010101010101');
INSERT INTO node(pk, uuid, kind, type, ctime, process_state, exit_status, tessera_version, plugin_name, plugin_version) VALUES
  (2, x'10112233445566778899aabbccddeeff', 1, 'core.add', 2000, 'finished', 0, '0.0.9', 'core.arithmetic', '1.0'),
  (3, x'20112233445566778899aabbccddeeff', 4, 'my.chain', 3000, 'waiting', NULL, '0.0.9', 'mylab.chains', '2.1'),
  (4, x'30112233445566778899aabbccddeeff', 1, 'core.add', 4000, 'running', NULL, '0.0.9', 'core.arithmetic', '1.0');
INSERT INTO link VALUES (1, 2, 1, 'x');
INSERT INTO log(node, time, level, message) VALUES (3, 3500, 23, 'waiting for children');
INSERT INTO checkpoint VALUES (3, x'c0ffee');
PRAGMA user_version = 1;
)sql";

// The profile's database as an older tessera left it, built from `sql`.
void write_old_database(const temp_dir& d, std::string_view sql) {
  store_detail::connection c((d / "tessera.db").string());
  c.exec(sql);
}

std::vector<std::string> columns(store_detail::connection& c, std::string_view table) {
  auto st = c.prepare(fmt::format("SELECT name, type, \"notnull\", pk FROM pragma_table_info('{}') ORDER BY cid", table));
  std::vector<std::string> out;
  while (st.step()) out.push_back(fmt::format("{} {} {} {}", st.text(0), st.text(1), st.int64(2), st.int64(3)));
  return out;
}

std::vector<std::string> objects(store_detail::connection& c) {
  auto st = c.prepare("SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY 1");
  std::vector<std::string> out;
  while (st.step()) out.emplace_back(st.text(0));
  return out;
}

TEST(StoreMigration, From1InternsOriginsAndAddsTheCallJournal) {
  temp_dir d;
  write_old_database(d, schema_v1);
  store st(d.path());
  auto r = st.read();
  auto& c = r.connection();
  EXPECT_EQ(schema::version_of(c), schema::current_version);
  // content kept
  EXPECT_EQ(r.count_nodes(), 4);
  auto x = r.node(1);
  EXPECT_EQ(x.id.str(), "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(x.attributes, 5);
  EXPECT_EQ(x.label, "x");
  EXPECT_FALSE(x.origin.has_value());
  auto p2 = r.node(2);
  EXPECT_EQ(p2.state, process_state::finished);
  EXPECT_EQ(p2.exit_status, 0);
  EXPECT_EQ(p2.origin, (process_origin{"0.0.9", "core.arithmetic", "1.0"}));
  EXPECT_EQ(r.node(3).origin, (process_origin{"0.0.9", "mylab.chains", "2.1"}));
  EXPECT_EQ(r.node(4).origin, p2.origin);
  EXPECT_EQ(c.scalar_int("SELECT count(*) FROM origin"), 2);
  EXPECT_EQ(r.incoming(2).size(), 1u);
  EXPECT_EQ(r.logs(3).at(0).message, "waiting for children");
  EXPECT_EQ(r.checkpoint(3), std::string("\xc0\xff\xee"));
  // the migrated schema is the current schema
  temp_dir fresh_dir;
  store fresh(fresh_dir.path());
  auto fr = fresh.read();
  for (auto t : {"node", "origin", "link", "call_journal", "log", "checkpoint", "computer", "setting"}) {
    EXPECT_EQ(columns(c, t), columns(fr.connection(), t)) << t;
  }
  EXPECT_EQ(objects(c), objects(fr.connection()));
  // and it works: journal a call, store a new process of a known origin
  {
    auto tx = st.begin_write();
    tx.journal_call(3, 0, 0, 4);
    new_node n;
    n.kind = node_kind::calc_function;
    n.type = "core.add";
    n.origin = {"0.0.9", "core.arithmetic", "1.0"};
    (void)tx.add_node(n);
    tx.commit();
  }
  EXPECT_EQ(c.scalar_int("SELECT count(*) FROM origin"), 2);
  EXPECT_EQ(r.journaled_call(3, 0, 0), 4);
  // a backup of the version-1 database was taken first
  std::vector<std::filesystem::path> backups;
  for (const auto& e : std::filesystem::directory_iterator(d / "backups")) backups.push_back(e.path());
  ASSERT_EQ(backups.size(), 1u);
  store_detail::connection b(backups[0].string());
  EXPECT_EQ(schema::version_of(b), 1);
  EXPECT_EQ(b.scalar_int("SELECT count(*) FROM node WHERE plugin_name = 'core.arithmetic'"), 2);
}

// Schema version 2: version 1 after migration 1 (origin table, call journal), before the
// live-process index.
constexpr std::string_view schema_v2 = R"sql(
CREATE TABLE setting(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE origin(id INTEGER PRIMARY KEY, tessera_version TEXT NOT NULL, plugin_name TEXT NOT NULL,
  plugin_version TEXT NOT NULL, UNIQUE(tessera_version, plugin_name, plugin_version));
CREATE TABLE node(
  pk INTEGER PRIMARY KEY,
  uuid BLOB NOT NULL UNIQUE CHECK(length(uuid) = 16),
  kind INTEGER NOT NULL CHECK(kind BETWEEN 0 AND 4),
  type TEXT NOT NULL,
  label TEXT,
  description TEXT,
  ctime INTEGER NOT NULL,
  mtime INTEGER,
  attributes TEXT,
  extras TEXT,
  hash BLOB,
  process_state TEXT,
  exit_status INTEGER,
  exit_message TEXT,
  origin INTEGER REFERENCES origin(id)
);
CREATE INDEX node_process_ctime ON node(ctime) WHERE kind > 0;
CREATE INDEX node_process_hash ON node(hash) WHERE kind > 0 AND hash IS NOT NULL;
CREATE TRIGGER node_identity_immutable BEFORE UPDATE OF uuid, kind, type, ctime ON node
BEGIN SELECT RAISE(ABORT, 'tessera: uuid, kind, type and ctime of a stored node are immutable'); END;
CREATE TRIGGER node_content_immutable BEFORE UPDATE OF attributes, hash ON node
WHEN old.kind = 0 OR old.process_state IN ('finished', 'excepted', 'killed')
BEGIN SELECT RAISE(ABORT, 'tessera: attributes and hash of a stored data node or terminated process are immutable'); END;
CREATE TABLE link(input INTEGER NOT NULL, output INTEGER NOT NULL, type INTEGER NOT NULL CHECK(type BETWEEN 1 AND 6),
  label TEXT NOT NULL, PRIMARY KEY(input, type, label, output)) WITHOUT ROWID;
CREATE INDEX link_output ON link(output, type, label);
CREATE TABLE log(id INTEGER PRIMARY KEY, node INTEGER NOT NULL, time INTEGER NOT NULL, level INTEGER NOT NULL,
  message TEXT NOT NULL, metadata TEXT);
CREATE INDEX log_node ON log(node);
CREATE TABLE checkpoint(node INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TRIGGER checkpoint_drop_on_termination AFTER UPDATE OF process_state ON node
WHEN new.process_state IN ('finished', 'excepted', 'killed')
BEGIN DELETE FROM checkpoint WHERE node = new.pk; END;
CREATE TABLE call_journal(parent INTEGER NOT NULL, step INTEGER NOT NULL, seq INTEGER NOT NULL, child INTEGER NOT NULL,
  PRIMARY KEY(parent, step, seq)) WITHOUT ROWID;
CREATE TABLE computer(pk INTEGER PRIMARY KEY, uuid BLOB NOT NULL UNIQUE, label TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL, description TEXT NOT NULL, transport TEXT NOT NULL, scheduler TEXT NOT NULL,
  workdir TEXT NOT NULL, settings TEXT NOT NULL);
INSERT INTO origin VALUES (1, '0.1.0', 'core.arithmetic', '1.0');
INSERT INTO node(pk, uuid, kind, type, ctime, process_state, origin) VALUES
  (1, x'00112233445566778899aabbccddee01', 1, 'core.add', 1000, 'finished', 1),
  (2, x'00112233445566778899aabbccddee02', 4, 'my.chain', 2000, 'waiting', 1),
  (3, x'00112233445566778899aabbccddee03', 2, 'my.job', 3000, 'running', 1),
  (4, x'00112233445566778899aabbccddee04', 1, 'core.add', 4000, 'excepted', 1),
  (5, x'00112233445566778899aabbccddee05', 1, 'core.add', 5000, 'created', 1);
INSERT INTO node(pk, uuid, kind, type, ctime, attributes) VALUES (6, x'00112233445566778899aabbccddee06', 0, 'core.int', 6000, '3');
INSERT INTO call_journal VALUES (2, 0, 0, 3);
INSERT INTO checkpoint VALUES (2, x'01'), (3, x'02');
PRAGMA user_version = 2;
)sql";

TEST(StoreMigration, From2IndexesLiveProcesses) {
  temp_dir d;
  write_old_database(d, schema_v2);
  store st(d.path());
  auto r = st.read();
  auto& c = r.connection();
  EXPECT_EQ(schema::version_of(c), schema::current_version);
  EXPECT_EQ(r.count_nodes(), 6);
  EXPECT_EQ(r.journaled_call(2, 0, 0), 3);
  EXPECT_EQ(r.checkpointed_processes(), (std::vector<std::int64_t>{2, 3}));
  auto live = r.active_processes();
  ASSERT_EQ(live.size(), 3u);
  EXPECT_EQ(live[0].pk, 5);
  EXPECT_EQ(live[1].pk, 3);
  EXPECT_EQ(live[2].pk, 2);
  EXPECT_EQ(live[1].state, process_state::running);
  EXPECT_EQ(r.node(2).origin, (process_origin{"0.1.0", "core.arithmetic", "1.0"}));
  EXPECT_EQ(c.scalar_int("SELECT count(*) FROM live_process"), 3);
  // a process that finishes leaves the live processes and loses its checkpoint
  {
    auto tx = st.begin_write();
    tx.set_process_state(3, process_state::finished);
    tx.commit();
  }
  EXPECT_EQ(r.active_processes().size(), 2u);
  EXPECT_EQ(r.checkpointed_processes(), (std::vector<std::int64_t>{2}));
}

// The script of schema version `from` + 1: the script of version `from`, then `changes`.
std::string next_version(std::string script, int from, std::string_view changes) {
  const auto pragma = fmt::format("PRAGMA user_version = {};", from);
  script.replace(script.find(pragma), pragma.size(), fmt::format("PRAGMA user_version = {};", from + 1));
  return script + std::string(changes);
}

// Schema version 3: version 2 plus the live-process index, before process_control.
std::string schema_v3() {
  return next_version(std::string(schema_v2), 2,
                      "CREATE INDEX node_process_live ON node(ctime) WHERE kind > 0 AND process_state IN ('created', "
                      "'running', 'waiting');");
}

TEST(StoreMigration, From3AddsProcessControl) {
  temp_dir d;
  write_old_database(d, schema_v3());
  store st(d.path());
  EXPECT_EQ(schema::version_of(st.read().connection()), schema::current_version);
  EXPECT_EQ(st.read().count_nodes(), 6);
  {
    auto tx = st.begin_write();
    tx.set_paused(2, true, "by a test");
    tx.set_paused(3, true);
    tx.commit();
  }
  EXPECT_TRUE(st.read().paused(2));
  EXPECT_EQ(st.read().paused_processes(), (std::vector<std::int64_t>{2, 3}));
  {
    auto tx = st.begin_write();
    tx.set_paused(2, false);
    tx.set_process_state(3, process_state::killed);  // drops its control row
    tx.commit();
  }
  EXPECT_TRUE(st.read().paused_processes().empty());
  auto tx = st.begin_write();
  EXPECT_THROW(tx.set_paused(3, true), store_error);  // terminated
  EXPECT_THROW(tx.set_paused(6, true), store_error);  // a data node
  EXPECT_THROW(tx.set_paused(99, true), not_found_error);
}

// Schema version 4: version 3 plus process_control, its row and the checkpoint's dropped by
// triggers; live processes found through the partial index node_process_live.
std::string schema_v4() {
  return next_version(schema_v3(), 3, R"sql(
CREATE TABLE process_control(node INTEGER PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0, message TEXT);
CREATE TRIGGER process_control_drop_on_termination AFTER UPDATE OF process_state ON node
WHEN new.process_state IN ('finished', 'excepted', 'killed')
BEGIN DELETE FROM process_control WHERE node = new.pk; END;
INSERT INTO process_control VALUES (2, 1, 'paused by a test');
)sql");
}

TEST(StoreMigration, From4MovesLiveProcessesToTheirTable) {
  temp_dir d;
  write_old_database(d, schema_v4());
  store st(d.path());
  {
    auto r = st.read();
    auto& c = r.connection();
    EXPECT_EQ(schema::version_of(c), schema::current_version);
    // the three live processes (created 5, running 3, waiting 2), newest first
    auto live = r.active_processes();
    ASSERT_EQ(live.size(), 3u);
    EXPECT_EQ(live[0].pk, 5);
    EXPECT_EQ(live[1].pk, 3);
    EXPECT_EQ(live[2].pk, 2);
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE '%_on_termination'"), 0);
    EXPECT_EQ(c.scalar_int("SELECT count(*) FROM sqlite_schema WHERE name = 'node_process_live'"), 0);
    EXPECT_TRUE(r.paused(2));
  }
  // what the triggers did, write_tx does: a terminated process leaves live_process and
  // loses its checkpoint and control row, in the same transaction
  {
    auto tx = st.begin_write();
    tx.terminate(2, process_state::killed, 20, "by a test");
    tx.set_process_state(3, process_state::finished);
    tx.commit();
  }
  auto r = st.read();
  EXPECT_EQ(r.active_processes().size(), 1u);
  EXPECT_TRUE(r.checkpointed_processes().empty());
  EXPECT_FALSE(r.paused(2));
  EXPECT_EQ(st.integrity_check(), "ok");
}

// Schema version 5: version 4 after migration 4 (live processes in table live_process, no
// state triggers), before the daemon's workers and leases. Process 2 (a work chain, waiting)
// calls 3 (a calcjob, running); 5 (a calcfunction, created) is a root of its own.
std::string schema_v5() {
  return next_version(schema_v4(), 4, R"sql(
CREATE TABLE live_process(pk INTEGER PRIMARY KEY);
INSERT INTO live_process(pk) SELECT pk FROM node WHERE kind > 0 AND process_state IN ('created', 'running', 'waiting');
DROP INDEX node_process_live;
DROP TRIGGER checkpoint_drop_on_termination;
DROP TRIGGER process_control_drop_on_termination;
INSERT INTO link VALUES (2, 3, 5, 'CALL');
)sql");
}

TEST(StoreMigration, From5AddsWorkersAndLeases) {
  temp_dir d;
  write_old_database(d, schema_v5());
  store st(d.path());
  auto old = st.read();
  EXPECT_EQ(schema::version_of(old.connection()), schema::current_version);
  EXPECT_EQ(old.active_processes().size(), 3u);
  EXPECT_TRUE(old.workers().empty());
  EXPECT_EQ(old.owner_of(3).root, 2);
  EXPECT_FALSE(old.owner_of(3).queued);
  // the migrated tables are those of a fresh database
  temp_dir fresh_dir;
  store fresh(fresh_dir.path());
  auto fr = fresh.read();
  for (auto t : {"worker", "process_lease", "live_process", "node", "link"}) {
    EXPECT_EQ(columns(old.connection(), t), columns(fr.connection(), t)) << t;
  }
  EXPECT_EQ(objects(old.connection()), objects(fr.connection()));
  // the live roots of the old database were run by programs of their own: the daemon takes
  // them once handed to it, and not their children
  const auto w = st.write([](write_tx& tx) { return tx.register_worker(42, "old-host", 1000); });
  EXPECT_TRUE(st.write([&](write_tx& tx) { return tx.claim(w, 1000, 5000, 10); }).empty());
  st.write([](write_tx& tx) {
    tx.enqueue(5);
    tx.enqueue(2);
    EXPECT_THROW(tx.enqueue(3), store_error);
  });
  auto got = st.write([&](write_tx& tx) { return tx.claim(w, 1000, 5000, 10); });
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (claimed_root{2, 1, node_kind::work_chain, "my.chain"}));
  EXPECT_EQ(got[1], (claimed_root{5, 1, node_kind::calc_function, "core.add"}));
  EXPECT_EQ(old.owner_of(3).worker, w);
  EXPECT_EQ(st.integrity_check(), "ok");
}

// Schema version 6: version 5 plus the daemon's workers and leases, before packed repository
// objects. Node 1 is a SinglefileData whose object is a file of the repository.
std::string schema_v6(const std::string& object_hex) {
  return next_version(schema_v5(), 5,
                      std::string(schema::lease_ddl) +
                          fmt::format("INSERT INTO node(pk, uuid, kind, type, ctime, attributes) VALUES (100, "
                                      "x'40112233445566778899aabbccddeeff', 0, 'core.singlefile', 5000, "
                                      "'{{\"filename\":\"old.txt\",\"object\":\"{}\",\"size\":9}}');",
                                      object_hex));
}

TEST(StoreMigration, From6PacksNewSmallObjectsAndKeepsOldFiles) {
  temp_dir d;
  const auto old_object = repository(d / "repository").put("old bytes");  // a file, as before version 7
  write_old_database(d, schema_v6(old_object.object.hex()));
  store st(d.path());
  EXPECT_EQ(schema::version_of(st.read().connection()), schema::current_version);
  EXPECT_EQ(st.files().read(st.read().load<SinglefileData>(100)), "old bytes");
  const auto fresh_object = st.files().put("new bytes");
  st.write([](write_tx&) {});
  EXPECT_FALSE(std::filesystem::exists(st.files().path_of(fresh_object.object)));
  EXPECT_EQ(st.read().connection().scalar_int("SELECT count(*) FROM repository_object"), 1);
  const auto report = st.check_integrity();
  EXPECT_TRUE(report.ok()) << (report.missing.empty() ? "" : report.missing[0]);
  EXPECT_EQ(report.files.objects, 2u);  // one file, one row
  temp_dir fresh_dir;
  store fresh(fresh_dir.path());
  EXPECT_EQ(columns(st.read().connection(), "repository_object"), columns(fresh.read().connection(), "repository_object"));
  EXPECT_EQ(objects(st.read().connection()), objects(fresh.read().connection()));
}

TEST(StoreMigration, AFailedMigrationLeavesTheOldVersion) {
  temp_dir d;
  store_detail::connection c((d / "db").string());
  c.exec("CREATE TABLE node(pk INTEGER PRIMARY KEY); INSERT INTO node VALUES (1); PRAGMA user_version = 1;");
  std::vector<migration> steps = {
      {1, "adds a table then fails", [](store_detail::connection& k) {
         k.exec("CREATE TABLE half_done(x)");
         k.exec("INSERT INTO no_such_table VALUES (1)");
       }}};
  try {
    (void)schema::upgrade(c, d / "db", d / "backups", steps, 2);
    FAIL() << "failed migration reported success";
  } catch (const schema_error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("migration 1 -> 2"), std::string::npos) << w;
    EXPECT_NE(w.find("adds a table then fails"), std::string::npos) << w;
  }
  EXPECT_EQ(schema::version_of(c), 1);
  EXPECT_FALSE(schema::has_table(c, "half_done"));
  EXPECT_EQ(c.scalar_int("SELECT count(*) FROM node"), 1);
}

TEST(StoreMigration, AMissingMigrationIsAnError) {
  temp_dir d;
  store_detail::connection c((d / "db").string());
  c.exec("CREATE TABLE node(pk INTEGER PRIMARY KEY); PRAGMA user_version = 1;");
  std::vector<migration> steps = {{1, "1 to 2", [](store_detail::connection& k) { k.exec("CREATE TABLE t2(x)"); }}};
  try {
    (void)schema::upgrade(c, d / "db", d / "backups", steps, 3);
    FAIL() << "upgrade past the known migrations";
  } catch (const schema_error& e) {
    EXPECT_NE(std::string(e.what()).find("no migration from schema version 2"), std::string::npos) << e.what();
  }
  // the gap is found before anything is applied or backed up
  EXPECT_EQ(schema::version_of(c), 1);
  EXPECT_FALSE(std::filesystem::exists(d / "backups"));
}

TEST(StoreMigration, BackupsOfDatabasesMigratedAtOnceDoNotCollide) {
  temp_dir d;
  std::vector<migration> steps = {{1, "1 to 2", [](store_detail::connection& k) { k.exec("CREATE TABLE t2(x)"); }}};
  // two old databases with one file name, migrated within the same second into one backup folder
  for (const char* sub : {"a", "b"}) {
    std::filesystem::create_directories(d / sub);
    store_detail::connection c((d / sub / "db").string());
    c.exec("CREATE TABLE node(pk INTEGER PRIMARY KEY); PRAGMA user_version = 1;");
    EXPECT_EQ(schema::upgrade(c, d / sub / "db", d / "backups", steps, 2), 1);
    EXPECT_EQ(schema::version_of(c), 2);
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(d / "backups"), std::filesystem::directory_iterator{}), 2);
}

TEST(StoreMigration, EveryVersionBelowCurrentHasAMigration) {
  for (int v = 1; v < schema::current_version; ++v) {
    bool found = false;
    for (const auto& m : schema::migrations()) found |= m.from_version == v;
    EXPECT_TRUE(found) << "no migration from version " << v;
  }
}

}  // namespace
