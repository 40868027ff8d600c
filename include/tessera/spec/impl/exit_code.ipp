#pragma once
// Definitions for exit_code.hpp.
#include "../exit_code.hpp"

namespace tessera::spec {

TESSERA_DECL exit_code_decl_base::exit_code_decl_base(int status, std::string_view label, std::string message)
    : info{status, std::string(label), std::move(message)} {}
TESSERA_DECL exit_code_decl_base::exit_code_decl_base(const exit_code_decl_base& other) = default;
TESSERA_DECL exit_code_decl_base::exit_code_decl_base(exit_code_decl_base&& other) noexcept = default;
TESSERA_DECL exit_code_decl_base& exit_code_decl_base::operator=(const exit_code_decl_base& other) = default;
TESSERA_DECL exit_code_decl_base& exit_code_decl_base::operator=(exit_code_decl_base&& other) noexcept = default;
TESSERA_DECL exit_code_decl_base::~exit_code_decl_base() = default;

}  // namespace tessera::spec
