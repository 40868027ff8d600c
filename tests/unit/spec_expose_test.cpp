// Exposing another process's ports, and extending a spec with overrides.
#include <gtest/gtest.h>

#include "spec_test_processes.hpp"

using namespace tessera;
using spec_test::child;
using spec::direction;

namespace {

struct parent_all : spec::ports<parent_all> {
  static auto define() {
    using namespace tessera::spec;
    return process_spec(expose_inputs<child>(namespace_<"child">), expose_outputs<child>(namespace_<"child">),
                        input<"n", Int>());
  }
};

struct parent_include : spec::ports<parent_include> {
  static auto define() {
    using namespace tessera::spec;
    return process_spec(expose_inputs<child>(include<"a", "opts">), input<"b", Str>());
  }
};

struct parent_exclude {
  static auto define() {
    using namespace tessera::spec;
    return process_spec(expose_inputs<child>(namespace_<"sub">, exclude<"b">));
  }
};

struct parent_override : spec::ports<parent_override> {
  static auto define() {
    using namespace tessera::spec;
    // the child's "a" is required; here it gets a default instead
    return process_spec(expose_inputs<child>(), override_input<"a", Int>(default_value(40)));
  }
};

struct base_process {
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), input<"y", Int>(default_value(1)), output<"sum", Int>(),
                        exit_code<300, "ERROR_BASE">("base failure"));
  }
};

struct derived_process : spec::ports<derived_process> {
  static auto define() {
    using namespace tessera::spec;
    return extend(base_process::define(), override_input<"y", Int>(default_value(10), help("now ten")),
                  input<"w", Float>(), exit_code<301, "ERROR_DERIVED">("derived failure"));
  }
};

}  // namespace

TEST(spec_expose, ports_are_exposed_into_a_namespace_with_their_options) {
  const auto& s = spec::runtime_spec_of<parent_all>();
  const spec::port_info* a = s.find_port(direction::input, "child.a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->help, "first");
  const spec::port_info* b = s.find_port(direction::input, "child.b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->default_value.get<Float>().value, 2.5);
  EXPECT_NE(s.find_port(direction::input, "child.opts.flag"), nullptr);
  EXPECT_NE(s.find_port(direction::output, "child.r"), nullptr);
  EXPECT_NE(s.find_port(direction::output, "child.extra.note"), nullptr);
  EXPECT_NE(s.find_namespace(direction::input, "child"), nullptr);

  parent_all p;
  p.set_inputs(spec::inputs_for<parent_all>().set<"n">(1).set<"child.a">(5).validated());
  static_assert(std::is_same_v<decltype(p.in<"child.b">()), const Float&>);
  EXPECT_EQ(p.in<"child.b">().value, 2.5);
  // the exposed namespace is what a work chain hands to the child
  const port_values& for_child = p.in_namespace<"child">();
  EXPECT_EQ(for_child.find("a")->get<Int>(), Int{5});
  EXPECT_TRUE(spec::runtime_spec_of<child>().check(direction::input, const_cast<port_values&>(for_child), false).empty());
}

TEST(spec_expose, include_keeps_only_the_named_top_level_ports) {
  const auto& s = spec::runtime_spec_of<parent_include>();
  EXPECT_NE(s.find_port(direction::input, "a"), nullptr);
  EXPECT_NE(s.find_port(direction::input, "opts.flag"), nullptr);
  // "b" is the parent's own Str port, not the child's Float
  EXPECT_EQ(s.find_port(direction::input, "b")->type_name, "core.str");
}

TEST(spec_expose, exclude_drops_the_named_ports) {
  const auto& s = spec::runtime_spec_of<parent_exclude>();
  EXPECT_NE(s.find_port(direction::input, "sub.a"), nullptr);
  EXPECT_EQ(s.find_port(direction::input, "sub.b"), nullptr);
  EXPECT_NE(s.find_port(direction::input, "sub.opts.flag"), nullptr);
}

TEST(spec_expose, an_exposed_port_can_be_overridden_explicitly) {
  const auto& s = spec::runtime_spec_of<parent_override>();
  const spec::port_info* a = s.find_port(direction::input, "a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->default_value.get<Int>(), Int{40});
  EXPECT_EQ(std::count_if(s.ports.begin(), s.ports.end(), [](const spec::port_info& p) { return p.name == "a"; }), 1);
  parent_override p;
  p.set_inputs(spec::inputs_for<parent_override>().validated());
  EXPECT_EQ(p.in<"a">(), Int{40});
}

TEST(spec_expose, a_derived_spec_inherits_and_overrides) {
  const auto& s = spec::runtime_spec_of<derived_process>();
  EXPECT_NE(s.find_port(direction::input, "x"), nullptr);
  EXPECT_NE(s.find_port(direction::input, "w"), nullptr);
  EXPECT_NE(s.find_port(direction::output, "sum"), nullptr);
  EXPECT_EQ(s.find_port(direction::input, "y")->default_value.get<Int>(), Int{10});
  EXPECT_EQ(s.find_port(direction::input, "y")->help, "now ten");
  EXPECT_NE(s.find_exit_code("ERROR_BASE"), nullptr);
  EXPECT_NE(s.find_exit_code("ERROR_DERIVED"), nullptr);
  EXPECT_EQ(derived_process::exit<"ERROR_BASE">().status, 300);
  // built-in exit codes are inherited once, not duplicated
  EXPECT_EQ(std::count_if(s.exit_codes.begin(), s.exit_codes.end(),
                          [](const spec::exit_code_info& e) { return e.label == "ERROR_MISSING_OUTPUT"; }),
            1);
}
