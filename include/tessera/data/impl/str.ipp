#pragma once
// Definitions for str.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/canonical.hpp>
#include <tessera/data/str.hpp>

namespace tessera {

TESSERA_DECL nlohmann::json data_traits<Str>::serialize(const Str& v) { return v.value; }

TESSERA_DECL Str data_traits<Str>::deserialize(const nlohmann::json& j) {
  if (j.is_string()) return Str{j.get<std::string>()};
  throw detail::expectation_error(type_name, "a JSON string", j);
}

TESSERA_DECL void data_traits<Str>::hash(const Str& v, hasher& h) { hash_canonical_json(h, serialize(v)); }

TESSERA_DECL void detail::serialize_to(nlohmann::json& out, const Str& value) {
  out = data_traits<Str>::serialize(value);
}

}  // namespace tessera
