// CalcJob benchmark (issue 5): the AiiDA 1.0 paper's headline workload. Each work chain
// runs core.arithmetic.add (a bash job adding two integers) through core.direct +
// core.local, then adds once more with a calcfunction: 3 processes per chain. All chains
// run in one runner. Prints "name: value unit" lines, with the floor measured in the same
// run: how many `bash -c 'echo $((1+2))'` this machine spawns per second on all its cores.
// Run:
//   cmake --build <build> --target bench_calcjob_bench && <build>/benchmarks/calcjob_bench [chains (2000)] [poll interval s (0.2)]
//   (the target builds the plugins it loads: core.local, core.direct, core.arithmetic.add)
//   TESSERA_BENCH_DIR=/some/dir to choose where the profile and the job folders go (default /tmp).
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/tessera.hpp>

#include "headline.hpp"

namespace {

using namespace tessera;
using tessera::bench::add_chain;
using tessera::bench::bash_spawns_per_second;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

fs::path bench_root() {
  const char* env = std::getenv("TESSERA_BENCH_DIR");
  return env != nullptr ? fs::path(env) : fs::temp_directory_path();
}

double cpu_seconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const int chains = argc > 1 ? std::atoi(argv[1]) : 2000;
  const double poll_interval = argc > 2 ? std::atof(argv[2]) : 0.2;
  const auto root = bench_root() / fmt::format("tessera-calcjob-bench-{}", ::getpid());
  fs::remove_all(root);
  fs::create_directories(root / "work");
  int rc = 0;
  try {
    fmt::print("# {} work chains, each: core.arithmetic.add (core.direct + core.local) then a calcfunction; "
               "scheduler poll interval {} s\n",
               chains, poll_interval);
    const double floor_before = bash_spawns_per_second(2000);

    store st(root / "profile");
    st.write([&](write_tx& tx) {
      computer_spec c;
      c.label = "localhost";
      c.hostname = "localhost";
      c.transport = "core.local";
      c.scheduler = "core.direct";
      c.workdir = (root / "work").string();
      // One `ps` for all jobs per interval; `ps` reads the whole process table, so polling
      // much more often costs more CPU than the jobs themselves.
      c.settings = {{"poll_interval", poll_interval}};
      (void)tx.add_computer(c);
    });
    const InstalledCode code{"localhost", "/bin/bash", "core.arithmetic.add", "", ""};
    plugin::registry reg({fs::path(TESSERA_BENCH_PLUGIN_DIR)});
    runner r(st);
    plugin::use_for_calcjobs(r, reg);

    std::vector<port_values> inputs;
    inputs.reserve(static_cast<std::size_t>(chains));
    for (int i = 0; i < chains; ++i) {
      inputs.push_back(spec::inputs_for<add_chain>().set<"x">(Int{i}).set<"y">(Int{1}).set<"code">(code).values());
    }
    const double cpu0 = cpu_seconds(RUSAGE_SELF), child0 = cpu_seconds(RUSAGE_CHILDREN);
    const auto t0 = clock_type::now();
    auto pks = submit_all<add_chain>(r, std::move(inputs));
    int ok = 0;
    for (std::size_t i = 0; i < pks.size(); ++i) {
      auto res = r.wait(pks[i]);
      if (res.ok() && res.get<Int>("result").value().value == static_cast<std::int64_t>(i) + 2) ++ok;
    }
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double cpu = cpu_seconds(RUSAGE_SELF) - cpu0, child_cpu = cpu_seconds(RUSAGE_CHILDREN) - child0;
    const double floor_after = bash_spawns_per_second(2000);
    if (ok != chains) {
      fmt::print(stderr, "calcjob_bench: only {} of {} chains finished with the right result\n", ok, chains);
      rc = 1;
    }
    const double chains_per_s = chains / secs;
    const double procs_per_s = 3.0 * chains / secs;
    const double floor = (floor_before + floor_after) / 2;
    fmt::print("wall time: {:.2f} s\n", secs);
    fmt::print("processes per hour: {:.0f} processes/h\n", procs_per_s * 3600);
    fmt::print("processes per second: {:.1f} processes/s\n", procs_per_s);
    fmt::print("chains per second: {:.1f} chains/s\n", chains_per_s);
    fmt::print("floor bash spawns per second (before, after): {:.0f} {:.0f} spawns/s\n", floor_before, floor_after);
    fmt::print("chains/s / bash spawns/s: {:.3f} ratio\n", chains_per_s / floor);
    fmt::print("tessera CPU per chain (all its threads): {:.0f} us\n", cpu / chains * 1e6);
    fmt::print("child processes' CPU per chain (transport commands, reaped by tessera): {:.0f} us\n",
               child_cpu / chains * 1e6);
  } catch (const std::exception& e) {
    fmt::print(stderr, "calcjob_bench: {}\n", e.what());
    rc = 1;
  }
  std::error_code ec;
  fs::remove_all(root, ec);
  return rc;
}
