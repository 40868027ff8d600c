#pragma once
// Read operations on one connection: nodes by pk/uuid, links, callers and children,
// ancestors/descendants (recursive CTEs over the data-provenance links), recent processes,
// logs, checkpoints, the call journal, computers. Shared by write_tx (reads inside the
// write transaction) and store::read() (a pooled read connection).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/data/any_data.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/traits.hpp>
#include <tessera/store/computer.hpp>
#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/error.hpp>
#include <tessera/store/lease.hpp>
#include <tessera/store/link.hpp>
#include <tessera/store/log.hpp>
#include <tessera/store/node.hpp>

namespace tessera {

/// One row of the "recent processes" listing.
struct process_summary {
  std::int64_t pk = 0;
  uuid id;
  node_kind kind = node_kind::calc_function;
  std::string type;
  std::string label;
  timestamp ctime{};
  std::optional<process_state> state;
  std::optional<int> exit_status;
};

/// One entry of the call journal: the engine's record of the child launched by
/// (parent, step, seq), so a replayed step finds the existing child.
struct journal_entry {
  std::int64_t parent = 0;
  std::int64_t step = 0;
  std::int64_t seq = 0;
  std::int64_t child = 0;
  friend bool operator==(const journal_entry&, const journal_entry&) = default;
};

namespace store_detail {

inline constexpr std::string_view node_columns =
    "n.pk, n.uuid, n.kind, n.type, n.label, n.description, n.ctime, n.mtime, n.attributes, "
    "n.extras, n.hash, n.process_state, n.exit_status, n.exit_message, o.tessera_version, "
    "o.plugin_name, o.plugin_version FROM node n LEFT JOIN origin o ON o.id = n.origin";

inline nlohmann::json parse_json_column(const statement& st, int c, nlohmann::json empty) {
  if (st.is_null(c)) return empty;
  return nlohmann::json::parse(st.text(c));
}

inline std::optional<digest> digest_column(const statement& st, int c) {
  if (st.is_null(c)) return std::nullopt;
  auto b = st.blob(c);
  if (b.size() != 32) throw store_error(fmt::format("invalid hash of {} bytes in database", b.size()));
  digest d;
  for (std::size_t i = 0; i < 32; ++i) d.bytes[i] = std::to_integer<std::uint8_t>(b[i]);
  return d;
}

inline std::span<const std::byte> digest_bytes(const digest& d) noexcept {
  return std::as_bytes(std::span(d.bytes));
}

inline timestamp to_timestamp(std::int64_t us) { return timestamp(std::chrono::microseconds(us)); }

inline node_record read_node_row(const statement& st) {
  node_record r;
  r.pk = st.int64(0);
  r.id = uuid::from_bytes(st.blob(1));
  r.kind = node_kind_from_int(st.int64(2));
  r.type = std::string(st.text(3));
  r.label = std::string(st.text(4));
  r.description = std::string(st.text(5));
  r.ctime = to_timestamp(st.int64(6));
  r.mtime = st.is_null(7) ? r.ctime : to_timestamp(st.int64(7));
  r.attributes = parse_json_column(st, 8, nlohmann::json::object());
  r.extras = parse_json_column(st, 9, nlohmann::json::object());
  r.hash = digest_column(st, 10);
  if (is_process(r.kind)) {
    if (!st.is_null(11)) r.state = process_state_from_string(st.text(11));
    if (!st.is_null(12)) r.exit_status = static_cast<int>(st.int64(12));
    r.exit_message = std::string(st.text(13));
    if (!st.is_null(14)) {
      r.origin = process_origin{std::string(st.text(14)), std::string(st.text(15)), std::string(st.text(16))};
    }
  }
  return r;
}

}  // namespace store_detail

class store_reader {
 public:
  explicit store_reader(store_detail::connection& c) noexcept : c_(&c) {}

