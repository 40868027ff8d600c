#pragma once
// Definitions for int.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/canonical.hpp>
#include <tessera/data/int.hpp>

namespace tessera {

TESSERA_DECL nlohmann::json data_traits<Int>::serialize(const Int& v) { return v.value; }

TESSERA_DECL Int data_traits<Int>::deserialize(const nlohmann::json& j) {
  if (j.is_number_integer() && !j.is_number_unsigned()) {
    return Int{j.get<std::int64_t>()};
  }
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Int{static_cast<std::int64_t>(u)};
    }
    throw detail::expectation_error(type_name, "a JSON integer within int64 range", j);
  }
  throw detail::expectation_error(type_name, "a JSON integer", j);
}

TESSERA_DECL void data_traits<Int>::hash(const Int& v, hasher& h) { hash_canonical_json(h, serialize(v)); }

TESSERA_DECL void detail::serialize_to(nlohmann::json& out, const Int& value) {
  out = data_traits<Int>::serialize(value);
}

}  // namespace tessera
