#pragma once
// Binding a spec to its process class: the run-time spec, the process's name, the outline's
// JSON form, and the check that every step and condition belongs to the process.
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

#include "../data/detail/json_config.hpp"

#include "detail/config.hpp"
#include "expose.hpp"
#include "process_spec.hpp"
#include "program.hpp"
#include "render.hpp"
#include "runtime_spec.hpp"

namespace tessera::spec {

template <class Process>
concept has_process_name = requires {
  { Process::process_name } -> std::convertible_to<std::string_view>;
};

// `static constexpr std::string_view process_name = "mylab.relax";` names a process;
// without it the C++ type name is used.
namespace detail {
// A constant, so the name is worked out once by the compiler (from __PRETTY_FUNCTION__ when
// the process has no process_name), not by code at every in<"x">() that may report it.
template <class Process>
inline constexpr std::string_view process_name_v = [] {
  if constexpr (has_process_name<Process>) {
    return std::string_view(Process::process_name);
  } else {
    return type_name<Process>();
  }
}();
}  // namespace detail

template <class Process>
constexpr std::string_view process_name_of() {
  return detail::process_name_v<Process>;
}

namespace detail {

// ---- every member named in the outline must belong to the process ----------------------

template <class Process, auto Member>
constexpr bool check_member() {
  using owner = typename member_traits<Member>::class_type;
  if constexpr (!std::is_base_of_v<owner, Process>) {
    error::raise::step_is_not_a_member_of_the_process<Member, Process>();
  }
  return true;
}
template <class Process, class Node> struct members_check { static constexpr bool ok = true; };
template <class Process, class... N> constexpr bool check_members() {
  return (members_check<Process, N>::ok && ... && true);
}
template <class Process, auto M> struct members_check<Process, step_node<M>> {
  static constexpr bool ok = check_member<Process, M>();
};
template <class Process, auto C, class... B> struct members_check<Process, while_node<C, B...>> {
  static constexpr bool ok = check_member<Process, C>() && check_members<Process, B...>();
};
template <class Process, auto C, class... B> struct members_check<Process, branch<C, B...>> {
  static constexpr bool ok = check_member<Process, C>() && check_members<Process, B...>();
};
template <class Process, class... B> struct members_check<Process, else_branch<B...>> {
  static constexpr bool ok = check_members<Process, B...>();
};
template <class Process, class... B> struct members_check<Process, if_node<B...>> {
  static constexpr bool ok = check_members<Process, B...>();
};
template <class Process, class... B> struct members_check<Process, outline_decl<B...>> {
  static constexpr bool ok = check_members<Process, B...>();
};

TESSERA_COLD_SUPPORT TESSERA_DECL void add_implied_namespaces(runtime_spec& out);

}  // namespace detail

// The spec's description under the process's name, with the implied namespaces listed.
TESSERA_COLD_SUPPORT TESSERA_DECL runtime_spec finish_runtime_spec(runtime_spec spec, std::string process_name);

namespace detail {
// finish_runtime_spec(spec, std::string(name)) without the copy of `spec` inlined at the caller.
TESSERA_COLD_SUPPORT TESSERA_DECL runtime_spec finished_runtime_spec(const runtime_spec& spec, std::string_view process_name);
}  // namespace detail

template <class Process>
const runtime_spec& runtime_spec_of() {
  static const runtime_spec spec = detail::finished_runtime_spec(spec_of<Process>().data, process_name_of<Process>());
  return spec;
}

// The outline program of a process, for an engine whose steps yield `Outcome`.
template <class Process, class Outcome>
constexpr const auto& program_of() {
  using outline = typename spec_type_of<Process>::outline_type;
  static_assert(detail::check_members<Process, outline>());
  return program<Process, Outcome, outline>;
}

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/bind.ipp"
#endif
