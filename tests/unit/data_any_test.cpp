// any_data (the type-erased value) and data_registry (type name -> value).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tessera/data/data.hpp>

namespace {

using nlohmann::json;
using namespace tessera;

static_assert(std::is_convertible_v<Int, any_data> && std::is_convertible_v<Dict, any_data>);
static_assert(!std::is_convertible_v<int, any_data> && !std::is_convertible_v<json, any_data>);
static_assert(std::is_nothrow_move_constructible_v<any_data>);

TEST(AnyData, EmptyState) {
  const any_data empty;
  EXPECT_FALSE(empty.has_value());
  EXPECT_FALSE(static_cast<bool>(empty));
  EXPECT_EQ(empty.type_name(), "");
  EXPECT_EQ(empty.type(), typeid(void));
  EXPECT_FALSE(empty.holds<Int>());
  EXPECT_EQ(empty.get_if<Int>(), nullptr);
  EXPECT_EQ(empty, any_data{});
  EXPECT_NE(empty, any_data{Int{0}});
  try {
    (void)empty.get<Int>();
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "expected core.int, holds nothing (empty any_data)");
  }
  EXPECT_THROW((void)empty.serialize(), data_error);
  EXPECT_THROW((void)empty.hash(), data_error);
}

TEST(AnyData, HoldsGetAndGetIf) {
  const any_data a = Int{7};  // implicit from any data type
  EXPECT_TRUE(a.has_value());
  EXPECT_TRUE(static_cast<bool>(a));
  EXPECT_EQ(a.type_name(), "core.int");
  EXPECT_EQ(a.type(), typeid(Int));
  EXPECT_TRUE(a.holds<Int>());
  EXPECT_FALSE(a.holds<Float>());
  const Int* p = a.get_if<Int>();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->value, 7);
  EXPECT_EQ(p, &a.get<Int>());
  EXPECT_EQ(a.get_if<Str>(), nullptr);
  EXPECT_EQ(a.get<Int>(), Int{7});
  try {
    (void)a.get<Str>();
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "expected core.str, holds core.int");
  }
}

TEST(AnyData, CopiesShareOneImmutableValue) {
  const any_data a = Str{"shared"};
  const any_data b = a;  // NOLINT: the copy is the point
  EXPECT_EQ(a.get_if<Str>(), b.get_if<Str>());  // same object, no deep copy
  any_data c = a;
  c = Int{1};  // rebinding one copy leaves the others alone
  EXPECT_EQ(a.get<Str>().value, "shared");
  EXPECT_EQ(c.get<Int>().value, 1);
  any_data moved = std::move(c);
  EXPECT_EQ(moved.get<Int>().value, 1);
}

// any_data counts its references itself (no shared_ptr): the value lives exactly as long
// as its last copy, whichever thread drops it, and assignment in every form keeps it alive.
namespace any_data_test {
struct counted {
  static inline std::atomic<int> alive{0};
  int v = 0;
  explicit counted(int x = 0) : v(x) { ++alive; }
  counted(const counted& o) : v(o.v) { ++alive; }
  counted(counted&& o) noexcept : v(o.v) { ++alive; }
  counted& operator=(const counted&) = default;
  ~counted() { --alive; }
  friend bool operator==(const counted& a, const counted& b) { return a.v == b.v; }
};
}  // namespace any_data_test
}  // namespace

template <>
struct tessera::data_traits<any_data_test::counted> {
  static constexpr std::string_view type_name = "test.counted";
  static nlohmann::json serialize(const any_data_test::counted& c) { return c.v; }
  static any_data_test::counted deserialize(const nlohmann::json& j) { return any_data_test::counted{j.get<int>()}; }
};

