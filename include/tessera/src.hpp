#pragma once
// The bodies of tessera's run-time support (JSON conversion, hashing, validation, rendering),
// for TESSERA_SEPARATE_COMPILATION: include this header in exactly one .cpp file of a
// program whose every translation unit defines TESSERA_SEPARATE_COMPILATION (CMake: link
// tessera::compiled instead, which does both). See data/detail/json_config.hpp.
#if !defined(TESSERA_SEPARATE_COMPILATION)
#error "<tessera/src.hpp> is for builds that define TESSERA_SEPARATE_COMPILATION everywhere"
#endif

#include <nlohmann/json.hpp>

#include "data/impl/canonical.ipp"
#include "data/impl/describe_json.ipp"
#include "data/impl/int.ipp"
#include "data/impl/float.ipp"
#include "data/impl/str.ipp"
#include "data/impl/bool.ipp"
#include "data/impl/any_data.ipp"
#include "data/impl/registry.ipp"
#include "spec/impl/port_values.ipp"
#include "spec/impl/port.ipp"
#include "spec/impl/exit_code.ipp"
#include "spec/impl/runtime_spec.ipp"
#include "spec/impl/render.ipp"
#include "spec/impl/process_spec.ipp"
#include "spec/impl/bind.ipp"
#include "spec/impl/ports.ipp"
