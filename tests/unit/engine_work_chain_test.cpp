// Work chains: outline walking, children run and submitted, outputs, exit codes, failures.
#include <gtest/gtest.h>

#include "../engine/processes.hpp"
#include "../store/support.hpp"

using namespace tessera;
using namespace tessera::test;

TEST(EngineWorkChain, ChildrenRunAndSubmittedAreAwaitedAndLinked) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto res = run<sum_of_sums>(r, spec::inputs_for<sum_of_sums>().set<"a">(3).set<"b">(4).validated());
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("first").value(), Int{6});
  EXPECT_EQ(res.get<Int>("total").value(), Int{6 + 6 + 10});
  auto lease = st.read();
  auto kids = lease.children(res.pk);
  // 3 sum_to work chains + 2 add calcfunctions
  ASSERT_EQ(kids.size(), 5u);
  int chains = 0, calcs = 0;
  for (auto k : kids) {
    auto n = lease.node(k);
    EXPECT_EQ(n.state, process_state::finished);
    (n.kind == node_kind::work_chain ? chains : calcs)++;
    EXPECT_EQ(lease.caller(k), res.pk);
  }
  EXPECT_EQ(chains, 3);
  EXPECT_EQ(calcs, 2);
  // the output "first" is the very node the first child returned
  auto first_child = kids[0];
  EXPECT_EQ(lease.outgoing(first_child, link_type::ret).at(0).output, res.get<Int>("first").pk());
  // the journal keys every launch by (step, seq)
  auto j = lease.journal(res.pk);
  ASSERT_EQ(j.size(), 5u);
  EXPECT_EQ(j[0].step, 0);
  EXPECT_EQ(j[1].step, 1);
  EXPECT_EQ(j[2].step, 1);
  EXPECT_EQ(j[2].seq, 1);
  EXPECT_EQ(j[3].step, 2);
  EXPECT_EQ(st.integrity_check(), "ok");
}

TEST(EngineWorkChain, AMissingRequiredOutputFailsWithExitCode11) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto res = run<forgetful>(r, spec::inputs_for<forgetful>().set<"x">(1).validated());
  EXPECT_EQ(res.state, process_state::finished);
  EXPECT_EQ(res.exit_status, 11);
  EXPECT_NE(res.exit_message.find("y: required output is missing"), std::string::npos) << res.exit_message;
}

TEST(EngineWorkChain, AWorkflowCannotCreateData) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto res = run<creator>(r, spec::inputs_for<creator>().set<"x">(1).validated());
  EXPECT_EQ(res.exit_status, 10);
  EXPECT_NE(res.exit_message.find("no calculation created"), std::string::npos) << res.exit_message;
  auto ok = run<passthrough>(r, spec::inputs_for<passthrough>().set<"x">(5).validated());
  ASSERT_TRUE(ok.ok()) << ok.exit_message;
  auto lease = st.read();
  EXPECT_EQ(lease.outgoing(ok.pk, link_type::ret).at(0).output, lease.incoming(ok.pk, link_type::input_work).at(0).input);
}

TEST(EngineWorkChain, AStepThatThrowsExceptsTheProcessAndSaysWhere) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto res = run<faulty>(r, spec::inputs_for<faulty>().set<"x">(1).validated());
  EXPECT_EQ(res.state, process_state::excepted);
  EXPECT_NE(res.exit_message.find("step 'broken' raised: the flux capacitor is broken"), std::string::npos)
      << res.exit_message;
  auto logs = st.read().logs(res.pk);
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs.back().level, log_level::error);
}

TEST(EngineWorkChain, InvalidInputsAreRefusedBeforeAnythingIsStored) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  EXPECT_THROW((void)submit<sum_to>(r, port_values{}), spec::validation_error);
  EXPECT_EQ(st.read().count_nodes(), 0);
}

