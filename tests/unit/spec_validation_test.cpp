// Run-time validation of concrete inputs, including ones built from JSON.
#include <gtest/gtest.h>

#include "spec_test_processes.hpp"

namespace tessera::spec {
// readable failures for EXPECT_EQ on problem lists
inline void PrintTo(const validation_problem& p, std::ostream* os) { *os << p.port << ": " << p.message; }
}  // namespace tessera::spec

using namespace tessera;
using spec_test::add_multiply;
using nlohmann::json;

namespace {

const spec::runtime_spec& rs() { return spec::runtime_spec_of<add_multiply>(); }

std::vector<spec::validation_problem> problems_of(const json& j) {
  try {
    (void)rs().inputs_from_json(j);
  } catch (const spec::validation_error& e) {
    return e.problems();
  }
  return {};
}

}  // namespace

TEST(spec_validation, valid_json_inputs_get_their_declared_types_and_defaults) {
  const port_values v = rs().inputs_from_json(json::parse(R"({"x": 1, "y": 2, "options": {"advanced": {"a": 1.5, "b": {"k": [1]}}}})"));
  EXPECT_EQ(v.find("x")->get<Int>(), Int{1});
  EXPECT_EQ(v.find("z")->get<Int>(), Int{1});
  EXPECT_EQ(v.find("options.retries")->get<Int>(), Int{3});
  EXPECT_EQ(v.find("options.advanced.a")->get<Float>().value, 1.5);
  // in a dynamic namespace a JSON object is a Dict value
  EXPECT_TRUE(v.find("options.advanced.b")->holds<Dict>());
}

TEST(spec_validation, one_error_lists_every_problem_with_full_dotted_names) {
  const json bad = json::parse(R"({
    "x": "seven", "z": -4, "label": 3,
    "options": {"retries": 1.5, "bogus": true, "advanced": {"free": 1}},
    "extra": 1})");
  try {
    (void)rs().inputs_from_json(bad);
    FAIL() << "expected a validation_error";
  } catch (const spec::validation_error& e) {
    const std::vector<spec::validation_problem> expected = {
        {"extra", "unknown input port (not declared in the spec)"},
        {"label", "core.str expects a JSON string, got integer 3"},
        {"options.bogus", "unknown input port: namespace 'options' is not dynamic and declares no such port"},
        {"options.retries", "core.int expects a JSON integer, got floating-point number 1.5"},
        {"x", "core.int expects a JSON integer, got string \"seven\""},
        {"y", "required input is missing"},
        {"z", "must be positive, got -4"},
    };
    EXPECT_EQ(e.problems(), expected);
    const std::string what = e.what();
    EXPECT_NE(what.find("invalid inputs for process 'test.add_multiply' (7 problems):"), std::string::npos) << what;
    EXPECT_NE(what.find("\n  - options.bogus: unknown input port"), std::string::npos) << what;
  }
}

TEST(spec_validation, a_namespace_given_a_value_and_a_port_given_a_namespace_are_errors) {
  const auto p = problems_of(json::parse(R"({"x": {"a": 1}, "y": 1, "options": 5})"));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].port, "options");
  EXPECT_EQ(p[0].message, "is a namespace: expected a JSON object, got number");
  EXPECT_EQ(p[1].port, "x");
}

TEST(spec_validation, top_level_must_be_an_object) {
  const auto p = problems_of(json::array({1, 2}));
  ASSERT_FALSE(p.empty());
  EXPECT_EQ(p[0].port, "(inputs)");
}

TEST(spec_validation, wrong_types_in_port_values_are_reported) {
  port_values v;
  v.set("x", Float{1.0}).set("y", Int{1}).set("options.advanced.anything", Str{"ok"});
  auto problems = rs().check(spec::direction::input, v, true);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].port, "x");
  EXPECT_EQ(problems[0].message, "expected core.int, got core.float");
}

TEST(spec_validation, optional_namespace_left_out_is_not_checked_but_given_is) {
  struct opt_ns {
    static auto define() {
      using namespace tessera::spec;
      return process_spec(input_namespace<"metadata">(required(false)), input<"metadata.owner", Str>(),
                          input<"metadata.level", Int>(default_value(1)), input<"n", Int>());
    }
  };
  const auto& s = spec::runtime_spec_of<opt_ns>();
  port_values v;
  v.set("n", Int{1});
  EXPECT_TRUE(s.check(spec::direction::input, v, true).empty());
  EXPECT_FALSE(v.contains("metadata.level"));  // no defaults inside a namespace that was left out

  port_values w;
  w.set("n", Int{1}).set("metadata.level", Int{2});
  auto problems = s.check(spec::direction::input, w, true);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].port, "metadata.owner");
  EXPECT_EQ(problems[0].message, "required input is missing");
}

TEST(spec_validation, validators_also_check_defaults) {
  struct bad_default {
    static auto define() {
      using namespace tessera::spec;
      return process_spec(input<"n", Int>(default_value(0), validator(spec_test::positive)));
    }
  };
  port_values v;
  auto problems = spec::runtime_spec_of<bad_default>().check(spec::direction::input, v, true);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].message, "default value: must be positive, got 0");
}

TEST(spec_validation, any_data_ports_accept_every_data_type) {
  struct anything {
    static auto define() {
      using namespace tessera::spec;
      return process_spec(input<"value", any_data>(), input<"dflt", any_data>(default_value(any_data(Str{"d"}))));
    }
  };
  const auto& s = spec::runtime_spec_of<anything>();
  const port_values v = s.inputs_from_json(json::parse(R"({"value": [1, 2]})"));
  EXPECT_TRUE(v.find("value")->holds<List>());
  EXPECT_EQ(v.find("dflt")->get<Str>().value, "d");
  EXPECT_EQ(s.find_port(spec::direction::input, "value")->type_name, "any");
}
