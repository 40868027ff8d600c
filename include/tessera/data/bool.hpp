#pragma once

#include <compare>
#include <concepts>
#include <string_view>

#include <tessera/data/detail/json_config.hpp>

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

  TESSERA_DECL static nlohmann::json serialize(const Bool& v);

  TESSERA_DECL static Bool deserialize(const nlohmann::json& j);

  // The canonical encoding of serialize(v) (the default content hash, unchanged),
  // compiled once instead of in every unit that hashes or stores a Bool.
  TESSERA_DECL static void hash(const Bool& v, hasher& h);
};

namespace detail {
TESSERA_DECL void serialize_to(nlohmann::json& out, const Bool& value);
}  // namespace detail

}  // namespace tessera

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include <tessera/data/impl/bool.ipp>
#endif
