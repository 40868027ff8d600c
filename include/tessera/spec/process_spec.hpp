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
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "detail/type_list.hpp"
#include "errors.hpp"
#include "exit_code.hpp"
#include "outline.hpp"
#include "port.hpp"
#include "port_namespace.hpp"
#include "program.hpp"
#include "runtime_spec.hpp"

namespace tessera::spec {

template <direction Dir, class Child, fixed_string Namespace, class Options>
struct exposure {  // remembers what was exposed, so the engine can hand a child its inputs
  using child = Child;
  static constexpr direction dir = Dir;
  static constexpr auto namespace_name = Namespace;
  using options = Options;
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

template <class E>
constexpr element_meta meta_of() {
  if constexpr (is_port_tag<E>::value) {
    return {kind::port, E::dir, E::name.view(), E::from, 0};
  } else if constexpr (is_namespace_tag<E>::value) {
    return {kind::namespace_, E::dir, E::name.view(), E::from, 0};
  } else if constexpr (is_exit_tag<E>::value) {
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

// The outline among the tags (an empty one when there is none), without recursion.
template <std::size_t Index, class List> struct outline_at { using type = at_t<Index, List>; };
template <class List> struct outline_at<npos, List> { using type = outline_decl<>; };
template <class... E> struct find_outline {
  static constexpr std::size_t index = [] {
    constexpr bool is_outline[] = {is_outline_decl<E>::value..., false};
    for (std::size_t i = 0; i < sizeof...(E); ++i) {
      if (is_outline[i]) return i;
    }
    return npos;
  }();
  using type = typename outline_at<index, type_list<E...>>::type;
};

}  // namespace detail

template <class TagList>
struct process_spec_type;

namespace detail {
// The run-time description inside a spec value. Its special members are functions of their
// own (compiled once under TESSERA_SEPARATE_COMPILATION) instead of inline code that copies
// and destroys vectors of ports in every process's spec type.
struct runtime_spec_holder {
  runtime_spec data;

  TESSERA_DECL runtime_spec_holder();
  TESSERA_DECL runtime_spec_holder(const runtime_spec_holder& other);
  TESSERA_DECL runtime_spec_holder(runtime_spec_holder&& other) noexcept;
  TESSERA_DECL runtime_spec_holder& operator=(const runtime_spec_holder& other);
  TESSERA_DECL runtime_spec_holder& operator=(runtime_spec_holder&& other) noexcept;
  TESSERA_DECL ~runtime_spec_holder();
};
}  // namespace detail

// A spec: the tags (what the compiler checks) and the run-time description of the ports,
// namespaces, exit codes and outline.
template <class... Tags>
struct process_spec_type<detail::type_list<Tags...>> : detail::runtime_spec_holder {
  // runtime_spec data;  (in the base)

  using tags = detail::type_list<Tags...>;
  static constexpr std::size_t size = sizeof...(Tags);
  static constexpr std::array<detail::element_meta, sizeof...(Tags)> metas{detail::meta_of<Tags>()...};
  using outline_type = typename detail::find_outline<Tags...>::type;
  static constexpr bool has_outline = (detail::is_outline_decl<Tags>::value || ...);

  template <std::size_t I> using element = detail::at_t<I, tags>;

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

template <class List> struct exposed_group : runtime_spec_holder {};

// What each argument of process_spec adds: its tags (compile time) and its description.
template <class A> struct contribution { static constexpr bool valid = false; using tags = type_list<>; };
template <class Tag> struct contribution<port_decl<Tag>> { static constexpr bool valid = true; using tags = type_list<Tag>; };
template <class Tag> struct contribution<namespace_decl<Tag>> { static constexpr bool valid = true; using tags = type_list<Tag>; };
template <class Tag> struct contribution<exit_code_decl<Tag>> { static constexpr bool valid = true; using tags = type_list<Tag>; };
template <class... N> struct contribution<outline_decl<N...>> { static constexpr bool valid = true; using tags = type_list<outline_decl<N...>>; };
template <class L> struct contribution<exposed_group<L>> { static constexpr bool valid = true; using tags = L; };
template <class L> struct contribution<process_spec_type<L>> { static constexpr bool valid = true; using tags = L; };
template <> struct contribution<invalid_element> { static constexpr bool valid = true; using tags = type_list<>; };  // already reported

template <class A>
constexpr bool check_argument() {
  if constexpr (!contribution<A>::valid) error::raise::not_a_spec_element<A>();
  return contribution<A>::valid;
}

// Run-time appends; not templates, so they are compiled once, not once per port.
TESSERA_COLD_SUPPORT TESSERA_DECL void append_port(runtime_spec& s, port_info info, bool replaces);

TESSERA_COLD_SUPPORT TESSERA_DECL void append_namespace(runtime_spec& s, namespace_info info);

TESSERA_COLD_SUPPORT TESSERA_DECL void append_spec(runtime_spec& s, const runtime_spec& other);

// s.outline = runtime_spec::outline_json(entries, count)
TESSERA_COLD_SUPPORT TESSERA_DECL void set_outline(runtime_spec& s, const outline_entry* entries, std::size_t count);

// What each argument of process_spec adds to the run-time spec: plain functions for ports and
// exit codes (compiled once, not once per port), templates for the rest.
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, port_decl_base&& port);
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, const port_decl_base& port);
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, exit_code_decl_base&& code);
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, const exit_code_decl_base& code);
TESSERA_COLD_SUPPORT TESSERA_DECL void add_element(runtime_spec& s, const runtime_spec_holder& other);
inline void add_element(runtime_spec&, const invalid_element&) {}  // already reported
template <class Tag>
void add_element(runtime_spec& s, const namespace_decl<Tag>& ns) {
  append_namespace(s, ns.info);
}
template <class... N>
void add_element(runtime_spec& s, const outline_decl<N...>&) {
  constexpr const auto& entries = outline_description<outline_decl<N...>>;
  set_outline(s, entries.data(), entries.size());
}

