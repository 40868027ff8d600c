#pragma once
// The work chain of the AiiDA 1.0 paper's headline benchmark: run core.arithmetic.add (a bash
// job adding x and y, on a computer's scheduler) and then add y once more with a
// calcfunction: 3 processes per chain. Used by examples/arithmetic_add.cpp and by
// benchmarks/calcjob_bench and daemon_bench.
#include <string_view>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/tessera.hpp>

#include "arithmetic_add.hpp"  // plugins/core_arithmetic_add: the calculation's spec and prepare()

namespace tessera::examples {

inline const auto add = calcfunction<"examples.add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });

struct add_chain : work_chain<add_chain> {
  static constexpr std::string_view process_name = "examples.arithmetic_add_chain";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), input<"y", Int>(), input<"code", InstalledCode>(), output<"result", Int>(),
                        outline(step<&add_chain::run_job>, step<&add_chain::add_more>));
  }
  struct context {
    child<plugins::arithmetic_add> job;
  };
  context ctx;
  // The job runs on the code's computer; the chain waits for it without holding a thread.
  async_step run_job() {
    auto job_inputs =
        spec::inputs_for<plugins::arithmetic_add>().set<"x">(in<"x">()).set<"y">(in<"y">()).set<"code">(in<"code">());
    ctx.job = co_await run<plugins::arithmetic_add>(job_inputs);
  }
  async_step add_more() {
    auto result = co_await call(add, ctx.job.out<"sum">(), in<"y">());
    out<"result">(result);
  }
};

}  // namespace tessera::examples
