#pragma once
// Header-only by default: every function of the data and spec layers is defined inline in
// the headers (their bodies live in impl/*.ipp, included at the end of each header).
//
// Separate compilation (opt-in, the Boost.Asio pattern): define TESSERA_SEPARATE_COMPILATION
// in EVERY translation unit of the program (CMake: link tessera::compiled, which also builds
// the bodies once) or, by hand, include <tessera/src.hpp> in exactly one translation unit.
// The headers then declare the run-time support (JSON conversion, validation, rendering,
// hashing) without defining it and include only <nlohmann/json_fwd.hpp>, so a unit that
// declares and runs processes no longer parses and compiles nlohmann/json. In that mode:
//   - include <tessera/data/dict.hpp> / <tessera/data/list.hpp> (or data.hpp) to use Dict or
//     List, and <nlohmann/json.hpp> to work with JSON values yourself;
//   - runtime_spec::outline is a spec::json_value (converts to const nlohmann::json&)
//     instead of an nlohmann::json.
#if defined(TESSERA_SEPARATE_COMPILATION)
#include <nlohmann/json_fwd.hpp>
#define TESSERA_DECL
#else
#include <nlohmann/json.hpp>
#define TESSERA_DECL inline
#endif
