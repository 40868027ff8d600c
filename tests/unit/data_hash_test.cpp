// Hashing: the BLAKE2b hasher, digest text form, the canonical JSON encoding and
// content_hash. The golden digests pin the encoding documented in
// include/tessera/data/canonical.hpp and traits.hpp: they were computed by an
// independent reference encoder (Python hashlib.blake2b, digest_size=32) and
// agree with the C++ one. If one of them fails, the encoding changed: stored
// hashes and caches would silently stop matching, so that must be a deliberate,
// versioned change ("tessera.data.v2"), never a side effect.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tessera/data/bool.hpp>
#include <tessera/data/canonical.hpp>
#include <tessera/data/dict.hpp>
#include <tessera/data/digest.hpp>
#include <tessera/data/error.hpp>
#include <tessera/data/float.hpp>
#include <tessera/data/hasher.hpp>
#include <tessera/data/int.hpp>
#include <tessera/data/list.hpp>
#include <tessera/data/str.hpp>
#include <tessera/data/traits.hpp>

namespace {

using nlohmann::json;
using namespace tessera;

std::string hash_text(std::string_view text) {
  hasher h;
  h.update(text);
  return h.finish().hex();
}

digest canonical_digest(const json& j) {
  hasher h;
  hash_canonical_json(h, j);
  return h.finish();
}

TEST(DataHash, HasherIsBlake2b256) {
  // Published BLAKE2b-256 test values (RFC 7693 algorithm, 32-byte output, no key).
  EXPECT_EQ(hash_text(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(hash_text("abc"), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
}

TEST(DataHash, HasherIsIncrementalAndCopyable) {
  hasher a;
  a.update("ab");
  hasher fork = a;  // continues independently from the same prefix
  a.update("c");
  fork.update(std::as_bytes(std::span("c", 1)));
  const digest da = a.finish();
  EXPECT_EQ(da, fork.finish());
  EXPECT_EQ(da.hex(), hash_text("abc"));
  EXPECT_THROW(a.update("more"), data_error);
  EXPECT_THROW(a.finish(), data_error);
}

TEST(DataHash, DigestHexRoundTripOrderingAndStdHash) {
  const std::string text = "00ff10a0000000000000000000000000000000000000000000000000000000fe";
  const digest d = digest::from_hex(text);
  EXPECT_EQ(d.bytes[0], 0x00);
  EXPECT_EQ(d.bytes[1], 0xff);
  EXPECT_EQ(d.bytes[2], 0x10);
  EXPECT_EQ(d.bytes[31], 0xfe);
  EXPECT_EQ(d.hex(), text);
  EXPECT_EQ(digest::from_hex("00FF10A0000000000000000000000000000000000000000000000000000000FE"), d);
  EXPECT_EQ(digest{}.hex(), std::string(64, '0'));
  EXPECT_LT(digest{}, d);
  EXPECT_NE(digest{}, d);
  const std::unordered_set<digest> set{d, digest{}, d};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_THROW(digest::from_hex("abc"), data_error);
  EXPECT_THROW(digest::from_hex(std::string(65, '0')), data_error);
  EXPECT_THROW(digest::from_hex(std::string(63, '0') + "g"), data_error);
  try {
    digest::from_hex("xyz");
    FAIL() << "no data_error";
  } catch (const data_error& e) {
    EXPECT_STREQ(e.what(), "digest::from_hex expects 64 hex digits, got 3 characters");
  }
}

TEST(DataHash, GoldenContentHashes) {
  EXPECT_EQ(content_hash(Int{0}).hex(), "9ea432803d71645fc9673c30eaa22ca5c028dfad307a3e6090c158f0718db2f6");
  EXPECT_EQ(content_hash(Int{1}).hex(), "e5e2c3b15517119c73a88e9d88113f23e219ecaa62ba8b08ac3dd42edeb68086");
  EXPECT_EQ(content_hash(Int{-1}).hex(), "40f46ee3746b95c28b2a5c20076e5c8bfffa59acf35c8470455f00646b8dab0f");
  EXPECT_EQ(content_hash(Int{std::numeric_limits<std::int64_t>::max()}).hex(),
            "b379d5c1529698d62bd682e0d21eb29e40bbf06eb8ecc9afd002ea0a5408851c");
  EXPECT_EQ(content_hash(Int{std::numeric_limits<std::int64_t>::min()}).hex(),
            "282bc944234baae67f30737153e396a407e6546b75e7d2b0a3eac22dcabc001d");

  EXPECT_EQ(content_hash(Float{0.0}).hex(), "21222b7b35c1222e41f543b542ed8bdf6f03ee001e5ad855711d0e675f7840f6");
  EXPECT_EQ(content_hash(Float{1.0}).hex(), "0f06ebde63d50c2a00ff13c3239107bfb08ddc703ab970a9196e408da3ab67ea");
  EXPECT_EQ(content_hash(Float{-2.5}).hex(), "7cbd1e544ddecfb732de8512085ea82e9c0a2d8c6ad14140d0a3fb9a6e34ea24");
  EXPECT_EQ(content_hash(Float{0.1}).hex(), "cfa2b20f1e9abc493eb8f5a8e2fdea5ea183140f474d05e37509766306e20201");
  EXPECT_EQ(content_hash(Float{std::nan("")}).hex(),
            "b7cc87e0232846f7919038c9eb14ec2e11a772a62068b543cd992c44246e0dac");
  EXPECT_EQ(content_hash(Float{std::numeric_limits<double>::infinity()}).hex(),
            "a47c52ea047db25e3e0b610a9396357b6e04793e180609511b53d1fb80aabbd1");

  EXPECT_EQ(content_hash(Bool{true}).hex(), "7d6c516391f0ce06a1a8fddd0b8154e8901a76beae4b82261c3974226c523407");
  EXPECT_EQ(content_hash(Bool{false}).hex(), "328b50dc4e8dfacb94a4eebed9286c2b8b5150361dabb48f9b43137460f7c0a6");

  EXPECT_EQ(content_hash(Str{""}).hex(), "0d24ab918aee0e8373af35627fb53a69129e442b4ada4a0040ee3bdae003db70");
  EXPECT_EQ(content_hash(Str{"hello"}).hex(), "db5d1628e10cc9f4dc5d178744d82b245200f2ae032d1858a959678fce0728ba");
  EXPECT_EQ(content_hash(Str{"ünïcode ✓"}).hex(),
            "159379f6ba957181ac2c9b92071038728a7aa90e9ce2202793a0f3549f40e780");
  EXPECT_EQ(content_hash(Str{"1"}).hex(), "f6170c4764f4086dc1bc24f3c3c840fe4b6f7674115459973c96be04d5b7a64b");

  EXPECT_EQ(content_hash(Dict{}).hex(), "c5877fdd0b00bbeed68da9db727b2f1084a0f7d67489657ba46fdd514ee201af");
  const Dict mixed{json::parse(R"({"b": 2, "a": [1, 2.5, null], "é": true, "z": "x"})")};
  EXPECT_EQ(content_hash(mixed).hex(), "a59691041fb589943abdc5c61f19c9f33e40bc048025cb1b6915bc1250020312");

  EXPECT_EQ(content_hash(List{}).hex(), "5c5e9a068b6d21bda4e72b59d7578623b75585f40ffb135bce9a291d911506d3");
  const List kinds{json::array({1, 1.0, "1", true, nullptr, json::object(), json::array()})};
  EXPECT_EQ(content_hash(kinds).hex(), "b9af1ab58ce634b50f5ab5bbdcdc3d7658c8e09188716f0dbbc78f74ecb5c3df");
}

TEST(DataHash, GoldenCanonicalEncodings) {
  EXPECT_EQ(canonical_digest(json()).hex(), "03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314");
  EXPECT_EQ(canonical_digest(json("")).hex(), "8c75c12a01b98fd502472c3cf2ab98a5609c070827e1e3577eac0951571c1b64");
  EXPECT_EQ(canonical_digest(json(std::numeric_limits<std::uint64_t>::max())).hex(),
            "2df753287b4b65421ec8d42364cc9e7832c5aca0af049be7b05785101693e353");
}

TEST(DataHash, ContentHashIsDeterministic) {
  EXPECT_EQ(content_hash(Int{42}), content_hash(Int{42}));
  EXPECT_EQ(content_hash(Str{"x"}), content_hash(Str{std::string("x")}));
  EXPECT_NE(content_hash(Int{42}), content_hash(Int{43}));
  EXPECT_NE(content_hash(Str{"ab"}), content_hash(Str{"ba"}));
}

TEST(DataHash, DictHashIgnoresInsertionOrderAndSource) {
  json forward = json::object();
  forward["alpha"] = 1;
  forward["beta"] = json::array({1.5, "x"});
  forward["gamma"] = json{{"inner_b", false}, {"inner_a", nullptr}};
  json backward = json::object();
  backward["gamma"] = json::object();
  backward["gamma"]["inner_a"] = nullptr;
  backward["gamma"]["inner_b"] = false;
  backward["beta"] = json::array({1.5, "x"});
  backward["alpha"] = 1;
  const json parsed = json::parse(R"({"gamma": {"inner_b": false, "inner_a": null},
                                      "beta": [1.5, "x"], "alpha": 1})");
  const digest h = content_hash(Dict{forward});
  EXPECT_EQ(content_hash(Dict{backward}), h);
  EXPECT_EQ(content_hash(Dict{parsed}), h);  // parsed integers are unsigned, constructed signed
  EXPECT_EQ(Dict{forward}, Dict{parsed});
  // ...but the order of a list is part of its value.
  EXPECT_NE(content_hash(List{json::array({1, 2})}), content_hash(List{json::array({2, 1})}));
}

TEST(DataHash, KeysAreOrderedByBytes) {
  // 'Z' (0x5a) < 'a' (0x61) < 'é' (0xc3 0xa9): one encoding for every insertion order.
  const json one = json::parse(R"({"é": 1, "a": 2, "Z": 3})");
  json two = json::object();
  two["a"] = 2;
  two["Z"] = 3;
  two["é"] = 1;
  EXPECT_EQ(canonical_digest(one), canonical_digest(two));
  std::vector<std::string> keys;
  for (auto it = one.begin(); it != one.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"Z", "a", "é"}));
}

TEST(DataHash, IntegersAndFloatsNeverCollide) {
  EXPECT_NE(canonical_digest(json(1)), canonical_digest(json(1.0)));
  EXPECT_NE(content_hash(Dict{json::parse(R"({"a":1})")}), content_hash(Dict{json::parse(R"({"a":1.0})")}));
  EXPECT_NE(content_hash(List{json::parse("[1]")}), content_hash(List{json::parse("[1.0]")}));
  EXPECT_NE(content_hash(Int{1}), content_hash(Float{1.0}));
}

TEST(DataHash, SignedAndUnsignedIntegersHashAlike) {
  const json parsed = json::parse("1");
  ASSERT_TRUE(parsed.is_number_unsigned());
  const json built = json(1);
  ASSERT_FALSE(built.is_number_unsigned());
  EXPECT_EQ(canonical_digest(parsed), canonical_digest(built));
  EXPECT_EQ(canonical_digest(json(std::uint64_t{7})), canonical_digest(json(std::int64_t{7})));
  // Beyond int64 an unsigned value has its own tag and does not alias a negative int64.
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  EXPECT_NE(canonical_digest(json(big)), canonical_digest(json(std::int64_t{-1})));
  EXPECT_TRUE(strict_json_equal(json(big), json::parse("18446744073709551615")));
}

TEST(DataHash, NegativeZeroAndNaNAreNormalized) {
  EXPECT_EQ(canonical_digest(json(-0.0)), canonical_digest(json(0.0)));
  EXPECT_EQ(content_hash(Float{-0.0}), content_hash(Float{0.0}));
  const double quiet = std::numeric_limits<double>::quiet_NaN();
  const double negative_nan = -quiet;
  const double payload_nan = std::nan("0x123");
  EXPECT_EQ(canonical_digest(json(negative_nan)), canonical_digest(json(quiet)));
  EXPECT_EQ(canonical_digest(json(payload_nan)), canonical_digest(json(quiet)));
  EXPECT_NE(canonical_digest(json(quiet)), canonical_digest(json(0.0)));
  EXPECT_NE(canonical_digest(json(std::numeric_limits<double>::infinity())),
            canonical_digest(json(-std::numeric_limits<double>::infinity())));
}

TEST(DataHash, TypeNameSeparatesEqualJson) {
  EXPECT_NE(content_hash(Str{"1"}), content_hash(Int{1}));
  EXPECT_NE(content_hash(Dict{}), content_hash(List{}));
  EXPECT_NE(content_hash(Bool{false}), content_hash(Int{0}));
  // Float(NaN) serializes to "NaN"; the type name keeps it apart from Str("NaN").
  EXPECT_NE(content_hash(Float{std::nan("")}), content_hash(Str{"NaN"}));
}

TEST(DataHash, LengthPrefixesAndCountsPreventAmbiguity) {
  EXPECT_NE(canonical_digest(json::array({"ab", "c"})), canonical_digest(json::array({"a", "bc"})));
  EXPECT_NE(canonical_digest(json::array({json::array({1}), 2})),
            canonical_digest(json::array({json::array({1, 2})})));
  EXPECT_NE(canonical_digest(json{{"ab", "c"}}), canonical_digest(json{{"a", "bc"}}));
  EXPECT_NE(canonical_digest(json::array()), canonical_digest(json::object()));
  EXPECT_NE(canonical_digest(json()), canonical_digest(json(false)));
  EXPECT_NE(canonical_digest(json("")), canonical_digest(json()));
  // Strings are bytes: an embedded NUL counts.
  EXPECT_NE(canonical_digest(json(std::string("a\0b", 3))), canonical_digest(json("ab")));
}

TEST(DataHash, BinaryValuesHaveAnEncoding) {
  const json bytes = json::binary({1, 2, 3});
  const json tagged = json::binary({1, 2, 3}, 7);
  EXPECT_EQ(canonical_digest(bytes), canonical_digest(json::binary({1, 2, 3})));
  EXPECT_NE(canonical_digest(bytes), canonical_digest(tagged));
  EXPECT_NE(canonical_digest(bytes), canonical_digest(json::array({1, 2, 3})));
  EXPECT_TRUE(strict_json_equal(tagged, json::binary({1, 2, 3}, 7)));
  EXPECT_FALSE(strict_json_equal(bytes, tagged));
}

TEST(DataHash, DiscardedValuesAreRejected) {
  hasher h;
  EXPECT_THROW(hash_canonical_json(h, json(json::value_t::discarded)), data_error);
}

TEST(DataHash, StrictJsonEqualMatchesTheEncoding) {
  EXPECT_TRUE(strict_json_equal(json::parse("1"), json(1)));
  EXPECT_FALSE(strict_json_equal(json(1), json(1.0)));
  EXPECT_TRUE(strict_json_equal(json(-0.0), json(0.0)));
  EXPECT_TRUE(strict_json_equal(json(std::nan("")), json(-std::nan(""))));
  EXPECT_FALSE(strict_json_equal(json(true), json(1)));
  EXPECT_FALSE(strict_json_equal(json(), json(false)));
  EXPECT_TRUE(strict_json_equal(json::parse(R"({"a":[1,{"b":null}],"c":"d"})"),
                                json{{"c", "d"}, {"a", {1, {{"b", nullptr}}}}}));
  EXPECT_FALSE(strict_json_equal(json::parse(R"({"a":[1,{"b":null}]})"), json::parse(R"({"a":[1,{"b":0}]})")));
  EXPECT_FALSE(strict_json_equal(json::parse(R"({"a":1})"), json::parse(R"({"b":1})")));
  EXPECT_FALSE(strict_json_equal(json::parse(R"({"a":1})"), json::parse(R"({"a":1,"b":1})")));
  EXPECT_FALSE(strict_json_equal(json::parse("[1,2]"), json::parse("[1,2,3]")));
  // Agreement with the hash on a spread of values.
  const std::vector<json> values = {json(), json(false), json(true), json(0), json(0.0), json(-0.0),
                                    json(1), json::parse("1"), json(1.0), json("1"), json::array(),
                                    json::object(), json::array({1}), json::array({1.0}),
                                    json{{"a", 1}}, json{{"a", 1.0}}};
  for (const json& a : values) {
    for (const json& b : values) {
      EXPECT_EQ(strict_json_equal(a, b), canonical_digest(a) == canonical_digest(b))
          << a.dump() << " vs " << b.dump();
    }
  }
}

}  // namespace
