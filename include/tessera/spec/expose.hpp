#pragma once
// expose_inputs<child>(namespace_<"child">, exclude<"x">): a work chain takes over the ports
// of a process it calls, so that its caller can set them, without restating them.
#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "detail/member_traits.hpp"
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
    const std::string_view top = first_segment(port_name);
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
        first_segment(m.name) == name) {
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

// Copies the admitted ports and namespaces of `child` into `out`, under `ns`.
TESSERA_COLD inline void expose_into(runtime_spec& out, const runtime_spec& child, direction dir, std::string_view ns,
                        const expose_filter& filter, std::string_view child_name) {
  const auto prefixed = [&](const std::string& name) {
    return ns.empty() ? name : std::string(ns) + "." + name;
  };
  if (!ns.empty()) out.namespaces.push_back({std::string(ns), dir, false, true, true, "exposed from " + std::string(child_name)});
  for (const auto& n : child.namespaces) {
    if (n.direction != dir || !filter.admits(n.name)) continue;
    out.namespaces.push_back(n);
    out.namespaces.back().name = prefixed(n.name);
  }
  for (const auto& p : child.ports) {
    if (p.direction != dir || !filter.admits(p.name)) continue;
    out.ports.push_back(p);
    out.ports.back().name = prefixed(p.name);
  }
}

template <class Tag, auto Ns> struct renamed;
template <direction D, fixed_string N, class T, origin O, auto Ns>
struct renamed<port_tag<D, N, T, O>, Ns> { using type = port_tag<D, join_dotted<Ns, N>(), T, origin::exposed>; };
template <direction D, fixed_string N, origin O, auto Ns>
struct renamed<namespace_tag<D, N, O>, Ns> { using type = namespace_tag<D, join_dotted<Ns, N>(), origin::exposed>; };

constexpr bool admitted(const element_meta& m, direction dir, const expose_filter& filter) {
  return (m.what == kind::port || m.what == kind::namespace_) && m.dir == dir && filter.admits(m.name);
}

template <auto Indices, class List, auto Ns, std::size_t... K>
type_list<typename renamed<at_t<Indices[K], List>, Ns>::type...> pick_renamed(std::index_sequence<K...>);

template <direction Dir, class Child, class... Options>
auto expose(Options...) {
  using child_spec = spec_type_of<Child>;
  static_assert((filter_names_check<child_spec, Dir, Options>::ok && ...));
  constexpr auto ns = namespace_of<Options...>::value;
  constexpr expose_filter filter = filter_of<Options...>();
  constexpr auto& metas = child_spec::metas;
  constexpr std::size_t count = [&] {
    std::size_t n = 0;
    for (const auto& m : metas) n += admitted(m, Dir, filter) ? 1 : 0;
    return n;
  }();
  constexpr auto indices = [&] {
    std::array<std::size_t, count> out{};
    std::size_t n = 0;
    for (std::size_t i = 0; i < metas.size(); ++i) {
      if (admitted(metas[i], Dir, filter)) out[n++] = i;
    }
    return out;
  }();
  using ports = decltype(pick_renamed<indices, typename child_spec::tags, ns>(std::make_index_sequence<count>{}));
  using record = exposure<Dir, Child, ns, type_list<Options...>>;
  using holder = std::conditional_t<ns.size() == 0, type_list<>, type_list<namespace_tag<Dir, ns, origin::exposed>>>;
  exposed_group<decltype(holder{} + ports{} + type_list<record>{})> group;
  expose_into(group.data, spec_of<Child>().data, Dir, ns.view(), filter, type_name<Child>());
  return group;
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
