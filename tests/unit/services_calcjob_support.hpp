#pragma once
// The fixture base of the calcjob tests on the real SLURM or Grid Engine (tests/services/):
// the service or a skip, a work directory under /tmp (slurmd, sge_execd and sshd, as root,
// reach it), a profile with computer "cluster" (`scheduler`, core.slurm unless a derived
// fixture says core.sge, over a given transport), and the inputs of core.arithmetic.add on it.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/tessera.hpp>

#include "arithmetic_add.hpp"
#include "plugin_test_support.hpp"
#include "support.hpp"

namespace tessera_test {

class calcjob_on_slurm : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string skip;
    service_env = service(scheduler == "core.sge" ? "sge" : "slurm", skip);
    if (service_env.empty()) GTEST_SKIP() << skip;
    // core.local runs commands in this process's environment (SLURM_CONF, or SGE_ROOT and
    // the ports); sshd's SetEnv does it remotely.
    for (const auto& [name, value] : service_env) ::setenv(name.c_str(), value.c_str(), 1);
    workdir = make_workdir("calcjob");
    profile = std::filesystem::absolute(dir.path() / "profile");
    st = std::make_unique<tessera::store>(profile);
  }
  void TearDown() override {
    r.reset();
    if (!workdir.empty()) std::filesystem::remove_all(workdir);
  }

  // Computer "cluster": `scheduler` over `transport` (its settings given), short intervals;
  // `more` settings replace the defaults.
  void add_computer(const std::string& transport, nlohmann::json transport_settings, const nlohmann::json& more = {}) {
    nlohmann::json settings = {{"poll_interval", 0.2},
                               {"retry_initial_interval", 0.2},
                               {"safe_interval", 0.5},
                               {"transport", std::move(transport_settings)}};
    if (more.is_object()) settings.update(more);
    st->write([&](tessera::write_tx& tx) {
      tessera::computer_spec c;
      c.label = "cluster";
      c.hostname = "127.0.0.1";
      c.transport = transport;
      c.scheduler = scheduler;
      c.workdir = workdir;
      c.settings = settings;
      (void)tx.add_computer(c);
    });
  }
  // A runner of the profile that runs calcjobs with the shipped plugins.
  void make_runner() {
    r = std::make_unique<tessera::runner>(*st);
    tessera::plugin::use_for_calcjobs(*r, shipped_plugins());
  }

  static tessera::port_values inputs(std::int64_t x, std::int64_t y, std::string prepend = {}) {
    using tessera::Int;
    tessera::InstalledCode code{"cluster", "/bin/bash", "core.arithmetic.add", std::move(prepend), ""};
    return tessera::spec::inputs_for<tessera::plugins::arithmetic_add>()
        .set<"x">(Int{x})
        .set<"y">(Int{y})
        .set<"code">(code)
        .values();
  }

  // The scheduler's id for the job of calcjob `pk` once submitted (empty after 30 s).
  std::string job_id_of(std::int64_t pk) {
    std::string id;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (id.empty() && std::chrono::steady_clock::now() < deadline) {
      id = st->read().node(pk).attributes.value("job_id", "");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return id;
  }

  std::string scheduler = "core.slurm";
  std::map<std::string, std::string> service_env;  // the service's environment (its .env file)
  tessera::test::temp_dir dir;
  std::string workdir;
  std::filesystem::path profile;
  std::unique_ptr<tessera::store> st;
  std::unique_ptr<tessera::runner> r;
};

}  // namespace tessera_test
