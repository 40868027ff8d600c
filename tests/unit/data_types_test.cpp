// Value semantics, JSON round-trips and deserialize errors of the built-in data types.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tessera/data/bool.hpp>
#include <tessera/data/dict.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/float.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/list.hpp>
#include <tessera/data/str.hpp>
#include <tessera/data/traits.hpp>

namespace {

using nlohmann::json;
using namespace tessera;

// Runs `f`, expecting data_error whose message is exactly `expected`.
template <class F>
void expect_data_error(F&& f, const std::string& expected) {
  try {
    f();
    ADD_FAILURE() << "no data_error thrown; expected: " << expected;
  } catch (const data_error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
}

template <data_type T>
T round_trip_through_text(const T& v) {
  return from_json<T>(json::parse(to_json(v).dump()));
}

static_assert(data_type<Int> && data_type<Float> && data_type<Bool> && data_type<Str> &&
              data_type<Dict> && data_type<List>);
static_assert(!data_type<int> && !data_type<std::string> && !data_type<json>);
static_assert(type_name_of<Int>() == "core.int" && type_name_of<Float>() == "core.float" &&
              type_name_of<Bool>() == "core.bool" && type_name_of<Str>() == "core.str" &&
              type_name_of<Dict>() == "core.dict" && type_name_of<List>() == "core.list");

// Conversions that would silently change meaning are refused at compile time.
static_assert(std::is_convertible_v<int, Int> && std::is_convertible_v<std::int64_t, Int>);
static_assert(!std::is_constructible_v<Int, bool> && !std::is_constructible_v<Int, double>);
static_assert(std::is_convertible_v<double, Float> && std::is_convertible_v<int, Float>);
static_assert(!std::is_constructible_v<Float, bool>);
static_assert(std::is_convertible_v<bool, Bool> && !std::is_constructible_v<Bool, int> &&
              !std::is_constructible_v<Bool, const char*>);
static_assert(std::is_convertible_v<const char*, Str> && std::is_convertible_v<std::string, Str> &&
              !std::is_convertible_v<std::string_view, Str> &&
              std::is_constructible_v<Str, std::string_view>);
static_assert(!std::is_convertible_v<json, Dict> && !std::is_convertible_v<json, List>);
static_assert(Int{} == Int{0} && Int{3} < Int{4} && Float{} == Float{0.0} && Bool{} == Bool{false});

TEST(DataTypes, IntValueSemantics) {
  Int a = 5;
  Int b = a;
  b.value = 6;
  EXPECT_EQ(a.value, 5);
  EXPECT_EQ(b, Int{6});
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  EXPECT_EQ(Int{std::numeric_limits<std::int64_t>::min()}.value, std::numeric_limits<std::int64_t>::min());
}

TEST(DataTypes, FloatEqualityIsIeeeValueEquality) {
  EXPECT_EQ(Float{1.5}, Float{1.5});
  EXPECT_NE(Float{1.5}, Float{2.5});
  EXPECT_LT(Float{1.5}, Float{2.5});
  EXPECT_EQ(Float{-0.0}, Float{0.0});
  const Float nan{std::numeric_limits<double>::quiet_NaN()};
  EXPECT_NE(nan, nan);
}

TEST(DataTypes, BoolAndStrValueSemantics) {
  EXPECT_EQ(Bool{true}, Bool{true});
  EXPECT_NE(Bool{true}, Bool{false});
  Str s = "abc";
  Str t = std::string("abc");
  EXPECT_EQ(s, t);
  t.value += "d";
  EXPECT_EQ(s.value, "abc");
  EXPECT_LT(s, t);
  EXPECT_EQ(Str{std::string_view("xy")}.value, "xy");
  EXPECT_EQ(Str{}.value, "");
}

TEST(DataTypes, DictConstructionAccessAndStrictEquality) {
  const Dict d{json{{"a", 1}, {"b", "two"}}};
  EXPECT_EQ(d.size(), 2u);
  EXPECT_TRUE(d.contains("a"));
  EXPECT_FALSE(d.contains("z"));
  EXPECT_EQ(d["a"], json(1));
  EXPECT_EQ(d["b"], json("two"));
  expect_data_error([&] { (void)d["z"]; }, "core.dict has no key 'z'");

  EXPECT_TRUE(Dict{}.empty());
  EXPECT_TRUE(Dict{}.value.is_object());
  EXPECT_EQ(Dict{}, Dict{json::object()});
  EXPECT_EQ(d, Dict{json::parse(R"({"b":"two","a":1})")});
  // nlohmann's == says 1 == 1.0; a Dict must not, or hash and equality would disagree.
  const json one_int = {{"a", 1}};
  const json one_float = {{"a", 1.0}};
  EXPECT_TRUE(one_int == one_float);
  EXPECT_NE(Dict{one_int}, Dict{one_float});
  EXPECT_NE(d, Dict{one_int});

  expect_data_error([] { Dict{json::array({1, 2})}; }, "core.dict expects a JSON object, got array [1,2]");
  expect_data_error([] { Dict{json()}; }, "core.dict expects a JSON object, got null");
}

TEST(DataTypes, ListConstructionAccessAndStrictEquality) {
  const List l{json::array({1, "x", nullptr})};
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l[1], json("x"));
  EXPECT_TRUE(l[2].is_null());
  expect_data_error([&] { (void)l[3]; }, "core.list index 3 out of range (size 3)");
  EXPECT_TRUE(List{}.empty());
  EXPECT_TRUE(List{}.value.is_array());
  EXPECT_EQ(List{json::array({1, 2})}, List{json::parse("[1,2]")});
  EXPECT_NE(List{json::array({1, 2})}, List{json::array({2, 1})});
  EXPECT_NE(List{json::array({1})}, List{json::array({1.0})});
  expect_data_error([] { List{json::object()}; }, "core.list expects a JSON array, got object {}");
}

TEST(DataTypes, SerializeProducesTheNaturalJson) {
  EXPECT_EQ(to_json(Int{-7}).dump(), "-7");
  EXPECT_TRUE(to_json(Int{-7}).is_number_integer());
  EXPECT_EQ(to_json(Float{2.5}).dump(), "2.5");
  EXPECT_TRUE(to_json(Float{1.0}).is_number_float());
  EXPECT_EQ(to_json(Bool{true}).dump(), "true");
  EXPECT_EQ(to_json(Str{"hé"}).dump(), "\"hé\"");
  EXPECT_EQ(to_json(Dict{json{{"k", json::array({1})}}}).dump(), R"({"k":[1]})");
  EXPECT_EQ(to_json(List{json::array({true, nullptr})}).dump(), "[true,null]");
}

TEST(DataTypes, RoundTripThroughJsonTextForEveryType) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42},
                         std::numeric_limits<std::int64_t>::max(),
                         std::numeric_limits<std::int64_t>::min()}) {
    EXPECT_EQ(round_trip_through_text(Int{v}), Int{v}) << v;
  }
  for (double v : {0.0, -2.5, 1e-300, 1.0 / 3.0, 6.02214076e23, std::numeric_limits<double>::max(),
                   std::numeric_limits<double>::denorm_min()}) {
    EXPECT_EQ(round_trip_through_text(Float{v}), Float{v}) << v;
  }
  // -0.0 keeps its sign through text even though it compares (and hashes) equal to 0.0.
  EXPECT_TRUE(std::signbit(round_trip_through_text(Float{-0.0}).value));
  EXPECT_EQ(round_trip_through_text(Bool{true}), Bool{true});
  EXPECT_EQ(round_trip_through_text(Bool{false}), Bool{false});
  EXPECT_EQ(round_trip_through_text(Str{""}), Str{""});
  EXPECT_EQ(round_trip_through_text(Str{"line\nquote\" ünïcode ✓"}), Str{"line\nquote\" ünïcode ✓"});
  const Dict d{json{{"nested", {{"x", 1.5}, {"list", {1, 2, 3}}}}, {"s", "v"}, {"n", nullptr}}};
  EXPECT_EQ(round_trip_through_text(d), d);
  const List l{json::array({1, 1.0, "1", true, nullptr, json::object(), json::array()})};
  EXPECT_EQ(round_trip_through_text(l), l);
  // Strictness survives the text: the 1.0 is still a float after parsing.
  EXPECT_TRUE(round_trip_through_text(l)[1].is_number_float());
}

