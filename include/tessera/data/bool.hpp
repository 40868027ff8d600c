#pragma once

#include <compare>
#include <concepts>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

// A boolean node ("core.bool").
struct Bool {
  bool value{};

  constexpr Bool() = default;
  constexpr Bool(bool v) : value(v) {}  // implicit: Bool b = true;
  // Bool(1), Bool(ptr) and Bool("no") would silently convert; refuse them.
  template <class T>
    requires(!std::same_as<T, bool>)
  Bool(T) = delete;

  friend auto operator<=>(const Bool&, const Bool&) = default;
};

template <>
struct data_traits<Bool> {
  static constexpr std::string_view type_name = "core.bool";

  static nlohmann::json serialize(const Bool& v) { return v.value; }

  static Bool deserialize(const nlohmann::json& j) {
    if (j.is_boolean()) return Bool{j.get<bool>()};
    throw detail::expectation_error(type_name, "a JSON boolean", j);
  }
};

}  // namespace tessera
