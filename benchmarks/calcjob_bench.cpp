// CalcJob benchmark (issue 5): the AiiDA 1.0 paper's headline workload. Each work chain
// runs core.arithmetic.add (a bash job adding two integers), then adds once more with a
// calcfunction: 3 processes per chain; all chains run in one runner. Prints "name: value
// unit" lines, with the floor measured in the same run: how many `bash -c 'echo $((1+2))'`
// this machine spawns per second on all its cores. Never fails on time.
//
// 1. core.direct + core.local: `chains` chains, `reps` times (medians; the floor is measured
//    before each repetition and after the last, each ratio uses the floors around its run).
//    CPU per chain is split into tessera (all its threads), the commands it runs (the
//    transport's shells and polls: its reaped children) and the rest of the machine (the jobs
//    themselves, which are not tessera's children, and anything else running). Two more
//    floors, before and after: small files created per CPU second on the profile's
//    filesystem, and the jobs alone (each chain's job submitted exactly as core.direct does,
//    tessera free): what this machine allows for this workload.
// 2. The same workload on the local SLURM (tests/services/slurm.sh starts it on 127.0.0.1
//    and stops it; needs root and Debian's slurm-wlm + munge): SLURM is the bottleneck
//    there, so the figure is tessera's share of the machine's CPU during the run.
//
// Run:
//   cmake --build <build> --target bench_calcjob_bench && <build>/benchmarks/calcjob_bench [chains (2000)] [reps (3)] [slurm chains (200; 0 skips)]
//   (the target builds the plugins it loads: core.local, core.direct, core.slurm, core.arithmetic.add)
//   TESSERA_BENCH_DIR=/some/dir to choose where the profile and the job folders go (default /tmp).
#include <fcntl.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/calcjob/shell_quote.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/tessera.hpp>

#include "headline.hpp"

namespace {

using namespace tessera;
using namespace tessera::bench;

// Busy CPU seconds of the whole machine so far (all of /proc/stat's "cpu" line but idle and
// iowait).
double machine_busy_seconds() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  f >> cpu;
  std::vector<double> v;
  for (double x = 0; v.size() < 8 && (f >> x);) v.push_back(x);
  if (v.size() < 8) return 0;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / ticks;  // user nice system irq softirq steal
}

