#pragma once
// Link types and the AiiDA 1.0 link rules (paper, Fig. 4 and "Link types").
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <tessera/store/error.hpp>
#include <tessera/store/node.hpp>

namespace tessera {

/// Stored as a small integer in link.type.
enum class link_type : std::uint8_t {
  input_calc = 1,  // Data -> CalculationNode
  input_work = 2,  // Data -> WorkflowNode
  create = 3,      // CalculationNode -> Data
  ret = 4,         // WorkflowNode -> Data  (RETURN; `return` is a keyword)
  call_calc = 5,   // WorkflowNode -> CalculationNode
  call_work = 6,   // WorkflowNode -> WorkflowNode
};

constexpr std::string_view to_string(link_type t) noexcept {
  switch (t) {
    case link_type::input_calc: return "INPUT_CALC";
    case link_type::input_work: return "INPUT_WORK";
    case link_type::create: return "CREATE";
    case link_type::ret: return "RETURN";
    case link_type::call_calc: return "CALL_CALC";
    case link_type::call_work: return "CALL_WORK";
  }
  return "?";
}

inline link_type link_type_from_int(std::int64_t v) {
  if (v < 1 || v > 6) throw store_error(fmt::format("invalid link type {} in database", v));
  return static_cast<link_type>(v);
}

/// The links of the data provenance (data + calculations): the DAG ancestors/descendants walk.
constexpr bool is_data_provenance(link_type t) noexcept {
  return t == link_type::input_calc || t == link_type::create;
}

/// Does `t` accept an edge from a node of kind `in` to one of kind `out`?
constexpr bool endpoints_allowed(link_type t, node_kind in, node_kind out) noexcept {
  switch (t) {
    case link_type::input_calc: return in == node_kind::data && is_calculation(out);
    case link_type::input_work: return in == node_kind::data && is_workflow(out);
    case link_type::create: return is_calculation(in) && out == node_kind::data;
    case link_type::ret: return is_workflow(in) && out == node_kind::data;
    case link_type::call_calc: return is_workflow(in) && is_calculation(out);
    case link_type::call_work: return is_workflow(in) && is_workflow(out);
  }
  return false;
}

constexpr std::string_view endpoint_rule(link_type t) noexcept {
  switch (t) {
    case link_type::input_calc: return "INPUT_CALC links go from a Data node to a CalculationNode";
    case link_type::input_work: return "INPUT_WORK links go from a Data node to a WorkflowNode";
    case link_type::create: return "CREATE links go from a CalculationNode to a Data node";
    case link_type::ret: return "RETURN links go from a WorkflowNode to a Data node";
    case link_type::call_calc: return "CALL_CALC links go from a WorkflowNode to a CalculationNode";
    case link_type::call_work: return "CALL_WORK links go from a WorkflowNode to a WorkflowNode";
  }
  return "?";
}

constexpr bool is_input(link_type t) noexcept { return t == link_type::input_calc || t == link_type::input_work; }
constexpr bool is_output(link_type t) noexcept { return t == link_type::create || t == link_type::ret; }
constexpr bool is_call(link_type t) noexcept { return t == link_type::call_calc || t == link_type::call_work; }

/// A stored link as read back.
struct link_record {
  std::int64_t input = 0;   // tail (source) pk
  std::int64_t output = 0;  // head (target) pk
  link_type type = link_type::input_calc;
  std::string label;
  friend bool operator==(const link_record&, const link_record&) = default;
};

}  // namespace tessera
