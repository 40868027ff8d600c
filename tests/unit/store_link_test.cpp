// The AiiDA 1.0 link rules, each with a test, and acyclicity of the data provenance.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <tessera/data/data.hpp>
#include <tessera/store/store.hpp>

#include "../store/support.hpp"

namespace {

using namespace tessera;
using tessera::test::temp_dir;

constexpr node_kind all_kinds[] = {node_kind::data, node_kind::calc_function, node_kind::calc_job,
                                   node_kind::work_function, node_kind::work_chain};
constexpr link_type all_links[] = {link_type::input_calc, link_type::input_work, link_type::create,
                                   link_type::ret, link_type::call_calc, link_type::call_work};

node_ref add(write_tx& tx, node_kind k) {
  new_node n;
  n.kind = k;
  n.type = k == node_kind::data ? "core.int" : "test.proc";
  if (k == node_kind::data) n.attributes = 1;
  n.origin.tessera_version = "0.1.0";
  return tx.add_node(n);
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const link_rule_error& e) {
    return e.what();
  }
  return "";
}

class StoreLink : public ::testing::Test {
 protected:
  temp_dir dir_;
  store st_{dir_.path()};
};

TEST_F(StoreLink, EndpointTypesAreCheckedForEveryLinkType) {
  int allowed = 0;
  for (auto t : all_links) {
    for (auto a : all_kinds) {
      for (auto b : all_kinds) {
        auto tx = st_.begin_write();
        auto x = add(tx, a);
        auto y = add(tx, b);
        const bool ok = endpoints_allowed(t, a, b);
        const auto msg = message_of([&] { tx.add_link(x.pk, y.pk, t, "lbl"); });
        if (ok) {
          EXPECT_EQ(msg, "") << to_string(t) << " " << to_string(a) << "->" << to_string(b);
          ++allowed;
          EXPECT_EQ(tx.outgoing(x.pk, t).size(), 1u);
        } else {
          EXPECT_NE(msg.find(std::string(endpoint_rule(t))), std::string::npos) << msg;
          EXPECT_NE(msg.find(fmt::format("node {}", x.pk)), std::string::npos) << msg;
          EXPECT_NE(msg.find(fmt::format("node {}", y.pk)), std::string::npos) << msg;
          EXPECT_NE(msg.find(x.id.str()), std::string::npos) << msg;
          EXPECT_TRUE(tx.outgoing(x.pk).empty());
        }
      }
    }
  }
  // INPUT_CALC 2, INPUT_WORK 2, CREATE 2, RETURN 2, CALL_CALC 4, CALL_WORK 4
  EXPECT_EQ(allowed, 16);
}

TEST_F(StoreLink, ADataNodeIsCreatedByAtMostOneCalculation) {
  auto tx = st_.begin_write();
  auto c1 = add(tx, node_kind::calc_function);
  auto c2 = add(tx, node_kind::calc_job);
  auto d = add(tx, node_kind::data);
  tx.add_link(c1.pk, d.pk, link_type::create, "result");
  const auto msg = message_of([&] { tx.add_link(c2.pk, d.pk, link_type::create, "other"); });
  EXPECT_NE(msg.find("created by at most one calculation"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("node {}", c1.pk)), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("node {}", c2.pk)), std::string::npos) << msg;
  EXPECT_EQ(tx.creator(d.pk), c1.pk);
  // ... but returned by any number of workflows
  auto w1 = add(tx, node_kind::work_chain);
  auto w2 = add(tx, node_kind::work_function);
  tx.add_link(w1.pk, d.pk, link_type::ret, "result");
  tx.add_link(w2.pk, d.pk, link_type::ret, "result");
  EXPECT_EQ(tx.incoming(d.pk, link_type::ret).size(), 2u);
}

TEST_F(StoreLink, AProcessIsCalledByAtMostOneWorkflow) {
  auto tx = st_.begin_write();
  auto w1 = add(tx, node_kind::work_chain);
  auto w2 = add(tx, node_kind::work_chain);
  auto c = add(tx, node_kind::calc_function);
  auto sub = add(tx, node_kind::work_function);
  tx.add_link(w1.pk, c.pk, link_type::call_calc, "CALL");
  tx.add_link(w1.pk, sub.pk, link_type::call_work, "CALL");
  auto msg = message_of([&] { tx.add_link(w2.pk, c.pk, link_type::call_calc, "CALL"); });
  EXPECT_NE(msg.find("called by at most one workflow"), std::string::npos) << msg;
  msg = message_of([&] { tx.add_link(w2.pk, sub.pk, link_type::call_work, "CALL"); });
  EXPECT_NE(msg.find("called by at most one workflow"), std::string::npos) << msg;
  EXPECT_EQ(tx.caller(c.pk), w1.pk);
  EXPECT_EQ(tx.children(w1.pk), (std::vector<std::int64_t>{c.pk, sub.pk}));
  EXPECT_TRUE(tx.children(w2.pk).empty());
}