namespace {

TEST(AnyData, TheLastCopyFreesTheValueOnWhicheverThread) {
  using any_data_test::counted;
  {
    any_data a = counted{7};
    EXPECT_EQ(counted::alive.load(), 1);
    any_data& self = a;
    a = self;  // self-assignment keeps the value
    EXPECT_EQ(a.get<counted>().v, 7);
    any_data b;
    b = a;
    any_data c = std::move(b);
    EXPECT_FALSE(b.has_value());  // NOLINT: moved-from is empty
    EXPECT_EQ(counted::alive.load(), 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([copy = c] {
        for (int i = 0; i < 10000; ++i) {
          any_data again = copy;
          EXPECT_EQ(again.get<counted>().v, 7);
        }
      });
    }
    a = Int{1};  // the value is still held by c and the threads' copies
    EXPECT_EQ(counted::alive.load(), 1);
    c = any_data{};
    for (auto& t : threads) t.join();  // the last copy goes with the last thread
  }
  EXPECT_EQ(counted::alive.load(), 0);
}

TEST(AnyData, EqualityNeedsSameTypeAndEqualValue) {
  EXPECT_EQ(any_data{Int{1}}, any_data{Int{1}});
  EXPECT_NE(any_data{Int{1}}, any_data{Int{2}});
  EXPECT_NE(any_data{Int{1}}, any_data{Float{1.0}});
  EXPECT_NE(any_data{Str{"1"}}, any_data{Int{1}});
  EXPECT_EQ(any_data{Float{-0.0}}, any_data{Float{0.0}});
  const json with_int = {{"a", 1}};
  const json with_float = {{"a", 1.0}};
  EXPECT_EQ(any_data{Dict{with_int}}, any_data{Dict{json::parse(R"({"a":1})")}});
  EXPECT_NE(any_data{Dict{with_int}}, any_data{Dict{with_float}});
  // T's == decides, even for a shared value: NaN stays unequal to itself.
  const any_data nan = Float{std::nan("")};
  const any_data same = nan;
  EXPECT_NE(nan, same);
}

TEST(AnyData, SerializeAndHashForwardToTheHeldType) {
  const any_data d = Dict{json{{"k", {1, 2}}}};
  EXPECT_EQ(d.serialize(), json::parse(R"({"k":[1,2]})"));
  EXPECT_EQ(d.hash(), content_hash(d.get<Dict>()));
  EXPECT_EQ(any_data{Int{5}}.hash(), content_hash(Int{5}));
  EXPECT_NE(any_data{Int{5}}.hash(), any_data{Float{5.0}}.hash());
  EXPECT_EQ(any_data{Float{std::numeric_limits<double>::infinity()}}.serialize(), json("Infinity"));
}

TEST(AnyData, InferFromJsonPicksTheBuiltInType) {
  EXPECT_EQ(any_data::infer_from_json(json::parse("3")).get<Int>(), Int{3});
  EXPECT_EQ(any_data::infer_from_json(json(-3)).get<Int>(), Int{-3});
  EXPECT_EQ(any_data::infer_from_json(json(3.0)).get<Float>(), Float{3.0});
  EXPECT_EQ(any_data::infer_from_json(json(true)).get<Bool>(), Bool{true});
  EXPECT_EQ(any_data::infer_from_json(json("s")).get<Str>(), Str{"s"});
  EXPECT_TRUE(any_data::infer_from_json(json::parse(R"({"a":null})")).holds<Dict>());
  EXPECT_EQ(any_data::infer_from_json(json::parse("[1,2]")).get<List>().size(), 2u);
  // A string stays a Str even when it looks like a Float's special value.
  EXPECT_TRUE(any_data::infer_from_json(json("NaN")).holds<Str>());
  try {
    (void)any_data::infer_from_json(json());
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "cannot infer a data type from null");
  }
  EXPECT_THROW((void)any_data::infer_from_json(json::binary({1})), data_error);
  try {
    (void)any_data::infer_from_json(json::parse("18446744073709551615"));
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(),
                 "core.int expects a JSON integer within int64 range, got integer 18446744073709551615");
  }
}

TEST(DataRegistry, GlobalHasTheBuiltInsSorted) {
  const auto names = data_registry::global().names();
  for (const char* n : {"core.bool", "core.dict", "core.float", "core.int", "core.list", "core.str"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    EXPECT_TRUE(data_registry::global().contains(n)) << n;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_FALSE(data_registry::global().contains("core.nope"));
}

TEST(DataRegistry, DeserializeByName) {
  const data_registry& r = data_registry::global();
  const any_data i = r.deserialize("core.int", json::parse("12"));
  EXPECT_EQ(i.get<Int>(), Int{12});
  // The name decides the type, not the JSON kind: 2 read as core.float is a Float.
  EXPECT_EQ(r.deserialize("core.float", json::parse("2")).get<Float>(), Float{2.0});
  EXPECT_EQ(r.deserialize("core.list", json::parse("[true]")), any_data{List{json::array({true})}});
  try {
    (void)r.deserialize("mylab.unknown", json(1));
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "unknown data type 'mylab.unknown'");
  }
  try {
    (void)r.deserialize("core.int", json("12"));
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), R"(core.int expects a JSON integer, got string "12")");
  }
}

// A second C++ type that claims a built-in's name.
struct impostor {
  long long v = 0;
};

}  // namespace

template <>
struct tessera::data_traits<impostor> {
  static constexpr std::string_view type_name = "core.int";
  static nlohmann::json serialize(const impostor& x) { return x.v; }
  static impostor deserialize(const nlohmann::json& j) { return impostor{j.get<long long>()}; }
};

namespace {

TEST(DataRegistry, AddIsIdempotentAndRefusesNameClashes) {
  data_registry r;  // a private registry: starts empty
  EXPECT_TRUE(r.names().empty());
  r.add<Int>();
  r.add<Int>();  // same type again: fine
  EXPECT_EQ(r.names(), std::vector<std::string>{"core.int"});
  try {
    r.add<impostor>();
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "data type name 'core.int' is already registered for another C++ type");
  }
  // The clash left the original entry in place.
  EXPECT_TRUE(r.deserialize("core.int", json(4)).holds<Int>());
  EXPECT_THROW(register_data_type<impostor>(), data_error);
  EXPECT_TRUE(data_registry::global().deserialize("core.int", json(4)).holds<Int>());
}

TEST(DataRegistry, ConcurrentReadersAndWriters) {
  data_registry r;
  r.add<Int>();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r, &ok, t] {
      for (int i = 0; i < 200; ++i) {
        if (t % 2 == 0) {
          r.add<Str>();
          r.add<Float>();
        }
        if (r.deserialize("core.int", json(i)).get<Int>().value == i) ++ok;
        (void)r.names();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 800);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"core.float", "core.int", "core.str"}));
}

}  // namespace
