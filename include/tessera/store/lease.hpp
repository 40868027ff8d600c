#pragma once
// Which worker of a daemon drives which process, durably (schema version 6).
//
// Several worker OS processes share one profile. Ownership is per ROOT process: a live
// process with no incoming CALL link. A root's whole live call tree belongs to the root's
// owner, so creating and ending children never touches the lease tables. A link, once
// stored, is never removed, so a process that has been called never becomes a root.
//
// Tables: worker(id, pid, host, started, heartbeat, state) and
// process_lease(pk, worker, expires, generation). Times are milliseconds since the Unix
// epoch, passed in by the caller (tests control the clock; every worker of one profile runs
// on one host, as SQLite's WAL requires, so they share a wall clock).
//
// A root is the daemon's once it has a lease row: enqueue() (a submission to the daemon)
// makes one with worker 0, lease_root() one held by the worker that created the root. Roots
// without a row are driven by a program of their own (a runner in the foreground), which
// the daemon must not take over; so claim() only takes processes that have a row (nor can
// it mistake a child whose CALL link is not stored yet for a root).
//
// A child a work chain submits inside a daemon worker is handed to the queue too
// (hand_off(), in the transaction that creates it): it gets a row of its own and is owned
// like a root, by whichever worker claims it, so one parent's children spread over all
// workers; its parent waits for it as for any process another program runs. "Root" below
// means a process with a lease row; the call tree a root's owner drives stops at
// descendants that have rows of their own.
//
// The rules, which write_tx's register_worker/heartbeat/claim/lease_root/enqueue/release/
// set_worker_state keep:
// - Every worker of a profile passes the same lease_ms (a daemon setting): a claim judges
//   the others by its own.
// - A worker is alive while heartbeats come less than lease_ms apart. A heartbeat that comes
//   later, or any claim that finds the worker late, declares it lost; lost and stopped are
//   final: heartbeat() returns false and claim() throws worker_fenced_error.
// - Whenever a root changes owner, its previous owner is lost, stopped or released it, and
//   the root's generation goes up by one. So holds(worker, pk, generation) (lease row
//   unchanged and worker still running or stopping) is a fencing check a write unit can make.
// - A worker must itself stop driving its roots lease_ms after the now_ms of its last
//   successful heartbeat (its own deadline), since that is when others may claim them.
//   So a SIGKILLed worker's roots are claimable lease_ms after its last heartbeat, and are
//   taken by the next claim() of another worker after that.
// - process_lease.worker = 0 marks a root waiting for a worker (enqueued, released, or its
//   worker stopped): the row is kept so that the next owner's generation still goes up.
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <tessera/store/error.hpp>
#include <tessera/store/node.hpp>

namespace tessera {

/// Stored as text in worker.state.
enum class worker_state : std::uint8_t { running, stopping, stopped, lost };

constexpr std::string_view to_string(worker_state s) noexcept {
  switch (s) {
    case worker_state::running: return "running";
    case worker_state::stopping: return "stopping";
    case worker_state::stopped: return "stopped";
    case worker_state::lost: return "lost";
  }
  return "?";
}
inline worker_state worker_state_from_string(std::string_view s) {
  for (auto v : {worker_state::running, worker_state::stopping, worker_state::stopped, worker_state::lost}) {
    if (to_string(v) == s) return v;
  }
  throw store_error(fmt::format("invalid worker state '{}'", s));
}
/// Running and stopping workers drive their roots; stopped and lost ones never again.
constexpr bool is_alive(worker_state s) noexcept { return s == worker_state::running || s == worker_state::stopping; }

/// One row of the worker table, with how many roots it holds.
struct worker_record {
  std::int64_t id = 0;
  std::int64_t pid = 0;
  std::string host;
  std::int64_t started = 0;    // ms since the epoch
  std::int64_t heartbeat = 0;  // ms since the epoch, the last accepted heartbeat
  worker_state state = worker_state::running;
  std::int64_t roots = 0;      // lease rows naming it
};

/// A root a worker has just claimed: what its runner needs to resume it.
struct claimed_root {
  std::int64_t pk = 0;
  std::int64_t generation = 0;  // the fencing token of this ownership
  node_kind kind = node_kind::work_chain;
  std::string type;             // the process type, to find its resume factory
  friend bool operator==(const claimed_root&, const claimed_root&) = default;
};

/// Who drives a process: the root of its call tree and the root's lease.
struct process_owner {
  std::int64_t root = 0;
  bool queued = false;      // the root is the daemon's (it has a lease row)
  std::int64_t worker = 0;  // 0: no worker holds the root
  std::int64_t generation = 0;
  std::int64_t expires = 0;  // ms since the epoch
};

namespace store_detail {

// The live roots a worker may claim, oldest pk first: ?1 the claimer, ?2 now, ?3 how many.
// It walks live_process (a few thousand rows, whatever the size of node) in pk order (CROSS
// JOIN: SQLite keeps that order whatever its statistics say) and stops after ?3 hits; the
// lease and worker lookups are by key. Taken: a root whose lease row is not the claimer's
// and is expired or of a worker that is not alive (waiting rows name worker 0, which has
// no row).
inline constexpr std::string_view claimable_roots_sql =
    "SELECT l.pk, p.worker, p.generation FROM live_process l "
    "CROSS JOIN process_lease p ON p.pk = l.pk "
    "LEFT JOIN worker w ON w.id = p.worker "
    "WHERE p.worker != ?1 AND (p.expires <= ?2 OR w.state IS NULL OR w.state NOT IN ('running', 'stopping')) "
    "ORDER BY l.pk LIMIT ?3";

}  // namespace store_detail
}  // namespace tessera
