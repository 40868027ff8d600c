#pragma once
// Definitions for float.hpp.
#include <nlohmann/json.hpp>

#include <tessera/data/canonical.hpp>
#include <tessera/data/float.hpp>

namespace tessera {

TESSERA_DECL nlohmann::json data_traits<Float>::serialize(const Float& v) {
  if (std::isnan(v.value)) return "NaN";
  if (std::isinf(v.value)) return v.value > 0 ? "Infinity" : "-Infinity";
  return v.value;
}

TESSERA_DECL Float data_traits<Float>::deserialize(const nlohmann::json& j) {
  if (j.is_number()) return Float{j.get<double>()};
  if (j.is_string()) {
    const auto& s = j.get_ref<const nlohmann::json::string_t&>();
    if (s == "NaN") return Float{std::numeric_limits<double>::quiet_NaN()};
    if (s == "Infinity") return Float{std::numeric_limits<double>::infinity()};
    if (s == "-Infinity") return Float{-std::numeric_limits<double>::infinity()};
  }
  throw detail::expectation_error(type_name, "a JSON number", j);
}

TESSERA_DECL void data_traits<Float>::hash(const Float& v, hasher& h) { hash_canonical_json(h, serialize(v)); }

TESSERA_DECL void detail::serialize_to(nlohmann::json& out, const Float& value) {
  out = data_traits<Float>::serialize(value);
}

}  // namespace tessera
