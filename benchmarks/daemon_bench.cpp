// Daemon benchmarks (issue 6). Prints one figure per line, "name: value unit", with what it
// is compared with measured in the same run; '#' lines explain. Never fails on time. Run:
//   cmake --build <build> --target bench_daemon_bench && <build>/benchmarks/daemon_bench [reps (3)] [chains (2000)]
// The program is its own daemon worker (it starts copies of itself with --tessera-worker).
//
// 1. Throughput: `chains` work chains of two calcfunctions each (add, then multiply: 3
//    processes per chain, the stand-in for the AiiDA paper's headline workload until the
//    calcjob lands) submitted in one transaction to a daemon of 1 and of 2 workers; from
//    submission to the last chain finished, in processes/hour, with the same workload in one
//    in-process runner as the floor, and the workers' CPU time per process.
// 2. Submission rate: 1,000 chains submitted one transaction each (a script's loop) with 0,
//    1 and 2 workers running: it must not fall as workers are added.
// 4. The headline workload (benchmarks/headline.hpp: a chain running core.arithmetic.add, a
//    bash job, through core.direct + core.local, then a calcfunction) through the daemon with
//    1 and 2 workers, with the floor of that run: bash spawns per second.
// 3. Cross-worker wake-up: a parent submits one child per step (200 steps); with 2 workers
//    the child runs wherever a worker claims it. Latency from the child's termination (its
//    node's mtime, stamped in the transaction that ends it) to the start of the parent's
//    next step, split by whether parent and child ran in different workers (median, p90).
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <tessera/daemon.hpp>
#include <tessera/tessera.hpp>

#include "headline.hpp"

namespace {

using namespace tessera;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------
// The processes (the workers are copies of this program, so they know them)

const auto add = calcfunction<"bench.daemon.add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });
const auto mul = calcfunction<"bench.daemon.mul", "x", "y">([](const Int& x, const Int& y) { return Int{x.value * y.value}; });

struct add_mul : work_chain<add_mul> {
  static constexpr std::string_view process_name = "bench.daemon.add_mul";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), input<"y", Int>(), input<"z", Int>(), output<"result", Int>(),
                        outline(step<&add_mul::sum>, step<&add_mul::product>));
  }
  struct context {
    stored<Int> s;
  };
  context ctx;
  async_step sum() { ctx.s = co_await call(add, in<"x">(), in<"y">()); }
  async_step product() { out<"result">(co_await call(mul, ctx.s, in<"z">())); }
};

void side(const std::string& line) {
  static const char* path = std::getenv("TESSERA_BENCH_SIDE_FILE");
  if (!path) return;
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
  ::close(fd);
}
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct leaf : work_chain<leaf> {
  static constexpr std::string_view process_name = "bench.daemon.leaf";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"i", Int>(), outline(step<&leaf::go>));
  }
  void go() { side(fmt::format("leaf {} {}\n", pk(), ::getpid())); }
};

// One child per step; each step first notes when it started and which child it waited for.
struct relay : work_chain<relay> {
  static constexpr std::string_view process_name = "bench.daemon.relay";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), outline(while_<&relay::more>(step<&relay::hop>)));
  }
  struct context {
    std::int64_t i = 0;
    std::int64_t last = 0;
  };
  context ctx;
  bool more() const { return ctx.i < in<"n">().value; }
  async_step hop() {
    side(fmt::format("hop {} {} {}\n", ctx.last, ::getpid(), now_us()));
    auto c = co_await submit<leaf>(spec::inputs_for<leaf>().set<"i">(ctx.i));
    ctx.last = c.pk();
    ++ctx.i;
  }
};

// ---------------------------------------------------------------------------------------
// Helpers

struct scratch : bench::scratch {
  explicit scratch(const std::string& name) : bench::scratch("daemon-bench", name) {}
};
using bench::figure;
using bench::median;
using bench::percentile;
using bench::seconds_since;

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "daemon_bench: {}\n", what);
  std::exit(1);
}

