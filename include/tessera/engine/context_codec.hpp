#pragma once
// How a work chain's typed context goes into a checkpoint and back, with no serializer
// written by the user:
//  - structs adapted with BOOST_HANA_DEFINE_STRUCT / BOOST_HANA_ADAPT_STRUCT become JSON
//    objects keyed by member name (members may be added or reordered between versions:
//    missing keys keep their default value);
//  - any other aggregate goes through Boost.PFR, member by member, as a JSON array;
//  - members may be bool, integers, floating point, enums, std::string, tessera data types,
//    any_data, stored<T>, child handles (anything with to_checkpoint/from_checkpoint),
//    std::optional, std::vector, std::map<std::string, T>, and nested structs of the above.
// A type the codec cannot handle is a compile error naming it (static_assert below).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/hana/accessors.hpp>
#include <boost/hana/first.hpp>
#include <boost/hana/string.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/keys.hpp>
#include <boost/hana/second.hpp>
#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>
#include <nlohmann/json.hpp>

#include <tessera/data/any_data.hpp>
#include <tessera/data/registry.hpp>
#include <tessera/data/traits.hpp>
#include <tessera/engine/stored.hpp>

namespace tessera::engine_detail {

template <class T> struct is_vector : std::false_type {};
template <class T, class A> struct is_vector<std::vector<T, A>> : std::true_type {};
template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_string_map : std::false_type {};
template <class T, class C, class A> struct is_string_map<std::map<std::string, T, C, A>> : std::true_type {};

template <class T>
concept self_checkpointing = requires(const T& v, T& w, const nlohmann::json& j) {
  { v.to_checkpoint() } -> std::same_as<nlohmann::json>;
  w.from_checkpoint(j);
};

template <class T> struct unsupported_context_member : std::false_type {};

template <class T>
nlohmann::json encode(const T& v);
template <class T>
void decode(const nlohmann::json& j, T& v);

template <class T>
nlohmann::json encode(const T& v) {
  if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
    return v;
  } else if constexpr (std::is_enum_v<T>) {
    return static_cast<std::underlying_type_t<T>>(v);
  } else if constexpr (self_checkpointing<T>) {
    return v.to_checkpoint();
  } else if constexpr (is_stored<T>::value) {
    return {{"pk", v.pk()}, {"value", encode(v.value())}};
  } else if constexpr (std::is_same_v<T, any_data>) {
    if (!v.has_value()) return nullptr;
    return {{"type", v.type_name()}, {"value", v.serialize()}};
  } else if constexpr (data_type<T>) {
    return data_traits<T>::serialize(v);
  } else if constexpr (is_optional<T>::value) {
    return v ? encode(*v) : nlohmann::json(nullptr);
  } else if constexpr (is_vector<T>::value) {
    auto a = nlohmann::json::array();
    for (const auto& e : v) a.push_back(encode(e));
    return a;
  } else if constexpr (is_string_map<T>::value) {
    auto o = nlohmann::json::object();
    for (const auto& [k, e] : v) o[k] = encode(e);
    return o;
  } else if constexpr (boost::hana::Struct<T>::value) {
    auto o = nlohmann::json::object();
    boost::hana::for_each(boost::hana::accessors<T>(), [&](auto pair) {
      o[boost::hana::to<char const*>(boost::hana::first(pair))] = encode(boost::hana::second(pair)(v));
    });
    return o;
  } else if constexpr (std::is_aggregate_v<T> && std::is_class_v<T>) {
    auto a = nlohmann::json::array();
    boost::pfr::for_each_field(v, [&](const auto& f) { a.push_back(encode(f)); });
    return a;
  } else {
    static_assert(unsupported_context_member<T>::value,
                  "tessera: this type cannot be stored in a work chain context (see engine/context_codec.hpp)");
    return {};
  }
}

template <class T>
void decode(const nlohmann::json& j, T& v) {
  if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T> || std::is_same_v<T, std::string>) {
    v = j.get<T>();
  } else if constexpr (std::is_enum_v<T>) {
    v = static_cast<T>(j.get<std::underlying_type_t<T>>());
  } else if constexpr (self_checkpointing<T>) {
    v.from_checkpoint(j);
  } else if constexpr (is_stored<T>::value) {
    using inner = std::remove_cvref_t<decltype(v.value())>;
    inner value{};
    decode(j.at("value"), value);
    v = T(std::move(value), j.at("pk").get<std::int64_t>());
  } else if constexpr (std::is_same_v<T, any_data>) {
    if (j.is_null()) {
      v = any_data{};
    } else {
      v = data_registry::global().deserialize(j.at("type").get<std::string>(), j.at("value"));
    }
  } else if constexpr (data_type<T>) {
    v = data_traits<T>::deserialize(j);
  } else if constexpr (is_optional<T>::value) {
    if (j.is_null()) {
      v.reset();
    } else {
      typename T::value_type e{};
      decode(j, e);
      v = std::move(e);
    }
  } else if constexpr (is_vector<T>::value) {
    v.clear();
    for (const auto& e : j) {
      typename T::value_type x{};
      decode(e, x);
      v.push_back(std::move(x));
    }
  } else if constexpr (is_string_map<T>::value) {
    v.clear();
    for (auto it = j.begin(); it != j.end(); ++it) decode(it.value(), v[it.key()]);
  } else if constexpr (boost::hana::Struct<T>::value) {
    boost::hana::for_each(boost::hana::accessors<T>(), [&](auto pair) {
      const char* key = boost::hana::to<char const*>(boost::hana::first(pair));
      if (auto it = j.find(key); it != j.end()) decode(*it, boost::hana::second(pair)(v));
    });
  } else if constexpr (std::is_aggregate_v<T> && std::is_class_v<T>) {
    if (!j.is_array() || j.size() != boost::pfr::tuple_size_v<T>) {
      throw std::runtime_error("checkpointed context has " + std::to_string(j.size()) + " members, the type has " +
                               std::to_string(boost::pfr::tuple_size_v<T>) +
                               ": the context struct changed; adapt it with BOOST_HANA_DEFINE_STRUCT to evolve it");
    }
    std::size_t i = 0;
    boost::pfr::for_each_field(v, [&](auto& f) { decode(j[i++], f); });
  } else {
    static_assert(unsupported_context_member<T>::value,
                  "tessera: this type cannot be stored in a work chain context (see engine/context_codec.hpp)");
  }
}

}  // namespace tessera::engine_detail
