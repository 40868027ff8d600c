// The calcjob lifecycle on a real single-node SLURM (tests/services/), reached through
// core.local and through core.ssh: core.arithmetic.add end to end, and a job cancelled with
// scancel outside tessera.
#include "services_calcjob_support.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using tessera::plugins::arithmetic_add;
using tessera_test::service;

namespace {

class services_calcjob : public tessera_test::calcjob_on_slurm {
 protected:
  void setup(const std::string& transport, nlohmann::json transport_settings) {
    add_computer(transport, std::move(transport_settings));
    make_runner();
  }

  void expect_sum(std::int64_t x, std::int64_t y) {
    auto res = run<arithmetic_add>(*r, inputs(x, y));
    ASSERT_TRUE(res.ok()) << res.exit_status << " " << res.exit_message;
    EXPECT_EQ(res.get<Int>("sum").value(), Int{x + y});
    auto a = st->read().node(res.pk).attributes;
    EXPECT_EQ(a.value("scheduler_state", ""), "done") << a.dump();
    EXPECT_FALSE(a.value("job_id", "").empty());
  }
};

TEST_F(services_calcjob, arithmetic_add_on_slurm_over_local) {
  setup("core.local", nlohmann::json::object());
  expect_sum(4, 5);
}

TEST_F(services_calcjob, arithmetic_add_on_slurm_over_ssh) {
  std::string skip;
  const auto sshd = service("sshd", skip);
  if (sshd.empty()) GTEST_SKIP() << skip;
  setup("core.ssh", tessera_test::ssh_settings(sshd));
  expect_sum(6, 7);
}

TEST_F(services_calcjob, job_cancelled_with_scancel_gives_its_exit_code) {
  setup("core.local", nlohmann::json::object());
  auto pk = submit<arithmetic_add>(*r, inputs(1, 1, "sleep 60"));
  std::string id;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (id.empty() && std::chrono::steady_clock::now() < deadline) {
    id = st->read().node(pk).attributes.value("job_id", "");
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(std::system(("scancel " + id).c_str()), 0);
  auto res = r->wait(pk);
  EXPECT_EQ(res.state, process_state::finished);
  EXPECT_EQ(res.exit_status, 150) << res.exit_message;
  EXPECT_NE(res.exit_message.find("scheduler state: cancelled"), std::string::npos) << res.exit_message;
}

}  // namespace
