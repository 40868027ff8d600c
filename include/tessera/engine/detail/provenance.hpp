#pragma once
// The writes a process makes, shared by calcfunctions, workfunctions and work chains. Each
// function runs inside one write transaction (a group-commit unit): a launch creates the
// process node, its inputs and links, the CALL link and the journal entry together, so a
// child exists on disk exactly when its parent's journal says so.
#include <cstdint>
#include <optional>
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tessera/data/hasher.hpp>
#include <tessera/engine/detail/task.hpp>
#include <tessera/spec/port_values.hpp>
#include <tessera/spec/runtime_spec.hpp>
#include <tessera/store/write_tx.hpp>
#include <tessera/version.hpp>

namespace tessera::engine_detail {

/// One input or output of a process: its (dotted) link label, value, and the node that
/// already holds it (0: store a new node).
struct port_arg {
  std::string label;
  any_data value;
  std::int64_t pk = 0;
};

inline void flatten_into(const port_values& values, const std::string& prefix, std::vector<port_arg>& out) {
  for (const auto& [key, entry] : values) {
    const std::string label = prefix.empty() ? key : prefix + "." + key;
    if (entry.is_namespace()) {
      flatten_into(entry.nested(), label, out);
    } else {
      out.push_back({label, entry.value(), 0});
    }
  }
}
inline std::vector<port_arg> flatten(const port_values& values) {
  std::vector<port_arg> out;
  flatten_into(values, "", out);
  return out;
}

struct launch_spec {
  node_kind kind = node_kind::work_chain;
  std::string type;
  std::vector<port_arg> inputs;
  std::int64_t parent = 0;  // caller, 0 for none
  std::int64_t step = 0;
  std::int64_t seq = 0;
  std::optional<digest> hash;
  process_state state = process_state::created;
  nlohmann::json attributes = nlohmann::json::object();
  std::optional<std::string> checkpoint;
};

struct launched {
  std::int64_t pk = 0;
  uuid id;
  std::vector<std::int64_t> input_pks;  // in the order of launch_spec::inputs
};

inline launched create_process(write_tx& tx, const launch_spec& ls) {
  new_node n;
  n.kind = ls.kind;
  n.type = ls.type;
  n.label = ls.type;
  n.attributes = ls.attributes;
  n.hash = ls.hash;
  n.state = ls.state;
  n.origin.tessera_version = std::string(tessera::version);
  auto ref = tx.add_node(n);
  launched out{ref.pk, ref.id, {}};
  const auto in_type = is_calculation(ls.kind) ? link_type::input_calc : link_type::input_work;
  for (const auto& in : ls.inputs) {
    const std::int64_t pk = in.pk ? in.pk : tx.add_data(in.value).pk;
    tx.add_link(pk, ref.pk, in_type, in.label);
    out.input_pks.push_back(pk);
  }
  if (ls.parent) {
    tx.add_link(ls.parent, ref.pk, is_calculation(ls.kind) ? link_type::call_calc : link_type::call_work, "CALL");
    tx.journal_call(ls.parent, ls.step, ls.seq, ref.pk);
  }
  if (ls.checkpoint) tx.set_checkpoint(ref.pk, *ls.checkpoint);
  return out;
}

/// Creates output nodes of calculation `pk` (CREATE links); returns their pks.
inline std::vector<std::int64_t> create_outputs(write_tx& tx, std::int64_t pk, const std::vector<port_arg>& outs) {
  std::vector<std::int64_t> pks;
  for (const auto& o : outs) {
    const auto d = tx.add_data(o.value).pk;
    tx.add_link(pk, d, link_type::create, o.label);
    pks.push_back(d);
  }
  return pks;
}

/// The caching hash of a calculation: its type and version and its inputs' content hashes
/// (sorted by label), so equal inputs give an equal hash whatever nodes hold them.
inline digest process_hash(std::string_view type, std::string_view version, std::vector<port_arg> inputs) {
  std::sort(inputs.begin(), inputs.end(), [](const port_arg& a, const port_arg& b) { return a.label < b.label; });
  hasher h;
  h.update(std::string_view("tessera.process.v1"));
  h.update(type);
  h.update(std::string_view("\0", 1));
  h.update(version);
  h.update(std::string_view("\0", 1));
  for (const auto& in : inputs) {
    h.update(in.label);
    h.update(std::string_view("\0", 1));
    const auto d = in.value.hash();
    h.update(std::string_view(reinterpret_cast<const char*>(d.bytes.data()), d.bytes.size()));
  }
  return h.finish();
}

}  // namespace tessera::engine_detail
