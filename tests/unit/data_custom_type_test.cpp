// How a user adds a data type: the worked example. A type becomes a tessera
// data type by specializing tessera::data_traits with a stable, namespaced
// type_name, serialize and deserialize; it then works with any_data, the
// registry (so the store can load it by name) and content hashing.
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tessera/data/data.hpp>

namespace mylab {

// --- Example 1: a plain value type, default hashing ------------------------
struct vec3 {
  double x{}, y{}, z{};
  friend bool operator==(const vec3&, const vec3&) = default;
};

}  // namespace mylab

template <>
struct tessera::data_traits<mylab::vec3> {
  // Stored in the database: never rename it once data exists.
  static constexpr std::string_view type_name = "mylab.vec3";

  static nlohmann::json serialize(const mylab::vec3& v) { return {{"x", v.x}, {"y", v.y}, {"z", v.z}}; }

  // Check the shape and say what was expected and what came instead.
  static mylab::vec3 deserialize(const nlohmann::json& j) {
    const auto number = [&j](const char* key) {
      if (!j.is_object() || !j.contains(key) || !j[key].is_number()) {
        throw tessera::data_error("mylab.vec3 expects a JSON object with numbers x, y, z, got " +
                                  j.dump().substr(0, 64));
      }
      return j[key].get<double>();
    };
    return mylab::vec3{number("x"), number("y"), number("z")};
  }
  // No hash(): content_hash uses the canonical encoding of serialize(v).
};

namespace mylab {

// --- Example 2: a custom hash ----------------------------------------------
// The note is a human remark, not part of the measured value, so it is left
// out of the hash: two runs on the same position can share cached results
// (like AiiDA's _hash_ignored_attributes). It is still stored and round-trips.
struct measurement {
  vec3 position;
  std::string note;
  // No operator==: any_data then compares the serialized JSON strictly.
};

}  // namespace mylab

template <>
struct tessera::data_traits<mylab::measurement> {
  static constexpr std::string_view type_name = "mylab.measurement";

  static nlohmann::json serialize(const mylab::measurement& m) {
    return {{"position", tessera::to_json(m.position)}, {"note", m.note}};
  }

  static mylab::measurement deserialize(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("position") || !j.contains("note") || !j["note"].is_string()) {
      throw tessera::data_error("mylab.measurement expects a JSON object with position and note, got " +
                                j.dump().substr(0, 64));
    }
    return {tessera::from_json<mylab::vec3>(j["position"]), j["note"].get<std::string>()};
  }

  // Build on the canonical encoding rather than raw memory: it is already
  // platform-independent and normalizes -0.0 and NaN.
  static void hash(const mylab::measurement& m, tessera::hasher& h) {
    tessera::hash_canonical_json(h, tessera::to_json(m.position));
  }
};

namespace {

using mylab::measurement;
using mylab::vec3;
using nlohmann::json;
using namespace tessera;

static_assert(data_type<vec3> && data_type<measurement>);
static_assert(type_name_of<vec3>() == "mylab.vec3");
static_assert(std::is_convertible_v<vec3, any_data>);

TEST(DataCustomType, JsonRoundTrip) {
  const vec3 v{1.0, -2.5, 1e-12};
  const json j = to_json(v);
  EXPECT_EQ(j, json::parse(R"({"x":1.0,"y":-2.5,"z":1e-12})"));
  EXPECT_EQ(from_json<vec3>(json::parse(j.dump())), v);
  // Integers in the text are fine for doubles.
  EXPECT_EQ(from_json<vec3>(json::parse(R"({"x":1,"y":2,"z":3})")), (vec3{1, 2, 3}));
}

TEST(DataCustomType, DeserializeErrorNamesTheExpectation) {
  try {
    (void)from_json<vec3>(json::parse(R"({"x":1,"y":"two","z":3})"));
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), R"(mylab.vec3 expects a JSON object with numbers x, y, z, got {"x":1,"y":"two","z":3})");
  }
  EXPECT_THROW((void)from_json<vec3>(json::array({1, 2, 3})), data_error);
}

// The documented start of every content hash, written out by hand: the format
// tag, then the type name's length as 8 little-endian bytes, then the name.
hasher hasher_after_prefix(std::string_view type_name) {
  hasher h;
  h.update("tessera.data.v1");
  std::array<unsigned char, 8> length{};
  for (std::size_t i = 0; i < length.size(); ++i) {
    length[i] = static_cast<unsigned char>((type_name.size() >> (8 * i)) & 0xffu);
  }
  h.update(std::as_bytes(std::span(length)));
  h.update(type_name);
  return h;
}

