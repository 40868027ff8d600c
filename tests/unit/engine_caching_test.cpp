// Caching: an identical calculation is not executed again; its outputs are cloned.
#include <gtest/gtest.h>

#include "../engine/processes.hpp"
#include "../store/support.hpp"

using namespace tessera;
using namespace tessera::test;

TEST(EngineCaching, ASecondIdenticalCallExecutesNothing) {
  temp_dir d;
  store st(d.path());
  runner_options o;
  o.cached_types = {"multiply"};
  runner r(st, o);
  const int before = multiply_executions.load();
  auto a = multiply(Int{6}, Int{7});
  auto b = multiply(Int{6}, Int{7});
  EXPECT_EQ(multiply_executions.load() - before, 1);
  EXPECT_EQ(a.value(), b.value());
  EXPECT_NE(a.pk(), b.pk());
  auto lease = st.read();
  auto first = lease.creator(a.pk()).value();
  auto second = lease.creator(b.pk()).value();
  EXPECT_EQ(lease.node(second).attributes.at("cached_from"), lease.node(first).id.str());
  EXPECT_EQ(lease.node(second).hash, lease.node(first).hash);
  EXPECT_EQ(lease.incoming(second, link_type::input_calc).size(), 2u);
  EXPECT_EQ(lease.node(second).state, process_state::finished);
  // other inputs: executed
  (void)multiply(Int{6}, Int{8});
  EXPECT_EQ(multiply_executions.load() - before, 2);
  // not cached: add
  const int adds = add_executions.load();
  (void)add(Int{1}, Int{1});
  (void)add(Int{1}, Int{1});
  EXPECT_EQ(add_executions.load() - adds, 2);
}

TEST(EngineCaching, InvalidatedNodesAreNoLongerCacheSources) {
  temp_dir d;
  store st(d.path());
  runner_options o;
  o.caching = true;
  runner r(st, o);
  const int before = multiply_executions.load();
  auto a = multiply(Int{3}, Int{3});
  invalidate_cache(st, st.read().creator(a.pk()).value());
  auto b = multiply(Int{3}, Int{3});
  EXPECT_EQ(multiply_executions.load() - before, 2);
  EXPECT_FALSE(st.read().node(st.read().creator(b.pk()).value()).attributes.contains("cached_from"));
  auto c = multiply(Int{3}, Int{3});  // b is a valid source
  EXPECT_EQ(multiply_executions.load() - before, 2);
  EXPECT_EQ(st.read().node(st.read().creator(c.pk()).value()).attributes.at("cached_from_pk"),
            st.read().creator(b.pk()).value());
  EXPECT_THROW(invalidate_cache(st, a.pk()), process_control_error);  // a data node
}

TEST(EngineCaching, ASecondIdenticalWorkChainExecutesNoCalculation) {
  temp_dir d;
  store st(d.path());
  runner_options o;
  o.caching = true;
  runner r(st, o);
  auto first = run<sum_to>(r, spec::inputs_for<sum_to>().set<"n">(6).validated());
  ASSERT_TRUE(first.ok());
  const int before = add_executions.load();
  auto second = run<sum_to>(r, spec::inputs_for<sum_to>().set<"n">(6).validated());
  ASSERT_TRUE(second.ok()) << second.exit_message;
  EXPECT_EQ(add_executions.load(), before) << "cached adds were executed";
  EXPECT_EQ(second.get<Int>("sum").value(), first.get<Int>("sum").value());
  // an equivalent graph: same children, inputs and outputs per child
  auto lease = st.read();
  auto k1 = lease.children(first.pk);
  auto k2 = lease.children(second.pk);
  ASSERT_EQ(k1.size(), k2.size());
  for (std::size_t i = 0; i < k1.size(); ++i) {
    EXPECT_EQ(lease.node(k1[i]).type, lease.node(k2[i]).type);
    EXPECT_EQ(lease.incoming(k1[i], link_type::input_calc).size(), lease.incoming(k2[i], link_type::input_calc).size());
    EXPECT_EQ(lease.outgoing(k1[i], link_type::create).size(), lease.outgoing(k2[i], link_type::create).size());
    EXPECT_EQ(lease.load_any(lease.outgoing(k1[i], link_type::create)[0].output),
              lease.load_any(lease.outgoing(k2[i], link_type::create)[0].output));
    EXPECT_TRUE(lease.node(k2[i]).attributes.contains("cached_from"));
  }
}
