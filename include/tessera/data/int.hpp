#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <string_view>

#include <tessera/data/detail/json_config.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

// A 64-bit signed integer node ("core.int").
struct Int {
  std::int64_t value{};

  constexpr Int() = default;
  constexpr Int(std::int64_t v) : value(v) {}  // implicit: Int x = 5;
  // Int(true) and Int(2.5) compile silently otherwise; both are almost
  // certainly mistakes, so refuse them.
  template <class B>
    requires std::same_as<B, bool> || std::floating_point<B>
  Int(B) = delete;

  friend auto operator<=>(const Int&, const Int&) = default;
};

template <>
struct data_traits<Int> {
  static constexpr std::string_view type_name = "core.int";

  TESSERA_DECL static nlohmann::json serialize(const Int& v);

  // JSON integers only: not 1.0, not "1", not true. Parsed text yields
  // unsigned integers, so those are accepted when they fit in int64.
  TESSERA_DECL static Int deserialize(const nlohmann::json& j);

  // The canonical encoding of serialize(v) (the default content hash, unchanged),
  // compiled once instead of in every unit that hashes or stores a Int.
  TESSERA_DECL static void hash(const Int& v, hasher& h);
};

namespace detail {
TESSERA_DECL void serialize_to(nlohmann::json& out, const Int& value);
}  // namespace detail

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/int.ipp>
#endif
