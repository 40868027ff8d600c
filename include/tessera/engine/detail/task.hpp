#pragma once
// A lazy coroutine task with symmetric transfer: the building block of steps and of the
// engine's own drivers. Awaiting a task starts it; its completion resumes the awaiter.
// The object owns the frame: destroying a suspended task destroys its whole await chain
// (how a killed process or a stopping runner frees its coroutines).
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace tessera::engine_detail {

struct final_awaiter {
  bool await_ready() noexcept { return false; }
  template <class Promise>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> h) noexcept {
    auto c = h.promise().continuation;
    return c ? c : std::noop_coroutine();
  }
  void await_resume() noexcept {}
};

struct promise_base {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;
  std::suspend_always initial_suspend() noexcept { return {}; }
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class T, class Tag>
class basic_task;

template <class T, class Tag>
struct task_promise : promise_base {
  std::optional<T> value;
  basic_task<T, Tag> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
};
template <class Tag>
struct task_promise<void, Tag> : promise_base {
  basic_task<void, Tag> get_return_object() noexcept;
  void return_void() noexcept {}
};

template <class T, class Tag>
class [[nodiscard]] basic_task {
 public:
  using promise_type = task_promise<T, Tag>;
  using handle_type = std::coroutine_handle<promise_type>;

  basic_task() = default;
  explicit basic_task(handle_type h) noexcept : h_(h) {}
  basic_task(basic_task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  basic_task& operator=(basic_task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  basic_task(const basic_task&) = delete;
  basic_task& operator=(const basic_task&) = delete;
  ~basic_task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }
  handle_type handle() const noexcept { return h_; }
  void reset() noexcept {
    if (h_) h_.destroy();
    h_ = {};
  }

  // Awaiting: run the task, resume the awaiter when it completes.
  bool await_ready() const noexcept { return !h_ || h_.done(); }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    return h_;
  }
  T await_resume() { return result(); }

  // The result of a completed task (rethrows its exception).
  T result() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
    if constexpr (!std::is_void_v<T>) return std::move(*h_.promise().value);
  }

 private:
  handle_type h_{};
};

template <class T, class Tag>
basic_task<T, Tag> task_promise<T, Tag>::get_return_object() noexcept {
  return basic_task<T, Tag>(std::coroutine_handle<task_promise>::from_promise(*this));
}
template <class Tag>
basic_task<void, Tag> task_promise<void, Tag>::get_return_object() noexcept {
  return basic_task<void, Tag>(std::coroutine_handle<task_promise>::from_promise(*this));
}

struct internal_tag {};
template <class T>
using task = basic_task<T, internal_tag>;

}  // namespace tessera::engine_detail
