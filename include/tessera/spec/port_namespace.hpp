#pragma once
// Port namespaces: input_namespace<"options.advanced">(dynamic, required(false)).
// Dotted port names create the namespaces above them implicitly; declare one explicitly to
// make it dynamic (accept keys that are not declared), optional, or to document it.
#include <string>
#include <utility>

#include "port.hpp"

namespace tessera::spec {

template <direction Dir, fixed_string Name, origin Origin = origin::declared>
struct namespace_tag {
  static constexpr direction dir = Dir;
  static constexpr auto name = Name;
  static constexpr spec::origin from = Origin;
};

template <class Tag>
struct namespace_decl {
  namespace_info info;
};

struct dynamic_option {};
inline constexpr dynamic_option dynamic{};

namespace detail {

template <class T> struct is_namespace_tag : std::false_type {};
template <direction D, fixed_string N, origin O>
struct is_namespace_tag<namespace_tag<D, N, O>> : std::true_type {};

inline void apply_namespace_option(namespace_info& ns, dynamic_option) { ns.dynamic = true; }
inline void apply_namespace_option(namespace_info& ns, required_option o) { ns.required = o.value; }
inline void apply_namespace_option(namespace_info& ns, help_option&& o) { ns.help = std::move(o.text); }

template <direction Dir, fixed_string Name, class... Options>
auto make_namespace(Options&&... options) {
  if constexpr (!valid_dotted_name(Name.view())) {
    error::raise::invalid_port_name<Name>();
    return invalid_element{};
  } else {
    namespace_decl<namespace_tag<Dir, Name>> ns{{std::string(Name.view()), Dir, false, true, true, {}}};
    (apply_namespace_option(ns.info, std::forward<Options>(options)), ...);
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
