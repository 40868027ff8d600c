#pragma once
// One unit of work: everything written through a write_tx becomes durable together, or not
// at all (nodes, links, logs, process state and exit fields, checkpoint, call journal).
//   auto tx = st.begin_write();            // BEGIN IMMEDIATE on the store's writer connection
//   auto calc = tx.add_node({...});
//   tx.add_link(x.pk, calc.pk, link_type::input_calc, "x");
//   tx.set_checkpoint(calc.pk, bytes);
//   tx.commit();                           // or destroy it: rolled back
// Inside store::write()/submit() (group commit) the same write_tx is handed to the unit;
// the group committer commits, so the unit must not call commit().
#include <array>
#include <utility>
#include <vector>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/data/any_data.hpp>
#include <tessera/data/traits.hpp>
#include <tessera/store/computer.hpp>
#include <tessera/store/detail/sqlite.hpp>
#include <tessera/store/error.hpp>
#include <tessera/store/lease.hpp>
#include <tessera/store/link.hpp>
#include <tessera/store/log.hpp>
#include <tessera/store/node.hpp>
#include <tessera/store/reader.hpp>

namespace tessera {

class write_tx : public store_reader {
 public:
  /// Direct mode: takes the writer lock and begins an IMMEDIATE transaction.
  write_tx(store_detail::connection& c, std::mutex& writer, std::chrono::milliseconds retry_for)
      : store_reader(c), lock_(writer) {
    tx_ = std::make_unique<store_detail::immediate_transaction>(c, retry_for);
  }
  /// Group-commit mode: runs inside a transaction someone else owns.
  struct in_batch_t {};
  write_tx(store_detail::connection& c, in_batch_t) : store_reader(c), batch_(true) {}

  write_tx(const write_tx&) = delete;
  write_tx& operator=(const write_tx&) = delete;
  write_tx(write_tx&&) = default;
  write_tx& operator=(write_tx&&) = delete;
  ~write_tx() = default;  // tx_ rolls back if not committed, then lock_ releases

  void commit() {
    if (batch_) {
      throw store_error("commit() called inside a group-commit unit: the group committer commits the batch");
    }
    if (!tx_ || !tx_->active()) throw store_error("commit() of a write transaction that already ended");
    if (before_commit_) before_commit_();  // throws: nothing committed, the destructor rolls back
    tx_->commit();
    committed();
    if (lock_.owns_lock()) lock_.unlock();
    if (after_commit_) std::exchange(after_commit_, nullptr)();
  }
  /// Direct mode: `before` runs inside the transaction just before COMMIT, `after` once it
  /// committed (the store writes its repository's pending objects in, then tells the
  /// repository they are in the database).
  void around_commit(std::function<void()> before, std::function<void()> after) {
    before_commit_ = std::move(before);
    after_commit_ = std::move(after);
  }
  /// The transaction this write_tx wrote in has committed: what it learnt about the nodes
  /// it added is now true for good (the group committer calls it after a batch's COMMIT).
  void committed() noexcept {
    auto& memo = connection().memo();
    for (const auto& [pk, kind] : added_) memo.remember(pk, static_cast<std::uint8_t>(kind));
    added_.clear();
  }
  void rollback() {
    if (batch_) throw store_error("rollback() inside a group-commit unit: throw to roll the unit back");
    if (tx_) tx_->rollback();
    if (lock_.owns_lock()) lock_.unlock();
  }
  [[nodiscard]] bool active() const noexcept { return batch_ || (tx_ && tx_->active()); }
  /// Drops cached facts about nodes added so far (the group committer calls it after rolling
  /// a failed unit back to its savepoint).
  void forget_recent() noexcept {
    added_.clear();  // some were rolled back; the others are simply not remembered
    last_origin_id_ = 0;  // it may have been inserted by the unit rolled back
    for (auto& r : recent_) r = {};
    recent_next_ = 0;
  }

