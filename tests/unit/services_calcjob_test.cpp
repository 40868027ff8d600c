// The calcjob lifecycle on a real single-node SLURM (tests/services/), reached through
// core.local and through core.ssh, and on a real single-node Grid Engine through core.local:
// core.arithmetic.add end to end, and a job cancelled outside tessera (scancel, qdel).
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
    // SGE lists no finished job: it is gone once done.
    EXPECT_EQ(a.value("scheduler_state", ""), scheduler == "core.sge" ? "gone" : "done") << a.dump();
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
  const auto id = job_id_of(pk);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(std::system(("scancel " + id).c_str()), 0);
  auto res = r->wait(pk);
  EXPECT_EQ(res.state, process_state::finished);
  EXPECT_EQ(res.exit_status, 150) << res.exit_message;
  EXPECT_NE(res.exit_message.find("scheduler state: cancelled"), std::string::npos) << res.exit_message;
}

class services_calcjob_sge : public services_calcjob {
 protected:
  services_calcjob_sge() { scheduler = "core.sge"; }
};

TEST_F(services_calcjob_sge, arithmetic_add_on_sge_over_local) {
  setup("core.local", nlohmann::json::object());
  expect_sum(4, 5);
  expect_sum(-3, 10);
}

TEST_F(services_calcjob_sge, job_deleted_with_qdel_gives_its_exit_code) {
  setup("core.local", nlohmann::json::object());
  auto pk = submit<arithmetic_add>(*r, inputs(1, 1, "sleep 60"));
  const auto id = job_id_of(pk);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(std::system(("qdel " + id + " > /dev/null").c_str()), 0);
  auto res = r->wait(pk);
  EXPECT_EQ(res.state, process_state::finished);
  EXPECT_EQ(res.exit_status, 150) << res.exit_message;
  // A poll may see the job while it is being deleted ("dr") or only once it is gone.
  EXPECT_TRUE(res.exit_message.find("scheduler state: cancelled") != std::string::npos ||
              res.exit_message.find("scheduler state: gone") != std::string::npos)
      << res.exit_message;
}

}  // namespace