  // ---- nodes ----
  [[nodiscard]] std::optional<node_record> find_node(std::int64_t pk) {
    static const std::string sql = fmt::format("SELECT {} WHERE n.pk = ?", store_detail::node_columns);
    auto st = c_->cached(sql);
    st->bind(1, pk);
    if (!st->step()) return std::nullopt;
    return store_detail::read_node_row(*st);
  }
  [[nodiscard]] std::optional<node_record> find_node(const uuid& id) {
    static const std::string sql = fmt::format("SELECT {} WHERE n.uuid = ?", store_detail::node_columns);
    auto st = c_->cached(sql);
    st->bind(1, id.span());
    if (!st->step()) return std::nullopt;
    return store_detail::read_node_row(*st);
  }
  [[nodiscard]] node_record node(std::int64_t pk) {
    if (auto r = find_node(pk)) return std::move(*r);
    throw not_found_error(fmt::format("no node with pk {}", pk));
  }
  [[nodiscard]] node_record node(const uuid& id) {
    if (auto r = find_node(id)) return std::move(*r);
    throw not_found_error(fmt::format("no node with uuid {}", id));
  }
  [[nodiscard]] std::optional<std::int64_t> pk_of(const uuid& id) {
    auto st = c_->cached("SELECT pk FROM node WHERE uuid = ?");
    st->bind(1, id.span());
    if (!st->step()) return std::nullopt;
    return st->int64(0);
  }
  [[nodiscard]] node_kind kind_of(std::int64_t pk) {
    auto st = c_->cached("SELECT kind FROM node WHERE pk = ?");
    st->bind(1, pk);
    if (!st->step()) throw not_found_error(fmt::format("no node with pk {}", pk));
    return node_kind_from_int(st->int64(0));
  }
  /// The process state of node `pk` (nullopt for data nodes); not_found_error if absent.
  [[nodiscard]] std::optional<process_state> state_of(std::int64_t pk) {
    auto st = c_->cached("SELECT kind, process_state FROM node WHERE pk = ?");
    st->bind(1, pk);
    if (!st->step()) throw not_found_error(fmt::format("no node with pk {}", pk));
    if (st->int64(0) == 0 || st->is_null(1)) return std::nullopt;
    return process_state_from_string(st->text(1));
  }
  [[nodiscard]] std::int64_t count_nodes() { return c_->scalar_int("SELECT count(*) FROM node"); }

  /// The stored value of data node `pk` as T; throws if the node holds another type.
  template <data_type T>
  [[nodiscard]] T load(std::int64_t pk) {
    auto r = node(pk);
    if (r.kind != node_kind::data || r.type != type_name_of<T>()) {
      throw store_error(fmt::format("node {} ({}) holds '{}', not '{}'", pk, r.id, r.type, type_name_of<T>()));
    }
    return data_traits<T>::deserialize(r.attributes);
  }
  /// The stored value of data node `pk`, rebuilt through the data registry.
  [[nodiscard]] any_data load_any(std::int64_t pk) {
    auto r = node(pk);
    if (r.kind != node_kind::data) {
      throw store_error(fmt::format("node {} ({}) is a {}, not a data node", pk, r.id, to_string(r.kind)));
    }
    return data_registry::global().deserialize(r.type, r.attributes);
  }

