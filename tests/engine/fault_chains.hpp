#pragma once
// The work chains the fault test kills and restarts: loops with branches, children run in
// parallel, nesting three deep. Every calcfunction body appends its process pk to the file
// named by TESSERA_FAULT_SIDE_FILE, so the test can count real executions.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <tessera/tessera.hpp>

namespace tessera::fault {

inline void record_execution() {
  static const char* path = std::getenv("TESSERA_FAULT_SIDE_FILE");
  if (!path) return;
  const std::string line = std::to_string(current_process_pk()) + "\n";
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());  // O_APPEND: one atomic line
  ::close(fd);
}

inline const auto add = calcfunction<"fault.add", "x", "y">([](const Int& x, const Int& y) {
  record_execution();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return Int{x.value + y.value};
});
inline const auto mul = calcfunction<"fault.mul", "x", "y">([](const Int& x, const Int& y) {
  record_execution();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return Int{x.value * y.value};
});

// A loop over i < n with a three-way branch inside: add, multiply, or add twice.
struct loop_branch : work_chain<loop_branch> {
  static constexpr std::string_view process_name = "fault.loop_branch";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(
        input<"n", Int>(), input<"seed", Int>(), output<"value", Int>(),
        outline(step<&loop_branch::setup>,
                while_<&loop_branch::more>(if_<&loop_branch::first>(step<&loop_branch::do_add>)
                                               .elif_<&loop_branch::second>(step<&loop_branch::do_mul>)
                                               .else_(step<&loop_branch::do_two>),
                                           step<&loop_branch::advance>),
                step<&loop_branch::finish>));
  }
  struct context {
    std::int64_t i = 0;
    stored<Int> v;
  };
  context ctx;
  async_step setup() { ctx.v = co_await call(add, in<"seed">(), Int{0}); }
  bool more() const { return ctx.i < in<"n">().value; }
  bool first() const { return ctx.i % 3 == 0; }
  bool second() const { return ctx.i % 3 == 1; }
  async_step do_add() { ctx.v = co_await call(add, ctx.v, Int{ctx.i}); }
  async_step do_mul() { ctx.v = co_await call(mul, ctx.v, Int{2}); }
  async_step do_two() {
    auto a = co_await call(add, ctx.v, Int{1});
    ctx.v = co_await call(add, a, Int{ctx.i});
  }
  void advance() { ++ctx.i; }
  void finish() { out<"value">(ctx.v); }
};

// Three loop_branch children at once, then their sum.
struct parallel : work_chain<parallel> {
  static constexpr std::string_view process_name = "fault.parallel";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"sum", Int>(),
                        outline(step<&parallel::launch>, step<&parallel::gather>));
  }
  struct context {
    std::vector<child<loop_branch>> kids;
  };
  context ctx;
  async_step launch() {
    for (int k = 1; k <= 3; ++k) {
      ctx.kids.push_back(co_await submit<loop_branch>(
          spec::inputs_for<loop_branch>().set<"n">(in<"n">().value + k).set<"seed">(k)));
    }
  }
  async_step gather() {
    auto s = co_await call(add, ctx.kids[0].out<"value">(), ctx.kids[1].out<"value">());
    out<"sum">(co_await call(add, s, ctx.kids[2].out<"value">()));
  }
};

// parallel, then a loop_branch, then their sum: three levels of work chains.
struct nested : work_chain<nested> {
  static constexpr std::string_view process_name = "fault.nested";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"total", Int>(),
                        outline(step<&nested::first>, step<&nested::second>, step<&nested::total>));
  }
  struct context {
    stored<Int> a, b;
  };
  context ctx;
  async_step first() {
    auto p = co_await run<parallel>(spec::inputs_for<parallel>().set<"n">(in<"n">()));
    ctx.a = p.out<"sum">();
  }
  async_step second() {
    auto l = co_await run<loop_branch>(spec::inputs_for<loop_branch>().set<"n">(in<"n">()).set<"seed">(7));
    ctx.b = l.out<"value">();
  }
  async_step total() { out<"total">(co_await call(add, ctx.a, ctx.b)); }
};

}  // namespace tessera::fault
