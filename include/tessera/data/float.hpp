#pragma once

#include <cmath>
#include <compare>
#include <concepts>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/data/detail/describe_json.hpp>
#include <tessera/data/traits.hpp>

namespace tessera {

// A double-precision number node ("core.float"). Equality is IEEE value
// equality: Float(NaN) != Float(NaN), Float(-0.0) == Float(0.0).
struct Float {
  double value{};

  constexpr Float() = default;
  constexpr Float(double v) : value(v) {}  // implicit: Float x = 1.5;
  template <class B>
    requires std::same_as<B, bool>
  Float(B) = delete;  // Float(true) is a mistake, not 1.0

  friend auto operator<=>(const Float&, const Float&) = default;  // partial ordering
};

template <>
struct data_traits<Float> {
  static constexpr std::string_view type_name = "core.float";

  // JSON text has no NaN or infinity (nlohmann would dump them as null and
  // the value could not be read back), so these three are written as the
  // strings Python's json module uses; every finite value stays a number.
  static nlohmann::json serialize(const Float& v) {
    if (std::isnan(v.value)) return "NaN";
    if (std::isinf(v.value)) return v.value > 0 ? "Infinity" : "-Infinity";
    return v.value;
  }

  // Any JSON number (integers are converted), or one of the three strings above.
  static Float deserialize(const nlohmann::json& j) {
    if (j.is_number()) return Float{j.get<double>()};
    if (j.is_string()) {
      const auto& s = j.get_ref<const nlohmann::json::string_t&>();
      if (s == "NaN") return Float{std::numeric_limits<double>::quiet_NaN()};
      if (s == "Infinity") return Float{std::numeric_limits<double>::infinity()};
      if (s == "-Infinity") return Float{-std::numeric_limits<double>::infinity()};
    }
    throw detail::expectation_error(type_name, "a JSON number", j);
  }
};

}  // namespace tessera
