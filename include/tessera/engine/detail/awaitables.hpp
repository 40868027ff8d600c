#pragma once
// What a process's coroutines await inside the engine: a group commit, a pool job, another
// process's termination, the pause gate. Each resumes its coroutine through the runner only
// if the process is still alive (same slot generation, not killed): news for a killed
// process, whose frames are gone, is dropped. Work done off the loop never touches the
// coroutine frame: results travel in shared boxes.
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <utility>

#include <tessera/engine/runner.hpp>

namespace tessera::engine_detail {

template <class R>
struct commit_op {
  runner& r;
  slot& s;
  std::function<R(write_tx&)> unit;
  std::shared_ptr<std::optional<R>> box = std::make_shared<std::optional<R>>();
  std::exception_ptr error{};

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    auto& rr = r;
    rr.commit([box = box, unit = std::move(unit)](write_tx& tx) { box->emplace(unit(tx)); },
              [&rr, pk = s.pk, gen = s.gen, h, this](std::exception_ptr e) {
                if (auto* sl = rr.find_live(pk, gen)) {
                  error = e;
                  rr.resume(*sl, h);
                }
              });
  }
  R await_resume() {
    if (error) std::rethrow_exception(error);
    return std::move(**box);
  }
};

struct pool_op {
  runner& r;
  slot& s;
  std::function<void()> job;
  std::exception_ptr error{};

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    auto& rr = r;
    rr.run_on_pool(std::move(job), [&rr, pk = s.pk, gen = s.gen, h, this](std::exception_ptr e) {
      if (auto* sl = rr.find_live(pk, gen)) {
        error = e;
        rr.resume(*sl, h);
      }
    });
  }
  void await_resume() {
    if (error) std::rethrow_exception(error);
  }
};

struct termination_op {
  runner& r;
  slot& s;
  std::int64_t pk;
  std::optional<process_result> result{};

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    auto& rr = r;
    rr.when_terminated(pk, [&rr, spk = s.pk, gen = s.gen, h, this](const process_result& res) {
      if (auto* sl = rr.find_live(spk, gen)) {
        result = res;
        rr.resume(*sl, h);
      }
    });
  }
  process_result await_resume() { return std::move(*result); }
};

struct pause_gate {
  runner& r;
  slot& s;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h) { return r.park_if_paused(s, h); }
  void await_resume() const noexcept {}
};

}  // namespace tessera::engine_detail
