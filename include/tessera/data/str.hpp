#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

// A UTF-8 string node ("core.str").
struct Str {
  std::string value;

  Str() = default;
  Str(std::string v) : value(std::move(v)) {}  // implicit: Str s = std::string(...);
  Str(const char* v) : value(v) {}             // implicit: Str s = "text";
  explicit Str(std::string_view v) : value(v) {}

  friend auto operator<=>(const Str&, const Str&) = default;
};

template <>
struct data_traits<Str> {
  static constexpr std::string_view type_name = "core.str";

  TESSERA_DECL static nlohmann::json serialize(const Str& v);

  TESSERA_DECL static Str deserialize(const nlohmann::json& j);

  // The canonical encoding of serialize(v) (the default content hash, unchanged),
  // compiled once instead of in every unit that hashes or stores a Str.
  TESSERA_DECL static void hash(const Str& v, hasher& h);
};

namespace detail {
TESSERA_DECL void serialize_to(nlohmann::json& out, const Str& value);
}  // namespace detail

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/str.ipp>
#endif
