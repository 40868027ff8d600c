#pragma once

#include <concepts>
#include <string_view>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/canonical.hpp>
#include <tessera/data/detail/encode.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/hasher.hpp>

namespace tessera {

// How a C++ type becomes a tessera data node. Left undefined so that a type
// without a specialization is simply not a data_type. A specialization has:
//   static constexpr std::string_view type_name = "mylab.vec3";  // namespaced, stable
//   static nlohmann::json serialize(const T&);
//   static T deserialize(const nlohmann::json&);  // throws data_error on a wrong shape
//   static void hash(const T&, hasher&);          // optional, see content_hash
// See tests/unit/data_custom_type_test.cpp for a complete example.
template <class T>
struct data_traits;

template <class T>
concept data_type = requires(const T& v, const nlohmann::json& j) {
  { data_traits<T>::type_name } -> std::convertible_to<std::string_view>;
  // decltype, not a compound requirement: nlohmann::json may be incomplete here
  // (TESSERA_SEPARATE_COMPILATION includes only <nlohmann/json_fwd.hpp>).
  requires std::same_as<decltype(data_traits<T>::serialize(v)), nlohmann::json>;
  { data_traits<T>::deserialize(j) } -> std::same_as<T>;
};

namespace detail {
template <class T>
concept has_custom_hash = requires(const T& v, hasher& h) { data_traits<T>::hash(v, h); };
}  // namespace detail

template <data_type T>
constexpr std::string_view type_name_of() {
  return std::string_view{data_traits<T>::type_name};
}

template <data_type T>
auto to_json(const T& value) -> decltype(data_traits<T>::serialize(value)) {  // nlohmann::json
  return data_traits<T>::serialize(value);
}

namespace detail {
// out = serialize(value). Generic for user types (whose traits need the complete
// nlohmann::json anyway); the built-in types add non-template overloads, compiled once.
template <data_type T>
void serialize_to(nlohmann::json& out, const T& value) {
  out = data_traits<T>::serialize(value);
}
}  // namespace detail

template <data_type T>
T from_json(const nlohmann::json& j) {
  return data_traits<T>::deserialize(j);
}

// The tag that starts every content hash; bump it (and the golden digests)
// only for a deliberate, incompatible change of encoding.
inline constexpr std::string_view content_hash_format = "tessera.data.v1";

// BLAKE2b-256 of: the 15 bytes of content_hash_format (no prefix), the type
// name as length (u64 LE) + bytes, then the value's encoding: data_traits<T>::
// hash if given, else the canonical encoding of serialize(value). The type
// name makes Int(1) and a user type serializing to 1 hash differently.
template <data_type T>
digest content_hash(const T& value) {
  hasher h;
  h.update(content_hash_format);
  detail::put_string(h, type_name_of<T>());
  if constexpr (detail::has_custom_hash<T>) {
    data_traits<T>::hash(value, h);
  } else {
    hash_canonical_json(h, data_traits<T>::serialize(value));
  }
  return h.finish();
}

}  // namespace tessera
