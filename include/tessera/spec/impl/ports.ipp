#pragma once
// Definitions for ports.hpp.
#include "../ports.hpp"

namespace tessera::spec::detail {

TESSERA_COLD_SUPPORT TESSERA_DECL void throw_input_not_given(std::string_view process, std::string_view input) {
  throw std::out_of_range("process '" + std::string(process) + "': input '" + std::string(input) +
                          "' was not given and has no default");
}

TESSERA_DECL port_values validated_inputs(const runtime_spec& spec, const port_values& values) {
  port_values copy = values;
  spec.validate_inputs(copy);
  return copy;
}

}  // namespace tessera::spec::detail
