#pragma once

#include <compare>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

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

  static nlohmann::json serialize(const Str& v) { return v.value; }

  static Str deserialize(const nlohmann::json& j) {
    if (j.is_string()) return Str{j.get<std::string>()};
    throw detail::expectation_error(type_name, "a JSON string", j);
  }
};

}  // namespace tessera