TEST(EngineWorkChain, SubmitAllLaunchesManyInOneTransaction) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  std::vector<spec::inputs_for<sum_to>> sets;
  for (int i = 0; i < 40; ++i) sets.push_back(spec::inputs_for<sum_to>().set<"n">(i % 5 + 1));
  const auto before = st.stats().batches;
  const auto pks = submit_all<sum_to>(r, sets);
  EXPECT_EQ(st.stats().batches, before + 1);  // all forty stored by one commit
  ASSERT_EQ(pks.size(), 40u);
  for (std::size_t i = 0; i < pks.size(); ++i) {
    auto res = r.wait(pks[i]);
    ASSERT_TRUE(res.ok()) << res.exit_message;
    const std::int64_t n = static_cast<std::int64_t>(i % 5 + 1);
    EXPECT_EQ(res.get<Int>("sum").value(), Int{n * (n + 1) / 2}) << "chain " << i;
  }
  EXPECT_EQ(st.integrity_check(), "ok");
}

TEST(EngineWorkChain, SubmitAllRefusesEverythingIfOneSetIsInvalid) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  std::vector<port_values> sets{spec::inputs_for<sum_to>().set<"n">(1).values(), port_values{},
                                spec::inputs_for<sum_to>().set<"n">(2).values()};
  try {
    (void)submit_all<sum_to>(r, sets);
    FAIL() << "an invalid input set was accepted";
  } catch (const spec::validation_error& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("set 1 of 3"), std::string::npos) << w;
    EXPECT_NE(w.find("test.sum_to"), std::string::npos) << w;
    EXPECT_NE(w.find("n:"), std::string::npos) << w;
  }
  EXPECT_EQ(st.read().count_nodes(), 0);  // nothing of the valid sets was stored either
}

TEST(EngineWorkChain, StateTransitionsAreObservable) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  std::mutex m;
  std::vector<std::string> seen;
  r.on_transition([&](std::int64_t, hook_point h, process_state s) {
    std::lock_guard lk(m);
    seen.push_back(fmt::format("{}:{}", static_cast<int>(h), to_string(s)));
  });
  auto res = run<passthrough>(r, spec::inputs_for<passthrough>().set<"x">(5).validated());
  ASSERT_TRUE(res.ok());
  std::lock_guard lk(m);
  EXPECT_EQ(seen, (std::vector<std::string>{"0:running", "1:running", "2:running", "0:finished", "1:finished"}));
}

namespace {
struct hooked : work_chain<hooked> {
  static constexpr std::string_view process_name = "test.hooked";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), outline(step<&hooked::go>));
  }
  static inline std::vector<std::string> log;
  async_step go() {
    auto c = co_await run<sum_to>(spec::inputs_for<sum_to>().set<"n">(in<"n">()));
    (void)c;
  }
  void on_entering(process_state s) { log.push_back("entering " + std::string(to_string(s))); }
  void on_entered(process_state s) { log.push_back("entered " + std::string(to_string(s))); }
  void on_exiting(process_state s) { log.push_back("exiting " + std::string(to_string(s))); }
};
}  // namespace

TEST(EngineWorkChain, WaitingOnAChildIsAPersistedStateWithHooks) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  std::mutex m;
  std::vector<process_state> parent_states;
  std::int64_t parent = 0;
  r.on_transition([&](std::int64_t pk, hook_point h, process_state s) {
    std::lock_guard lk(m);
    if (pk == parent && h == hook_point::entered) parent_states.push_back(s);
  });
  hooked::log.clear();
  r.call_on_loop([] {});
  parent = submit<hooked>(r, spec::inputs_for<hooked>().set<"n">(3).validated());
  auto res = r.wait(parent);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(hooked::log, (std::vector<std::string>{"entering running", "entered running", "exiting running",
                                                   "entering waiting", "entered waiting", "exiting waiting",
                                                   "entering running", "entered running", "exiting running",
                                                   "entering finished", "entered finished"}))
      << fmt::format("{}", fmt::join(hooked::log, ", "));
}

TEST(EngineWorkChain, ManyChainsRunConcurrentlyInOneRunner) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  std::vector<std::int64_t> pks;
  for (int i = 0; i < 200; ++i) pks.push_back(submit<sum_to>(r, spec::inputs_for<sum_to>().set<"n">(1 + i % 7).validated()));
  r.wait_idle();
  auto lease = st.read();
  for (std::size_t i = 0; i < pks.size(); ++i) {
    auto res = load_result(lease, pks[i]);
    ASSERT_TRUE(res.ok()) << res.exit_message;
    const std::int64_t n = 1 + static_cast<std::int64_t>(i % 7);
    if (n > 0) {
      EXPECT_EQ(res.get<Int>("sum").value(), Int{n * (n + 1) / 2});
    }
  }
}
