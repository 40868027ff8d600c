// The tree of concrete port values.
#include <gtest/gtest.h>

#include <tessera/data/data.hpp>
#include <tessera/spec/port_values.hpp>

using namespace tessera;

TEST(port_values, dotted_names_create_namespaces) {
  port_values v;
  v.set("a.b.c", Int{1}).set("a.d", Str{"x"}).set("e", Bool{true});
  EXPECT_EQ(v.find("a.b.c")->get<Int>(), Int{1});
  EXPECT_NE(v.find_namespace("a.b"), nullptr);
  EXPECT_EQ(v.find("a.b"), nullptr);  // a namespace, not a value
  EXPECT_EQ(v.find("a.x"), nullptr);
  EXPECT_EQ(v.find("e.f"), nullptr);
  EXPECT_EQ(v.size(), 2u);
  EXPECT_TRUE(v.contains("a.d"));
}

TEST(port_values, a_path_through_a_value_is_an_error_naming_it) {
  port_values v;
  v.set("a", Int{1});
  try {
    v.set("a.b", Int{2});
    FAIL();
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "cannot set 'a.b': 'a' holds a value, not a namespace");
  }
  EXPECT_THROW(v.namespace_at("a"), data_error);
  EXPECT_THROW(v.set("", Int{1}), data_error);
}

TEST(port_values, copies_are_deep_and_compare_by_value) {
  port_values v;
  v.set("ns.x", Int{1});
  port_values w = v;
  w.set("ns.x", Int{2});
  EXPECT_EQ(v.find("ns.x")->get<Int>(), Int{1});
  EXPECT_NE(v, w);
  w.set("ns.x", Int{1});
  EXPECT_EQ(v, w);
}

TEST(port_values, erase_removes_values_and_namespaces) {
  port_values v;
  v.set("ns.x", Int{1}).set("ns.y", Int{2}).set("z", Int{3});
  EXPECT_TRUE(v.erase("ns.x"));
  EXPECT_FALSE(v.contains("ns.x"));
  EXPECT_TRUE(v.contains("ns.y"));
  EXPECT_FALSE(v.erase("ns.nope"));
  EXPECT_FALSE(v.erase("z.nope"));
  EXPECT_TRUE(v.erase("ns"));
  EXPECT_EQ(v.size(), 1u);
}

TEST(port_values, typed_json_round_trips_types) {
  port_values v;
  v.set("i", Int{1}).set("f", Float{1.0}).set("ns.s", Str{"s"}).set("ns.d", Dict(nlohmann::json{{"k", 1}}));
  const nlohmann::json typed = v.to_typed_json();
  EXPECT_EQ(typed["f"]["type"], "core.float");
  const port_values back = port_values::from_typed_json(typed);
  EXPECT_EQ(back, v);
  EXPECT_TRUE(back.find("f")->holds<Float>());  // 1.0 stays a Float, not an Int
  EXPECT_EQ(v.to_json(), nlohmann::json::parse(R"({"f": 1.0, "i": 1, "ns": {"d": {"k": 1}, "s": "s"}})"));
  EXPECT_THROW(port_values::from_typed_json(nlohmann::json{{"x", 1}}), data_error);
  EXPECT_THROW(port_values::from_typed_json(nlohmann::json{{"x", {{"type", "no.such"}, {"value", 1}}}}), data_error);
}
