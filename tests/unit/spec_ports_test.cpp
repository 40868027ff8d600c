// Typed access to ports: reading inputs, emitting outputs, exit codes by label.
#include <gtest/gtest.h>

#include "spec_test_processes.hpp"

using namespace tessera;
using spec_test::add_multiply;

namespace {

add_multiply make(std::int64_t x, std::int64_t y) {
  add_multiply p;
  p.set_inputs(spec::inputs_for<add_multiply>().set<"x">(x).set<"y">(Int{y}).validated());
  return p;
}

}  // namespace

TEST(spec_ports, reading_an_input_yields_its_declared_type) {
  auto p = make(2, 3);
  static_assert(std::is_same_v<decltype(p.in<"x">()), const Int&>);
  static_assert(std::is_same_v<decltype(p.in<"label">()), const Str&>);
  EXPECT_EQ(p.in<"x">(), Int{2});
  EXPECT_EQ(p.in<"y">().value, 3);
}

TEST(spec_ports, defaults_are_applied_including_in_namespaces) {
  auto p = make(2, 3);
  EXPECT_EQ(p.in<"z">(), Int{1});
  EXPECT_EQ(p.in<"options.retries">(), Int{3});
  EXPECT_EQ(p.in_if<"label">(), nullptr);
  EXPECT_THROW((void)p.in<"label">(), std::out_of_range);
}

TEST(spec_ports, an_optional_input_that_is_given_is_readable) {
  add_multiply p;
  p.set_inputs(spec::inputs_for<add_multiply>().set<"x">(1).set<"y">(1).set<"label">("run 7").validated());
  ASSERT_NE(p.in_if<"label">(), nullptr);
  EXPECT_EQ(p.in_if<"label">()->value, "run 7");
}

TEST(spec_ports, dynamic_namespace_contents_are_read_as_port_values) {
  add_multiply p;
  p.set_inputs(spec::inputs_for<add_multiply>()
                   .set<"x">(1)
                   .set<"y">(1)
                   .set_dynamic("options.advanced.smearing", Float{0.01})
                   .set_dynamic("options.advanced.kpoints.mesh", List(nlohmann::json::array({4, 4, 4})))
                   .validated());
  const port_values& advanced = p.in_namespace<"options.advanced">();
  ASSERT_NE(advanced.find("smearing"), nullptr);
  EXPECT_EQ(advanced.find("smearing")->get<Float>().value, 0.01);
  EXPECT_EQ(advanced.find("kpoints.mesh")->get<List>().size(), 3u);
  EXPECT_TRUE(p.in_namespace<"options">().contains("retries"));
}

TEST(spec_ports, steps_emit_outputs_that_validate) {
  auto p = make(2, 3);
  p.add();
  EXPECT_FALSE(p.is_negative());
  p.multiply();
  EXPECT_EQ(p.outputs().find("result")->get<Int>(), Int{5});
  EXPECT_EQ(p.outputs().find("details.sum")->get<Int>(), Int{5});
  EXPECT_NO_THROW(p.validate_outputs());
}

TEST(spec_ports, a_missing_required_output_is_reported) {
  auto p = make(2, 3);
  p.add();
  try {
    p.validate_outputs();
    FAIL() << "expected a validation_error";
  } catch (const spec::validation_error& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].port, "result");
    EXPECT_EQ(e.problems()[0].message, "required output is missing");
    EXPECT_EQ(e.process(), "test.add_multiply");
  }
}

TEST(spec_ports, dynamic_outputs_are_checked_at_run_time) {
  auto p = make(2, 3);
  p.add();
  p.multiply();
  p.out_dynamic("extras.note", Str{"fine"});
  EXPECT_NO_THROW(p.validate_outputs());
  p.out_dynamic("bogus.value", Int{1});
  try {
    p.validate_outputs();
    FAIL() << "expected a validation_error";
  } catch (const spec::validation_error& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_EQ(e.problems()[0].port, "bogus");
  }
}

TEST(spec_ports, exit_codes_are_referred_to_by_label) {
  const exit_code_value code = add_multiply::exit<"ERROR_NEGATIVE_SUM">();
  EXPECT_EQ(code.status, 410);
  EXPECT_EQ(code.label, "ERROR_NEGATIVE_SUM");
  EXPECT_EQ(code.message, "the sum was negative");
  EXPECT_FALSE(code.ok());
  EXPECT_EQ(add_multiply::exit<"ERROR_MISSING_OUTPUT">().status, 11);
}

TEST(spec_ports, inputs_for_converts_plain_values_without_narrowing) {
  const port_values v = spec::inputs_for<add_multiply>().set<"x">(7).set<"y">(-1).set<"label">("a").validated();
  EXPECT_EQ(v.find("x")->get<Int>(), Int{7});
  EXPECT_EQ(v.find("label")->get<Str>(), Str{"a"});
  // 2.5 -> Int would narrow, so it is not accepted (see tests/compile_fail/wrong_input_type.cpp)
  static_assert(!spec::detail::value_fits<Int, double>());
  static_assert(spec::detail::value_fits<Int, int>());
  static_assert(!spec::detail::value_fits<Int, Float>());
  static_assert(spec::detail::value_fits<any_data, Float>());
}

TEST(spec_ports, invalid_inputs_are_rejected_before_they_are_stored) {
  add_multiply p;
  EXPECT_THROW(p.set_inputs(spec::inputs_for<add_multiply>().set<"x">(1).values()), spec::validation_error);
  EXPECT_TRUE(p.inputs().empty());
}
