#pragma once
// Exceptions thrown by the provenance store. Every message names what was wrong:
// the node pks/uuids, the link type and the rule, the file path, the SQL step.
#include <stdexcept>
#include <string>

namespace tessera {

/// Base class of every error raised by tessera::store and its helpers.
class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// SQLite reported an error (message includes the SQLite error text and the statement).
class sqlite_error : public store_error {
 public:
  sqlite_error(const std::string& what, int code) : store_error(what), code_(code) {}
  [[nodiscard]] int code() const noexcept { return code_; }

 private:
  int code_;
};

/// The database schema is newer than this library, or a migration failed.
class schema_error : public store_error {
 public:
  using store_error::store_error;
};

/// A link violates one of the AiiDA 1.0 link rules (message names both nodes and the rule).
class link_rule_error : public store_error {
 public:
  using store_error::store_error;
};

/// Something tried to change an immutable part of a stored node (attributes, type, files).
class immutable_node_error : public store_error {
 public:
  using store_error::store_error;
};

/// A node, computer, code or file that was asked for does not exist.
class not_found_error : public store_error {
 public:
  using store_error::store_error;
};

/// The file repository found a missing or corrupted object, or could not write one.
class repository_error : public store_error {
 public:
  using store_error::store_error;
};

/// A worker of a daemon may no longer drive its processes: it was declared lost (it missed
/// its heartbeat deadline) or stopped, so other workers may own its roots already.
class worker_fenced_error : public store_error {
 public:
  using store_error::store_error;
};

/// A query was built wrongly (unknown tag, relation to a later tag, bad projection).
class query_error : public store_error {
 public:
  using store_error::store_error;
};

}  // namespace tessera
