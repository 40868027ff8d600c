#pragma once
// What a terminated process left: its state, exit status and message, and its outputs
// (label, node pk, value). Loaded from the store, so it is the same in the runner that
// ran the process and in any other program that opens the profile.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <tessera/engine/stored.hpp>
#include <tessera/store/reader.hpp>

namespace tessera {

struct output_entry {
  std::string label;
  std::int64_t pk = 0;
  any_data value;
};

struct process_result {
  std::int64_t pk = 0;
  process_state state = process_state::created;
  int exit_status = 0;
  std::string exit_message;
  std::vector<output_entry> outputs;

  bool terminated() const noexcept { return is_terminal(state); }
  bool ok() const noexcept { return state == process_state::finished && exit_status == 0; }

  const output_entry* find(std::string_view label) const noexcept {
    for (const auto& o : outputs) {
      if (o.label == label) return &o;
    }
    return nullptr;
  }
  const output_entry& at(std::string_view label) const {
    if (const auto* o = find(label)) return *o;
    throw std::out_of_range(fmt::format("process {} ({}, exit status {}) has no output '{}'", pk, to_string(state),
                                        exit_status, label));
  }
  template <data_type T>
  stored<T> get(std::string_view label) const {
    const auto& o = at(label);
    return stored<T>(o.value.get<T>(), o.pk);
  }
};

/// The result of process `pk` as stored now (outputs: its CREATE and RETURN links).
inline process_result load_result(store_reader& r, std::int64_t pk) {
  auto n = r.node(pk);
  if (!is_process(n.kind)) throw store_error(fmt::format("node {} is a data node, not a process", pk));
  process_result res;
  res.pk = pk;
  res.state = n.state.value_or(process_state::created);
  res.exit_status = n.exit_status.value_or(0);
  res.exit_message = n.exit_message;
  for (const auto& l : r.outgoing(pk)) {
    if (l.type != link_type::create && l.type != link_type::ret) continue;
    res.outputs.push_back({l.label, l.output, r.load_any(l.output)});
  }
  return res;
}

}  // namespace tessera
