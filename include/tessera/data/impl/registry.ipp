#pragma once
// Definitions for registry.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/dict.hpp>
#include <tessera/data/list.hpp>
#include <tessera/data/registry.hpp>

namespace tessera {

TESSERA_DECL data_registry::data_registry(with_builtins_t) {
  add<Int>();
  add<Float>();
  add<Bool>();
  add<Str>();
  add<Dict>();
  add<List>();
}

}  // namespace tessera
