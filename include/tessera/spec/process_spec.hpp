#pragma once
// process_spec(...): a process's whole interface in one value whose type lists every port,
// namespace, exit code and the outline, checked once when the spec is built:
//
//   static auto define() {
//     using namespace tessera::spec;
//     return process_spec(input<"x", Int>(), output<"sum", Int>(),
//                         exit_code<410, "ERROR_NEGATIVE_SUM">("the sum was negative"),
//                         outline(step<&me::add>));
//   }
//
// Name checks are plain constexpr loops over an array of string_views: linear in the number
// of elements and cheap to compile (Hana sets of compile-time strings cost ~20 ms of compiler
// time per port; these cost well under 1 ms).
#include <array>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "errors.hpp"
#include "exit_code.hpp"
#include "outline.hpp"
#include "port.hpp"
#include "port_namespace.hpp"

namespace tessera::spec {

template <direction Dir, class Child, fixed_string Namespace, class Filter>
struct exposure {  // remembers what was exposed, so the engine can hand a child its inputs
  using child = Child;
  static constexpr direction dir = Dir;
  static constexpr auto namespace_name = Namespace;
  using filter = Filter;
};

namespace detail {

enum class kind : std::uint8_t { port, namespace_, exit_code, outline, exposure };

struct element_meta {
  kind what{};
  direction dir{};
  std::string_view name;  // port or namespace name; exit label
  origin from{};
  int status = 0;
};

template <class T> struct is_outline_decl : std::false_type {};
template <class... N> struct is_outline_decl<outline_decl<N...>> : std::true_type {};
template <class T> struct is_exposure : std::false_type {};
template <direction D, class C, fixed_string N, class F>
struct is_exposure<exposure<D, C, N, F>> : std::true_type {};

template <class E>
constexpr element_meta meta_of() {
  if constexpr (is_port<E>::value) {
    return {kind::port, E::dir, E::name.view(), E::from, 0};
  } else if constexpr (is_port_namespace<E>::value) {
    return {kind::namespace_, E::dir, E::name.view(), E::from, 0};
  } else if constexpr (is_exit_code_decl<E>::value) {
    return {kind::exit_code, direction::output, E::label.view(), origin::declared, E::status};
  } else if constexpr (is_outline_decl<E>::value) {
    return {kind::outline, direction::input, {}, origin::declared, 0};
  } else {
    return {kind::exposure, E::dir, {}, origin::declared, 0};
  }
}

inline constexpr std::size_t npos = static_cast<std::size_t>(-1);

template <std::size_t N>
constexpr std::size_t find_element(const std::array<element_meta, N>& m, kind what, direction dir,
                                   std::string_view name) {
  for (std::size_t i = 0; i < N; ++i) {
    if (m[i].what == what && m[i].name == name && (what == kind::exit_code || m[i].dir == dir)) return i;
  }
  return npos;
}

constexpr bool is_strict_prefix(std::string_view prefix, std::string_view name) {
  return name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
         name[prefix.size()] == '.';
}

// ---- the checks; each returns the index of the first offending element, or npos --------

template <std::size_t N>
constexpr std::size_t first_override_without_target(const std::array<element_meta, N>& m) {
  for (std::size_t j = 0; j < N; ++j) {
    if (m[j].what != kind::port || m[j].from != origin::override_) continue;
    bool found = false;
    for (std::size_t i = 0; i < j; ++i) {
      found = found || (m[i].what == kind::port && m[i].dir == m[j].dir && m[i].name == m[j].name &&
                        m[i].from != origin::override_);
    }
    if (!found) return j;
  }
  return npos;
}

// Which elements survive: a port replaced by a later override_ port is dropped.
template <std::size_t N>
constexpr std::array<bool, N> survivors(const std::array<element_meta, N>& m) {
  std::array<bool, N> keep{};
  for (std::size_t i = 0; i < N; ++i) {
    keep[i] = true;
    if (m[i].what != kind::port || m[i].from == origin::override_) continue;
    for (std::size_t j = i + 1; j < N; ++j) {
      if (m[j].what == kind::port && m[j].from == origin::override_ && m[j].dir == m[i].dir &&
          m[j].name == m[i].name) {
        keep[i] = false;
      }
    }
  }
  return keep;
}

// The later element of the first pair of ports with one name and direction.
template <std::size_t N>
constexpr std::size_t first_duplicate_port(const std::array<element_meta, N>& m) {
  for (std::size_t j = 0; j < N; ++j) {
    if (m[j].what != kind::port) continue;
    for (std::size_t i = 0; i < j; ++i) {
      if (m[i].what == kind::port && m[i].dir == m[j].dir && m[i].name == m[j].name) return j;
    }
  }
  return npos;
}

template <std::size_t N>
constexpr bool duplicate_involves_exposed(const std::array<element_meta, N>& m, std::size_t j) {
  if (m[j].from == origin::exposed) return true;
  for (std::size_t i = 0; i < j; ++i) {
    if (m[i].what == kind::port && m[i].dir == m[j].dir && m[i].name == m[j].name &&
        m[i].from == origin::exposed) {
      return true;
    }
  }
  return false;
}

// Two declared namespaces of one name (exposing several processes into one namespace is fine).
template <std::size_t N>
constexpr std::size_t first_duplicate_namespace(const std::array<element_meta, N>& m) {
  for (std::size_t j = 0; j < N; ++j) {
    if (m[j].what != kind::namespace_ || m[j].from == origin::exposed) continue;
    for (std::size_t i = 0; i < j; ++i) {
      if (m[i].what == kind::namespace_ && m[i].dir == m[j].dir && m[i].name == m[j].name &&
          m[i].from != origin::exposed) {
        return j;
      }
    }
  }
  return npos;
}

// A port "a" and a port "a.b" (or a namespace "a") cannot both exist.
template <std::size_t N>
constexpr std::size_t first_port_namespace_clash(const std::array<element_meta, N>& m) {
  for (std::size_t i = 0; i < N; ++i) {
    if (m[i].what != kind::port) continue;
    for (std::size_t j = 0; j < N; ++j) {
      if (m[j].dir != m[i].dir) continue;
      if (m[j].what == kind::namespace_ && m[j].name == m[i].name) return i;
      if (m[j].what == kind::port && is_strict_prefix(m[i].name, m[j].name)) return i;
      if (m[j].what == kind::namespace_ && is_strict_prefix(m[i].name, m[j].name)) return i;
    }
  }
  return npos;
}

template <std::size_t N>
constexpr std::size_t first_duplicate_exit_status(const std::array<element_meta, N>& m) {
  for (std::size_t j = 0; j < N; ++j) {
    for (std::size_t i = 0; i < j && m[j].what == kind::exit_code; ++i) {
      if (m[i].what == kind::exit_code && m[i].status == m[j].status) return j;
    }
  }
  return npos;
}

template <std::size_t N>
constexpr std::size_t first_duplicate_exit_label(const std::array<element_meta, N>& m) {
  for (std::size_t j = 0; j < N; ++j) {
    for (std::size_t i = 0; i < j && m[j].what == kind::exit_code; ++i) {
      if (m[i].what == kind::exit_code && m[i].name == m[j].name) return j;
    }
  }
  return npos;
}

template <std::size_t N>
constexpr std::size_t second_outline(const std::array<element_meta, N>& m) {
  std::size_t seen = 0;
  for (std::size_t i = 0; i < N; ++i) {
    if (m[i].what == kind::outline && ++seen == 2) return i;
  }
  return npos;
}

// ---- return_ labels used in an outline -------------------------------------------------

template <class Node> struct return_labels { static constexpr std::array<std::string_view, 0> value{}; };

template <class... Nodes>
constexpr auto concat_labels() {
  constexpr std::size_t n = (std::size_t{0} + ... + return_labels<Nodes>::value.size());
  std::array<std::string_view, n> out{};
  std::size_t k = 0;
  (void)k;
  ((void)[&] {
    for (auto l : return_labels<Nodes>::value) out[k++] = l;
  }(), ...);
  return out;
}

template <fixed_string L> struct return_labels<return_node<L>> {
  static constexpr auto value = [] {
    if constexpr (L.size() == 0) return std::array<std::string_view, 0>{};
    else return std::array<std::string_view, 1>{L.view()};
  }();
};
template <auto C, class... B> struct return_labels<while_node<C, B...>> {
  static constexpr auto value = concat_labels<B...>();
};
template <auto C, class... B> struct return_labels<branch<C, B...>> {
  static constexpr auto value = concat_labels<B...>();
};
template <class... B> struct return_labels<else_branch<B...>> {
  static constexpr auto value = concat_labels<B...>();
};
template <class... B> struct return_labels<if_node<B...>> {
  static constexpr auto value = concat_labels<B...>();
};
template <class... B> struct return_labels<outline_decl<B...>> {
  static constexpr auto value = concat_labels<B...>();
};

template <class Outline, std::size_t N>
constexpr std::size_t first_unknown_return_label(const std::array<element_meta, N>& m) {
  constexpr auto labels = return_labels<Outline>::value;
  for (std::size_t k = 0; k < labels.size(); ++k) {
    if (find_element(m, kind::exit_code, direction::output, labels[k]) == npos) return k;
  }
  return npos;
}

// The fixed_string of the K-th return label, as a template argument for the error.
template <class Outline, std::size_t K>
constexpr auto nth_label_string() {
  constexpr std::string_view v = return_labels<Outline>::value[K];
  fixed_string<v.size()> s;
  for (std::size_t i = 0; i < v.size(); ++i) s.data[i] = v[i];
  return s;
}

template <class... E> struct find_outline { using type = outline_decl<>; };
template <class First, class... Rest> struct find_outline<First, Rest...> {
  using type = std::conditional_t<is_outline_decl<First>::value, First, typename find_outline<Rest...>::type>;
};

}  // namespace detail

template <class... Elements>
struct process_spec_type {
  std::tuple<Elements...> elements;

