#pragma once

#include <compare>
#include <concepts>
#include <limits>
#include <string>
#include <string_view>

#include <tessera/data/detail/json_config.hpp>

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
  TESSERA_DECL static nlohmann::json serialize(const Float& v);

  // Any JSON number (integers are converted), or one of the three strings above.
  TESSERA_DECL static Float deserialize(const nlohmann::json& j);

  // The canonical encoding of serialize(v) (the default content hash, unchanged),
  // compiled once instead of in every unit that hashes or stores a Float.
  TESSERA_DECL static void hash(const Float& v, hasher& h);
};

namespace detail {
TESSERA_DECL void serialize_to(nlohmann::json& out, const Float& value);
}  // namespace detail

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/float.ipp>
#endif
