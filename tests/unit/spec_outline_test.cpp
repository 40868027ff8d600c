// Outlines compile to a flat program that an engine can walk with one program counter.
#include <gtest/gtest.h>

#include <vector>

#include "spec_test_processes.hpp"

using namespace tessera;

namespace {

// The AiiDA paper's fizzbuzz outline: while, if / elif / else over a counter.
struct fizzbuzz : spec::ports<fizzbuzz> {
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"count", Int>(),
                        exit_code<400, "ERROR_TOO_LARGE">("n is too large"),
                        outline(step<&fizzbuzz::setup>,
                                if_<&fizzbuzz::too_large>(return_<"ERROR_TOO_LARGE">),
                                while_<&fizzbuzz::not_done>(
                                    if_<&fizzbuzz::divisible_by_15>(step<&fizzbuzz::fizzbuzz_>)
                                        .elif_<&fizzbuzz::divisible_by_3>(step<&fizzbuzz::fizz>)
                                        .elif_<&fizzbuzz::divisible_by_5>(step<&fizzbuzz::buzz>)
                                        .else_(step<&fizzbuzz::number>),
                                    step<&fizzbuzz::next>),
                                step<&fizzbuzz::finish>, return_<>));
  }
  std::int64_t i = 1;
  std::vector<std::string> said;
  void setup() { i = 1; }
  bool too_large() const { return in<"n">().value > 1000; }
  bool not_done() const { return i <= in<"n">().value; }
  bool divisible_by_15() const { return i % 15 == 0; }
  bool divisible_by_3() const { return i % 3 == 0; }
  bool divisible_by_5() const { return i % 5 == 0; }
  void fizzbuzz_() { said.emplace_back("FizzBuzz"); }
  void fizz() { said.emplace_back("Fizz"); }
  void buzz() { said.emplace_back("Buzz"); }
  void number() { said.push_back(std::to_string(i)); }
  void next() { ++i; }
  exit_code_value finish() {
    out<"count">(Int{static_cast<std::int64_t>(said.size())});
    return {};
  }
};

using outcome = std::optional<exit_code_value>;

// A minimal engine: walk the program; a step returning a non-zero exit code ends the run.
template <class P>
exit_code_value run(P& p, std::vector<std::string>* trace = nullptr) {
  const auto& program = spec::program_of<P, outcome>();
  std::uint32_t pc = 0;
  for (int guard = 0; guard < 100000; ++guard) {
    const auto& ins = program[pc];
    if (trace) trace->emplace_back(ins.name);
    switch (ins.code) {
      case spec::op::call_step: {
        outcome o = ins.step(p);
        if (o && !o->ok()) return *o;
        ++pc;
        break;
      }
      case spec::op::jump_if_false:
        pc = ins.condition(p) ? pc + 1 : ins.target;
        break;
      case spec::op::jump:
        pc = ins.target;
        break;
      case spec::op::return_:
        if (ins.name.empty()) return {};
        return spec::runtime_spec_of<P>().find_exit_code(ins.name) ? exit_code_value{spec::runtime_spec_of<P>().find_exit_code(ins.name)->status, std::string(ins.name), ""} : exit_code_value{-1, "?", ""};
    }
  }
  return {-1, "runaway", ""};
}

}  // namespace

TEST(spec_outline, fizzbuzz_runs_through_while_if_elif_else) {
  fizzbuzz p;
  p.set_inputs(spec::inputs_for<fizzbuzz>().set<"n">(15).validated());
  const exit_code_value result = run(p);
  EXPECT_TRUE(result.ok());
  const std::vector<std::string> expected = {"1", "2", "Fizz", "4", "Buzz", "Fizz", "7", "8",
                                             "Fizz", "Buzz", "11", "Fizz", "13", "14", "FizzBuzz"};
  EXPECT_EQ(p.said, expected);
  EXPECT_EQ(p.outputs().find("count")->get<Int>(), Int{15});
}

TEST(spec_outline, return_with_a_label_ends_with_that_exit_code) {
  fizzbuzz p;
  p.set_inputs(spec::inputs_for<fizzbuzz>().set<"n">(5000).validated());
  const exit_code_value result = run(p);
  EXPECT_EQ(result.status, 400);
  EXPECT_EQ(result.label, "ERROR_TOO_LARGE");
  EXPECT_TRUE(p.said.empty());
}

TEST(spec_outline, the_program_is_flat_with_resolved_jumps) {
  const auto& program = spec::program_of<fizzbuzz, outcome>();
  // setup, if(too_large): jif, return, jump; while: jif, 4 branches..., next, jump; finish, return_<>, final return
  ASSERT_EQ(program.size(), 1u + 3u + (1u + (3u + 3u + 3u + 1u) + 1u + 1u) + 1u + 1u + 1u);
  EXPECT_EQ(program[0].code, spec::op::call_step);
  EXPECT_EQ(program[0].name, "setup");
  EXPECT_EQ(program[1].code, spec::op::jump_if_false);
  EXPECT_EQ(program[1].name, "too_large");
  EXPECT_EQ(program[1].target, 4u);
  EXPECT_EQ(program[2].code, spec::op::return_);
  EXPECT_EQ(program[2].name, "ERROR_TOO_LARGE");
  EXPECT_EQ(program[4].code, spec::op::jump_if_false);
  EXPECT_EQ(program[4].name, "not_done");
  const auto loop_end = program[4].target;
  EXPECT_EQ(program[loop_end - 1].code, spec::op::jump);
  EXPECT_EQ(program[loop_end - 1].target, 4u);
  EXPECT_EQ(program[loop_end].name, "finish");
  EXPECT_EQ(program.back().code, spec::op::return_);
  EXPECT_TRUE(program.back().name.empty());
  // every jump lands inside the program
  for (const auto& i : program) EXPECT_LT(i.target, program.size());
}

TEST(spec_outline, step_names_are_taken_from_the_member_functions) {
  std::vector<std::string> trace;
  fizzbuzz p;
  p.set_inputs(spec::inputs_for<fizzbuzz>().set<"n">(3).validated());
  run(p, &trace);
  EXPECT_EQ(trace.front(), "setup");
  EXPECT_NE(std::find(trace.begin(), trace.end(), "divisible_by_15"), trace.end());
  EXPECT_NE(std::find(trace.begin(), trace.end(), "fizz"), trace.end());
}

TEST(spec_outline, a_spec_without_outline_has_a_program_that_just_returns) {
  const auto& program = spec::program_of<spec_test::child, outcome>();
  ASSERT_EQ(program.size(), 1u);
  EXPECT_EQ(program[0].code, spec::op::return_);
}
