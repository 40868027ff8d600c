#pragma once

#include <compare>
#include <concepts>
#include <cstdint>
#include <limits>
#include <string_view>

#include <nlohmann/json.hpp>

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

  static nlohmann::json serialize(const Int& v) { return v.value; }

  // JSON integers only: not 1.0, not "1", not true. Parsed text yields
  // unsigned integers, so those are accepted when they fit in int64.
  static Int deserialize(const nlohmann::json& j) {
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
};

}  // namespace tessera
