#pragma once
// Processes shared by the engine tests.
#include <atomic>
#include <cstdint>
#include <string_view>

#include <tessera/tessera.hpp>

namespace tessera::test {

inline std::atomic<int> add_executions{0};
inline std::atomic<int> multiply_executions{0};

inline const auto add = calcfunction<"add", "x", "y">([](const Int& x, const Int& y) {
  ++add_executions;
  return Int{x.value + y.value};
});
inline const auto multiply = calcfunction<"multiply", "x", "y">([](const Int& x, const Int& y) {
  ++multiply_executions;
  return Int{x.value * y.value};
});
// The AiiDA 1.0 paper's example.
inline const auto add_multiply = workfunction<"add_multiply", "x", "y", "z">(
    [](const Int& x, const Int& y, const Int& z) { return multiply(add(x, y), z); });

// Sums 1..n by calling add in a loop, one call per step.
struct sum_to : work_chain<sum_to> {
  static constexpr std::string_view process_name = "test.sum_to";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"sum", Int>(),
                        exit_code<400, "ERROR_NEGATIVE">("n must not be negative"),
                        outline(step<&sum_to::setup>, if_<&sum_to::negative>(return_<"ERROR_NEGATIVE">),
                                while_<&sum_to::more>(step<&sum_to::next>), step<&sum_to::finish>));
  }
  struct context {
    std::int64_t i = 0;
    stored<Int> sum;
  };
  context ctx;

  void setup() { ctx.i = 0; }
  bool negative() const { return in<"n">().value < 0; }
  bool more() const { return ctx.i < in<"n">().value; }
  async_step next() {
    ++ctx.i;
    if (!ctx.sum) {
      ctx.sum = co_await call(add, Int{0}, Int{ctx.i});
    } else {
      ctx.sum = co_await call(add, ctx.sum, Int{ctx.i});
    }
    report("i = " + std::to_string(ctx.i));
  }
  void finish() {
    if (ctx.sum) out<"sum">(ctx.sum);
  }
};

}  // namespace tessera::test