  // ---- links ----
  /// Links into `pk` (its inputs, its creator, its caller), optionally of one type.
  [[nodiscard]] std::vector<link_record> incoming(std::int64_t pk, std::optional<link_type> t = {}) {
    return links("SELECT input, output, type, label FROM link WHERE output = ?1 AND (?2 IS NULL OR type = ?2) "
                 "ORDER BY type, label, input",
                 pk, t);
  }
  /// Links out of `pk` (what it created/returned/called, or where a data node was used).
  [[nodiscard]] std::vector<link_record> outgoing(std::int64_t pk, std::optional<link_type> t = {}) {
    return links("SELECT input, output, type, label FROM link WHERE input = ?1 AND (?2 IS NULL OR type = ?2) "
                 "ORDER BY type, label, output",
                 pk, t);
  }
  /// Processes called by workflow `pk` (CALL_CALC and CALL_WORK), by pk.
  [[nodiscard]] std::vector<std::int64_t> children(std::int64_t pk) {
    return pks("SELECT output FROM link WHERE input = ? AND type IN (5, 6) ORDER BY output", pk);
  }
  /// The workflow that called process `pk`, if any.
  [[nodiscard]] std::optional<std::int64_t> caller(std::int64_t pk) {
    auto v = pks("SELECT input FROM link WHERE output = ? AND type IN (5, 6) LIMIT 1", pk);
    if (v.empty()) return std::nullopt;
    return v.front();
  }
  /// The calculation that created data node `pk`, if any.
  [[nodiscard]] std::optional<std::int64_t> creator(std::int64_t pk) {
    auto v = pks("SELECT input FROM link WHERE output = ? AND type = 3 LIMIT 1", pk);
    if (v.empty()) return std::nullopt;
    return v.front();
  }
  /// Every node reachable backwards through INPUT_CALC and CREATE links, by pk.
  [[nodiscard]] std::vector<std::int64_t> ancestors(std::int64_t pk) {
    return pks(
        "WITH RECURSIVE a(pk) AS (SELECT input FROM link WHERE output = ?1 AND type IN (1, 3) "
        "UNION SELECT l.input FROM link l JOIN a ON l.output = a.pk WHERE l.type IN (1, 3)) "
        "SELECT pk FROM a ORDER BY pk",
        pk);
  }
  /// Every node reachable forwards through INPUT_CALC and CREATE links, by pk.
  [[nodiscard]] std::vector<std::int64_t> descendants(std::int64_t pk) {
    return pks(
        "WITH RECURSIVE d(pk) AS (SELECT output FROM link WHERE input = ?1 AND type IN (1, 3) "
        "UNION SELECT l.output FROM link l JOIN d ON l.input = d.pk WHERE l.type IN (1, 3)) "
        "SELECT pk FROM d ORDER BY pk",
        pk);
  }

  // ---- processes ----
  /// The `limit` most recently created process nodes, newest first (partial index on ctime).
  [[nodiscard]] std::vector<process_summary> recent_processes(std::size_t limit = 50) {
    return summaries(
        "SELECT pk, uuid, kind, type, label, ctime, process_state, exit_status FROM node "
        "WHERE kind > 0 ORDER BY ctime DESC, pk DESC LIMIT ?",
        limit);
  }
  /// The `limit` most recently created live (created, running or waiting) process nodes,
  /// newest first (table live_process: cost independent of finished ones).
  [[nodiscard]] std::vector<process_summary> active_processes(std::size_t limit = 1000) {
    return summaries(
        "SELECT n.pk, n.uuid, n.kind, n.type, n.label, n.ctime, n.process_state, n.exit_status "
        "FROM live_process l JOIN node n ON n.pk = l.pk ORDER BY n.ctime DESC, n.pk DESC LIMIT ?",
        limit);
  }
  /// Processes that have a checkpoint (the live ones the engine can resume), by pk.
  [[nodiscard]] std::vector<std::int64_t> checkpointed_processes() {
    auto st = c_->cached("SELECT node FROM checkpoint ORDER BY node");
    std::vector<std::int64_t> out;
    while (st->step()) out.push_back(st->int64(0));
    return out;
  }
  /// Process nodes whose caching hash is `h` (for the engine's cache lookup), by pk.
  [[nodiscard]] std::vector<std::int64_t> processes_with_hash(const digest& h) {
    auto st = c_->cached("SELECT pk FROM node WHERE kind > 0 AND hash = ? ORDER BY pk");
    st->bind(1, store_detail::digest_bytes(h));
    std::vector<std::int64_t> out;
    while (st->step()) out.push_back(st->int64(0));
    return out;
  }

