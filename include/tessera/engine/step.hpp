#pragma once
// The coroutine types of work chain steps.
//
//   tessera::async_step      iterate();  // co_await children; co_return; (or fall off the end)
//   tessera::async_exit_step check();    // co_return exit<"LABEL">() to stop, co_return {} to go on
//
// (Not "tessera::step": spec::step<&T::f> names a step in an outline, and both are in scope
// wherever a process is declared.) Two types because a coroutine cannot both `co_return;` and `co_return value;`, and a
// step that flows off its end must never mean "some exit code". Plain member functions
// returning void or tessera::exit_code_value are steps too (status 0 = go on).
#include <variant>

#include <tessera/engine/detail/task.hpp>
#include <tessera/spec/exit_code.hpp>
#include <tessera/spec/outline.hpp>

namespace tessera {

namespace engine_detail {
struct step_tag {};
}  // namespace engine_detail

using async_step = engine_detail::basic_task<void, engine_detail::step_tag>;
using async_exit_step = engine_detail::basic_task<exit_code_value, engine_detail::step_tag>;

namespace engine_detail {

// What the engine makes of a step's return value (the program's Outcome type).
struct step_outcome {
  std::variant<std::monostate, exit_code_value, async_step, async_exit_step> v;
  step_outcome() = default;
  step_outcome(exit_code_value c) : v(std::move(c)) {}
  step_outcome(async_step s) : v(std::move(s)) {}
  step_outcome(async_exit_step s) : v(std::move(s)) {}
};

}  // namespace engine_detail
}  // namespace tessera

template <>
struct tessera::spec::is_step_result<tessera::async_step> : std::true_type {};
template <>
struct tessera::spec::is_step_result<tessera::async_exit_step> : std::true_type {};
