// The calcjob lifecycle on a real single-node SLURM (tests/services/), reached through
// core.local and through core.ssh, and on a real single-node Grid Engine through core.local:
// core.arithmetic.add end to end, and a job cancelled outside tessera (scancel, qdel).
#include <tessera/calcjob/calc_job.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/tessera.hpp>

#include "arithmetic_add.hpp"
#include "plugin_test_support.hpp"
#include "support.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using tessera::plugins::arithmetic_add;
using tessera_test::service;

namespace {

class services_calcjob : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    const auto env = service(scheduler == "core.sge" ? "sge" : "slurm", skip);
    if (env.empty()) GTEST_SKIP() << skip;
    // core.local runs commands in this process's environment (SLURM_CONF, or SGE_ROOT and
    // the ports); sshd's SetEnv does it remotely.
    for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    workdir = tessera_test::make_workdir("calcjob");
    st = std::make_unique<store>(dir.path() / "profile");
  }
  void TearDown() override {
    r.reset();
    if (!workdir.empty()) std::filesystem::remove_all(workdir);
  }

  // A computer with `scheduler` over `transport` (its settings given), and a runner.
  void setup(const std::string& transport, nlohmann::json transport_settings) {
    st->write([&](write_tx& tx) {
      computer_spec c;
      c.label = "cluster";
      c.hostname = "127.0.0.1";
      c.transport = transport;
      c.scheduler = scheduler;
      c.workdir = workdir;
      c.settings = {{"poll_interval", 0.2},
                    {"retry_initial_interval", 0.2},
                    {"safe_interval", 0.5},
                    {"transport", std::move(transport_settings)}};
      (void)tx.add_computer(c);
    });
    r = std::make_unique<runner>(*st);
    plugin::use_for_calcjobs(*r, tessera_test::shipped_plugins());
  }

  static port_values inputs(std::int64_t x, std::int64_t y, std::string prepend = {}) {
    InstalledCode code{"cluster", "/bin/bash", "core.arithmetic.add", std::move(prepend), ""};
    return spec::inputs_for<arithmetic_add>().set<"x">(Int{x}).set<"y">(Int{y}).set<"code">(code).values();
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

  // The scheduler's id for the job of calcjob `pk` once submitted (empty after 30 s).
  std::string job_id_of(std::int64_t pk) {
    std::string id;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (id.empty() && std::chrono::steady_clock::now() < deadline) {
      id = st->read().node(pk).attributes.value("job_id", "");
      std::this_thread::sleep_for(50ms);
    }
    return id;
  }

  std::string scheduler = "core.slurm";
  tessera::test::temp_dir dir;
  std::string workdir;
  std::unique_ptr<store> st;
  std::unique_ptr<runner> r;
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
