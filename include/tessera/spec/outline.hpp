#pragma once
// The outline of a work chain: steps, while_ loops, if_/elif_/else_ branches and return_,
// nestable. Steps and conditions are member functions of the process:
//
//   outline(step<&me::setup>,
//           while_<&me::not_converged>(step<&me::iterate>),
//           if_<&me::failed>(return_<"ERROR_NOT_CONVERGED">).else_(step<&me::finish>))
//
// The outline compiles to a flat program of instructions (see program.hpp), so the position
// of a running process is one integer: that is what a checkpoint stores.
#include <type_traits>

#include "../data/traits.hpp"
#include "detail/member_traits.hpp"
#include "errors.hpp"
#include "exit_code.hpp"
#include "fixed_string.hpp"

namespace tessera::spec {

// What a step may return. The engine adds its coroutine type by specializing this.
template <class R> struct is_step_result : std::false_type {};
template <> struct is_step_result<void> : std::true_type {};
template <> struct is_step_result<tessera::exit_code_value> : std::true_type {};

template <auto Member>
struct step_node {
  static constexpr auto member = Member;
  static constexpr bool check() {
    using traits = detail::member_traits<Member>;
    if constexpr (!traits::is_member_function) {
      error::raise::step_is_not_a_member_function<Member>();
    } else if constexpr (traits::arity != 0 || !is_step_result<typename traits::result_type>::value) {
      error::raise::step_has_wrong_signature<Member>();
    }
    return true;  // a failure above is already reported; do not report it twice
  }
  static_assert(check());
};

template <auto Member>
struct condition_check {
  static constexpr bool check() {
    using traits = detail::member_traits<Member>;
    if constexpr (!traits::is_member_function || traits::arity != 0 ||
                  !std::is_same_v<typename traits::result_type, bool>) {
      error::raise::condition_has_wrong_signature<Member>();
    }
    return true;
  }
};

template <fixed_string Label>
struct return_node {
  static constexpr auto label = Label;
};

template <auto Condition, class... Body>
struct while_node {
  static constexpr auto condition = Condition;
  static_assert(condition_check<Condition>::check());
};

template <auto Condition, class... Body>
struct branch {
  static constexpr auto condition = Condition;
  static_assert(condition_check<Condition>::check());
};

template <class... Body>
struct else_branch {};

namespace detail {
template <class T> struct is_outline_node : std::false_type {};
template <auto M> struct is_outline_node<step_node<M>> : std::true_type {};
template <fixed_string L> struct is_outline_node<return_node<L>> : std::true_type {};
template <auto C, class... B> struct is_outline_node<while_node<C, B...>> : std::true_type {};

template <class Node>
constexpr bool check_node() {
  if constexpr (!is_outline_node<Node>::value) {
    error::raise::not_an_outline_node<Node>();
  }
  return true;
}

template <class... Nodes>
constexpr bool check_nodes() {
  return (check_node<Nodes>() && ... && true);
}

template <class T> struct is_else : std::false_type {};
template <class... B> struct is_else<else_branch<B...>> : std::true_type {};
}  // namespace detail

template <class... Branches>
struct if_node {
  static constexpr bool has_else = (detail::is_else<Branches>::value || ...);

  template <auto Condition, class... Body>
  constexpr auto elif_(Body...) const {
    static_assert(!has_else, "tessera: elif_ after else_ in an outline");
    static_assert(detail::check_nodes<Body...>());
    return if_node<Branches..., branch<Condition, Body...>>{};
  }

  template <class... Body>
  constexpr auto else_(Body...) const {
    static_assert(!has_else, "tessera: an if_ has at most one else_");
    static_assert(detail::check_nodes<Body...>());
    return if_node<Branches..., else_branch<Body...>>{};
  }
};

namespace detail {
template <class... B> struct is_outline_node<if_node<B...>> : std::true_type {};
}  // namespace detail

template <auto Member>
inline constexpr step_node<Member> step{};

// return_<"LABEL"> ends the process with that exit code; return_<> ends it successfully.
template <fixed_string Label = "">
inline constexpr return_node<Label> return_{};

template <auto Condition, class... Body>
constexpr auto while_(Body...) {
  static_assert(detail::check_nodes<Body...>());
  return while_node<Condition, Body...>{};
}

template <auto Condition, class... Body>
constexpr auto if_(Body...) {
  static_assert(detail::check_nodes<Body...>());
  return if_node<branch<Condition, Body...>>{};
}

template <class... Nodes>
struct outline_decl {};

template <class... Nodes>
constexpr auto outline(Nodes...) {
  static_assert(detail::check_nodes<Nodes...>());
  return outline_decl<Nodes...>{};
}

}  // namespace tessera::spec
