// Checkpoints: the context codec, and resuming from a checkpoint of the older format 1.
#include <boost/hana/define_struct.hpp>
#include <gtest/gtest.h>

#include "../engine/processes.hpp"
#include "../store/support.hpp"

using namespace tessera;
using namespace tessera::test;

namespace {
struct plain {
  std::int64_t i = 0;
  double x = 0;
  std::string s;
  std::vector<std::optional<int>> v;
  std::map<std::string, stored<Int>> m;
  child<sum_to> c;
  Str label;
};
struct named {
  BOOST_HANA_DEFINE_STRUCT(named, (int, a), (std::string, b), (std::vector<child<ticker>>, kids));
};
}  // namespace

TEST(EngineCheckpoint, PlainAggregatesRoundTripThroughReflection) {
  plain p{7, 2.5, "hi", {1, std::nullopt}, {{"k", stored<Int>(Int{3}, 42)}}, child<sum_to>(9), Str{"lbl"}};
  auto j = engine_detail::encode(p);
  EXPECT_TRUE(j.is_array());
  plain q;
  engine_detail::decode(j, q);
  EXPECT_EQ(q.i, 7);
  EXPECT_EQ(q.x, 2.5);
  EXPECT_EQ(q.s, "hi");
  EXPECT_EQ(q.v, p.v);
  EXPECT_EQ(q.m.at("k").pk(), 42);
  EXPECT_EQ(q.m.at("k").value(), Int{3});
  EXPECT_EQ(q.c.pk(), 9);
  EXPECT_EQ(q.label, Str{"lbl"});
  // a struct whose members changed is refused with a message, not misread
  nlohmann::json short_array = nlohmann::json::array({1, 2});
  EXPECT_THROW(engine_detail::decode(short_array, q), std::runtime_error);
}

TEST(EngineCheckpoint, HanaStructsRoundTripByMemberName) {
  named n;
  n.a = 5;
  n.b = "x";
  n.kids = {child<ticker>(3), child<ticker>(4)};
  auto j = engine_detail::encode(n);
  EXPECT_EQ(j.at("a"), 5);
  EXPECT_EQ(j.at("kids"), nlohmann::json::array({3, 4}));
  named m;
  m.a = 99;
  nlohmann::json partial = {{"b", "y"}};  // a member added since: keeps its default
  engine_detail::decode(partial, m);
  EXPECT_EQ(m.a, 99);
  EXPECT_EQ(m.b, "y");
  engine_detail::decode(j, m);
  EXPECT_EQ(m.kids.at(1).pk(), 4);
}

TEST(EngineCheckpoint, AChainCheckpointedInFormat1Resumes) {
  temp_dir d;
  std::int64_t pk = 0;
  {
    store st(d.path());
    auto tx = st.begin_write();
    auto n = tx.add_data(Int{4});
    auto three = tx.add_data(Int{3});
    new_node wc;
    wc.kind = node_kind::work_chain;
    wc.type = "test.sum_to";
    wc.state = process_state::running;
    wc.origin.tessera_version = "0.0.9";
    pk = tx.add_node(wc).pk;
    tx.add_link(n.pk, pk, link_type::input_work, "n");
    // tessera 0.0.x: "position" (outline pc, also the journal's step key), "ctx", "out".
    // pc 4 is the while_ test; i = 2 and sum = 3 (1 + 2) so far.
    nlohmann::json v1 = {{"position", 4},
                         {"ctx", nlohmann::json::array({2, {{"pk", three.pk}, {"value", 3}}})},
                         {"out", nlohmann::json::object()}};
    tx.set_checkpoint(pk, v1.dump());
    tx.commit();
  }
  store st(d.path());
  runner r(st);
  EXPECT_EQ(r.resume_all(), 1u);
  auto res = r.wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{10});  // 3 + 3 + 4
  auto j = st.read().journal(pk);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0].step, 4);  // continues the v1 step numbering
  EXPECT_EQ(j[1].step, 5);
}

TEST(EngineCheckpoint, ACheckpointOfANewerFormatIsRefused) {
  temp_dir d;
  std::int64_t pk = 0;
  {
    store st(d.path());
    auto tx = st.begin_write();
    auto n = tx.add_data(Int{4});
    new_node wc;
    wc.kind = node_kind::work_chain;
    wc.type = "test.sum_to";
    wc.state = process_state::running;
    wc.origin.tessera_version = "9.0";
    pk = tx.add_node(wc).pk;
    tx.add_link(n.pk, pk, link_type::input_work, "n");
    tx.set_checkpoint(pk, R"({"format": 99, "pc": 0, "step": 0})");
    tx.commit();
  }
  store st(d.path());
  runner r(st);
  try {
    (void)r.resume_all();
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("format 99"), std::string::npos) << e.what();
  }
}