template <class Arg>
void add(runtime_spec& s, Arg&& arg) {
  add_element(s, std::forward<Arg>(arg));
}

// `base` (extend), or tessera's own exit codes (process_spec).
TESSERA_COLD_SUPPORT TESSERA_DECL void start_spec(runtime_spec& s, const runtime_spec* base);

// Every check, in a fixed order; the first failure is the only one reported.
template <class... E>
constexpr bool check_spec(type_list<E...>) {
  using list = type_list<E...>;
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
      error::raise::exposed_port_collides<at_t<duplicate, list>::name>();
    } else {
      error::raise::duplicate_port<at_t<duplicate, list>::name>();
    }
  } else if constexpr (duplicate_ns != npos) {
    error::raise::duplicate_namespace<at_t<duplicate_ns, list>::name>();
  } else if constexpr (clash != npos) {
    error::raise::port_is_also_a_namespace<at_t<clash, list>::name>();
  } else if constexpr (status != npos) {
    error::raise::duplicate_exit_status<at_t<status, list>::status>();
  } else if constexpr (label != npos) {
    error::raise::duplicate_exit_label<at_t<label, list>::label>();
  } else if constexpr (outline2 != npos) {
    error::raise::more_than_one_outline<at_t<outline2, list>>();
  } else if constexpr (constexpr std::size_t unknown = first_unknown_return_label<outline>(m); unknown != npos) {
    error::raise::unknown_exit_label<nth_label_string<outline, unknown>()>();
  }
  return true;
}

template <auto Indices, class List, std::size_t... K>
type_list<at_t<Indices[K], List>...> pick(std::index_sequence<K...>);

// Drops the ports that a later override_ replaces (after checking each override has a target).
template <class... E>
constexpr auto resolve(type_list<E...>) {
  constexpr std::array<element_meta, sizeof...(E)> m{meta_of<E>()...};
  constexpr std::size_t orphan = first_override_without_target(m);
  if constexpr (orphan != npos) {
    error::raise::override_of_unknown_port<at_t<orphan, type_list<E...>>::name>();
    return type_list<>{};
  } else {
    constexpr auto keep = survivors(m);
    constexpr std::size_t count = [&] {
      std::size_t n = 0;
      for (bool k : keep) n += k ? 1 : 0;
      return n;
    }();
    if constexpr (count == sizeof...(E)) {  // nothing overridden (the usual case): no indexing
      static_assert(check_spec(type_list<E...>{}));
      return type_list<E...>{};
    } else {
      constexpr auto indices = [&] {
        std::array<std::size_t, count> out{};
        std::size_t n = 0;
        for (std::size_t i = 0; i < keep.size(); ++i) {
          if (keep[i]) out[n++] = i;
        }
        return out;
      }();
      using kept = decltype(pick<indices, type_list<E...>>(std::make_index_sequence<count>{}));
      static_assert(check_spec(kept{}));
      return kept{};
    }
  }
}

template <class List, class... Args>
auto make_spec(const runtime_spec* base, Args&&... args) {
  using resolved = decltype(resolve(List{}));
  process_spec_type<resolved> spec;
  start_spec(spec.data, base);
  (add_element(spec.data, std::forward<Args>(args)), ...);
  return spec;
}

TESSERA_COLD_SUPPORT TESSERA_DECL runtime_spec builtin_spec();

}  // namespace detail

template <class... Args>
auto process_spec(Args&&... args) {
  if constexpr (!(detail::check_argument<std::remove_cvref_t<Args>>() && ...)) {
    return process_spec_type<detail::type_list<>>{};
  } else {
    using all = decltype((builtin_exit_tags{} + ... + typename detail::contribution<std::remove_cvref_t<Args>>::tags{}));
    return detail::make_spec<all>(nullptr, std::forward<Args>(args)...);
  }
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
template <class BaseTags, class... Args>
auto extend(const process_spec_type<BaseTags>& base, Args&&... args) {
  if constexpr (!(detail::check_argument<std::remove_cvref_t<Args>>() && ...)) {
    return process_spec_type<detail::type_list<>>{};
  } else {
    using all = decltype((BaseTags{} + ... + typename detail::contribution<std::remove_cvref_t<Args>>::tags{}));
    return detail::make_spec<all>(&base.data, std::forward<Args>(args)...);
  }
}

}  // namespace tessera::spec

#if !defined(TESSERA_SEPARATE_COMPILATION)
#include "impl/process_spec.ipp"
#endif
