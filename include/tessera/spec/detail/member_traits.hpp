#pragma once
// What the outline needs to know about a pointer to member function, and its name for
// rendering (taken from __PRETTY_FUNCTION__, which GCC and Clang both provide).
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "names.hpp"

namespace tessera::spec::detail {

template <class M>
struct member_function_traits {
  static constexpr bool is_member_function = false;
  static constexpr std::size_t arity = 0;
  using class_type = void;
  using result_type = void;
};

#define TESSERA_DETAIL_MEMBER_TRAITS(QUALIFIERS)                      \
  template <class R, class C, class... A>                              \
  struct member_function_traits<R (C::*)(A...) QUALIFIERS> {           \
    static constexpr bool is_member_function = true;                   \
    static constexpr std::size_t arity = sizeof...(A);                 \
    using class_type = C;                                              \
    using result_type = R;                                             \
  };
TESSERA_DETAIL_MEMBER_TRAITS()
TESSERA_DETAIL_MEMBER_TRAITS(const)
TESSERA_DETAIL_MEMBER_TRAITS(noexcept)
TESSERA_DETAIL_MEMBER_TRAITS(const noexcept)
TESSERA_DETAIL_MEMBER_TRAITS(&)
TESSERA_DETAIL_MEMBER_TRAITS(const&)
#undef TESSERA_DETAIL_MEMBER_TRAITS

template <auto Member>
using member_traits = member_function_traits<std::remove_cv_t<decltype(Member)>>;

// The text of a template argument in __PRETTY_FUNCTION__: "... [with auto Member = &ns::c::f; ...]".
constexpr std::string_view template_argument(std::string_view pretty, std::string_view key) {
  const std::size_t start = find_text(pretty, key) + key.size();
  return pretty.substr(start, find_any(pretty, ";]", start) - start);
}

template <auto Member>
constexpr std::string_view pretty_member() {
  return __PRETTY_FUNCTION__;
}

// "add" for &ns::add_multiply::add.
template <auto Member>
constexpr std::string_view member_name() {
  constexpr std::string_view full = template_argument(pretty_member<Member>(), "Member = ");
  constexpr std::size_t last = rfind_text(full, "::");
  return last == std::string_view::npos ? full : full.substr(last + 2);
}

template <class T>
constexpr std::string_view pretty_type() {
  return __PRETTY_FUNCTION__;
}

// "ns::add_multiply" for ns::add_multiply.
template <class T>
constexpr std::string_view type_name() {
  return template_argument(pretty_type<T>(), "T = ");
}

}  // namespace tessera::spec::detail
