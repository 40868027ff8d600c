#pragma once
// expose_inputs<child>(namespace_<"child">, exclude<"x">): a work chain takes over the ports
// of a process it calls, so that its caller can set them, without restating them.
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "process_spec.hpp"

namespace tessera::spec {

template <fixed_string Name> struct namespace_option { static constexpr auto name = Name; };
template <fixed_string... Names> struct include_option {};
template <fixed_string... Names> struct exclude_option {};

// Put the exposed ports under this namespace.
template <fixed_string Name> inline constexpr namespace_option<Name> namespace_{};
// Expose only these top-level ports (or namespaces) of the child.
template <fixed_string... Names> inline constexpr include_option<Names...> include{};
// Expose every top-level port (or namespace) of the child except these.
template <fixed_string... Names> inline constexpr exclude_option<Names...> exclude{};

namespace detail {

struct expose_filter {
  bool is_include = false;
  std::array<std::string_view, 16> names{};
  std::size_t count = 0;

  constexpr bool admits(std::string_view port_name) const {
    const std::string_view top = port_name.substr(0, port_name.find('.'));
    bool listed = false;
    for (std::size_t i = 0; i < count; ++i) listed = listed || names[i] == top;
    return is_include ? listed : !listed;
  }
};

template <class Option> struct option_traits {
  static constexpr bool is_namespace = false, is_filter = false;
  static constexpr fixed_string<0> ns{};
  static constexpr expose_filter filter{};
};
template <fixed_string N> struct option_traits<namespace_option<N>> {
  static constexpr bool is_namespace = true, is_filter = false;
  static constexpr auto ns = N;
  static constexpr expose_filter filter{};
};
template <fixed_string... N> struct option_traits<include_option<N...>> {
  static constexpr bool is_namespace = false, is_filter = true;
  static constexpr fixed_string<0> ns{};
  static constexpr expose_filter filter{true, {N.view()...}, sizeof...(N)};
};
template <fixed_string... N> struct option_traits<exclude_option<N...>> {
  static constexpr bool is_namespace = false, is_filter = true;
  static constexpr fixed_string<0> ns{};
  static constexpr expose_filter filter{false, {N.view()...}, sizeof...(N)};
};

// The namespace named by the options ("" when none).
template <class... Options> struct namespace_of { static constexpr fixed_string<0> value{}; };
template <class First, class... Rest> struct namespace_of<First, Rest...> {
  static constexpr auto value = [] {
    if constexpr (option_traits<First>::is_namespace) return option_traits<First>::ns;
    else return namespace_of<Rest...>::value;
  }();
};

template <class... Options>
constexpr expose_filter filter_of() {
  expose_filter f{};  // excludes nothing
  ((option_traits<Options>::is_filter ? (void)(f = option_traits<Options>::filter) : (void)0), ...);
  return f;
}

// Check include/exclude names against the child's spec, naming the first unknown one.
template <class ChildSpec, direction Dir>
constexpr bool has_top_level(std::string_view name) {
  for (const auto& m : ChildSpec::metas) {
    if ((m.what == kind::port || m.what == kind::namespace_) && m.dir == Dir &&
        m.name.substr(0, m.name.find('.')) == name) {
      return true;
    }
  }
  return false;
}
template <class ChildSpec, direction Dir, fixed_string Name>
constexpr bool check_filter_name() {
  if constexpr (!has_top_level<ChildSpec, Dir>(Name.view())) error::raise::unknown_exposed_port<Name>();
  return true;
}
template <class ChildSpec, direction Dir, fixed_string... Names>
constexpr void check_filter_names() {
  (void)(check_filter_name<ChildSpec, Dir, Names>() && ...);
}
template <class ChildSpec, direction Dir, class Option> struct filter_names_check {
  static constexpr bool ok = true;
};
template <class ChildSpec, direction Dir, fixed_string... N>
struct filter_names_check<ChildSpec, Dir, include_option<N...>> {
  static constexpr bool ok = (check_filter_names<ChildSpec, Dir, N...>(), true);
};
template <class ChildSpec, direction Dir, fixed_string... N>
struct filter_names_check<ChildSpec, Dir, exclude_option<N...>> {
  static constexpr bool ok = (check_filter_names<ChildSpec, Dir, N...>(), true);
};

template <direction Dir, class Options, class E>
auto expose_one(const E& e) {
  if constexpr (!(is_port<E>::value || is_port_namespace<E>::value)) {
    return std::tuple<>{};
  } else if constexpr (E::dir != Dir) {
    return std::tuple<>{};
  } else {
    constexpr auto ns = std::apply([](auto... o) { return namespace_of<decltype(o)...>::value; }, Options{});
    constexpr expose_filter filter = std::apply([](auto... o) { return filter_of<decltype(o)...>(); }, Options{});
    if constexpr (filter.admits(E::name.view())) {
      return std::tuple(e.template renamed<join_dotted<ns, E::name>(), origin::exposed>());
    } else {
      return std::tuple<>{};
    }
  }
}

template <direction Dir, class Child, class... Options>
auto expose(Options...) {
  using child_spec = std::remove_cvref_t<decltype(Child::define())>;
  static_assert((filter_names_check<child_spec, Dir, Options>::ok && ...));
  constexpr auto ns = namespace_of<Options...>::value;
  const auto& child = spec_of<Child>();
  auto ports = std::apply(
      [](const auto&... e) { return std::tuple_cat(expose_one<Dir, std::tuple<Options...>>(e)...); },
      child.elements);
  using record = exposure<Dir, Child, ns, std::tuple<Options...>>;
  if constexpr (ns.size() == 0) {
    return std::apply([](auto&&... p) { return exposed_group<std::remove_cvref_t<decltype(p)>..., record>{{std::move(p)..., record{}}}; },
                      std::move(ports));
  } else {
    port_namespace<Dir, ns, origin::exposed> holder;
    holder.help = "exposed from " + std::string(detail::type_name<Child>());
    return std::apply(
        [&](auto&&... p) {
          return exposed_group<port_namespace<Dir, ns, origin::exposed>, std::remove_cvref_t<decltype(p)>..., record>{
              {holder, std::move(p)..., record{}}};
        },
        std::move(ports));
  }
}

}  // namespace detail

template <class Child, class... Options>
auto expose_inputs(Options... options) {
  return detail::expose<direction::input, Child>(options...);
}

template <class Child, class... Options>
auto expose_outputs(Options... options) {
  return detail::expose<direction::output, Child>(options...);
}

}  // namespace tessera::spec