inline double children_cpu_seconds() { return bench::cpu_seconds(RUSAGE_CHILDREN); }

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

// A daemon of `n` workers on profile `dir` (started as the supervisor would), stopped
// gracefully when destroyed.
class workers {
 public:
  workers(const fs::path& dir, int n, const fs::path& side_file = {}, int first_slot = 0, int max_processes = 5000) {
    const auto exe = self_exe();
    for (int k = first_slot; k < first_slot + n; ++k) {
      const pid_t pid = ::fork();
      if (pid == 0) {
        if (!side_file.empty()) ::setenv("TESSERA_BENCH_SIDE_FILE", side_file.c_str(), 1);
        const auto log = (dir / fmt::format("worker-{}.log", k)).string();
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) ::dup2(fd, 2);
        std::vector<std::string> a = {exe, "--tessera-worker", "--profile", dir.string(), "--slot", std::to_string(k),
                                      "--max-processes", std::to_string(max_processes)};
        std::vector<char*> argv;
        for (auto& s : a) argv.push_back(s.data());
        argv.push_back(nullptr);
        ::execv(exe.c_str(), argv.data());
        ::_exit(127);
      }
      pids_.push_back(pid);
    }
    store st(dir);
    const auto until = clock_type::now() + std::chrono::seconds(30);
    auto registered = [&] {
      auto ids = nlohmann::json::array();
      for (auto pid : pids_) ids.push_back(pid);
      return st.read().connection().scalar_int(fmt::format(
          "SELECT count(*) FROM worker WHERE state = 'running' AND pid IN (SELECT value FROM json_each('{}'))", ids.dump()));
    };
    while (registered() < n) {
      if (clock_type::now() > until) fail("workers did not register within 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  workers(const workers&) = delete;
  workers& operator=(const workers&) = delete;
  ~workers() {
    for (auto pid : pids_) ::kill(pid, SIGTERM);
    for (auto pid : pids_) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fmt::print(stderr, "daemon_bench: a worker ended badly ({})\n", status);
    }
  }

 private:
  std::vector<pid_t> pids_;
};

std::vector<spec::inputs_for<add_mul>> inputs(int n) {
  std::vector<spec::inputs_for<add_mul>> v;
  v.reserve(n);
  for (int i = 0; i < n; ++i) v.push_back(spec::inputs_for<add_mul>().set<"x">(i).set<"y">(1).set<"z">(2));
  return v;
}

void wait_all_finished(store& st, std::int64_t chains) {
  const auto until = clock_type::now() + std::chrono::minutes(10);
  for (;;) {
    const auto done = st.read().connection().scalar_int(
        "SELECT count(*) FROM node WHERE kind = 4 AND process_state IN ('finished', 'excepted', 'killed')");
    if (done >= chains) break;
    if (clock_type::now() > until) fail("chains did not finish within 10 minutes");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto ok = st.read().connection().scalar_int("SELECT count(*) FROM node WHERE kind > 0 AND process_state = 'finished' AND exit_status = 0");
  if (ok != 3 * chains) fail(fmt::format("{} of {} processes finished well", ok, 3 * chains));
}

// ---------------------------------------------------------------------------------------

struct throughput {
  double processes_per_hour;
  double cpu_us_per_process;
};

throughput daemon_run(int n_workers, int chains) {
  scratch s(fmt::format("throughput-{}", n_workers));
  { store st(s.path); }
  const double c0 = children_cpu_seconds();
  double t = 0;
  {
    workers w(s.path, n_workers);
    store st(s.path);
    const auto ins = inputs(chains);
    const auto t0 = clock_type::now();
    (void)submit_all<add_mul>(st, ins);
    wait_all_finished(st, chains);
    t = seconds_since(t0);
  }
  return {3.0 * chains / t * 3600.0, (children_cpu_seconds() - c0) * 1e6 / (3.0 * chains)};
}

double in_process_run(int chains) {
  scratch s("in-process");
  store st(s.path);
  runner r(st);
  const auto ins = inputs(chains);
  const auto t0 = clock_type::now();
  (void)submit_all<add_mul>(r, ins);
  r.wait_idle();
  const double t = seconds_since(t0);
  wait_all_finished(st, chains);
  return 3.0 * chains / t * 3600.0;
}

double submission_rate(int n_workers, int n) {
  scratch s(fmt::format("submit-{}", n_workers));
  { store st(s.path); }
  std::unique_ptr<workers> w;
  if (n_workers > 0) w = std::make_unique<workers>(s.path, n_workers);
  store st(s.path);
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i) (void)submit<add_mul>(st, spec::inputs_for<add_mul>().set<"x">(i).set<"y">(1).set<"z">(2));
  const double t = seconds_since(t0);
  if (n_workers > 0) wait_all_finished(st, n);
  return n / t;
}

// Runs a relay of `hops` steps; (latency ms, whether parent and child ran in different
// workers) per wake-up. Across: worker 0 may drive one process only, so once it holds the
// relay every leaf runs in worker 1. Within: one worker runs everything.
std::vector<std::pair<double, bool>> relay_run(int hops, bool across) {
  scratch s(across ? "latency-across" : "latency-within");
  fs::create_directories(s.path);
  const auto side_file = s.path / "side.txt";
  { store st(s.path); }
  std::map<std::int64_t, pid_t> leaf_pid;
  std::vector<std::tuple<std::int64_t, pid_t, std::int64_t>> hop_rows;  // waited-for child, pid, start us
  std::map<std::int64_t, std::int64_t> leaf_end;                        // child -> mtime us
  {
    workers a(s.path, 1, side_file, 0, across ? 1 : 5000);
    store st(s.path);
    const auto pk = submit<relay>(st, spec::inputs_for<relay>().set<"n">(hops));
    std::unique_ptr<workers> b;
    if (across) {
      while (st.read().connection().scalar_int(fmt::format("SELECT count(*) FROM process_lease WHERE pk = {} AND worker != 0", pk)) == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      b = std::make_unique<workers>(s.path, 1, side_file, 1);
    }
    const auto until = clock_type::now() + std::chrono::minutes(5);
    for (;;) {
      auto r = st.read();
      auto state = r.state_of(pk);
      if (state && is_terminal(*state)) {
        if (*state != process_state::finished) fail("the relay chain did not finish");
        break;
      }
      if (clock_type::now() > until) fail("the relay chain did not finish within 5 minutes");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto r = st.read();
    auto q = r.connection().prepare("SELECT pk, mtime FROM node WHERE type = 'bench.daemon.leaf'");
    while (q.step()) leaf_end[q.int64(0)] = q.int64(1);
  }
  std::ifstream in(side_file);
  std::string kind;
  while (in >> kind) {
    if (kind == "leaf") {
      std::int64_t pk = 0;
      long pid = 0;
      in >> pk >> pid;
      leaf_pid[pk] = static_cast<pid_t>(pid);
    } else {
      std::int64_t last = 0, at = 0;
      long pid = 0;
      in >> last >> pid >> at;
      hop_rows.emplace_back(last, static_cast<pid_t>(pid), at);
    }
  }
  std::vector<std::pair<double, bool>> out;
  for (const auto& [last, pid, at] : hop_rows) {
    if (last == 0 || !leaf_end.count(last) || !leaf_pid.count(last)) continue;
    out.emplace_back(static_cast<double>(at - leaf_end[last]) / 1000.0, leaf_pid[last] != pid);
  }
  return out;
}

void wake_latency(int hops) {
  std::vector<double> cross, same;
  for (bool across : {true, false}) {
    for (const auto& [ms, x] : relay_run(hops, across)) (x ? cross : same).push_back(ms);
  }
  fmt::print("# 3. a parent submitting one child per step, {} steps, run across 2 workers and within 1: {} wake-ups across "
             "workers, {} within one\n",
             hops, cross.size(), same.size());
  figure("daemon.wake_latency_cross_worker.median", median(cross), "ms");
  figure("daemon.wake_latency_cross_worker.p90", percentile(cross, 0.9), "ms");
  figure("daemon.wake_latency_same_worker.median", median(same), "ms");
  figure("target.wake_latency", 10, "ms");
}

// The headline workload through a daemon of `n_workers`: processes per second.
double headline_run(int n_workers, int chains) {
  scratch s(fmt::format("headline-{}", n_workers));
  fs::create_directories(s.path / "work");
  {
    store st(s.path / "p");
    bench::add_local_computer(st, "localhost", s.path / "work");
  }
  double t = 0;
  {
    workers w(s.path / "p", n_workers);
    store st(s.path / "p");
    const InstalledCode code{"localhost", "/bin/bash", "core.arithmetic.add", "", ""};
    std::vector<spec::inputs_for<bench::add_chain>> ins;
    for (int i = 0; i < chains; ++i) ins.push_back(spec::inputs_for<bench::add_chain>().set<"x">(Int{i}).set<"y">(Int{1}).set<"code">(code));
    const auto t0 = clock_type::now();
    (void)submit_all<bench::add_chain>(st, ins);
    wait_all_finished(st, chains);
    t = seconds_since(t0);
  }
  return 3.0 * chains / t;
}

}  // namespace

int main(int argc, char** argv) {
  if (daemon::is_worker(argc, argv)) return daemon::worker_main<add_mul, relay, leaf, bench::add_chain>(argc, argv);
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const int chains = argc > 2 ? std::max(10, std::atoi(argv[2])) : 2000;

  fmt::print("# 1. {} chains x 3 processes (chain + 2 calcfunctions) submitted at once; submit to all finished, median of {}\n",
             chains, reps);
  std::vector<double> floor, one, two, cpu1, cpu2;
  for (int rep = 0; rep < reps; ++rep) {
    floor.push_back(in_process_run(chains));
    auto a = daemon_run(1, chains);
    one.push_back(a.processes_per_hour);
    cpu1.push_back(a.cpu_us_per_process);
    auto b = daemon_run(2, chains);
    two.push_back(b.processes_per_hour);
    cpu2.push_back(b.cpu_us_per_process);
  }
  figure("floor.in_process_runner", median(floor), "processes/hour");
  figure("daemon.workers_1", median(one), "processes/hour");
  figure("daemon.workers_2", median(two), "processes/hour");
  figure("daemon.workers_1.cpu_per_process", median(cpu1), "us");
  figure("daemon.workers_2.cpu_per_process", median(cpu2), "us");
  figure("ratio.workers_2_over_1", median(two) / median(one), "x");
  figure("ratio.workers_1_over_in_process", median(one) / median(floor), "x");

  fmt::print("# 2. 1,000 submissions, one transaction each, while 0, 1, 2 workers run them, median of {}\n", reps);
  for (int n : {0, 1, 2}) {
    std::vector<double> v;
    for (int rep = 0; rep < reps; ++rep) v.push_back(submission_rate(n, 1000));
    figure(fmt::format("daemon.submissions_with_{}_workers", n), median(v), "chains/s");
  }

  wake_latency(200);

  const int jobs = std::max(50, chains / 4);
  fmt::print("# 4. the headline workload (a chain running core.arithmetic.add via core.direct + core.local, then a "
             "calcfunction): {} chains through the daemon, median of {}\n",
             jobs, reps);
  std::vector<double> h1, h2, spawns;
  for (int rep = 0; rep < reps; ++rep) {
    spawns.push_back(bench::bash_spawns_per_second(1000));
    h1.push_back(headline_run(1, jobs));
    h2.push_back(headline_run(2, jobs));
  }
  figure("daemon.headline.workers_1", median(h1) * 3600, "processes/hour");
  figure("daemon.headline.workers_2", median(h2) * 3600, "processes/hour");
  figure("floor.bash_spawns", median(spawns), "spawns/s");
  figure("ratio.headline_chains_per_s_over_bash_spawns.workers_2", median(h2) / 3 / median(spawns), "x");
  return 0;
}
