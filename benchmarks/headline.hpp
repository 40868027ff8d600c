#pragma once
// The AiiDA 1.0 paper's headline workload, shared by calcjob_bench and daemon_bench: the work
// chain of examples/arithmetic_add_chain.hpp (core.arithmetic.add, a bash job adding two
// integers, then one more addition in a calcfunction: 3 processes per chain), a computer to
// run it on, and its floor, bash spawns per second.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/tessera.hpp>

#include "arithmetic_add_chain.hpp"
#include "support.hpp"

extern char** environ;

namespace tessera::bench {

using tessera::plugins::arithmetic_add;

using tessera::examples::add_chain;  // examples/arithmetic_add_chain.hpp

/// A computer that runs jobs on this machine: core.direct over core.local, jobs under
/// `workdir`, one poll for all jobs every `poll_interval` seconds (a shell start each:
/// polling much more often costs more CPU than the jobs themselves). The environment
/// variables TESSERA_BENCH_BATCH_COMMANDS and TESSERA_BENCH_BATCH_WAIT set the computer's
/// `batch_commands` (1: every submission its own shell) and `batch_wait` (seconds), to compare.
inline void add_local_computer(store& st, const std::string& label, const std::filesystem::path& workdir,
                               double poll_interval = 0.2) {
  st.write([&](write_tx& tx) {
    computer_spec c;
    c.label = label;
    c.hostname = "localhost";
    c.transport = "core.local";
    c.scheduler = "core.direct";
    c.workdir = workdir.string();
    c.settings = {{"poll_interval", poll_interval}};
    if (const char* b = std::getenv("TESSERA_BENCH_BATCH_COMMANDS")) c.settings["batch_commands"] = std::atoi(b);
    if (const char* w = std::getenv("TESSERA_BENCH_BATCH_WAIT")) c.settings["batch_wait"] = std::atof(w);
    (void)tx.add_computer(c);
  });
}

// The floor: bash spawns per second, one spawner per core, each waiting for its bash.
inline double bash_spawns_per_second(int total) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<int> left{total};
  std::atomic<bool> failed{false};
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (unsigned i = 0; i < threads; ++i) {
    ts.emplace_back([&] {
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init(&fa);
      posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
      std::string cmd = "echo $((1+2))";
      char* argv[] = {const_cast<char*>("bash"), const_cast<char*>("-c"), cmd.data(), nullptr};
      while (left.fetch_sub(1) > 0) {
        pid_t pid = 0;
        if (::posix_spawn(&pid, "/bin/bash", &fa, nullptr, argv, environ) != 0) {
          failed = true;
          break;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
      }
      posix_spawn_file_actions_destroy(&fa);
    });
  }
  for (auto& t : ts) t.join();
  if (failed) throw std::runtime_error("cannot spawn bash");
  return total / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}


}  // namespace tessera::bench