  static constexpr std::size_t size = sizeof...(Elements);
  static constexpr std::array<detail::element_meta, sizeof...(Elements)> metas{detail::meta_of<Elements>()...};
  using outline_type = typename detail::find_outline<Elements...>::type;
  static constexpr bool has_outline = ((detail::is_outline_decl<Elements>::value) || ...);

  template <std::size_t I> using element = std::tuple_element_t<I, std::tuple<Elements...>>;

  static constexpr std::size_t find_port(direction dir, std::string_view name) {
    return detail::find_element(metas, detail::kind::port, dir, name);
  }
  static constexpr std::size_t find_exit_code(std::string_view label) {
    return detail::find_element(metas, detail::kind::exit_code, direction::output, label);
  }
  // True for a declared namespace or the implicit namespace above a dotted port name.
  static constexpr bool has_namespace(direction dir, std::string_view name) {
    for (const auto& m : metas) {
      if (m.dir != dir) continue;
      if (m.what == detail::kind::namespace_ && m.name == name) return true;
      if ((m.what == detail::kind::port || m.what == detail::kind::namespace_) &&
          detail::is_strict_prefix(name, m.name)) {
        return true;
      }
    }
    return false;
  }
};

namespace detail {

template <class T> struct is_process_spec : std::false_type {};
template <class... E> struct is_process_spec<process_spec_type<E...>> : std::true_type {};

template <class... E> struct exposed_group { std::tuple<E...> elements; };
template <class T> struct is_exposed_group : std::false_type {};
template <class... E> struct is_exposed_group<exposed_group<E...>> : std::true_type {};

template <class Arg>
auto as_tuple(Arg&& arg) {
  using A = std::remove_cvref_t<Arg>;
  if constexpr (is_port<A>::value || is_port_namespace<A>::value || is_exit_code_decl<A>::value ||
                is_outline_decl<A>::value) {
    return std::tuple<A>(std::forward<Arg>(arg));
  } else if constexpr (is_exposed_group<A>::value || is_process_spec<A>::value) {
    return std::forward<Arg>(arg).elements;
  } else if constexpr (std::is_same_v<A, invalid_element>) {
    return std::tuple<>{};  // its mistake was reported where it was made
  } else {
    error::raise::not_a_spec_element<A>();
    return std::tuple<>{};
  }
}

template <bool Keep, class E>
auto keep_if(E&& e) {
  if constexpr (Keep) return std::tuple<std::remove_cvref_t<E>>(std::forward<E>(e));
  else return std::tuple<>{};
}

template <class... E, std::size_t... I>
auto drop_overridden(std::tuple<E...>&& all, std::index_sequence<I...>) {
  constexpr std::array<element_meta, sizeof...(E)> m{meta_of<E>()...};
  constexpr auto keep = survivors(m);
  return std::tuple_cat(keep_if<keep[I]>(std::get<I>(std::move(all)))...);
}

// Every check, in a fixed order; the first failure is the only one reported.
template <class... E>
constexpr bool check_spec() {
  using tuple = std::tuple<E...>;
  constexpr std::array<element_meta, sizeof...(E)> m{meta_of<E>()...};
  using outline = typename find_outline<E...>::type;
  constexpr std::size_t duplicate = first_duplicate_port(m);
  constexpr std::size_t duplicate_ns = first_duplicate_namespace(m);
  constexpr std::size_t clash = first_port_namespace_clash(m);
  constexpr std::size_t status = first_duplicate_exit_status(m);
  constexpr std::size_t label = first_duplicate_exit_label(m);
  constexpr std::size_t outline2 = second_outline(m);
  if constexpr (duplicate != npos) {
    if constexpr (duplicate_involves_exposed(m, duplicate)) {
      error::raise::exposed_port_collides<std::tuple_element_t<duplicate, tuple>::name>();
    } else {
      error::raise::duplicate_port<std::tuple_element_t<duplicate, tuple>::name>();
    }
  } else if constexpr (duplicate_ns != npos) {
    error::raise::duplicate_namespace<std::tuple_element_t<duplicate_ns, tuple>::name>();
  } else if constexpr (clash != npos) {
    error::raise::port_is_also_a_namespace<std::tuple_element_t<clash, tuple>::name>();
  } else if constexpr (status != npos) {
    error::raise::duplicate_exit_status<std::tuple_element_t<status, tuple>::status>();
  } else if constexpr (label != npos) {
    error::raise::duplicate_exit_label<std::tuple_element_t<label, tuple>::label>();
  } else if constexpr (outline2 != npos) {
    error::raise::more_than_one_outline<std::tuple_element_t<outline2, tuple>>();
  } else if constexpr (constexpr std::size_t unknown = first_unknown_return_label<outline>(m);
                       unknown != npos) {
    error::raise::unknown_exit_label<nth_label_string<outline, unknown>()>();
  }
  return true;
}

template <class... E>
auto finish_spec(std::tuple<E...>&& all) {
  constexpr std::array<element_meta, sizeof...(E)> m{meta_of<E>()...};
  constexpr std::size_t orphan = first_override_without_target(m);
  if constexpr (orphan != npos) {
    error::raise::override_of_unknown_port<std::tuple_element_t<orphan, std::tuple<E...>>::name>();
    return process_spec_type<>{};
  } else {
    auto kept = drop_overridden(std::move(all), std::index_sequence_for<E...>{});
    return std::apply(
        []<class... K>(K&&... k) {
          static_assert(check_spec<std::remove_cvref_t<K>...>());
          return process_spec_type<std::remove_cvref_t<K>...>{{std::forward<K>(k)...}};
        },
        std::move(kept));
  }
}

inline auto builtin_exit_codes() {
  return std::tuple<error_unspecified, error_invalid_output, error_missing_output, error_killed>{
      {"the process failed for an unspecified reason"},
      {"the process emitted an output that does not match its spec"},
      {"the process did not emit a required output"},
      {"the process was killed"}};
}

}  // namespace detail

template <class... Args>
auto process_spec(Args&&... args) {
  return detail::finish_spec(
      std::tuple_cat(detail::builtin_exit_codes(), detail::as_tuple(std::forward<Args>(args))...));
}

// The spec of a process class, built once (thread-safe) from its static define().
template <class Process>
using spec_type_of = std::remove_cvref_t<decltype(Process::define())>;

template <class Process>
const spec_type_of<Process>& spec_of() {
  static const spec_type_of<Process> spec = Process::define();
  return spec;
}

// A derived process's spec: everything of `base` plus `args`, where override_input /
// override_output replace an inherited port of the same name.
template <class... E, class... Args>
auto extend(const process_spec_type<E...>& base, Args&&... args) {
  return detail::finish_spec(std::tuple_cat(base.elements, detail::as_tuple(std::forward<Args>(args))...));
}

}  // namespace tessera::spec
