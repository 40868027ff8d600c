#pragma once
// The current database schema (version 7). Why it looks like this:
// - node.pk is the rowid; uuid is a 16-byte BLOB; kind is a small integer; empty label,
//   description, attributes and extras are NULL (0 bytes in the record), mtime is NULL until
//   the node is first modified: a data node row is ~60-90 bytes.
// - attributes/extras are compact JSON text (Debian 12's SQLite 3.40 has no JSONB), queried
//   with json_extract / ->.
// - link is WITHOUT ROWID with PRIMARY KEY(input, type, label, output): the table is its own
//   index for "outgoing links of X" (descendants, output-label uniqueness); link_output serves
//   "incoming links of X" (ancestors, input-label uniqueness, one creator, one caller).
// - process nodes only get partial indexes: by ctime (recent listing) and by hash (caching).
// - live_process lists the live (created/running/waiting) processes by pk: tiny, it makes
//   "active processes" instant and costs a calculation two cheap row writes.
// - process versions are interned in `origin` (a process row holds one small integer).
// - checkpoint holds one row per live process (work chains, later calcjobs).
// - call_journal keys (parent, step, seq) -> child for the engine's deterministic replay.
// - process_control holds the paused flag of live processes (set by any OS process: the CLI,
//   another runner).
// - No triggers maintain rows: write_tx drops a process's live_process, checkpoint and
//   process_control rows in the statement group that terminates it (see write_tx::terminate).
// - worker and process_lease record which daemon worker drives which root process (see
//   lease.hpp); terminating a process does not touch them (heartbeats drop stale leases).
// - repository_object holds the file repository's small objects (see repository.hpp): one
//   row instead of one file each, committed with the nodes that refer to them.
#include <string>
#include <string_view>

namespace tessera::schema {

inline constexpr int current_version = 7;

/// Tables shared with migrations (defined once).
inline constexpr std::string_view origin_ddl = R"sql(
CREATE TABLE origin(
  id INTEGER PRIMARY KEY,
  tessera_version TEXT NOT NULL,
  plugin_name TEXT NOT NULL,
  plugin_version TEXT NOT NULL,
  UNIQUE(tessera_version, plugin_name, plugin_version)
);
)sql";
inline constexpr std::string_view live_process_index_ddl = R"sql(
CREATE INDEX node_process_live ON node(ctime)
  WHERE kind > 0 AND process_state IN ('created', 'running', 'waiting');
)sql";
inline constexpr std::string_view call_journal_ddl = R"sql(
CREATE TABLE call_journal(
  parent INTEGER NOT NULL,
  step INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  child INTEGER NOT NULL,
  PRIMARY KEY(parent, step, seq)
) WITHOUT ROWID;
)sql";

inline constexpr std::string_view process_control_ddl = R"sql(
CREATE TABLE process_control(
  node INTEGER PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  message TEXT
);
CREATE TRIGGER process_control_drop_on_termination
AFTER UPDATE OF process_state ON node
WHEN new.process_state IN ('finished', 'excepted', 'killed')
BEGIN
  DELETE FROM process_control WHERE node = new.pk;
END;
)sql";

// Version 5: live processes are rows of their own table instead of a partial index on
// node(process_state): an index whose predicate a terminating UPDATE flips cost each
// calculation about a fifth of its commit time, a one-column table a few microseconds.
// The rows (and a terminated process's checkpoint and control row) are kept by write_tx,
// not by triggers: an AFTER UPDATE trigger made every state change a sub-program.
inline constexpr std::string_view live_process_ddl = R"sql(
CREATE TABLE live_process(
  pk INTEGER PRIMARY KEY
);
)sql";
inline constexpr std::string_view process_control_table_ddl = R"sql(
CREATE TABLE process_control(
  node INTEGER PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0,
  message TEXT
);
)sql";

// Version 6: the workers of a daemon and the root processes they hold. AUTOINCREMENT: a
// worker id is never reused, so a lease or log naming a dead worker cannot name a new one.
// process_lease.worker is 0 for a root handed back; generation is the fencing token.
/// The file repository's small objects: key = BLAKE2b-256 of content (32 bytes). A rowid
/// table (not WITHOUT ROWID: rows of up to 64 KiB would overflow its pages).
inline constexpr std::string_view repository_object_ddl = R"sql(
CREATE TABLE repository_object(
  key BLOB NOT NULL UNIQUE CHECK(length(key) = 32),
  content BLOB NOT NULL
);
)sql";

inline constexpr std::string_view lease_ddl = R"sql(
CREATE TABLE worker(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pid INTEGER NOT NULL,
  host TEXT NOT NULL,
  started INTEGER NOT NULL,
  heartbeat INTEGER NOT NULL,
  state TEXT NOT NULL CHECK(state IN ('running', 'stopping', 'stopped', 'lost'))
);
CREATE TABLE process_lease(
  pk INTEGER PRIMARY KEY,
  worker INTEGER NOT NULL,
  expires INTEGER NOT NULL,
  generation INTEGER NOT NULL
);
CREATE INDEX process_lease_worker ON process_lease(worker);
)sql";

/// The DDL of a fresh database at current_version.
inline std::string create_current() {
  std::string s;
  s += R"sql(
CREATE TABLE setting(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

)sql";
  s += origin_ddl;
  s += R"sql(

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
)sql";
  s += live_process_ddl;
  s += R"sql(

CREATE TRIGGER node_identity_immutable BEFORE UPDATE OF uuid, kind, type, ctime ON node
BEGIN
  SELECT RAISE(ABORT, 'tessera: uuid, kind, type and ctime of a stored node are immutable');
END;
CREATE TRIGGER node_content_immutable BEFORE UPDATE OF attributes, hash ON node
WHEN old.kind = 0 OR old.process_state IN ('finished', 'excepted', 'killed')
BEGIN
  SELECT RAISE(ABORT, 'tessera: attributes and hash of a stored data node or terminated process are immutable');
END;

CREATE TABLE link(
  input INTEGER NOT NULL,
  output INTEGER NOT NULL,
  type INTEGER NOT NULL CHECK(type BETWEEN 1 AND 6),
  label TEXT NOT NULL,
  PRIMARY KEY(input, type, label, output)
) WITHOUT ROWID;
CREATE INDEX link_output ON link(output, type, label);

CREATE TABLE log(
  id INTEGER PRIMARY KEY,
  node INTEGER NOT NULL,
  time INTEGER NOT NULL,
  level INTEGER NOT NULL,
  message TEXT NOT NULL,
  metadata TEXT
);
CREATE INDEX log_node ON log(node);

CREATE TABLE checkpoint(
  node INTEGER PRIMARY KEY,
  data BLOB NOT NULL
);

)sql";
  s += call_journal_ddl;
  s += process_control_table_ddl;
  s += R"sql(

CREATE TABLE computer(
  pk INTEGER PRIMARY KEY,
  uuid BLOB NOT NULL UNIQUE,
  label TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL,
  description TEXT NOT NULL,
  transport TEXT NOT NULL,
  scheduler TEXT NOT NULL,
  workdir TEXT NOT NULL,
  settings TEXT NOT NULL
);
)sql";
  s += lease_ddl;
  s += repository_object_ddl;
  return s;
}

}  // namespace tessera::schema