  // ---- nodes ----
  node_ref add_node(const new_node& n) {
    check_active();
    if (n.type.empty()) {
      throw store_error(fmt::format("cannot store a {} with an empty type name", to_string(n.kind)));
    }
    if (is_process(n.kind) && n.origin.tessera_version.empty()) {
      throw store_error(fmt::format("cannot store {} '{}' without origin.tessera_version: every process node "
                                    "records the tessera version (and plugin name and version) that ran it",
                                    to_string(n.kind), n.type));
    }
    const uuid id = n.id ? *n.id : uuid::generate();
    const auto ctime = (n.ctime ? *n.ctime : now_timestamp()).time_since_epoch().count();
    const bool process = is_process(n.kind);
    std::optional<std::int64_t> origin;
    if (process) origin = origin_id(n.origin);
    auto st = connection().cached(
        "INSERT INTO node(uuid, kind, type, label, description, ctime, attributes, extras, hash, "
        "process_state, exit_status, exit_message, origin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
    st->bind(1, id.span());
    st->bind(2, static_cast<std::int64_t>(n.kind));
    st->bind(3, n.type);
    bind_text_or_null(*st, 4, n.label);
    bind_text_or_null(*st, 5, n.description);
    st->bind(6, static_cast<std::int64_t>(ctime));
    bind_json_or_null(*st, 7, n.attributes);
    bind_json_or_null(*st, 8, n.extras);
    if (n.hash) st->bind(9, store_detail::digest_bytes(*n.hash));
    if (process) {
      st->bind(10, to_string(n.state));
      st->bind(11, n.exit_status ? std::optional<std::int64_t>(*n.exit_status) : std::nullopt);
      bind_text_or_null(*st, 12, n.exit_message);
      st->bind(13, origin);
    }
    try {
      st->step();
    } catch (const sqlite_error& e) {
      if ((e.code() & 0xff) == SQLITE_CONSTRAINT && pk_of(id)) {
        throw store_error(fmt::format("cannot store node: a node with uuid {} already exists", id));
      }
      throw;
    }
    const auto pk = connection().last_insert_rowid();
    if (process && !is_terminal(n.state)) {
      auto live = connection().cached("INSERT INTO live_process(pk) VALUES (?)");
      live->bind(1, pk);
      live->step();
    }
    if (first_added_ == 0) first_added_ = pk;
    if (added_.size() < store_detail::committed_memo::size) added_.push_back({pk, n.kind});
    auto& slot = recent_[recent_next_++ % recent_.size()];
    slot.pk = pk;
    slot.kind = n.kind;
    slot.in_labels.clear();
    slot.out_labels.clear();
    return {pk, id};
  }

  /// Stores a data value as a new data node (attributes = serialized value, hash = content hash).
  template <data_type T>
  node_ref add_data(const T& value, std::string label = {}, std::string description = {}) {
    new_node n;
    n.type = std::string(type_name_of<T>());
    n.attributes = data_traits<T>::serialize(value);
    n.hash = content_hash(value);
    n.label = std::move(label);
    n.description = std::move(description);
    return add_node(n);
  }
  node_ref add_data(const any_data& value, std::string label = {}, std::string description = {}) {
    if (!value.has_value()) throw store_error("cannot store an empty any_data");
    new_node n;
    n.type = std::string(value.type_name());
    n.attributes = value.serialize();
    n.hash = value.hash();
    n.label = std::move(label);
    n.description = std::move(description);
    return add_node(n);
  }

  // ---- links ----
  /// Adds a link, enforcing the AiiDA 1.0 rules. Throws link_rule_error naming both nodes and
  /// the rule; the transaction stays usable (nothing was written).
  void add_link(std::int64_t in, std::int64_t out, link_type t, std::string_view label) {
    check_active();
    const auto lt = static_cast<std::int64_t>(t);
    if (label.empty()) {
      throw link_rule_error(fmt::format("{} link from {} to {} needs a label", to_string(t), describe(in), describe(out)));
    }
    const node_kind kin = kind_or_throw(in, "source", t);
    const node_kind kout = kind_or_throw(out, "target", t);
    if (!endpoints_allowed(t, kin, kout)) {
      fail(t, label, in, out, endpoint_rule(t));
    }
    // A node this transaction created moments ago has only the links this transaction gave
    // it, which are known here: the rules that look at its links need no query.
    recent_node* rin = find_recent(in);
    recent_node* rout = find_recent(out);
    if (rout && (t == link_type::create || t == link_type::input_calc || is_call(t))) {
      // new `out`: no creator, not yet an input, created nothing, no caller, calls nothing
      if (in == out) fail(t, label, in, out, "a workflow cannot call itself");
      if (t == link_type::create) {
        for (const auto& l : rout->out_labels) {
          if (l.type == link_type::input_calc || l.type == link_type::input_work) {
            fail(t, label, in, out,
                 fmt::format("causality: the data node is already an input of {}, so it cannot be created later",
                             describe(l.other)));
          }
        }
        for (const auto& l : rout->in_labels) {
          if (l.type == link_type::create) {
            fail(t, label, in, out,
                 fmt::format("a data node is created by at most one calculation, and {} already created it",
                             describe(l.other)));
          }
        }
      }
      if (t == link_type::input_calc) {
        for (const auto& l : rout->out_labels) {
          if (l.type == link_type::create) {
            fail(t, label, in, out,
                 fmt::format("causality: the calculation already created {}, so it cannot take new inputs",
                             describe(l.other)));
          }
        }
      }
      if (is_call(t)) {
        for (const auto& l : rout->in_labels) {
          if (is_call(l.type)) {
            fail(t, label, in, out,
                 fmt::format("a process is called by at most one workflow, and {} already called it", describe(l.other)));
          }
        }
        bool calls_something = false;
        for (const auto& l : rout->out_labels) calls_something = calls_something || is_call(l.type);
        if (calls_something) {
          for (auto cur = caller(in); cur; cur = caller(*cur)) {
            if (*cur == out) fail(t, label, in, out, "the call would make a cycle: the callee is already a caller of the caller");
          }
        }
      }
    } else {
      // `out` existed before this transaction: its links must be read from the database
      if (t == link_type::create) {
        if (auto c = first("SELECT input FROM link WHERE output = ? AND type = 3 LIMIT 1", out)) {
          fail(t, label, in, out,
               fmt::format("a data node is created by at most one calculation, and {} already created it", describe(*c)));
        }
        // Causality (keeps the data provenance acyclic): a node already used as an input
        // cannot be created afterwards.
        if (auto p = first("SELECT output FROM link WHERE input = ? AND type IN (1, 2) LIMIT 1", out)) {
          fail(t, label, in, out,
               fmt::format("causality: the data node is already an input of {}, so it cannot be created later",
                           describe(*p)));
        }
      }
      if (t == link_type::input_calc) {
        // Causality: a calculation takes its inputs before it creates outputs.
        if (auto d = first("SELECT output FROM link WHERE input = ? AND type = 3 LIMIT 1", out)) {
          fail(t, label, in, out,
               fmt::format("causality: the calculation already created {}, so it cannot take new inputs",
                           describe(*d)));
        }
      }
      if (is_call(t)) {
        if (auto c = first("SELECT input FROM link WHERE output = ? AND type IN (5, 6) LIMIT 1", out)) {
          fail(t, label, in, out,
               fmt::format("a process is called by at most one workflow, and {} already called it", describe(*c)));
        }
        if (in == out) fail(t, label, in, out, "a workflow cannot call itself");
        // The call graph is a forest: `out` must not be a caller of `in` (at any depth).
        for (auto cur = caller(in); cur; cur = caller(*cur)) {
          if (*cur == out) fail(t, label, in, out, "the call would make a cycle: the callee is already a caller of the caller");
        }
      }
    }
    if (is_input(t) && rout) {
      for (const auto& l : rout->in_labels) {
        if (l.type == t && l.label == label) {
          fail(t, label, in, out,
               fmt::format("input labels are unique per process, and {} is already its input '{}'", describe(l.other), label));
        }
      }
    } else if (is_input(t)) {
      auto st = connection().cached("SELECT input FROM link WHERE output = ? AND type = ? AND label = ? LIMIT 1");
      st->bind_all(out, lt, label);
      if (st->step()) {
        const auto other = st->int64(0);
        fail(t, label, in, out,
             fmt::format("input labels are unique per process, and {} is already its input '{}'", describe(other), label));
      }
    }
    if (is_output(t) && rin) {
      for (const auto& l : rin->out_labels) {
        if (l.type == t && l.label == label) {
          fail(t, label, in, out,
               fmt::format("output labels are unique per process, and {} is already its output '{}'", describe(l.other), label));
        }
      }
    } else if (is_output(t)) {
      auto st = connection().cached("SELECT output FROM link WHERE input = ? AND type = ? AND label = ? LIMIT 1");
      st->bind_all(in, lt, label);
      if (st->step()) {
        const auto other = st->int64(0);
        fail(t, label, in, out,
             fmt::format("output labels are unique per process, and {} is already its output '{}'", describe(other), label));
      }
    }
    auto st = connection().cached("INSERT INTO link(input, output, type, label) VALUES (?,?,?,?)");
    st->bind_all(in, out, lt, label);
    try {
      st->step();
    } catch (const sqlite_error& e) {
      if ((e.code() & 0xff) == SQLITE_CONSTRAINT) {
        fail(t, label, in, out, "the same link already exists");
      }
      throw;
    }
    if (rin) rin->out_labels.push_back({t, std::string(label), out});
    if (rout) rout->in_labels.push_back({t, std::string(label), in});
  }

  // ---- process fields (mutable while the process lives) ----
  /// Terminal states (finished, excepted, killed) are final: leaving one is an error.
  void set_process_state(std::int64_t pk, process_state s) {
    auto st = connection().cached(
        "UPDATE node SET process_state = ?1, mtime = ?2 WHERE pk = ?3 AND kind > 0 AND "
        "(process_state IS NULL OR process_state = ?1 OR process_state NOT IN ('finished', 'excepted', 'killed'))");
    st->bind_all(to_string(s), now_us(), pk);
    st->step();
    if (connection().changes() == 0) {
      if (auto cur = state_of(pk); cur && is_terminal(*cur)) {
        throw store_error(fmt::format("cannot set the process state of {} to {}: it has terminated ({})", describe(pk),
                                      to_string(s), to_string(*cur)));
      }
    }
    expect_process_changed(pk, "set the process state of");
    if (is_terminal(s)) drop_live_rows(pk);
  }
  void set_exit(std::int64_t pk, int exit_status, std::string_view message = {}) {
    auto st = connection().cached("UPDATE node SET exit_status = ?, exit_message = ?, mtime = ? WHERE pk = ? AND kind > 0");
    st->bind(1, static_cast<std::int64_t>(exit_status));
    bind_text_or_null(*st, 2, message);
    st->bind(3, now_us());
    st->bind(4, pk);
    st->step();
    expect_process_changed(pk, "set the exit status of");
  }
  /// Ends live process `pk`: its terminal state and exit status in one statement.
  void terminate(std::int64_t pk, process_state s, int exit_status, std::string_view message = {}) {
    if (!try_terminate(pk, s, exit_status, message)) {
      const auto cur = state_of(pk);
      throw store_error(fmt::format("cannot end {} as {}: it has terminated ({})", describe(pk), to_string(s),
                                    cur ? to_string(*cur) : std::string_view("?")));
    }
  }
  /// As terminate(), but returns false (and changes nothing) if `pk` has already terminated,
  /// e.g. killed by another program: the update is its own liveness check.
  [[nodiscard]] bool try_terminate(std::int64_t pk, process_state s, int exit_status, std::string_view message = {}) {
    if (!is_terminal(s)) throw store_error(fmt::format("terminate({}) needs a terminal state, not {}", pk, to_string(s)));
    auto st = connection().cached(
        "UPDATE node SET process_state = ?1, exit_status = ?2, exit_message = ?3, mtime = ?4 WHERE pk = ?5 AND "
        "kind > 0 AND (process_state IS NULL OR process_state NOT IN ('finished', 'excepted', 'killed'))");
    st->bind(1, to_string(s));
    st->bind(2, static_cast<std::int64_t>(exit_status));
    bind_text_or_null(*st, 3, message);
    st->bind(4, now_us());
    st->bind(5, pk);
    st->step();
    if (connection().changes() == 0) {
      if (auto cur = state_of(pk); cur && is_terminal(*cur)) return false;
    }
    expect_process_changed(pk, "end");
    drop_live_rows(pk);
    return true;
  }
  /// Sets the caching hash of a live process node.
  void set_hash(std::int64_t pk, const digest& h) {
    auto r = node(pk);
    check_attributes_mutable(r, "set the hash of");
    auto st = connection().cached("UPDATE node SET hash = ?, mtime = ? WHERE pk = ?");
    st->bind(1, store_detail::digest_bytes(h));
    st->bind(2, now_us());
    st->bind(3, pk);
    st->step();
  }
  /// Attributes of a process node may change until it terminates (e.g. a calcjob's job id);
  /// those of data nodes never: immutable_node_error.
  void set_attribute(std::int64_t pk, std::string_view key, const nlohmann::json& value) {
    auto one = nlohmann::json::object();
    one[std::string(key)] = value;
    set_attributes(pk, one);
  }
  /// Sets several attributes at once, each key of `values` (a JSON object) replacing that
  /// attribute, under set_attribute's rules. One read and one write of the row, whatever the
  /// number of keys: a calcjob sets up to five at each stage. Only kind, state and attributes
  /// are read (not the whole row, extras and origin included).
  void set_attributes(std::int64_t pk, const nlohmann::json& values) {
    if (!values.is_object()) {
      throw store_error(fmt::format("cannot set the attributes of node {}: they must be given as a JSON object, not {}",
                                    pk, values.type_name()));
    }
    // The errors name the keys; the message is built only when one is thrown.
    const auto what = [&values] {
      std::string keys;
      for (auto it = values.begin(); it != values.end(); ++it) keys += fmt::format("{}'{}'", keys.empty() ? "" : ", ", it.key());
      return fmt::format("set attribute{} {} of", values.size() == 1 ? "" : "s", keys);
    };
    nlohmann::json attributes;
    {
      auto st = connection().cached("SELECT kind, process_state, attributes FROM node WHERE pk = ?");
      st->bind(1, pk);
      if (!st->step()) throw not_found_error(fmt::format("cannot {} node {}: it does not exist", what(), pk));
      const auto kind = node_kind_from_int(st->int64(0));
      std::optional<process_state> state;
      if (is_process(kind) && !st->is_null(1)) state = process_state_from_string(st->text(1));
      check_attributes_mutable(pk, kind, state, what);
      attributes = store_detail::parse_json_column(*st, 2, nlohmann::json::object());
    }
    if (!attributes.is_object()) attributes = nlohmann::json::object();
    for (auto it = values.begin(); it != values.end(); ++it) attributes[it.key()] = it.value();
    auto st = connection().cached("UPDATE node SET attributes = ?, mtime = ? WHERE pk = ?");
    st->bind(1, attributes.dump());
    st->bind(2, now_us());
    st->bind(3, pk);
    st->step();
  }

  // ---- mutable on every node: extras, label, description ----
  void set_extra(std::int64_t pk, std::string_view key, const nlohmann::json& value) {
    auto r = node(pk);
    r.extras[std::string(key)] = value;
    write_extras(pk, r.extras);
  }
  void remove_extra(std::int64_t pk, std::string_view key) {
    auto r = node(pk);
    r.extras.erase(std::string(key));
    write_extras(pk, r.extras);
  }
  void set_label(std::int64_t pk, std::string_view label) { set_text(pk, "label", label); }
  void set_description(std::int64_t pk, std::string_view d) { set_text(pk, "description", d); }

  // ---- logs ----
  std::int64_t add_log(std::int64_t pk, log_level level, std::string_view message,
                       const nlohmann::json& metadata = nullptr) {
    (void)kind_of(pk);  // throws not_found_error naming the pk
    auto st = connection().cached("INSERT INTO log(node, time, level, message, metadata) VALUES (?,?,?,?,?)");
    st->bind_all(pk, now_us(), static_cast<std::int64_t>(level), message);
    bind_json_or_null(*st, 5, metadata);
    st->step();
    return connection().last_insert_rowid();
  }

  // ---- checkpoints: one per live process, overwritten ----
  void set_checkpoint(std::int64_t pk, std::string_view bytes) {
    auto st0 = connection().cached("SELECT kind, process_state FROM node WHERE pk = ?");
    st0->bind(1, pk);
    if (!st0->step()) throw not_found_error(fmt::format("cannot checkpoint node {}: it does not exist", pk));
    if (st0->int64(0) == 0) throw store_error(fmt::format("cannot checkpoint {}: not a process node", describe(pk)));
    if (!st0->is_null(1) && is_terminal(process_state_from_string(st0->text(1)))) {
      throw store_error(fmt::format("cannot checkpoint {}: the process has terminated ({})", describe(pk), st0->text(1)));
    }
    auto st = connection().cached(
        "INSERT INTO checkpoint(node, data) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET data = excluded.data");
    st->bind(1, pk);
    st->bind(2, std::as_bytes(std::span(bytes.data(), bytes.size())));
    st->step();
  }
  void clear_checkpoint(std::int64_t pk) {
    auto st = connection().cached("DELETE FROM checkpoint WHERE node = ?");
    st->bind(1, pk);
    st->step();
  }

  // ---- call journal ----
  /// Records that (parent, step, seq) launched `child`. A second, different entry for the
  /// same key is an error (the replayed step was not deterministic).
  void journal_call(std::int64_t parent, std::int64_t step, std::int64_t seq, std::int64_t child) {
    if (auto existing = journaled_call(parent, step, seq)) {
      if (*existing == child) return;
      throw store_error(fmt::format(
          "call journal of process {} already maps step {} call {} to node {}, not {}: "
          "the step is not deterministic between awaits",
          parent, step, seq, *existing, child));
    }
    (void)kind_of(parent);
    (void)kind_of(child);
    auto st = connection().cached("INSERT INTO call_journal(parent, step, seq, child) VALUES (?,?,?,?)");
    st->bind_all(parent, step, seq, child);
    st->step();
  }

  // ---- computers ----
  /// Sets or clears the paused flag of live process `pk` (the engine does not start its
  /// next step while it is set). Throws for a terminated process or a data node.
  void set_paused(std::int64_t pk, bool paused, std::string_view message = {}) {
    check_active();
    auto s = state_of(pk);  // throws not_found_error naming the pk
    if (!s) throw store_error(fmt::format("cannot {} {}: not a process node", paused ? "pause" : "play", describe(pk)));
    if (is_terminal(*s)) {
      throw store_error(fmt::format("cannot {} {}: it has terminated ({})", paused ? "pause" : "play", describe(pk),
                                    to_string(*s)));
    }
    if (paused) {
      auto st = connection().cached(
          "INSERT INTO process_control(node, paused, message) VALUES (?1, 1, ?2) "
          "ON CONFLICT(node) DO UPDATE SET paused = 1, message = ?2");
      st->bind(1, pk);
      bind_text_or_null(*st, 2, message);
      st->step();
    } else {
      auto st = connection().cached("DELETE FROM process_control WHERE node = ?");
      st->bind(1, pk);
      st->step();
    }
  }

  // ---- daemon workers and their leases on root processes (rules in lease.hpp) ----
  /// Adds a running worker (heartbeat = now_ms); returns its id (never reused).
  std::int64_t register_worker(std::int64_t pid, std::string_view host, std::int64_t now_ms) {
    check_active();
    auto st = connection().cached(
        "INSERT INTO worker(pid, host, started, heartbeat, state) VALUES (?1, ?2, ?3, ?3, 'running')");
    st->bind_all(pid, host, now_ms);
    st->step();
    return connection().last_insert_rowid();
  }

  /// Renews the heartbeat of `worker` and every lease it holds to now_ms + lease_ms, and
  /// drops the lease rows of roots that have terminated. Returns false, renewing nothing, if
  /// the worker is lost or stopped, or is late (its last heartbeat is lease_ms old or more:
  /// it is then declared lost, since others may have claimed its roots): it must stop
  /// driving every process.
  [[nodiscard]] bool heartbeat(std::int64_t worker, std::int64_t now_ms, std::int64_t lease_ms) {
    check_active();
    auto st = connection().cached(
        "UPDATE worker SET heartbeat = max(heartbeat, ?1) WHERE id = ?2 AND state IN ('running', 'stopping') AND "
        "?1 < heartbeat + ?3");
    st->bind_all(now_ms, worker, lease_ms);
    st->step();
    if (connection().changes() == 0) {
      (void)worker_state_of(worker);  // throws not_found_error for an unknown id
      set_lost_if_alive(worker);
      return false;
    }
    auto renew = connection().cached("UPDATE process_lease SET expires = max(expires, ?1) WHERE worker = ?2");
    renew->bind_all(now_ms + lease_ms, worker);
    renew->step();
    // Terminating a root does not touch its lease: the next heartbeat (of any worker) drops
    // the row. A few thousand rows at most, each looked up by key.
    connection()
        .cached("DELETE FROM process_lease WHERE NOT EXISTS (SELECT 1 FROM live_process l WHERE l.pk = process_lease.pk)")
        ->step();
    return true;
  }

  /// Hands live root `pk` to the daemon (a submission): any worker may claim it. Nothing
  /// changes if it is the daemon's already. Throws if `pk` is not a live root.
  void enqueue(std::int64_t pk) {
    check_active();
    check_live_root(pk, "enqueue");
    auto st = connection().cached(
        "INSERT INTO process_lease(pk, worker, expires, generation) VALUES (?, 0, 0, 0) ON CONFLICT(pk) DO NOTHING");
    st->bind(1, pk);
    st->step();
  }

  /// Hands live process `pk`, which a work chain has just called, to the daemon's queue
  /// (best in the unit that creates it): any worker may claim it, and whoever does drives
  /// it and its call tree, while its caller waits for it in whichever worker holds that.
  void hand_off(std::int64_t pk) {
    check_active();
    auto live = connection().cached("SELECT 1 FROM live_process WHERE pk = ?");
    live->bind(1, pk);
    if (!live->step()) throw store_error(fmt::format("cannot hand {} to the daemon: not a live process", describe(pk)));
    auto st = connection().cached(
        "INSERT INTO process_lease(pk, worker, expires, generation) VALUES (?, 0, 0, 0) ON CONFLICT(pk) DO NOTHING");
    st->bind(1, pk);
    st->step();
  }

  /// Takes up to `max_roots` enqueued live roots nobody validly holds, oldest first, for `worker`
  /// (lease until now_ms + lease_ms, generation one up). First declares lost every worker
  /// whose heartbeat is lease_ms old or more. SQLite serializes write transactions, so two
  /// workers never claim the same root. A stopping worker claims nothing; a lost, stopped or
  /// late one gets worker_fenced_error (and writes nothing).
  std::vector<claimed_root> claim(std::int64_t worker, std::int64_t now_ms, std::int64_t lease_ms, std::size_t max_roots) {
    check_active();
    if (!fit_to_drive(worker, now_ms, lease_ms, "claim roots") || max_roots == 0) return {};
    auto lost = connection().cached(
        "UPDATE worker SET state = 'lost' WHERE state IN ('running', 'stopping') AND heartbeat + ?2 <= ?1");
    lost->bind_all(now_ms, lease_ms);
    lost->step();
    struct candidate {
      std::int64_t pk, previous_worker, generation;
    };
    std::vector<candidate> found;
    {
      auto st = connection().cached(store_detail::claimable_roots_sql);
      st->bind_all(worker, now_ms, static_cast<std::int64_t>(max_roots));
      while (st->step()) found.push_back({st->int64(0), st->int64(1), st->int64(2)});
    }
    std::vector<claimed_root> out;
    for (const auto& c : found) {
      // An expired row of a worker not declared lost yet (it renewed with a shorter lease):
      // fenced now, so it learns at its next heartbeat that the root is gone.
      if (c.previous_worker != 0) set_lost_if_alive(c.previous_worker);
      put_lease(c.pk, worker, now_ms + lease_ms, c.generation + 1);
      auto n = connection().cached("SELECT kind, type FROM node WHERE pk = ?");
      n->bind(1, c.pk);
      if (!n->step()) throw store_error(fmt::format("live process {} has no node row", c.pk));
      out.push_back({c.pk, c.generation + 1, node_kind_from_int(n->int64(0)), std::string(n->text(1))});
    }
    return out;
  }

  /// Leases root `pk` (one `worker` has just created, e.g. a submission it runs; best in the
  /// same unit that added it, so no other worker can claim it first) until now_ms + lease_ms.
  /// Returns the generation: the current one if `worker` already holds it. Throws if `pk` is
  /// not a live root or another alive worker holds an unexpired lease on it.
  std::int64_t lease_root(std::int64_t worker, std::int64_t pk, std::int64_t now_ms, std::int64_t lease_ms) {
    check_active();
    if (!fit_to_drive(worker, now_ms, lease_ms, fmt::format("lease process {}", pk))) {
      throw store_error(fmt::format("worker {} is stopping: it takes no new root (process {})", worker, pk));
    }
    check_live_root(pk, "lease");
    std::int64_t holder = 0, generation = 0;
    bool held = false;  // validly, by an alive worker
    {
      auto st = connection().cached(
          "SELECT p.worker, p.generation, p.expires > ?2 AND w.state IN ('running', 'stopping') "
          "FROM process_lease p LEFT JOIN worker w ON w.id = p.worker WHERE p.pk = ?1");
      st->bind_all(pk, now_ms);
      if (st->step()) {
        holder = st->int64(0);
        generation = st->int64(1);
        held = st->int64(2) != 0;
      }
    }
    if (holder != worker) {
      if (held) throw store_error(fmt::format("cannot lease {} for worker {}: worker {} holds it", describe(pk), worker, holder));
      if (holder != 0) set_lost_if_alive(holder);  // its lease expired: fenced, as by claim()
      ++generation;
    }
    put_lease(pk, worker, now_ms + lease_ms, generation);
    return generation;
  }

  /// Throws worker_fenced_error unless `worker` is alive (running or stopping) and its last
  /// heartbeat is less than lease_ms old: the check a daemon worker makes in each of its
  /// transactions, so that nothing it writes lands after another worker may have claimed
  /// its roots (SQLite serializes the check with those claims).
  void check_worker(std::int64_t worker, std::int64_t now_ms, std::int64_t lease_ms) {
    check_active();
    (void)fit_to_drive(worker, now_ms, lease_ms, "write");
  }

  /// Hands root `pk` back to the daemon's queue (e.g. at a graceful stop): any worker may
  /// claim it now, with the next generation. Returns false if `worker` did not hold it.
  bool release(std::int64_t worker, std::int64_t pk) {
    check_active();
    auto st = connection().cached("UPDATE process_lease SET worker = 0, expires = 0 WHERE pk = ? AND worker = ?");
    st->bind_all(pk, worker);
    st->step();
    return connection().changes() == 1;
  }

  /// Moves `worker` to state `s`. Lost and stopped are final (worker_fenced_error when left);
  /// entering stopped hands every root it holds back to the queue.
  void set_worker_state(std::int64_t worker, worker_state s) {
    check_active();
    const auto cur = worker_state_of(worker);
    if (cur == s) return;
    if (!is_alive(cur)) {
      throw worker_fenced_error(
          fmt::format("cannot set worker {} {}: it is {} for good", worker, to_string(s), to_string(cur)));
    }
    auto st = connection().cached("UPDATE worker SET state = ? WHERE id = ?");
    st->bind_all(to_string(s), worker);
    st->step();
    if (s == worker_state::stopped) {
      auto rel = connection().cached("UPDATE process_lease SET worker = 0, expires = 0 WHERE worker = ?");
      rel->bind(1, worker);
      rel->step();
    }
  }

  computer_record add_computer(const computer_spec& c) {
    check_active();
    if (c.label.empty()) throw store_error("a computer needs a label");
    if (c.hostname.empty()) throw store_error(fmt::format("computer '{}' needs a hostname", c.label));
    if (c.transport.empty() || c.scheduler.empty()) {
      throw store_error(fmt::format("computer '{}' needs a transport and a scheduler plugin", c.label));
    }
    if (!c.settings.is_object()) throw store_error(fmt::format("settings of computer '{}' must be a JSON object", c.label));
    if (find_computer(c.label)) throw store_error(fmt::format("a computer labelled '{}' already exists", c.label));
    computer_record r;
    static_cast<computer_spec&>(r) = c;
    r.id = uuid::generate();
    auto st = connection().cached(
        "INSERT INTO computer(uuid, label, hostname, description, transport, scheduler, workdir, settings) "
        "VALUES (?,?,?,?,?,?,?,?)");
    st->bind_all(r.id.span(), c.label, c.hostname, c.description, c.transport, c.scheduler, c.workdir, c.settings.dump());
    st->step();
    r.pk = connection().last_insert_rowid();
    return r;
  }

 private:
  static std::int64_t now_us() { return now_timestamp().time_since_epoch().count(); }

  worker_state worker_state_of(std::int64_t worker) {
    auto st = connection().cached("SELECT state FROM worker WHERE id = ?");
    st->bind(1, worker);
    if (!st->step()) throw not_found_error(fmt::format("no worker with id {}", worker));
    return worker_state_from_string(st->text(0));
  }
  // Whether `worker` may take roots: true when running, false when stopping; throws
  // worker_fenced_error when it is lost, stopped or late (it then writes nothing: a late
  // worker is declared lost by its next heartbeat or another worker's claim).
  bool fit_to_drive(std::int64_t worker, std::int64_t now_ms, std::int64_t lease_ms, std::string_view what) {
    auto st = connection().cached("SELECT state, heartbeat FROM worker WHERE id = ?");
    st->bind(1, worker);
    if (!st->step()) throw not_found_error(fmt::format("cannot {}: no worker with id {}", what, worker));
    const auto s = worker_state_from_string(st->text(0));
    if (!is_alive(s)) throw worker_fenced_error(fmt::format("worker {} cannot {}: it is {}", worker, what, to_string(s)));
    if (now_ms >= st->int64(1) + lease_ms) {
      throw worker_fenced_error(fmt::format("worker {} cannot {}: its last heartbeat is {} ms old, its lease {} ms", worker,
                                            what, now_ms - st->int64(1), lease_ms));
    }
    return s == worker_state::running;
  }
  void check_live_root(std::int64_t pk, std::string_view what) {
    auto live = connection().cached("SELECT 1 FROM live_process WHERE pk = ?");
    live->bind(1, pk);
    if (!live->step()) throw store_error(fmt::format("cannot {} {}: not a live process", what, describe(pk)));
    if (auto up = caller(pk)) {
      throw store_error(fmt::format("cannot {} {}: it is called by {}, and belongs to the owner of its root", what,
                                    describe(pk), describe(*up)));
    }
  }
  void set_lost_if_alive(std::int64_t worker) {
    auto st = connection().cached("UPDATE worker SET state = 'lost' WHERE id = ? AND state IN ('running', 'stopping')");
    st->bind(1, worker);
    st->step();
  }
  void put_lease(std::int64_t pk, std::int64_t worker, std::int64_t expires, std::int64_t generation) {
    auto st = connection().cached(
        "INSERT INTO process_lease(pk, worker, expires, generation) VALUES (?1, ?2, ?3, ?4) ON CONFLICT(pk) DO UPDATE "
        "SET worker = excluded.worker, expires = excluded.expires, generation = excluded.generation");
    st->bind_all(pk, worker, expires, generation);
    st->step();
  }

  void check_active() const {
    if (!active()) throw store_error("write on a transaction that already ended");
  }
  static void bind_text_or_null(store_detail::statement& st, int i, std::string_view s) {
    if (s.empty()) {
      st.bind(i, nullptr);
    } else {
      st.bind(i, s);
    }
  }
  static void bind_json_or_null(store_detail::statement& st, int i, const nlohmann::json& j) {
    if (j.is_null() || (j.is_object() && j.empty())) {
      st.bind(i, nullptr);
    } else {
      st.bind(i, j.dump());
    }
  }
  std::int64_t origin_id(const process_origin& o) {
    // Interned once per transaction: a batch of calculations shares one origin.
    if (last_origin_id_ != 0 && last_origin_ == o) return last_origin_id_;
    last_origin_id_ = lookup_origin(o);
    last_origin_ = o;
    return last_origin_id_;
  }
  std::int64_t lookup_origin(const process_origin& o) {
    auto sel = connection().cached(
        "SELECT id FROM origin WHERE tessera_version = ? AND plugin_name = ? AND plugin_version = ?");
    sel->bind_all(o.tessera_version, o.plugin_name, o.plugin_version);
    if (sel->step()) return sel->int64(0);
    auto ins = connection().cached("INSERT INTO origin(tessera_version, plugin_name, plugin_version) VALUES (?,?,?)");
    ins->bind_all(o.tessera_version, o.plugin_name, o.plugin_version);
    ins->step();
    return connection().last_insert_rowid();
  }
  node_kind kind_or_throw(std::int64_t pk, std::string_view role, link_type t) {
    if (const auto* r = find_recent(pk)) return r->kind;  // added by this transaction moments ago
    // A node's kind never changes and nodes are never deleted: what a committed node's kind
    // is, is known for good (a group commit links many children to the same few parents).
    auto& memo = connection().memo();
    if (auto k = memo.kind(pk)) return node_kind_from_int(*k);  // committed earlier: true for good
    auto st = connection().cached("SELECT kind FROM node WHERE pk = ?");
    st->bind(1, pk);
    if (!st->step()) {
      throw link_rule_error(fmt::format("cannot add {} link: its {} node {} does not exist", to_string(t), role, pk));
    }
    const auto k = node_kind_from_int(st->int64(0));
    // New rows get pks above every existing one: a pk below the first this transaction
    // added was committed before it began.
    if (first_added_ == 0 || pk < first_added_) memo.remember(pk, static_cast<std::uint8_t>(k));
    return k;
  }
  std::optional<std::int64_t> first(std::string_view sql, std::int64_t pk) {
    auto st = connection().cached(sql);
    st->bind(1, pk);
    if (!st->step()) return std::nullopt;
    return st->int64(0);
  }
  [[noreturn]] void fail(link_type t, std::string_view label, std::int64_t in, std::int64_t out, std::string_view rule) {
    throw link_rule_error(fmt::format("cannot add {} link '{}' from {} to {}: {}", to_string(t), label, describe(in),
                                      describe(out), rule));
  }
  void expect_process_changed(std::int64_t pk, std::string_view what) {
    if (connection().changes() == 1) return;
    if (auto k = find_kind(pk)) {
      throw store_error(fmt::format("cannot {} {}: not a process node", what, describe(pk)));
    }
    throw not_found_error(fmt::format("cannot {} node {}: it does not exist", what, pk));
  }
  // What only a live process has: its live_process row, checkpoint and control row.
  void drop_live_rows(std::int64_t pk) {
    for (const char* sql : {"DELETE FROM live_process WHERE pk = ?", "DELETE FROM checkpoint WHERE node = ?",
                            "DELETE FROM process_control WHERE node = ?"}) {
      auto st = connection().cached(sql);
      st->bind(1, pk);
      st->step();
    }
  }
  std::optional<node_kind> find_kind(std::int64_t pk) {
    auto st = connection().cached("SELECT kind FROM node WHERE pk = ?");
    st->bind(1, pk);
    if (!st->step()) return std::nullopt;
    return node_kind_from_int(st->int64(0));
  }
  void check_attributes_mutable(const node_record& r, std::string_view what) {
    check_attributes_mutable(r.pk, r.kind, r.state, [what] { return std::string(what); });
  }
  // `what` (a callable returning what was attempted) is called only to word an error.
  template <class What>
  void check_attributes_mutable(std::int64_t pk, node_kind kind, std::optional<process_state> state, const What& what) {
    if (kind == node_kind::data) {
      throw immutable_node_error(fmt::format("cannot {} {}: attributes of a stored data node are immutable",
                                             what(), describe(pk)));
    }
    if (state && is_terminal(*state)) {
      throw immutable_node_error(fmt::format("cannot {} {}: the process has terminated ({}) and is sealed", what(),
                                             describe(pk), to_string(*state)));
    }
  }
  void write_extras(std::int64_t pk, const nlohmann::json& extras) {
    auto st = connection().cached("UPDATE node SET extras = ?, mtime = ? WHERE pk = ?");
    bind_json_or_null(*st, 1, extras);
    st->bind(2, now_us());
    st->bind(3, pk);
    st->step();
  }
  void set_text(std::int64_t pk, std::string_view column, std::string_view value) {
    auto st = connection().cached(fmt::format("UPDATE node SET {} = ?, mtime = ? WHERE pk = ?", column));
    bind_text_or_null(*st, 1, value);
    st->bind(2, now_us());
    st->bind(3, pk);
    st->step();
    if (connection().changes() != 1) throw not_found_error(fmt::format("cannot set the {} of node {}: it does not exist", column, pk));
  }

  // The last nodes this transaction added (pk -> kind), so that linking them needs no
  // lookup. Must be forgotten when a savepoint rolls back (pks are reused afterwards).
  // Also the links given to them here, so that the link rules need not query for them.
  struct recent_node {
    std::int64_t pk = 0;
    node_kind kind{};
    struct link_end {
      link_type type;
      std::string label;
      std::int64_t other;  // the node at the other end
    };
    std::vector<link_end> in_labels;   // links into it
    std::vector<link_end> out_labels;  // links out of it
  };
  recent_node* find_recent(std::int64_t pk) noexcept {
    for (auto& r : recent_) {
      if (r.pk == pk && pk != 0) return &r;
    }
    return nullptr;
  }
  std::array<recent_node, 8> recent_{};
  std::vector<std::pair<std::int64_t, node_kind>> added_;  // nodes added, remembered once committed
  std::int64_t first_added_ = 0;                           // pk of the first node added, 0: none
  process_origin last_origin_;
  std::int64_t last_origin_id_ = 0;
  std::size_t recent_next_ = 0;
  std::unique_lock<std::mutex> lock_;
  std::unique_ptr<store_detail::immediate_transaction> tx_;
  bool batch_ = false;
  std::function<void()> before_commit_;
  std::function<void()> after_commit_;
};

}  // namespace tessera
