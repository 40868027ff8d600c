// A first CalcJob: the AiiDA 1.0 paper's headline workload. Work chains each run
// core.arithmetic.add -- a real bash job adding two integers, written, submitted, polled,
// retrieved and parsed through the core.direct scheduler and core.local transport plugins --
// and then add once more with a calcfunction (examples/arithmetic_add_chain.hpp).
//
//   build/examples/arithmetic_add [chains (20)]
//
// The plugins come from the registry (TESSERA_PLUGIN_PATH and the installed plugin folder;
// in the build tree, <build>/plugins). Everything runs in one runner; the profile and the
// jobs' folders go to a temporary folder, removed at the end.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/tessera.hpp>

#include "arithmetic_add_chain.hpp"

using namespace tessera;
using tessera::examples::add_chain;

int main(int argc, char** argv) {
  const int chains = argc > 1 ? std::atoi(argv[1]) : 20;
  if (chains < 1) {
    std::fprintf(stderr, "usage: arithmetic_add [chains (20)]\n");
    return 2;
  }
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-arithmetic-add-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  int wrong = 0;
  try {
    store st(dir / "profile");
    // The computer: this machine, jobs started in the background by core.direct and
    // followed with one poll for all of them every 0.2 s.
    st.write([&](write_tx& tx) {
      computer_spec c;
      c.label = "localhost";
      c.hostname = "localhost";
      c.transport = "core.local";
      c.scheduler = "core.direct";
      c.workdir = (dir / "work").string();
      c.settings = {{"poll_interval", 0.2}};
      (void)tx.add_computer(c);
    });
    // The code: bash on that computer, read by core.arithmetic.add's parser plugin.
    const InstalledCode code{"localhost", "/bin/bash", "core.arithmetic.add", "", ""};

    plugin::registry plugins;  // calculations, parsers, schedulers, transports
    runner r(st);
    plugin::use_for_calcjobs(r, plugins);

    std::vector<spec::inputs_for<add_chain>> inputs;
    for (int i = 0; i < chains; ++i) {
      inputs.push_back(spec::inputs_for<add_chain>().set<"x">(Int{i}).set<"y">(Int{10}).set<"code">(code));
    }
    const auto t0 = std::chrono::steady_clock::now();
    const auto pks = submit_all<add_chain>(r, inputs);
    for (std::size_t i = 0; i < pks.size(); ++i) {
      const auto res = r.wait(pks[i]);
      const auto expected = static_cast<std::int64_t>(i) + 20;  // (x + y) + y
      if (!res.ok() || res.get<Int>("result").value().value != expected) {
        std::fprintf(stderr, "chain %lld: %s (exit %d: %s)\n", static_cast<long long>(pks[i]),
                     std::string(to_string(res.state)).c_str(), res.exit_status, res.exit_message.c_str());
        ++wrong;
      }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // What the first chain left: the calcjob with its job id, remote folder and retrieved files.
    auto db = st.read();
    const auto calls = db.outgoing(pks.front(), link_type::call_calc);
    for (const auto& l : calls) {
      const auto node = db.node(l.output);
      std::printf("chain %lld called %lld %s (%s)\n", static_cast<long long>(pks.front()), static_cast<long long>(l.output),
                  node.type.c_str(), std::string(to_string(node.state.value_or(process_state::created))).c_str());
      if (node.kind == node_kind::calc_job) {
        std::printf("  job id %s, scheduler state %s, folder %s\n", node.attributes.value("job_id", "?").c_str(),
                    node.attributes.value("scheduler_state", "?").c_str(), node.attributes.value("remote_workdir", "?").c_str());
      }
    }
    std::printf("%d chains (%d processes) in %.2f s: %.0f processes/s, %d wrong\n", chains, 3 * chains, secs,
                3 * chains / secs, wrong);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "arithmetic_add: %s\n", e.what());
    wrong = -1;
  }
  std::filesystem::remove_all(dir);
  return wrong == 0 ? 0 : 1;
}