TEST(DataTypes, FloatNonFiniteValuesRoundTripAsStrings) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(to_json(Float{inf}), json("Infinity"));
  EXPECT_EQ(to_json(Float{-inf}), json("-Infinity"));
  EXPECT_EQ(to_json(Float{std::nan("")}), json("NaN"));
  EXPECT_EQ(round_trip_through_text(Float{inf}).value, inf);
  EXPECT_EQ(round_trip_through_text(Float{-inf}).value, -inf);
  EXPECT_TRUE(std::isnan(round_trip_through_text(Float{std::nan("")}).value));
}

TEST(DataTypes, IntDeserializeAcceptsOnlyIntegers) {
  EXPECT_EQ(from_json<Int>(json::parse("12")), Int{12});  // parsed: unsigned
  EXPECT_EQ(from_json<Int>(json(12)), Int{12});           // constructed: signed
  EXPECT_EQ(from_json<Int>(json::parse("-12")), Int{-12});
  EXPECT_EQ(from_json<Int>(json::parse("9223372036854775807")), Int{std::numeric_limits<std::int64_t>::max()});
  expect_data_error([] { from_json<Int>(json("abc")); }, R"(core.int expects a JSON integer, got string "abc")");
  expect_data_error([] { from_json<Int>(json(1.0)); },
                    "core.int expects a JSON integer, got floating-point number 1.0");
  expect_data_error([] { from_json<Int>(json("1")); }, R"(core.int expects a JSON integer, got string "1")");
  expect_data_error([] { from_json<Int>(json(true)); }, "core.int expects a JSON integer, got boolean true");
  expect_data_error([] { from_json<Int>(json()); }, "core.int expects a JSON integer, got null");
  expect_data_error([] { from_json<Int>(json::parse("9223372036854775808")); },
                    "core.int expects a JSON integer within int64 range, got integer 9223372036854775808");
}

