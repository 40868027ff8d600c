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

enum class outline_kind : std::uint8_t { step, return_, while_, if_, branch, else_, end };

struct outline_entry {
  outline_kind kind{};
  std::string_view name;  // step, condition, or exit label
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

// ---- the outline as data, for rendering: pre-order entries, blocks closed by `end` ----

template <class Node> struct entry_count;
template <class... Nodes>
inline constexpr std::size_t entries_of = (std::size_t{0} + ... + entry_count<Nodes>::value);
template <auto M> struct entry_count<step_node<M>> { static constexpr std::size_t value = 1; };
template <fixed_string L> struct entry_count<return_node<L>> { static constexpr std::size_t value = 1; };
template <auto C, class... B>
struct entry_count<while_node<C, B...>> { static constexpr std::size_t value = entries_of<B...> + 2; };
template <auto C, class... B>
struct entry_count<branch<C, B...>> { static constexpr std::size_t value = entries_of<B...> + 2; };
template <class... B>
struct entry_count<else_branch<B...>> { static constexpr std::size_t value = entries_of<B...> + 2; };
template <class... Br>
struct entry_count<if_node<Br...>> { static constexpr std::size_t value = entries_of<Br...> + 2; };

template <std::size_t N>
struct describer {
  std::array<outline_entry, N> entries{};
  std::size_t at = 0;

  constexpr void put(outline_kind k, std::string_view name = {}) { entries[at++] = {k, name}; }
  template <class... Nodes>
  constexpr void body() { (emit(static_cast<Nodes*>(nullptr)), ...); }

  template <auto M> constexpr void emit(step_node<M>*) { put(outline_kind::step, member_name<M>()); }
  template <fixed_string L> constexpr void emit(return_node<L>*) { put(outline_kind::return_, L.view()); }
  template <auto C, class... B> constexpr void emit(while_node<C, B...>*) {
    put(outline_kind::while_, member_name<C>());
    body<B...>();
    put(outline_kind::end);
  }
  template <class... Br> constexpr void emit(if_node<Br...>*) {
    put(outline_kind::if_);
    body<Br...>();
    put(outline_kind::end);
  }
  template <auto C, class... B> constexpr void emit(branch<C, B...>*) {
    put(outline_kind::branch, member_name<C>());
    body<B...>();
    put(outline_kind::end);
  }
  template <class... B> constexpr void emit(else_branch<B...>*) {
    put(outline_kind::else_);
    body<B...>();
    put(outline_kind::end);
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

  static constexpr auto describe() {
    describer<entries_of<Nodes...>> d;
    d.template body<Nodes...>();
    return d.entries;
  }
};

}  // namespace detail

// The outline as pre-order entries (what rendering needs).
template <class Outline>
inline constexpr auto outline_description = detail::outline_nodes<Outline>::describe();

// The program of an outline for a given process class and engine outcome type.
template <class Process, class Outcome, class Outline>
inline constexpr auto program = detail::outline_nodes<Outline>::template compile<Process, Outcome>();

}  // namespace tessera::spec
