#pragma once
// Binding a spec to its process class: the run-time spec, the process's name, the outline's
// JSON form, and the check that every step and condition belongs to the process.
#include <algorithm>
#include <concepts>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

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
template <class Process>
constexpr std::string_view process_name_of() {
  if constexpr (has_process_name<Process>) {
    return Process::process_name;
  } else {
    return detail::type_name<Process>();
  }
}

namespace detail {

template <class Node> struct outline_json;
template <class... Nodes>
nlohmann::json body_json() {
  nlohmann::json out = nlohmann::json::array();
  (out.push_back(outline_json<Nodes>::get()), ...);
  return out;
}
template <auto M> struct outline_json<step_node<M>> {
  static nlohmann::json get() { return {{"step", member_name<M>()}}; }
};
template <fixed_string L> struct outline_json<return_node<L>> {
  static nlohmann::json get() {
    return {{"return", L.size() == 0 ? nlohmann::json(nullptr) : nlohmann::json(L.view())}};
  }
};
template <auto C, class... B> struct outline_json<while_node<C, B...>> {
  static nlohmann::json get() { return {{"while", member_name<C>()}, {"body", body_json<B...>()}}; }
};
template <auto C, class... B> struct outline_json<branch<C, B...>> {
  static nlohmann::json get() { return {{"condition", member_name<C>()}, {"body", body_json<B...>()}}; }
};
template <class... B> struct outline_json<else_branch<B...>> {
  static nlohmann::json get() { return {{"body", body_json<B...>()}}; }
};
template <class... Br> struct outline_json<if_node<Br...>> {
  static nlohmann::json get() { return {{"if", body_json<Br...>()}}; }
};
template <class... N> struct outline_json<outline_decl<N...>> {
  static nlohmann::json get() { return body_json<N...>(); }
};

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

// ---- run-time spec -----------------------------------------------------------------------

template <direction D, fixed_string N, class T, origin O>
port_info to_info(const port<D, N, T, O>& p) {
  port_info info;
  info.name = std::string(N.view());
  info.direction = D;
  info.required = p.required;
  info.non_db = p.non_db;
  info.help = p.help;
  if constexpr (std::is_same_v<T, any_data>) {
    info.type_name = "any";
    info.from_json = &any_data::infer_from_json;
    if (p.default_value) info.default_value = *p.default_value;
    if (p.validator) info.validator = p.validator;
  } else {
    info.type_name = std::string(type_name_of<T>());
    info.type = &typeid(T);
    info.from_json = +[](const nlohmann::json& j) { return any_data(from_json<T>(j)); };
    if (p.default_value) info.default_value = any_data(*p.default_value);
    if (p.validator) {
      info.validator = [v = p.validator](const any_data& value) -> validation_message { return v(value.get<T>()); };
    }
  }
  return info;
}

template <class E>
void add_to_runtime(runtime_spec& out, const E& e) {
  if constexpr (is_port<E>::value) {
    out.ports.push_back(to_info(e));
  } else if constexpr (is_port_namespace<E>::value) {
    const std::string name(E::name.view());
    auto it = std::find_if(out.namespaces.begin(), out.namespaces.end(),
                           [&](const namespace_info& n) { return n.direction == E::dir && n.name == name; });
    if (it == out.namespaces.end()) {
      out.namespaces.push_back({name, E::dir, e.dynamic, e.required, true, e.help});
    } else {  // several processes exposed into one namespace
      it->dynamic = it->dynamic || e.dynamic;
      it->required = it->required && e.required;
    }
  } else if constexpr (is_exit_code_decl<E>::value) {
    out.exit_codes.push_back({E::status, std::string(E::label.view()), e.message});
  } else if constexpr (is_outline_decl<E>::value) {
    out.outline = outline_json<E>::get();
  }
}

inline void add_implied_namespaces(runtime_spec& out) {
  std::vector<namespace_info> implied;
  auto known = [&](direction dir, std::string_view name) {
    auto same = [&](const namespace_info& n) { return n.direction == dir && n.name == name; };
    return std::any_of(out.namespaces.begin(), out.namespaces.end(), same) ||
           std::any_of(implied.begin(), implied.end(), same);
  };
  auto imply = [&](direction dir, std::string_view name) {
    for (auto dot = name.find('.'); dot != std::string_view::npos; dot = name.find('.', dot + 1)) {
      if (!known(dir, name.substr(0, dot))) {
        implied.push_back({std::string(name.substr(0, dot)), dir, false, true, false, {}});
      }
    }
  };
  for (const auto& p : out.ports) imply(p.direction, p.name);
  for (const auto& n : out.namespaces) imply(n.direction, n.name);
  out.namespaces.insert(out.namespaces.end(), implied.begin(), implied.end());
}

}  // namespace detail

template <class... E>
runtime_spec build_runtime_spec(const process_spec_type<E...>& spec, std::string process_name) {
  runtime_spec out;
  out.process_name = std::move(process_name);
  std::apply([&](const auto&... e) { (detail::add_to_runtime(out, e), ...); }, spec.elements);
  detail::add_implied_namespaces(out);
  std::sort(out.exit_codes.begin(), out.exit_codes.end(),
            [](const exit_code_info& a, const exit_code_info& b) { return a.status < b.status; });
  return out;
}

template <class Process>
const runtime_spec& runtime_spec_of() {
  static const runtime_spec spec = build_runtime_spec(spec_of<Process>(), std::string(process_name_of<Process>()));
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