TEST_F(StoreLink, CallsCannotLoop) {
  auto tx = st_.begin_write();
  auto a = add(tx, node_kind::work_chain);
  auto b = add(tx, node_kind::work_chain);
  auto c = add(tx, node_kind::work_chain);
  auto msg = message_of([&] { tx.add_link(a.pk, a.pk, link_type::call_work, "CALL"); });
  EXPECT_NE(msg.find("cannot call itself"), std::string::npos) << msg;
  tx.add_link(a.pk, b.pk, link_type::call_work, "CALL");
  tx.add_link(b.pk, c.pk, link_type::call_work, "CALL");
  msg = message_of([&] { tx.add_link(c.pk, a.pk, link_type::call_work, "CALL"); });
  EXPECT_NE(msg.find("cycle"), std::string::npos) << msg;
}

TEST_F(StoreLink, InputLabelsAreUniquePerProcess) {
  auto tx = st_.begin_write();
  auto c = add(tx, node_kind::calc_job);
  auto w = add(tx, node_kind::work_chain);
  auto x = add(tx, node_kind::data);
  auto y = add(tx, node_kind::data);
  tx.add_link(x.pk, c.pk, link_type::input_calc, "x");
  auto msg = message_of([&] { tx.add_link(y.pk, c.pk, link_type::input_calc, "x"); });
  EXPECT_NE(msg.find("input labels are unique per process"), std::string::npos) << msg;
  EXPECT_NE(msg.find(fmt::format("node {}", x.pk)), std::string::npos) << msg;
  tx.add_link(x.pk, w.pk, link_type::input_work, "x");
  msg = message_of([&] { tx.add_link(y.pk, w.pk, link_type::input_work, "x"); });
  EXPECT_NE(msg.find("input labels are unique per process"), std::string::npos) << msg;
  // the same data may be the input "x" of many processes, and have many labels on one
  auto c2 = add(tx, node_kind::calc_function);
  tx.add_link(x.pk, c2.pk, link_type::input_calc, "x");
  tx.add_link(x.pk, c.pk, link_type::input_calc, "x_again");
  EXPECT_EQ(tx.incoming(c.pk).size(), 2u);
}

TEST_F(StoreLink, OutputLabelsAreUniquePerProcess) {
  auto tx = st_.begin_write();
  auto c = add(tx, node_kind::calc_function);
  auto w = add(tx, node_kind::work_chain);
  auto d1 = add(tx, node_kind::data);
  auto d2 = add(tx, node_kind::data);
  tx.add_link(c.pk, d1.pk, link_type::create, "result");
  auto msg = message_of([&] { tx.add_link(c.pk, d2.pk, link_type::create, "result"); });
  EXPECT_NE(msg.find("output labels are unique per process"), std::string::npos) << msg;
  tx.add_link(w.pk, d1.pk, link_type::ret, "result");
  msg = message_of([&] { tx.add_link(w.pk, d2.pk, link_type::ret, "result"); });
  EXPECT_NE(msg.find("output labels are unique per process"), std::string::npos) << msg;
  tx.add_link(c.pk, d2.pk, link_type::create, "other");
  EXPECT_EQ(tx.outgoing(c.pk, link_type::create).size(), 2u);
}

TEST_F(StoreLink, BadLinksNameTheProblem) {
  auto tx = st_.begin_write();
  auto c = add(tx, node_kind::calc_function);
  auto d = add(tx, node_kind::data);
  auto msg = message_of([&] { tx.add_link(d.pk, c.pk + 1000, link_type::input_calc, "x"); });
  EXPECT_NE(msg.find(fmt::format("node {} does not exist", c.pk + 1000)), std::string::npos) << msg;
  msg = message_of([&] { tx.add_link(d.pk, c.pk, link_type::input_calc, ""); });
  EXPECT_NE(msg.find("needs a label"), std::string::npos) << msg;
  tx.add_link(d.pk, c.pk, link_type::input_calc, "x");
  msg = message_of([&] { tx.add_link(d.pk, c.pk, link_type::input_calc, "x"); });
  EXPECT_NE(msg, "");
}

TEST_F(StoreLink, ARejectedLinkLosesNothing) {
  node_ref c, d;
  {
    auto tx = st_.begin_write();
    c = add(tx, node_kind::calc_function);
    d = add(tx, node_kind::data);
    tx.add_link(d.pk, c.pk, link_type::input_calc, "x");
    EXPECT_THROW(tx.add_link(c.pk, d.pk, link_type::input_calc, "y"), link_rule_error);
    tx.commit();  // the transaction stays usable after a rejected link
  }
  auto r = st_.read();
  EXPECT_EQ(r.count_nodes(), 2);
  EXPECT_EQ(r.incoming(c.pk), (std::vector<link_record>{{d.pk, c.pk, link_type::input_calc, "x"}}));
}

