#pragma once
// Definitions for port.hpp.
#include "../port.hpp"

namespace tessera::spec {

TESSERA_DECL port_decl_base::port_decl_base(direction dir, std::string_view name, bool replaces_port)
    : replaces(replaces_port) {
  info.name = std::string(name);
  info.direction = dir;
}
TESSERA_DECL port_decl_base::port_decl_base(const port_decl_base& other) = default;
TESSERA_DECL port_decl_base::port_decl_base(port_decl_base&& other) noexcept = default;
TESSERA_DECL port_decl_base& port_decl_base::operator=(const port_decl_base& other) = default;
TESSERA_DECL port_decl_base& port_decl_base::operator=(port_decl_base&& other) noexcept = default;
TESSERA_DECL port_decl_base::~port_decl_base() = default;

TESSERA_DECL help_option help(std::string_view text) { return {std::string(text)}; }

namespace detail {
TESSERA_DECL void apply_help(port_info& info, help_option&& o) { info.help = std::move(o.text); }
}  // namespace detail

}  // namespace tessera::spec
