// Schedulers against real services: core.slurm over core.local and over core.ssh, core.sge
// over core.local, and core.direct over core.ssh (core.direct over core.local needs no service: plugin_local_test).
#include "plugin_scheduler_scenarios.hpp"

#include <iostream>

using namespace tessera_test;

namespace {

enum class via { local, ssh };

struct scheduler_case {
  std::string scheduler;
  via transport_kind;
};

// Named in test listings (ctest shows it) instead of a dump of the struct's bytes.
void PrintTo(const scheduler_case& c, std::ostream* os) {
  *os << c.scheduler << (c.transport_kind == via::local ? " over core.local" : " over core.ssh");
}

std::string case_name(const ::testing::TestParamInfo<scheduler_case>& info) {
  std::string s = info.param.scheduler.substr(info.param.scheduler.find('.') + 1);
  return s + (info.param.transport_kind == via::local ? "_over_local" : "_over_ssh");
}

class services_scheduler : public ::testing::TestWithParam<scheduler_case> {
 protected:
  void SetUp() override {
    const auto& p = GetParam();
    if (p.scheduler == "core.slurm" || p.scheduler == "core.sge") {
      std::string skip;
      const auto env = service(p.scheduler == "core.sge" ? "sge" : "slurm", skip);
      if (env.empty()) GTEST_SKIP() << skip;
      // core.local runs commands in this process's environment; sshd's SetEnv does it remotely.
      for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
    }
    if (p.transport_kind == via::ssh) {
      std::string skip;
      const auto sshd = service("sshd", skip);
      if (sshd.empty()) GTEST_SKIP() << skip;
      t = shipped_plugins().make_transport("core.ssh", ssh_settings(sshd));
    } else {
      t = shipped_plugins().make_transport("core.local");
    }
    s = shipped_plugins().make_scheduler(p.scheduler);
    t->open();
    workdir = make_workdir("sched");
  }
  void TearDown() override {
    if (!workdir.empty()) fs::remove_all(workdir);
  }
  bool slurm() const { return GetParam().scheduler == "core.slurm"; }
  bool sge() const { return GetParam().scheduler == "core.sge"; }

  std::shared_ptr<transport> t;
  std::shared_ptr<scheduler> s;
  std::string workdir;
};

}  // namespace

TEST_P(services_scheduler, add_job_runs_and_its_file_is_read) {
  const double seconds = scenario_add(*t, *s, workdir);
  std::cout << "[timing] " << case_name({GetParam(), 0}) << ": submit -> finished " << seconds * 1000 << " ms\n";
  RecordProperty("submit_to_done_ms", std::to_string(seconds * 1000));
}

TEST_P(services_scheduler, status_of_many_jobs_in_one_command) {
  scenario_status_many(*t, *s, workdir, slurm() || sge() ? "999999" : "4194000");
}

TEST_P(services_scheduler, cancel_a_running_job_and_see_it_gone) {
  const auto [id, st] = scenario_cancel(*t, *s, workdir);
  if (slurm()) {
    EXPECT_EQ(st, job_state::cancelled) << id;
  }
}

TEST_P(services_scheduler, finds_a_job_by_its_name) { scenario_find_by_name(*t, *s, workdir, unique_name("find")); }

TEST_P(services_scheduler, values_arrive_verbatim_and_run_nothing) {
  // SLURM and SGE refuse anything unsafe on their directive lines: their job names stay plain.
  const auto name = slurm() || sge() ? unique_name("quote") : unique_name("q") + " it's $(touch " + workdir + "/PWNED)";
  scenario_quoting(*t, *s, workdir, name);
}

INSTANTIATE_TEST_SUITE_P(real, services_scheduler,
                         ::testing::Values(scheduler_case{"core.slurm", via::local}, scheduler_case{"core.slurm", via::ssh},
                                           scheduler_case{"core.sge", via::local}, scheduler_case{"core.direct", via::ssh}),
                         case_name);