TEST_F(StoreLink, CausalityKeepsDataProvenanceAcyclic) {
  auto tx = st_.begin_write();
  auto c1 = add(tx, node_kind::calc_function);
  auto c2 = add(tx, node_kind::calc_function);
  auto d1 = add(tx, node_kind::data);
  auto d2 = add(tx, node_kind::data);
  // a calculation cannot create its own input
  tx.add_link(d1.pk, c1.pk, link_type::input_calc, "x");
  auto msg = message_of([&] { tx.add_link(c1.pk, d1.pk, link_type::create, "out"); });
  EXPECT_NE(msg.find("causality"), std::string::npos) << msg;
  // nor take an input after it created something
  tx.add_link(c1.pk, d2.pk, link_type::create, "out");
  msg = message_of([&] { tx.add_link(d2.pk, c1.pk, link_type::input_calc, "late"); });
  EXPECT_NE(msg.find("causality"), std::string::npos) << msg;
  // the two-step cycle d1 -> c1 -> d2 -> c2 -> d1 fails at its last link, in either order
  tx.add_link(d2.pk, c2.pk, link_type::input_calc, "x");
  msg = message_of([&] { tx.add_link(c2.pk, d1.pk, link_type::create, "out"); });
  EXPECT_NE(msg.find("causality"), std::string::npos) << msg;
  EXPECT_EQ(tx.descendants(d1.pk), (std::vector<std::int64_t>{c1.pk, c2.pk, d2.pk}));
  EXPECT_EQ(tx.ancestors(c2.pk), (std::vector<std::int64_t>{c1.pk, d1.pk, d2.pk}));
}

TEST_F(StoreLink, ReturnLinksMayCloseLogicalCycles) {
  // a workflow that returns one of its inputs: allowed (logical provenance is not a DAG)
  auto tx = st_.begin_write();
  auto w = add(tx, node_kind::work_chain);
  auto d = add(tx, node_kind::data);
  tx.add_link(d.pk, w.pk, link_type::input_work, "x");
  tx.add_link(w.pk, d.pk, link_type::ret, "x");
  EXPECT_EQ(tx.incoming(d.pk, link_type::ret).size(), 1u);
  EXPECT_TRUE(tx.descendants(d.pk).empty());  // not data provenance
}

// Random link attempts in random order: whatever the rules accept, the INPUT_CALC + CREATE
// subgraph never has a cycle (checked with a DFS independent of the store's code).
TEST_F(StoreLink, RandomGraphsStayAcyclic) {
  std::mt19937 rng(12345);
  auto tx = st_.begin_write();
  std::vector<node_ref> data, calcs;
  for (int i = 0; i < 40; ++i) data.push_back(add(tx, node_kind::data));
  for (int i = 0; i < 25; ++i) calcs.push_back(add(tx, node_kind::calc_function));
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    auto d = data[rng() % data.size()];
    auto c = calcs[rng() % calcs.size()];
    const auto label = fmt::format("l{}", rng() % 6);
    try {
      if (rng() % 2) {
        tx.add_link(d.pk, c.pk, link_type::input_calc, label);
      } else {
        tx.add_link(c.pk, d.pk, link_type::create, label);
      }
      ++accepted;
    } catch (const link_rule_error&) {
      ++rejected;
    }
  }
  EXPECT_GT(accepted, 50);
  EXPECT_GT(rejected, 50);
  std::map<std::int64_t, std::vector<std::int64_t>> adj;
  auto st = tx.connection().prepare("SELECT input, output FROM link WHERE type IN (1, 3)");
  while (st.step()) adj[st.int64(0)].push_back(st.int64(1));
  std::map<std::int64_t, int> color;  // 0 new, 1 on stack, 2 done
  std::function<bool(std::int64_t)> has_cycle = [&](std::int64_t v) {
    color[v] = 1;
    for (auto w : adj[v]) {
      if (color[w] == 1) return true;
      if (color[w] == 0 && has_cycle(w)) return true;
    }
    color[v] = 2;
    return false;
  };
  for (auto& [v, _] : adj) {
    if (color[v] == 0) {
      ASSERT_FALSE(has_cycle(v)) << "cycle through node " << v;
    }
  }
  // and no node is its own ancestor according to the store's recursive CTE either
  for (auto& c : calcs) {
    auto anc = tx.ancestors(c.pk);
    EXPECT_EQ(std::count(anc.begin(), anc.end(), c.pk), 0);
  }
}

}  // namespace
