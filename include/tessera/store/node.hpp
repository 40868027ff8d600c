#pragma once
// Node kinds, process states and the two node shapes the store deals in: `new_node` (what a
// caller asks to store) and `node_record` (what the store returns).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/data/digest.hpp>

#include <tessera/store/error.hpp>
#include <tessera/store/uuid.hpp>

namespace tessera {

/// Stored as a small integer in node.kind. Data subtypes are told apart by node.type (the
/// data type name, e.g. "core.int"); process nodes by kind, with node.type = process type.
enum class node_kind : std::uint8_t {
  data = 0,
  calc_function = 1,
  calc_job = 2,
  work_function = 3,
  work_chain = 4,
};

constexpr bool is_process(node_kind k) noexcept { return k != node_kind::data; }
constexpr bool is_calculation(node_kind k) noexcept {
  return k == node_kind::calc_function || k == node_kind::calc_job;
}
constexpr bool is_workflow(node_kind k) noexcept {
  return k == node_kind::work_function || k == node_kind::work_chain;
}

constexpr std::string_view to_string(node_kind k) noexcept {
  switch (k) {
    case node_kind::data: return "Data";
    case node_kind::calc_function: return "CalcFunctionNode";
    case node_kind::calc_job: return "CalcJobNode";
    case node_kind::work_function: return "WorkFunctionNode";
    case node_kind::work_chain: return "WorkChainNode";
  }
  return "?";
}

inline node_kind node_kind_from_int(std::int64_t v) {
  if (v < 0 || v > 4) throw store_error(fmt::format("invalid node kind {} in database", v));
  return static_cast<node_kind>(v);
}

/// Process states (AiiDA/plumpy). Stored as text in node.process_state. Entering a terminal
/// state deletes the process's live_process row, checkpoint and control row, in the same
/// statement group (write_tx::terminate and set_process_state, the only writers of a state).
enum class process_state : std::uint8_t { created, running, waiting, finished, excepted, killed };

constexpr std::string_view to_string(process_state s) noexcept {
  switch (s) {
    case process_state::created: return "created";
    case process_state::running: return "running";
    case process_state::waiting: return "waiting";
    case process_state::finished: return "finished";
    case process_state::excepted: return "excepted";
    case process_state::killed: return "killed";
  }
  return "?";
}
constexpr bool is_terminal(process_state s) noexcept {
  return s == process_state::finished || s == process_state::excepted || s == process_state::killed;
}
inline process_state process_state_from_string(std::string_view s) {
  for (auto v : {process_state::created, process_state::running, process_state::waiting,
                 process_state::finished, process_state::excepted, process_state::killed}) {
    if (to_string(v) == s) return v;
  }
  throw store_error(fmt::format("invalid process state '{}'", s));
}

/// Microseconds since the Unix epoch (UTC): what node.ctime / mtime and log.time hold.
using timestamp = std::chrono::sys_time<std::chrono::microseconds>;
inline timestamp now_timestamp() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

/// Which code ran a process: recorded on every process node (interned in table `origin`).
struct process_origin {
  std::string tessera_version;
  std::string plugin_name;
  std::string plugin_version;
  friend bool operator==(const process_origin&, const process_origin&) = default;
};

/// What to store. `type` is the data type name for data nodes ("core.int") and the process
/// type for process nodes ("core.arithmetic.add"). Process fields are ignored for data.
struct new_node {
  node_kind kind = node_kind::data;
  std::string type;
  std::string label;
  std::string description;
  nlohmann::json attributes = nlohmann::json::object();
  nlohmann::json extras = nullptr;  // null = no extras
  std::optional<digest> hash;       // content hash (data) or caching hash (process)
  std::optional<uuid> id;           // generated when empty
  std::optional<timestamp> ctime;   // now when empty
  // process nodes only
  process_state state = process_state::created;
  std::optional<int> exit_status;
  std::string exit_message;
  process_origin origin;
};

/// A stored node as read back.
struct node_record {
  std::int64_t pk = 0;
  uuid id;
  node_kind kind = node_kind::data;
  std::string type;
  std::string label;
  std::string description;
  timestamp ctime{};
  timestamp mtime{};
  nlohmann::json attributes;
  nlohmann::json extras;  // object (empty when none)
  std::optional<digest> hash;
  // process nodes only
  std::optional<process_state> state;
  std::optional<int> exit_status;
  std::string exit_message;
  std::optional<process_origin> origin;
};

/// Light handle to a stored node: what writes return.
struct node_ref {
  std::int64_t pk = 0;
  uuid id;
  friend bool operator==(const node_ref&, const node_ref&) = default;
};

}  // namespace tessera
