#pragma once
// Port namespaces: input_namespace<"options.advanced">(dynamic, required(false)).
// Dotted port names create the namespaces above them implicitly; declare one explicitly to
// make it dynamic (accept keys that are not declared), optional, or to document it.
#include <string>
#include <utility>

#include "port.hpp"

namespace tessera::spec {

template <direction Dir, fixed_string Name, origin Origin = origin::declared>
struct port_namespace {
  static constexpr direction dir = Dir;
  static constexpr auto name = Name;
  static constexpr spec::origin from = Origin;

  bool dynamic = false;
  bool required = true;
  std::string help;

  template <fixed_string NewName, spec::origin NewOrigin>
  port_namespace<Dir, NewName, NewOrigin> renamed() const {
    port_namespace<Dir, NewName, NewOrigin> ns;
    ns.dynamic = dynamic;
    ns.required = required;
    ns.help = help;
    return ns;
  }
};

struct dynamic_option {};
inline constexpr dynamic_option dynamic{};

namespace detail {

template <class T> struct is_port_namespace : std::false_type {};
template <direction D, fixed_string N, origin O>
struct is_port_namespace<port_namespace<D, N, O>> : std::true_type {};

template <class Ns> void apply_namespace_option(Ns& ns, dynamic_option) { ns.dynamic = true; }
template <class Ns> void apply_namespace_option(Ns& ns, required_option o) { ns.required = o.value; }
template <class Ns> void apply_namespace_option(Ns& ns, help_option&& o) { ns.help = std::move(o.text); }

template <direction Dir, fixed_string Name, class... Options>
auto make_namespace(Options&&... options) {
  if constexpr (!valid_dotted_name(Name.view())) {
    error::raise::invalid_port_name<Name>();
    return invalid_element{};
  } else {
    port_namespace<Dir, Name> ns;
    (apply_namespace_option(ns, std::forward<Options>(options)), ...);
    return ns;
  }
}

}  // namespace detail

template <fixed_string Name, class... Options>
auto input_namespace(Options&&... options) {
  return detail::make_namespace<direction::input, Name>(std::forward<Options>(options)...);
}

template <fixed_string Name, class... Options>
auto output_namespace(Options&&... options) {
  return detail::make_namespace<direction::output, Name>(std::forward<Options>(options)...);
}

}  // namespace tessera::spec
