// calcfunctions and workfunctions: provenance exactly as AiiDA 1.0 records it.
#include <gtest/gtest.h>

#include "../engine/processes.hpp"
#include "../store/support.hpp"

using namespace tessera;
using namespace tessera::test;

namespace {

std::size_t count_links(store_reader& r, std::int64_t pk, link_type t, bool incoming) {
  return incoming ? r.incoming(pk, t).size() : r.outgoing(pk, t).size();
}

}  // namespace

TEST(EngineFunctions, AddMultiplyRecordsThePapersGraph) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto result = add_multiply(Int{2}, Int{3}, Int{4});
  EXPECT_EQ(result.value(), Int{20});

  auto lease = st.read();
  // exactly one WorkFunctionNode
  ASSERT_EQ(lease.connection().scalar_int("SELECT count(*) FROM node WHERE kind = 3"), 1);
  const auto wpk = lease.connection().scalar_int("SELECT pk FROM node WHERE kind = 3");
  EXPECT_EQ(count_links(lease, wpk, link_type::input_work, true), 3u);
  EXPECT_EQ(count_links(lease, wpk, link_type::call_calc, false), 2u);
  EXPECT_EQ(count_links(lease, wpk, link_type::ret, false), 1u);
  EXPECT_EQ(lease.outgoing(wpk, link_type::ret)[0].output, result.pk());
  auto calcs = lease.children(wpk);
  ASSERT_EQ(calcs.size(), 2u);
  for (auto c : calcs) {
    EXPECT_EQ(lease.node(c).kind, node_kind::calc_function);
    EXPECT_EQ(count_links(lease, c, link_type::input_calc, true), 2u);
    EXPECT_EQ(count_links(lease, c, link_type::create, false), 1u);
    EXPECT_EQ(lease.node(c).state, process_state::finished);
  }
  // add's output is multiply's input; x, y go to add, z to multiply: the same nodes as the
  // workfunction's inputs.
  auto add_pk = lease.node(calcs[0]).type == "add" ? calcs[0] : calcs[1];
  auto mul_pk = add_pk == calcs[0] ? calcs[1] : calcs[0];
  auto sum_pk = lease.outgoing(add_pk, link_type::create)[0].output;
  bool sum_into_multiply = false;
  for (const auto& l : lease.incoming(mul_pk, link_type::input_calc)) sum_into_multiply |= l.input == sum_pk;
  EXPECT_TRUE(sum_into_multiply);
  std::map<std::string, std::int64_t> wf_inputs;
  for (const auto& l : lease.incoming(wpk, link_type::input_work)) wf_inputs[l.label] = l.input;
  std::map<std::string, std::int64_t> add_inputs;
  for (const auto& l : lease.incoming(add_pk, link_type::input_calc)) add_inputs[l.label] = l.input;
  EXPECT_EQ(add_inputs["x"], wf_inputs["x"]);
  EXPECT_EQ(add_inputs["y"], wf_inputs["y"]);
  bool z_into_multiply = false;
  for (const auto& l : lease.incoming(mul_pk, link_type::input_calc)) z_into_multiply |= l.input == wf_inputs["z"];
  EXPECT_TRUE(z_into_multiply);
  // 3 inputs + sum + result + 3 processes
  EXPECT_EQ(lease.count_nodes(), 8);
  EXPECT_EQ(lease.load<Int>(result.pk()), Int{20});
}

TEST(EngineFunctions, ACalcfunctionThatThrowsIsExceptedAndSaysWhy) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  static const auto boom = calcfunction<"boom", "x">([](const Int& x) -> Int {
    throw std::runtime_error("x was " + std::to_string(x.value));
  });
  try {
    (void)boom(Int{7});
    FAIL() << "no exception";
  } catch (const process_excepted& e) {
    EXPECT_NE(std::string(e.what()).find("x was 7"), std::string::npos) << e.what();
    auto n = st.read().node(e.pk());
    EXPECT_EQ(n.state, process_state::excepted);
    EXPECT_NE(n.exit_message.find("x was 7"), std::string::npos);
  }
}

TEST(EngineFunctions, NoRunnerIsAClearError) {
  try {
    (void)add(Int{1}, Int{2});
    FAIL();
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string(e.what()).find("no tessera::runner"), std::string::npos) << e.what();
  }
}

TEST(EngineWorkChain, SumToRunsItsLoopAndReturnsTheSum) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto res = run<sum_to>(r, spec::inputs_for<sum_to>().set<"n">(5).validated());
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{15});
  auto lease = st.read();
  EXPECT_EQ(lease.children(res.pk).size(), 5u);
  EXPECT_EQ(lease.outgoing(res.pk, link_type::ret).size(), 1u);
  EXPECT_EQ(lease.logs(res.pk).size(), 5u);
  EXPECT_FALSE(lease.checkpoint(res.pk));
  auto neg = run<sum_to>(r, spec::inputs_for<sum_to>().set<"n">(-1).validated());
  EXPECT_EQ(neg.state, process_state::finished);
  EXPECT_EQ(neg.exit_status, 400);
}
