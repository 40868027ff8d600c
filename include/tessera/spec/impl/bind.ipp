#pragma once
// Definitions for bind.hpp.
#include <nlohmann/json.hpp>

#include "../bind.hpp"

namespace tessera::spec {

namespace detail {

TESSERA_COLD_SUPPORT TESSERA_DECL void add_implied_namespaces(runtime_spec& out) {
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

TESSERA_COLD_SUPPORT TESSERA_DECL runtime_spec finish_runtime_spec(runtime_spec spec, std::string process_name) {
  spec.process_name = std::move(process_name);
  detail::add_implied_namespaces(spec);
  std::stable_sort(spec.exit_codes.begin(), spec.exit_codes.end(),
                   [](const exit_code_info& a, const exit_code_info& b) { return a.status < b.status; });
  return spec;
}

TESSERA_COLD_SUPPORT TESSERA_DECL runtime_spec detail::finished_runtime_spec(const runtime_spec& spec, std::string_view process_name) {
  return finish_runtime_spec(spec, std::string(process_name));
}

}  // namespace tessera::spec