TEST(DataTypes, FloatDeserializeAcceptsNumbers) {
  EXPECT_EQ(from_json<Float>(json(2.5)), Float{2.5});
  const Float from_int = from_json<Float>(json::parse("3"));
  EXPECT_EQ(from_int, Float{3.0});
  EXPECT_EQ(from_json<Float>(json(-4)), Float{-4.0});
  expect_data_error([] { from_json<Float>(json("2.5")); }, R"(core.float expects a JSON number, got string "2.5")");
  expect_data_error([] { from_json<Float>(json("nan")); }, R"(core.float expects a JSON number, got string "nan")");
  expect_data_error([] { from_json<Float>(json(false)); }, "core.float expects a JSON number, got boolean false");
  expect_data_error([] { from_json<Float>(json::array({1.0})); }, "core.float expects a JSON number, got array [1.0]");
}

TEST(DataTypes, BoolStrDictListDeserializeAcceptOnlyTheirKind) {
  EXPECT_EQ(from_json<Bool>(json(true)), Bool{true});
  expect_data_error([] { from_json<Bool>(json(1)); }, "core.bool expects a JSON boolean, got integer 1");
  expect_data_error([] { from_json<Bool>(json("true")); }, R"(core.bool expects a JSON boolean, got string "true")");
  EXPECT_EQ(from_json<Str>(json("x")), Str{"x"});
  expect_data_error([] { from_json<Str>(json(1)); }, "core.str expects a JSON string, got integer 1");
  const json with_list = {{"a", {1}}};
  EXPECT_EQ(from_json<Dict>(json::parse(R"({"a":[1]})")), Dict{with_list});
  expect_data_error([] { from_json<Dict>(json("{}")); }, R"(core.dict expects a JSON object, got string "{}")");
  EXPECT_EQ(from_json<List>(json::parse("[]")), List{});
  expect_data_error([] { from_json<List>(json::object({{"a", 1}})); },
                    R"(core.list expects a JSON array, got object {"a":1})");
}

TEST(DataTypes, ErrorMessagesTruncateLongValues) {
  const std::string long_text(500, 'x');
  try {
    from_json<Int>(json(long_text));
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg, "core.int expects a JSON integer, got string \"" + std::string(63, 'x') + "...");
  }
  // A cut inside a multi-byte character backs up to the character boundary.
  std::string accents;
  for (int i = 0; i < 40; ++i) accents += "é";  // 2 bytes each
  try {
    from_json<Int>(json(accents));
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    // '"' + 31 full characters (62 bytes) = 63 bytes; the 64th byte would split a character.
    std::string expected_prefix = "\"";
    for (int i = 0; i < 31; ++i) expected_prefix += "é";
    EXPECT_EQ(std::string(e.what()), "core.int expects a JSON integer, got string " + expected_prefix + "...");
  }
}

}  // namespace
