#pragma once
// An outline compiled to a flat program: call a step, jump if a condition is false, jump,
// return. The engine keeps one integer, the program counter, as the outline position of a
// running process, so loops and branches need no extra checkpoint state.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "outline.hpp"

namespace tessera::spec {

enum class op : std::uint8_t {
  call_step,      // run `step`, then go to pc + 1
  jump_if_false,  // evaluate `condition`; go to `target` when false, else pc + 1
  jump,           // go to `target`
  return_         // finish: `name` is the exit label, empty for success
};

// Outcome is what the engine makes of a step's return value: it must be default
// constructible (for void steps) and constructible from every other step return type.
template <class Process, class Outcome>
struct instruction {
  op code{};
  std::string_view name;  // step or condition name; exit label for return_
  std::uint32_t target = 0;
  Outcome (*step)(Process&) = nullptr;
  bool (*condition)(Process&) = nullptr;
};

namespace detail {

template <class Process, class Outcome, auto Member>
Outcome invoke_step(Process& process) {
  using result = typename member_traits<Member>::result_type;
  if constexpr (std::is_void_v<result>) {
    (process.*Member)();
    return Outcome{};
  } else {
    return Outcome((process.*Member)());
  }
}

template <class Process, auto Member>
bool invoke_condition(Process& process) {
  return (process.*Member)();
}

template <class Node> struct node_size;
template <class... Nodes>
inline constexpr std::size_t body_size = (std::size_t{0} + ... + node_size<Nodes>::value);

template <auto M> struct node_size<step_node<M>> { static constexpr std::size_t value = 1; };
template <fixed_string L> struct node_size<return_node<L>> { static constexpr std::size_t value = 1; };
template <auto C, class... B>
struct node_size<while_node<C, B...>> { static constexpr std::size_t value = body_size<B...> + 2; };
template <auto C, class... B>
struct node_size<branch<C, B...>> { static constexpr std::size_t value = body_size<B...> + 2; };
template <class... B>
struct node_size<else_branch<B...>> { static constexpr std::size_t value = body_size<B...>; };
template <class... Br>
struct node_size<if_node<Br...>> { static constexpr std::size_t value = body_size<Br...>; };

template <class Process, class Outcome, std::size_t N>
struct emitter {
  std::array<instruction<Process, Outcome>, N> code{};
  std::uint32_t pc = 0;

  constexpr void put(instruction<Process, Outcome> i) { code[pc++] = i; }

  template <class... Nodes>
  constexpr void body() { (emit(static_cast<Nodes*>(nullptr)), ...); }

  template <auto M>
  constexpr void emit(step_node<M>*) {
    put({op::call_step, member_name<M>(), 0, &invoke_step<Process, Outcome, M>, nullptr});
  }
  template <fixed_string L>
  constexpr void emit(return_node<L>*) {
    put({op::return_, L.view(), 0, nullptr, nullptr});
  }
  template <auto C, class... B>
  constexpr void emit(while_node<C, B...>*) {
    const std::uint32_t top = pc;
    const auto end = static_cast<std::uint32_t>(top + node_size<while_node<C, B...>>::value);
    put({op::jump_if_false, member_name<C>(), end, nullptr, &invoke_condition<Process, C>});
    body<B...>();
    put({op::jump, member_name<C>(), top, nullptr, nullptr});
  }
  template <class... Br>
  constexpr void emit(if_node<Br...>*) {
    const auto end = static_cast<std::uint32_t>(pc + node_size<if_node<Br...>>::value);
    (emit_branch(static_cast<Br*>(nullptr), end), ...);
  }
  template <auto C, class... B>
  constexpr void emit_branch(branch<C, B...>*, std::uint32_t end) {
    const auto next = static_cast<std::uint32_t>(pc + node_size<branch<C, B...>>::value);
    put({op::jump_if_false, member_name<C>(), next, nullptr, &invoke_condition<Process, C>});
    body<B...>();
    put({op::jump, "", end, nullptr, nullptr});
  }
  template <class... B>
  constexpr void emit_branch(else_branch<B...>*, std::uint32_t) {
    body<B...>();
  }
};

template <class Outline> struct outline_nodes;
template <class... Nodes> struct outline_nodes<outline_decl<Nodes...>> {
  static constexpr std::size_t size = body_size<Nodes...> + 1;  // + the final return

  template <class Process, class Outcome>
  static constexpr auto compile() {
    emitter<Process, Outcome, size> e;
    e.template body<Nodes...>();
    e.put({op::return_, "", 0, nullptr, nullptr});
    return e.code;
  }
};

}  // namespace detail

// The program of an outline for a given process class and engine outcome type.
template <class Process, class Outcome, class Outline>
inline constexpr auto program = detail::outline_nodes<Outline>::template compile<Process, Outcome>();

}  // namespace tessera::spec
