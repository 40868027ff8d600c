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

}  // namespace tessera::spec
