#pragma once
// Definitions for bool.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/canonical.hpp>
#include <tessera/data/bool.hpp>

namespace tessera {

TESSERA_DECL nlohmann::json data_traits<Bool>::serialize(const Bool& v) { return v.value; }

TESSERA_DECL Bool data_traits<Bool>::deserialize(const nlohmann::json& j) {
  if (j.is_boolean()) return Bool{j.get<bool>()};
  throw detail::expectation_error(type_name, "a JSON boolean", j);
}

TESSERA_DECL void data_traits<Bool>::hash(const Bool& v, hasher& h) { hash_canonical_json(h, serialize(v)); }

TESSERA_DECL void detail::serialize_to(nlohmann::json& out, const Bool& value) {
  out = data_traits<Bool>::serialize(value);
}

}  // namespace tessera
