#pragma once
// The AiiDA 1.0 paper's headline workload, shared by calcjob_bench and daemon_bench: a work
// chain runs core.arithmetic.add (a bash job adding two integers), then adds once more with
// a calcfunction (3 processes per chain); and its floor, bash spawns per second.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/tessera.hpp>

#include "arithmetic_add.hpp"
#include "support.hpp"

extern char** environ;

namespace tessera::bench {

using tessera::plugins::arithmetic_add;

inline const auto add = calcfunction<"bench.add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });

struct add_chain : work_chain<add_chain> {
  static constexpr std::string_view process_name = "bench.arithmetic_add_chain";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), input<"y", Int>(), input<"code", InstalledCode>(), output<"result", Int>(),
                        outline(step<&add_chain::run_job>, step<&add_chain::add_more>));
  }
  struct context {
    child<arithmetic_add> job;
  };
  context ctx;
  async_step run_job() {
    auto job_inputs = spec::inputs_for<arithmetic_add>().set<"x">(in<"x">()).set<"y">(in<"y">()).set<"code">(in<"code">());
    ctx.job = co_await run<arithmetic_add>(job_inputs);
  }
  async_step add_more() {
    auto sum = ctx.job.out<"sum">();
    auto result = co_await call(add, sum, in<"y">());
    out<"result">(result);
  }
};


/// A computer that runs jobs on this machine: core.direct over core.local, jobs under
/// `workdir`, one `ps` for all jobs every `poll_interval` seconds (ps reads the process
/// table: polling much more often costs more CPU than the jobs themselves).
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
