#pragma once
// Typed ports: input<"x", Int>(default_value(1), validator(positive), help("...")).
// The name and the value type are part of the port's type, so every use is checked by
// the compiler; defaults, validators and help are run-time values of the port object.
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "../data/any_data.hpp"
#include "../data/traits.hpp"
#include "detail/names.hpp"
#include "errors.hpp"
#include "fixed_string.hpp"

namespace tessera::spec {

enum class direction { input, output };

enum class origin {
  declared,  // written in this spec
  exposed,   // copied from another process's spec by expose_inputs/expose_outputs
  override_  // replaces a port of the same name that came before it
};

// What a validator returns: an error message, or nothing when the value is fine.
using validation_message = std::optional<std::string>;

template <direction Dir, fixed_string Name, class T, origin Origin = origin::declared>
struct port {
  static constexpr direction dir = Dir;
  static constexpr auto name = Name;
  static constexpr spec::origin from = Origin;
  using value_type = T;

  bool required = true;
  bool non_db = false;  // not recorded as provenance (e.g. a password, a live handle)
  std::optional<T> default_value;
  std::function<validation_message(const T&)> validator;
  std::string help;

  // Same port under another name or origin (used by expose and override).
  template <fixed_string NewName, origin NewOrigin>
  port<Dir, NewName, T, NewOrigin> renamed() const {
    port<Dir, NewName, T, NewOrigin> p;
    p.required = required;
    p.non_db = non_db;
    p.default_value = default_value;
    p.validator = validator;
    p.help = help;
    return p;
  }
};

// A port holds one data type, or any_data to accept every data type.
template <class T>
concept port_value_type = data_type<T> || std::same_as<T, any_data>;

namespace detail {

template <class T> struct is_port : std::false_type {};
template <direction D, fixed_string N, class T, origin O>
struct is_port<port<D, N, T, O>> : std::true_type {};

}  // namespace detail

// ---- port options -------------------------------------------------------------------

template <class V>
struct default_value_option { V value; };
template <class V>
constexpr auto default_value(V value) { return default_value_option<V>{std::move(value)}; }

template <class F>
struct validator_option { F fn; };
template <class F>
constexpr auto validator(F fn) { return validator_option<F>{std::move(fn)}; }

struct help_option { std::string text; };
inline help_option help(std::string text) { return {std::move(text)}; }

struct required_option { bool value; };
constexpr required_option required(bool value = true) { return {value}; }

struct non_db_option {};
inline constexpr non_db_option non_db{};

namespace detail {

template <class Port, class V>
void apply_option(Port& p, default_value_option<V>&& o) {
  using T = typename Port::value_type;
  if constexpr (std::is_constructible_v<T, V>) {
    p.default_value.emplace(T(std::move(o.value)));
  } else {
    error::raise::default_value_does_not_convert<Port::name, T, V>();
  }
}

template <class Port, class F>
void apply_option(Port& p, validator_option<F>&& o) {
  using T = typename Port::value_type;
  if constexpr (std::is_invocable_r_v<validation_message, const F&, const T&>) {
    p.validator = std::move(o.fn);
  } else {
    error::raise::validator_has_wrong_signature<Port::name, T>();
  }
}

template <class Port> void apply_option(Port& p, help_option&& o) { p.help = std::move(o.text); }
template <class Port> void apply_option(Port& p, required_option o) { p.required = o.value; }
template <class Port> void apply_option(Port& p, non_db_option) { p.non_db = true; }

template <direction Dir, fixed_string Name, class T, origin Origin, class... Options>
auto make_port(Options&&... options) {
  if constexpr (!valid_dotted_name(Name.view())) {
    error::raise::invalid_port_name<Name>();
    return invalid_element{};
  } else if constexpr (!port_value_type<T>) {
    error::raise::port_type_is_not_a_data_type<Name, T>();
    return invalid_element{};
  } else {
    port<Dir, Name, T, Origin> p;
    (apply_option(p, std::forward<Options>(options)), ...);
    return p;
  }
}

}  // namespace detail

// ---- declarations ---------------------------------------------------------------------

template <fixed_string Name, class T, class... Options>
auto input(Options&&... options) {
  return detail::make_port<direction::input, Name, T, origin::declared>(
      std::forward<Options>(options)...);
}

template <fixed_string Name, class T, class... Options>
auto output(Options&&... options) {
  return detail::make_port<direction::output, Name, T, origin::declared>(
      std::forward<Options>(options)...);
}

// Replace a port inherited from a base spec (see extend) or exposed from another process.
template <fixed_string Name, class T, class... Options>
auto override_input(Options&&... options) {
  return detail::make_port<direction::input, Name, T, origin::override_>(
      std::forward<Options>(options)...);
}

template <fixed_string Name, class T, class... Options>
auto override_output(Options&&... options) {
  return detail::make_port<direction::output, Name, T, origin::override_>(
      std::forward<Options>(options)...);
}

}  // namespace tessera::spec