  // ---- logs, checkpoints, journal ----
  [[nodiscard]] std::vector<log_entry> logs(std::int64_t pk) {
    auto st = c_->cached("SELECT id, node, time, level, message, metadata FROM log WHERE node = ? ORDER BY id");
    st->bind(1, pk);
    std::vector<log_entry> out;
    while (st->step()) {
      log_entry e;
      e.id = st->int64(0);
      e.node = st->int64(1);
      e.time = store_detail::to_timestamp(st->int64(2));
      e.level = static_cast<log_level>(st->int64(3));
      e.message = std::string(st->text(4));
      e.metadata = store_detail::parse_json_column(*st, 5, nlohmann::json::object());
      out.push_back(std::move(e));
    }
    return out;
  }
  /// The current checkpoint of process `pk` (bytes as the engine wrote them), if any.
  [[nodiscard]] std::optional<std::string> checkpoint(std::int64_t pk) {
    auto st = c_->cached("SELECT data FROM checkpoint WHERE node = ?");
    st->bind(1, pk);
    if (!st->step()) return std::nullopt;
    auto b = st->blob(0);
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
  }
  [[nodiscard]] std::optional<std::int64_t> journaled_call(std::int64_t parent, std::int64_t step, std::int64_t seq) {
    auto st = c_->cached("SELECT child FROM call_journal WHERE parent = ? AND step = ? AND seq = ?");
    st->bind_all(parent, step, seq);
    if (!st->step()) return std::nullopt;
    return st->int64(0);
  }
  [[nodiscard]] std::vector<journal_entry> journal(std::int64_t parent) {
    auto st = c_->cached("SELECT parent, step, seq, child FROM call_journal WHERE parent = ? ORDER BY step, seq");
    st->bind(1, parent);
    std::vector<journal_entry> out;
    while (st->step()) out.push_back({st->int64(0), st->int64(1), st->int64(2), st->int64(3)});
    return out;
  }

  /// Whether live process `pk` is paused.
  [[nodiscard]] bool paused(std::int64_t pk) {
    auto st = c_->cached("SELECT paused FROM process_control WHERE node = ?");
    st->bind(1, pk);
    return st->step() && st->int64(0) != 0;
  }
  /// Every paused process, by pk.
  [[nodiscard]] std::vector<std::int64_t> paused_processes() {
    auto st = c_->cached("SELECT node FROM process_control WHERE paused != 0 ORDER BY node");
    std::vector<std::int64_t> out;
    while (st->step()) out.push_back(st->int64(0));
    return out;
  }

  // ---- daemon workers and their leases (see lease.hpp) ----
  /// Fencing check: `worker` still holds root `pk` at `generation` (nobody claimed it since)
  /// and has not been declared lost or stopped. Inside a write unit, the unit's writes are
  /// then its owner's.
  [[nodiscard]] bool holds(std::int64_t worker, std::int64_t pk, std::int64_t generation) {
    auto st = c_->cached(
        "SELECT 1 FROM process_lease p JOIN worker w ON w.id = p.worker WHERE p.pk = ? AND p.worker = ? AND "
        "p.generation = ? AND w.state IN ('running', 'stopping')");
    st->bind_all(pk, worker, generation);
    return st->step();
  }
  /// Every worker ever registered, by id, with the number of roots each holds.
  [[nodiscard]] std::vector<worker_record> workers() {
    auto st = c_->cached(
        "SELECT w.id, w.pid, w.host, w.started, w.heartbeat, w.state, "
        "(SELECT count(*) FROM process_lease p WHERE p.worker = w.id) FROM worker w ORDER BY w.id");
    std::vector<worker_record> out;
    while (st->step()) {
      out.push_back({st->int64(0), st->int64(1), std::string(st->text(2)), st->int64(3), st->int64(4),
                     worker_state_from_string(st->text(5)), st->int64(6)});
    }
    return out;
  }
  /// Who drives process `pk`: its nearest ancestor-or-self with a lease row (a root handed
  /// to the daemon, or a child handed off), else the root of its call tree; and that
  /// lease.
  [[nodiscard]] process_owner owner_of(std::int64_t pk) {
    (void)kind_of(pk);  // throws not_found_error naming the pk
    process_owner o;
    auto st = c_->cached("SELECT worker, generation, expires FROM process_lease WHERE pk = ?");
    // The call graph is a forest, so the walk up ends; two lookups by key per level.
    for (std::optional<std::int64_t> at = pk; at; at = caller(*at)) {
      o.root = *at;
      st->reset();
      st->bind(1, *at);
      if (st->step()) {
        o.queued = true;
        o.worker = st->int64(0);
        o.generation = st->int64(1);
        o.expires = st->int64(2);
        break;
      }
    }
    return o;
  }