TEST(DataCustomType, DefaultHashIsTypeNamePlusCanonicalJson) {
  const vec3 v{1.0, 2.0, 3.0};
  hasher h = hasher_after_prefix("mylab.vec3");
  hash_canonical_json(h, to_json(v));
  EXPECT_EQ(content_hash(v), h.finish());
  // The type name is part of the hash: a Dict with the very same JSON differs.
  EXPECT_NE(content_hash(v), content_hash(Dict{to_json(v)}));
  EXPECT_EQ(content_hash(vec3{-0.0, 0, 0}), content_hash(vec3{0, 0, 0}));
  EXPECT_NE(content_hash(vec3{1, 2, 3}), content_hash(vec3{3, 2, 1}));
}

TEST(DataCustomType, CustomHashOverrideIsUsed) {
  const measurement a{{1, 2, 3}, "first try"};
  const measurement b{{1, 2, 3}, "second try, same spot"};
  const measurement c{{1, 2, 4}, "first try"};
  EXPECT_EQ(content_hash(a), content_hash(b));  // the note is ignored...
  EXPECT_NE(content_hash(a), content_hash(c));  // ...the position is not
  // The format tag and type name still come first, then the override's bytes.
  hasher h = hasher_after_prefix("mylab.measurement");
  hash_canonical_json(h, to_json(a.position));
  EXPECT_EQ(content_hash(a), h.finish());
  // Without the override the note would count.
  hasher plain = hasher_after_prefix("mylab.measurement");
  hash_canonical_json(plain, to_json(a));
  EXPECT_NE(content_hash(a), plain.finish());
  // The note is still data: it round-trips.
  EXPECT_EQ(from_json<measurement>(json::parse(to_json(b).dump())).note, "second try, same spot");
}

TEST(DataCustomType, WorksInsideAnyData) {
  const any_data a = vec3{1, 2, 3};
  EXPECT_EQ(a.type_name(), "mylab.vec3");
  EXPECT_TRUE(a.holds<vec3>());
  EXPECT_FALSE(a.holds<Dict>());
  EXPECT_EQ(a.get<vec3>().y, 2.0);
  const any_data same = vec3{1, 2, 3};
  const any_data other = vec3{1, 2, 4};
  EXPECT_EQ(a, same);
  EXPECT_NE(a, other);
  EXPECT_NE(a, any_data{Dict{to_json(vec3{1, 2, 3})}});
  EXPECT_EQ(a.hash(), content_hash(vec3{1, 2, 3}));
  EXPECT_EQ(a.serialize(), to_json(vec3{1, 2, 3}));
  try {
    (void)a.get<Int>();
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "expected core.int, holds mylab.vec3");
  }
  // A type without == compares by strict JSON (so the note counts here, unlike in the hash).
  const any_data m1 = measurement{{1, 2, 3}, "a"};
  const any_data m1_again = measurement{{1, 2, 3}, "a"};
  const any_data m2 = measurement{{1, 2, 3}, "b"};
  EXPECT_EQ(m1, m1_again);
  EXPECT_NE(m1, m2);
  EXPECT_EQ(m1.hash(), m2.hash());
}

TEST(DataCustomType, RegisteredTypesLoadByName) {
  register_data_type<vec3>();
  register_data_type<vec3>();  // idempotent, e.g. two plugins both register it
  register_data_type<measurement>();
  const data_registry& r = data_registry::global();
  EXPECT_TRUE(r.contains("mylab.vec3"));
  EXPECT_TRUE(r.contains("mylab.measurement"));
  // What the store does: keep (type name, JSON), later rebuild the value.
  const any_data original = vec3{0.5, 0.25, 0.125};
  const std::string stored_name(original.type_name());
  const std::string stored_json = original.serialize().dump();
  const any_data loaded = r.deserialize(stored_name, json::parse(stored_json));
  EXPECT_TRUE(loaded.holds<vec3>());
  EXPECT_EQ(loaded, original);
  EXPECT_EQ(loaded.hash(), original.hash());
  EXPECT_THROW((void)r.deserialize("mylab.vec3", json("nope")), data_error);
}

}  // namespace