// CPU seconds of process `pid` and of its reaped children (utime stime cutime cstime).
double process_tree_seconds(long pid) {
  std::ifstream f(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> fields;
  for (std::string w; rest >> w;) fields.push_back(w);
  if (fields.size() < 15) return 0;
  double sum = 0;
  for (std::size_t i = 11; i <= 14; ++i) sum += std::stod(fields[i]);  // fields 14..17 of stat
  return sum / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The second floor: small files created per second (open, write 2 bytes, close) in a fresh
// folder `dir`, i.e. on the filesystem of the profile and the job folders. Every job
// creates several (its folder, input, script, outputs); on some filesystems a creation
// costs as much as a bash start. The files stay until the end of the run (see direct_part).
double file_creations_per_second(const fs::path& dir, int n) {
  fs::create_directories(dir);
  const double cpu0 = cpu_seconds(RUSAGE_SELF);
  for (int i = 0; i < n; ++i) {
    std::ofstream(dir / fmt::format("f{}", i)) << "x\n";
  }
  const double cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
  return n / cpu;
}

// The third floor: the chain's job alone, started exactly as core.direct starts it (the
// transport's `/bin/sh -c` running the plugin's own submit command: setsid, bash running the
// plugin's job script, bash reading aiida.in), with its folder, input and script written
// first, 4 jobs in flight per core: the chains/s this machine allows if tessera, its polls
// and its database cost nothing. This process adopts the jobs (child subreaper) to wait for
// them.
double job_chains_per_second(const fs::path& dir, const plugin::registry& reg, int total) {
  const auto sch = reg.make_scheduler("core.direct");
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const int in_flight_max = static_cast<int>(4 * cores);
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) throw std::runtime_error("prctl(PR_SET_CHILD_SUBREAPER) failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  int in_flight = 0;
  bool failed = false;
  const double busy0 = machine_busy_seconds();
  const auto t0 = clock_type::now();
  for (int i = 0; i < total && !failed; ++i) {
    const auto work = dir / fmt::format("job-{}", i);
    fs::create_directories(work);
    std::ofstream(work / "aiida.in") << fmt::format("echo $(({} + {}))\n", i, 1);
    calcjob::job_template jt;  // as calc_job's make_template fills it for core.arithmetic.add
    jt.job_name = fmt::format("floor-{}", i);
    jt.working_directory = work.string();
    jt.argv = {"/bin/bash"};
    jt.stdin_name = "aiida.in";
    jt.stdout_name = "aiida.out";
    jt.append_text = fmt::format("echo $? > {}\n", calcjob::shell_quote(calcjob::exit_status_file));
    const auto script = (work / "_tessera_submit.sh").string();
    std::ofstream(script) << sch->submit_script(jt);
    std::string cmd = sch->submit_command(jt, script);
    char* argv[] = {const_cast<char*>("sh"), const_cast<char*>("-c"), cmd.data(), nullptr};
    pid_t sh = 0;
    if (::posix_spawn(&sh, "/bin/sh", &fa, nullptr, argv, environ) != 0) {
      failed = true;
      break;
    }
    int status = 0;
    ::waitpid(sh, &status, 0);
    ++in_flight;
    while (in_flight >= in_flight_max) {
      if (::waitpid(-1, &status, 0) <= 0) {
        failed = true;
        break;
      }
      --in_flight;
    }
  }
  int status = 0;
  while (in_flight > 0 && ::waitpid(-1, &status, 0) > 0) --in_flight;
  const double seconds = seconds_since(t0);
  fmt::print("# job floor: {:.0f} chains/s, machine busy {:.0f}% of all cores\n", total / seconds,
             100.0 * (machine_busy_seconds() - busy0) / (seconds * cores));
  posix_spawn_file_actions_destroy(&fa);
  (void)::prctl(PR_SET_CHILD_SUBREAPER, 0);
  if (failed) throw std::runtime_error("job floor: cannot start or wait for a job");
  if (!fs::exists(dir / fmt::format("job-{}", total - 1) / "aiida.out")) throw std::runtime_error("job floor: the jobs did not run");
  return total / seconds;
}

// Files and folders under `dir` (the job folders and the profile's repository objects).
std::size_t entries_under(const fs::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) ++n;
  return n;
}

struct run_figures {
  double seconds = 0;
  double self_cpu = 0;      // tessera, all threads
  double children_cpu = 0;  // commands tessera ran and reaped (shell, ps / sbatch, squeue)
  double machine_cpu = 0;   // the whole machine
  double submit_commands = 0;  // shell commands that submitted the jobs (batched or alone)
  int ok = 0;
};

// `chains` headline chains on computer `label` in a fresh runner.
run_figures run_chains(store& st, const plugin::registry& reg, const std::string& label, int chains) {
  const InstalledCode code{label, "/bin/bash", "core.arithmetic.add", "", ""};
  runner r(st);
  plugin::use_for_calcjobs(r, reg);
  std::vector<port_values> inputs;
  inputs.reserve(static_cast<std::size_t>(chains));
  for (int i = 0; i < chains; ++i) {
    inputs.push_back(spec::inputs_for<add_chain>().set<"x">(Int{i}).set<"y">(Int{1}).set<"code">(code).values());
  }
  run_figures f;
  const double cpu0 = cpu_seconds(RUSAGE_SELF), child0 = cpu_seconds(RUSAGE_CHILDREN), all0 = machine_busy_seconds();
  const auto t0 = clock_type::now();
  auto pks = submit_all<add_chain>(r, std::move(inputs));
  for (std::size_t i = 0; i < pks.size(); ++i) {
    auto res = r.wait(pks[i]);
    if (res.ok() && res.get<Int>("result").value().value == static_cast<std::int64_t>(i) + 2) ++f.ok;
  }
  f.seconds = seconds_since(t0);
  f.self_cpu = cpu_seconds(RUSAGE_SELF) - cpu0;
  f.children_cpu = cpu_seconds(RUSAGE_CHILDREN) - child0;
  f.machine_cpu = machine_busy_seconds() - all0;
  const auto& q = calcjob::services::of(r).queue_for(label);
  f.submit_commands = static_cast<double>(q.batches() + static_cast<std::uint64_t>(chains) - q.batched_commands());
  if (f.ok != chains) {
    fmt::print(stderr, "calcjob_bench: only {} of {} chains on '{}' finished with the right result\n", f.ok, chains, label);
  }
  return f;
}

bool direct_part(const fs::path& root, const plugin::registry& reg, int chains, int reps) {
  fmt::print("# core.direct + core.local: {} work chains x {} repetitions; scheduler poll interval 0.2 s; load {}\n",
             chains, reps, loadavg());
  std::vector<double> floors{bash_spawns_per_second(2000)};
  // Nothing this part creates is deleted before the end of the run: on an ext4 without a
  // journal (this machine's root filesystem) the inode allocator skips, one by one, every
  // inode deleted in the last 60-300 s (`recently_deleted`), so deleting one repetition's
  // ~18,000 files made the next one up to a third slower: a cost of the benchmark's own
  // clean-up, not of the workload.
  std::vector<double> file_floors{file_creations_per_second(root / "files-floor-0", 2000)};
  std::vector<double> job_floors{job_chains_per_second(root / "jobs-floor-0", reg, 1000)};
  std::vector<double> procs, ratios, self_us, child_us, rest_us, share, entries, jobs_per_submit;
  bool all_ok = true;
  for (int rep = 0; rep < reps; ++rep) {
    const auto dir = root / fmt::format("direct-{}", rep);
    fs::create_directories(dir / "work");
    run_figures f;
    {
      store st(dir / "profile");
      add_local_computer(st, "localhost", dir / "work");
      f = run_chains(st, reg, "localhost", chains);
    }
    entries.push_back(static_cast<double>(entries_under(dir / "work") + entries_under(dir / "profile" / "repository" / "objects")) / chains);
    all_ok = all_ok && f.ok == chains;
    floors.push_back(bash_spawns_per_second(2000));
    const double floor = (floors[floors.size() - 2] + floors.back()) / 2;
    procs.push_back(3.0 * chains / f.seconds);
    ratios.push_back(chains / f.seconds / floor);
    self_us.push_back(f.self_cpu / chains * 1e6);
    child_us.push_back(f.children_cpu / chains * 1e6);
    rest_us.push_back((f.machine_cpu - f.self_cpu - f.children_cpu) / chains * 1e6);
    share.push_back(100.0 * f.self_cpu / f.machine_cpu);
    jobs_per_submit.push_back(chains / f.submit_commands);
    fmt::print("# repetition {}: {:.2f} s, {:.0f} processes/s, floor {:.0f} spawns/s\n", rep + 1, f.seconds,
               procs.back(), floor);
  }
  figure("direct_processes_per_hour", median(procs) * 3600, "processes/h (target >= 3600000)");
  figure("direct_processes_per_second", median(procs), "processes/s (target >= 1000)");
  figure("direct_chains_per_second", median(procs) / 3, "chains/s");
  figure("floor_bash_spawns_per_second", median(floors), "spawns/s (bash -c 'echo $((1+2))' on every core)");
  figure("direct_chains_per_s_over_bash_spawns_per_s", median(ratios), "ratio (aim 0.5)");
  figure("direct_tessera_cpu_per_chain", median(self_us), "us (all of tessera's threads)");
  figure("direct_commands_cpu_per_chain", median(child_us), "us (the transport's shells and polls: reaped by tessera)");
  figure("direct_rest_of_machine_cpu_per_chain", median(rest_us), "us (the jobs: setsid and their bash processes, and anything else running)");
  figure("direct_tessera_share_of_machine_cpu", median(share), "%");
  figure("direct_jobs_per_submit_command", median(jobs_per_submit), "jobs (submissions due at once run as one shell command)");
  file_floors.push_back(file_creations_per_second(root / "files-floor-1", 2000));
  job_floors.push_back(job_chains_per_second(root / "jobs-floor-1", reg, 1000));
  figure("direct_files_and_folders_created_per_chain", median(entries), "(job folder and files, repository objects stored as files)");
  figure("floor_file_creations_per_second", median(file_floors),
         "files/s of CPU time (open, write, close, on the profile's filesystem; before and after)");
  // What this machine allows even if tessera cost nothing: each chain's job starts bash twice
  // (its script, the code: at the bash floor, all cores) and the chain creates its files
  // (at the file floor, per core).
  const double cores = std::max(1u, std::thread::hardware_concurrency());
  const double ceiling = 3.0 / (2.0 / median(floors) + median(entries) / (median(file_floors) * cores));
  figure("direct_ceiling_processes_per_second", ceiling,
         "processes/s (2 bash starts and the files per chain at the floors, tessera free)");
  figure("direct_share_of_ceiling", 100.0 * median(procs) / ceiling, "%");
  figure("floor_job_chains_per_second", median(job_floors),
         "chains/s (each chain's job alone, submitted as core.direct does, tessera free; before and after)");
  figure("floor_job_processes_per_second", 3 * median(job_floors), "processes/s (the same, 3 processes per chain)");
  figure("direct_share_of_job_floor", 100.0 * median(procs) / 3 / median(job_floors), "% (tessera's chains/s over the jobs' own)");
  return all_ok;
}

// SLURM's pids from the services folder (written by tests/services/slurm.sh).
std::vector<long> slurm_daemons(const fs::path& state) {
  std::ifstream r(state / "slurm.root");
  std::string root;
  std::getline(r, root);
  std::vector<long> pids;
  for (const char* name : {"slurmctld.pid", "slurmd.pid", "munged.pid"}) {
    std::ifstream p(fs::path(root) / name);
    long pid = 0;
    if (p >> pid) pids.push_back(pid);
  }
  return pids;
}

bool slurm_part(const fs::path& root, const plugin::registry& reg, int chains) {
  const auto state = root / "services";
  const fs::path script = fs::path(TESSERA_BENCH_SOURCE_DIR) / "tests/services/slurm.sh";
  fmt::print("# the local SLURM (core.slurm + core.local, single node, {} CPUs): {} work chains\n",
             std::thread::hardware_concurrency(), chains);
  const auto start = fmt::format("bash '{}' start '{}' > '{}' 2>&1", script.string(), state.string(),
                                 (root / "slurm-start.log").string());
  if (std::system(start.c_str()) != 0) {
    std::ifstream why(state / "slurm.unavailable");
    std::string reason((std::istreambuf_iterator<char>(why)), std::istreambuf_iterator<char>());
    fmt::print("# SLURM part skipped: {}\n", reason.empty() ? "slurm.sh start failed (see its log)" : reason);
    return true;
  }
  bool ok = true;
  try {
    std::ifstream env(state / "slurm.env");
    std::string line;
    while (std::getline(env, line)) {
      if (const auto eq = line.find('='); eq != std::string::npos) ::setenv(line.substr(0, eq).c_str(), line.substr(eq + 1).c_str(), 1);
    }
    const auto daemons = slurm_daemons(state);
    const auto dir = root / "slurm";
    fs::create_directories(dir / "work");
    store st(dir / "profile");
    st.write([&](write_tx& tx) {
      computer_spec c;
      c.label = "slurm";
      c.hostname = "localhost";
      c.transport = "core.local";
      c.scheduler = "core.slurm";
      c.workdir = (dir / "work").string();
      c.settings = {{"poll_interval", 0.5}};
      (void)tx.add_computer(c);
    });
    double slurm0 = 0;
    for (long pid : daemons) slurm0 += process_tree_seconds(pid);
    const auto f = run_chains(st, reg, "slurm", chains);
    double slurm_cpu = -slurm0;
    for (long pid : daemons) slurm_cpu += process_tree_seconds(pid);
    ok = f.ok == chains;
    figure("slurm_processes_per_hour", 3.0 * chains / f.seconds * 3600, "processes/h");
    figure("slurm_processes_per_second", 3.0 * chains / f.seconds, "processes/s");
    figure("slurm_tessera_share_of_machine_cpu", 100.0 * f.self_cpu / f.machine_cpu, "% (tessera's threads)");
    figure("slurm_tessera_commands_share_of_machine_cpu", 100.0 * f.children_cpu / f.machine_cpu,
           "% (sbatch, squeue and their shell, run by tessera)");
    figure("slurm_daemons_share_of_machine_cpu", 100.0 * slurm_cpu / f.machine_cpu,
           "% (slurmctld, slurmd with the job steps it reaped, munged)");
    const double all_cores = f.seconds * std::thread::hardware_concurrency();
    figure("slurm_machine_busy", 100.0 * f.machine_cpu / all_cores, "% of all cores");
    figure("slurm_tessera_cpu_of_all_cores", 100.0 * f.self_cpu / all_cores, "% of all cores");
    figure("slurm_tessera_cpu_per_chain", f.self_cpu / chains * 1e6, "us");
  } catch (const std::exception& e) {
    fmt::print(stderr, "calcjob_bench: SLURM part: {}\n", e.what());
    ok = false;
  }
  const auto stop = fmt::format("bash '{}' stop '{}' >> '{}' 2>&1", script.string(), state.string(),
                                (root / "slurm-start.log").string());
  if (std::system(stop.c_str()) != 0) fmt::print(stderr, "calcjob_bench: slurm.sh stop failed\n");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const int chains = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
  const int slurm_chains = argc > 3 ? std::atoi(argv[3]) : 200;
  if (chains < 1 || reps < 1 || slurm_chains < 0) {
    fmt::print(stderr, "usage: calcjob_bench [chains (2000)] [reps (3)] [slurm chains (200; 0 skips)]\n");
    return 2;
  }
  scratch root("calcjob-bench", "run");
  fs::create_directories(root.path);
  bool ok = true;
  try {
    plugin::registry reg({fs::path(TESSERA_BENCH_PLUGIN_DIR)});
    ok = direct_part(root.path, reg, chains, reps);
    if (slurm_chains > 0) ok = slurm_part(root.path, reg, slurm_chains) && ok;
  } catch (const std::exception& e) {
    fmt::print(stderr, "calcjob_bench: {}\n", e.what());
    ok = false;
  }
  return ok ? 0 : 1;
}