  // ---- computers ----
  [[nodiscard]] std::optional<computer_record> find_computer(std::string_view label) {
    auto st = c_->cached(
        "SELECT pk, uuid, label, hostname, description, transport, scheduler, workdir, settings "
        "FROM computer WHERE label = ?");
    st->bind(1, label);
    if (!st->step()) return std::nullopt;
    computer_record r;
    r.pk = st->int64(0);
    r.id = uuid::from_bytes(st->blob(1));
    r.label = std::string(st->text(2));
    r.hostname = std::string(st->text(3));
    r.description = std::string(st->text(4));
    r.transport = std::string(st->text(5));
    r.scheduler = std::string(st->text(6));
    r.workdir = std::string(st->text(7));
    r.settings = nlohmann::json::parse(st->text(8));
    return r;
  }
  [[nodiscard]] computer_record computer(std::string_view label) {
    if (auto r = find_computer(label)) return std::move(*r);
    throw not_found_error(fmt::format("no computer labelled '{}'", label));
  }

  /// A short description of a node for error messages: "node 12 (CalcJobNode 'x', uuid ...)".
  [[nodiscard]] std::string describe(std::int64_t pk) {
    auto st = c_->cached("SELECT kind, type, uuid FROM node WHERE pk = ?");
    st->bind(1, pk);
    if (!st->step()) return fmt::format("node {} (does not exist)", pk);
    return fmt::format("node {} ({} '{}', uuid {})", pk, to_string(node_kind_from_int(st->int64(0))), st->text(1),
                       uuid::from_bytes(st->blob(2)));
  }

  [[nodiscard]] store_detail::connection& connection() noexcept { return *c_; }

 protected:
  void rebind(store_detail::connection& c) noexcept { c_ = &c; }

 private:
  std::vector<link_record> links(std::string_view sql, std::int64_t pk, std::optional<link_type> t) {
    auto st = c_->cached(sql);
    st->bind(1, pk);
    if (t) st->bind(2, static_cast<std::int64_t>(*t));
    std::vector<link_record> out;
    while (st->step()) {
      out.push_back({st->int64(0), st->int64(1), link_type_from_int(st->int64(2)), std::string(st->text(3))});
    }
    return out;
  }
  std::vector<process_summary> summaries(std::string_view sql, std::size_t limit) {
    auto st = c_->cached(sql);
    st->bind(1, static_cast<std::int64_t>(limit));
    std::vector<process_summary> out;
    while (st->step()) {
      process_summary p;
      p.pk = st->int64(0);
      p.id = uuid::from_bytes(st->blob(1));
      p.kind = node_kind_from_int(st->int64(2));
      p.type = std::string(st->text(3));
      p.label = std::string(st->text(4));
      p.ctime = store_detail::to_timestamp(st->int64(5));
      if (!st->is_null(6)) p.state = process_state_from_string(st->text(6));
      if (!st->is_null(7)) p.exit_status = static_cast<int>(st->int64(7));
      out.push_back(std::move(p));
    }
    return out;
  }
  std::vector<std::int64_t> pks(std::string_view sql, std::int64_t pk) {
    auto st = c_->cached(sql);
    st->bind(1, pk);
    std::vector<std::int64_t> out;
    while (st->step()) out.push_back(st->int64(0));
    return out;
  }

  store_detail::connection* c_;
};

}  // namespace tessera
