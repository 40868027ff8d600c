#pragma once
// Definitions for process_spec.hpp.
#include <nlohmann/json.hpp>

#include "../process_spec.hpp"

namespace tessera::spec::detail {

TESSERA_COLD_SUPPORT TESSERA_DECL void append_port(runtime_spec& s, port_info info, bool replaces) {
  if (replaces) {
    std::erase_if(s.ports, [&](const port_info& p) { return p.direction == info.direction && p.name == info.name; });
  }
  s.ports.push_back(std::move(info));
}

TESSERA_COLD_SUPPORT TESSERA_DECL void append_namespace(runtime_spec& s, namespace_info info) {
  for (auto& n : s.namespaces) {
    if (n.direction == info.direction && n.name == info.name) {  // several processes exposed into one
      n.dynamic = n.dynamic || info.dynamic;
      n.required = n.required && info.required;
      return;
    }
  }
  s.namespaces.push_back(std::move(info));
}

TESSERA_COLD_SUPPORT TESSERA_DECL void append_spec(runtime_spec& s, const runtime_spec& other) {
  for (const auto& p : other.ports) s.ports.push_back(p);
  for (const auto& n : other.namespaces) append_namespace(s, n);
  s.exit_codes.insert(s.exit_codes.end(), other.exit_codes.begin(), other.exit_codes.end());
  if (!other.outline.empty()) s.outline = other.outline;
}

TESSERA_COLD_SUPPORT TESSERA_DECL runtime_spec builtin_spec() {
  runtime_spec s;
  s.exit_codes.assign(std::begin(builtin_exit_codes), std::end(builtin_exit_codes));
  return s;
}

TESSERA_COLD_SUPPORT TESSERA_DECL void set_outline(runtime_spec& s, const outline_entry* entries, std::size_t count) {
  s.outline = runtime_spec::outline_json(entries, count);
}

TESSERA_DECL runtime_spec_holder::runtime_spec_holder() = default;
TESSERA_DECL runtime_spec_holder::runtime_spec_holder(const runtime_spec_holder& other) = default;
TESSERA_DECL runtime_spec_holder::runtime_spec_holder(runtime_spec_holder&& other) noexcept = default;
TESSERA_DECL runtime_spec_holder& runtime_spec_holder::operator=(const runtime_spec_holder& other) = default;
TESSERA_DECL runtime_spec_holder& runtime_spec_holder::operator=(runtime_spec_holder&& other) noexcept = default;
TESSERA_DECL runtime_spec_holder::~runtime_spec_holder() = default;

TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, port_decl_base&& port) {
  append_port(s, std::move(port.info), port.replaces);
}
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, const port_decl_base& port) {
  append_port(s, port.info, port.replaces);
}
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, exit_code_decl_base&& code) {
  s.exit_codes.push_back(std::move(code.info));
}
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, const exit_code_decl_base& code) {
  s.exit_codes.push_back(code.info);
}
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, const runtime_spec_holder& other) {
  append_spec(s, other.data);
}

TESSERA_COLD_SUPPORT TESSERA_DECL void start_spec(runtime_spec& s, const runtime_spec* base) {
  if (base) s = *base;
  else s.exit_codes.assign(std::begin(builtin_exit_codes), std::end(builtin_exit_codes));
}

}  // namespace tessera::spec::detail
