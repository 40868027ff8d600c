#pragma once
// Typed ports: input<"x", Int>(default_value(1), validator(positive), help("...")).
// The name and the value type are in the port's type (an empty tag), so every use is
// checked by the compiler; defaults, validators and help go into a plain port_info.
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "../data/any_data.hpp"
#include "../data/traits.hpp"
#include "detail/names.hpp"
#include "errors.hpp"
#include "fixed_string.hpp"
#include "info.hpp"

namespace tessera::spec {

enum class origin {
  declared,  // written in this spec
  exposed,   // copied from another process's spec by expose_inputs/expose_outputs
  override_  // replaces a port of the same name that came before it
};

// A port holds one data type, or any_data to accept every data type.
template <class T>
concept port_value_type = data_type<T> || std::same_as<T, any_data>;

// What the compiler knows of a port.
template <direction Dir, fixed_string Name, class T, origin Origin = origin::declared>
struct port_tag {
  static constexpr direction dir = Dir;
  static constexpr auto name = Name;
  static constexpr spec::origin from = Origin;
  using value_type = T;
};

// The run-time description of a declared port. Its special members are functions of their
// own (compiled once under TESSERA_SEPARATE_COMPILATION), not inline code in every port.
struct port_decl_base {
  port_info info;
  bool replaces = false;  // declared by override_input / override_output

  TESSERA_DECL port_decl_base(direction dir, std::string_view name, bool replaces_port);
  TESSERA_DECL port_decl_base(const port_decl_base& other);
  TESSERA_DECL port_decl_base(port_decl_base&& other) noexcept;
  TESSERA_DECL port_decl_base& operator=(const port_decl_base& other);
  TESSERA_DECL port_decl_base& operator=(port_decl_base&& other) noexcept;
  TESSERA_DECL ~port_decl_base();
};

// A declared port: its tag and its run-time description.
template <class Tag>
struct port_decl : port_decl_base {
  using port_decl_base::port_decl_base;
};

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
// Out of line, like the option's use below: a spec's help texts are then a pointer and a
// length at the call, not string code compiled into every define().
TESSERA_DECL help_option help(std::string_view text);

struct required_option { bool value; };
constexpr required_option required(bool value = true) { return {value}; }

struct non_db_option {};
inline constexpr non_db_option non_db{};

namespace detail {

template <class T> struct is_port_tag : std::false_type {};
template <direction D, fixed_string N, class T, origin O>
struct is_port_tag<port_tag<D, N, T, O>> : std::true_type {};

// Per value type, not per port: what every port of type T shares.
template <class T>
any_data read_json_as(const nlohmann::json& j) {
  if constexpr (std::is_same_v<T, any_data>) return any_data::infer_from_json(j);
  else return any_data(from_json<T>(j));
}

template <class T>
TESSERA_COLD void set_type(port_info& info) {
  if constexpr (std::is_same_v<T, any_data>) {
    info.type_name = "any";
  } else {
    info.type_name = std::string(type_name_of<T>());
    info.type = &typeid(T);
  }
  info.from_json = &read_json_as<T>;
}

template <class T, class V>
void apply_option(port_info& info, default_value_option<V>&& o) {
  if constexpr (std::is_same_v<T, any_data>) info.default_value = any_data(std::move(o.value));
  else info.default_value = any_data(T{std::move(o.value)});
}
template <class T, class F>
void apply_option(port_info& info, validator_option<F>&& o) {
  if constexpr (std::is_same_v<T, any_data>) {
    info.validator = std::move(o.fn);
  } else {
    info.validator = [fn = std::move(o.fn)](const any_data& value) -> validation_message { return fn(value.template get<T>()); };
  }
}
TESSERA_DECL void apply_help(port_info& info, help_option&& o);
template <class T> void apply_option(port_info& info, help_option&& o) { apply_help(info, std::move(o)); }
template <class T> void apply_option(port_info& info, required_option o) { info.required = o.value; }
template <class T> void apply_option(port_info& info, non_db_option) { info.non_db = true; }

template <class T, class... Options>
TESSERA_COLD port_info make_port_info(direction dir, std::string_view name, Options&&... options) {
  port_info info;
  info.name = std::string(name);
  info.direction = dir;
  set_type<T>(info);
  (apply_option<T>(info, std::forward<Options>(options)), ...);
  return info;
}

// Option checks that need the port's name for their error.
template <class O> struct option_kind { static constexpr int value = 0; };
template <class V> struct option_kind<default_value_option<V>> { static constexpr int value = 1; using arg = V; };
template <class F> struct option_kind<validator_option<F>> { static constexpr int value = 2; using arg = F; };

template <fixed_string Name, class T, class Option>
constexpr bool option_ok() {
  using o = option_kind<std::remove_cvref_t<Option>>;
  if constexpr (o::value == 1) {
    using V = typename o::arg;
    if constexpr (std::is_same_v<T, any_data> ? !std::is_constructible_v<any_data, V>
                                              : !requires(V v) { T{std::move(v)}; }) {
      error::raise::default_value_does_not_convert<Name, T, V>();
      return false;
    }
  } else if constexpr (o::value == 2) {
    using F = typename o::arg;
    using arg = std::conditional_t<std::is_same_v<T, any_data>, const any_data&, const T&>;
    if constexpr (!std::is_invocable_r_v<validation_message, const F&, arg>) {
      error::raise::validator_has_wrong_signature<Name, T>();
      return false;
    }
  }
  return true;
}

template <direction Dir, fixed_string Name, class T, origin Origin, class... Options>
auto make_port(Options&&... options) {
  if constexpr (!valid_dotted_name(Name.view())) {
    error::raise::invalid_port_name<Name>();
    return invalid_element{};
  } else if constexpr (!port_value_type<T>) {
    error::raise::port_type_is_not_a_data_type<Name, T>();
    return invalid_element{};
  } else if constexpr (!(option_ok<Name, T, Options>() && ...)) {
    return invalid_element{};
  } else {
    port_decl<port_tag<Dir, Name, T, Origin>> decl(Dir, Name.view(), Origin == origin::override_);
    set_type<T>(decl.info);
    (apply_option<T>(decl.info, std::forward<Options>(options)), ...);
    return decl;
  }
}

}  // namespace detail

// ---- declarations ---------------------------------------------------------------------

template <fixed_string Name, class T, class... Options>
auto input(Options&&... options) {
  return detail::make_port<direction::input, Name, T, origin::declared>(std::forward<Options>(options)...);
}

template <fixed_string Name, class T, class... Options>
auto output(Options&&... options) {
  return detail::make_port<direction::output, Name, T, origin::declared>(std::forward<Options>(options)...);
}

// Replace a port inherited from a base spec (see extend) or exposed from another process.
template <fixed_string Name, class T, class... Options>
auto override_input(Options&&... options) {
  return detail::make_port<direction::input, Name, T, origin::override_>(std::forward<Options>(options)...);
}

template <fixed_string Name, class T, class... Options>
auto override_output(Options&&... options) {
  return detail::make_port<direction::output, Name, T, origin::override_>(std::forward<Options>(options)...);
}

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/port.ipp"
#endif
