// Engine benchmarks (issue 4). Prints one figure per line, "name: value unit", with the floors
// it is compared with measured in the same run on the same machine (medians of several
// repetitions where cheap); lines starting with '#' explain. Never fails on time (it fails
// only when a run goes wrong: a chain not finishing, a count that does not add up). Run:
//   cmake --build <build> --target bench_engine_bench && <build>/benchmarks/engine_bench   (~2 minutes)
//   <build>/benchmarks/engine_bench [repetitions (default 3)] [steps|calc|memory|resume ...]   (a subset)
//   TESSERA_BENCH_DIR=/some/dir to choose where the temporary profiles go (default /tmp).
//
// 1. checkpointed steps/s: 1,000 work chains of 100 trivial synchronous steps in one runner
//    (every step commits a checkpoint); floors: raw SQLite single-row UPDATE commits/s (one
//    commit each, WAL, synchronous=NORMAL, fresh database) and batched INSERTs/s.
// 2. calcfunctions/s with full provenance: sequential top-level calls (also with the profile's
//    group-commit delay set to 0), and 10,000 calls made with co_await call(...) from 100 and
//    from 1,000 concurrent work chains; floor: the same nodes and links written straight
//    through write_tx, 1,000 per transaction. Also CPU time per call (all threads).
// 3. memory: 10,000 work chains all waiting on a child at once (each awaits a `gate`
//    calcfunction that blocks until released): RSS growth, in a fresh process.
// 4. resume: the same 10,000 waiting chains in a child process killed with SIGKILL; time from
//    opening the profile again to every chain resumed and waiting on its child again.
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <tessera/tessera.hpp>

#include "support.hpp"

namespace {

using namespace tessera;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------
// Helpers

struct scratch : bench::scratch {
  explicit scratch(const std::string& name) : bench::scratch("engine-bench", name) {}
};
using bench::bench_root;
using bench::median;
using bench::seconds_since;
inline double cpu_seconds() { return bench::cpu_seconds(RUSAGE_SELF); }

// Resident set size of this process, in KiB (VmRSS of /proc/self/status).
long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

using bench::figure;

[[noreturn]] void fail(const std::string& what) {
  fmt::print(stderr, "engine_bench: {}\n", what);
  std::exit(1);
}

using bench::loadavg;

std::int64_t count(store& st, const std::string& sql) { return st.read().connection().scalar_int(sql); }

// ---------------------------------------------------------------------------------------
// Processes

const auto add = calcfunction<"bench.add", "x", "y">([](const Int& x, const Int& y) { return Int{x.value + y.value}; });

// 100 trivial synchronous steps (a loop of one step: each step is checkpointed).
struct trivial100 : work_chain<trivial100> {
  static constexpr std::string_view process_name = "bench.trivial100";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"i", Int>(), outline(while_<&trivial100::more>(step<&trivial100::tick>)));
  }
  struct context {
    std::int64_t k = 0;
  };
  context ctx;
  bool more() const { return ctx.k < 100; }
  void tick() { ++ctx.k; }
};

// `steps` steps of 10 chained calcfunction calls each: acc = add(acc, i).
struct caller : work_chain<caller> {
  static constexpr std::string_view process_name = "bench.caller";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"i", Int>(), input<"steps", Int>(), output<"acc", Int>(),
                        outline(while_<&caller::more>(step<&caller::ten_calls>), step<&caller::done>));
  }
  struct context {
    std::int64_t k = 0;
    stored<Int> acc;
  };
  context ctx;
  bool more() const { return ctx.k < in<"steps">().value; }
  async_step ten_calls() {
    for (int j = 0; j < 10; ++j) {
      if (ctx.acc) {
        ctx.acc = co_await call(add, ctx.acc, in<"i">());
      } else {
        ctx.acc = co_await call(add, in<"i">(), in<"i">());
      }
    }
    ++ctx.k;
  }
  void done() { out<"acc">(ctx.acc); }
};

// A calcfunction that blocks (on a pool thread) until the gate is opened: only pool_threads
// of them run at once, the others queue, and every parent is waiting on its child.
std::mutex gate_m;
std::condition_variable gate_cv;
bool gate_open = false;
std::atomic<long> gate_runs{0};

void open_gate() {
  {
    std::lock_guard lk(gate_m);
    gate_open = true;
  }
  gate_cv.notify_all();
}

const auto gate = calcfunction<"bench.gate", "x">([](const Int& x) {
  ++gate_runs;
  std::unique_lock lk(gate_m);
  gate_cv.wait(lk, [] { return gate_open; });
  return Int{x.value + 1};
});

struct waiter : work_chain<waiter> {
  static constexpr std::string_view process_name = "bench.waiter";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"i", Int>(), output<"j", Int>(), outline(step<&waiter::wait>));
  }
  async_step wait() { out<"j">(co_await call(gate, in<"i">())); }
};

constexpr int waiters = 10000;

// Submits `n` waiters and returns once every one has launched its gate child.
void launch_waiters(runner& r, store& st, int n) {
  for (int i = 0; i < n; ++i) (void)submit<waiter>(r, spec::inputs_for<waiter>().set<"i">(i).validated());
  while (count(st, "SELECT count(*) FROM node WHERE kind = 1") < n) std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::int64_t finished_ok(store& st, int kind) {
  return count(st, fmt::format("SELECT count(*) FROM node WHERE kind = {} AND process_state = 'finished' AND exit_status = 0", kind));
}

struct rate {
  double per_s;
  double cpu_us;  // CPU time per unit, all threads
  double units_per_unit = 0;    // group-commit units per calc (or step)
  double units_per_batch = 0;   // group-commit units per SQLite commit
};

void add_stats(rate& r, const store& st, int n) {
  const auto s = st.stats();
  r.units_per_unit = static_cast<double>(s.units) / n;
  r.units_per_batch = s.batches ? static_cast<double>(s.units) / static_cast<double>(s.batches) : 0;
}

void report_rate(std::string_view name, const std::vector<rate>& runs, std::string_view unit = "calcs/s",
                 std::string_view per = "call") {
  std::vector<double> per_s, cpu, upu, upb;
  for (const auto& r : runs) {
    per_s.push_back(r.per_s);
    cpu.push_back(r.cpu_us);
    upu.push_back(r.units_per_unit);
    upb.push_back(r.units_per_batch);
  }
  figure(name, median(per_s), unit);
  figure(fmt::format("{}.cpu_per_{}", name, per), median(cpu), "us");
  fmt::print("#    ({:.2f} group-commit units per {}, {:.1f} units per SQLite commit)\n", median(upu), per, median(upb));
}

// ---------------------------------------------------------------------------------------
// 1. Checkpointed steps

void check_sqlite(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) fail(fmt::format("sqlite {}: {}", what, sqlite3_errmsg(db)));
}

sqlite3* open_raw(const fs::path& file) {
  sqlite3* db = nullptr;
  check_sqlite(sqlite3_open(file.c_str(), &db), db, "open");
  check_sqlite(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr), db, "pragma");
  return db;
}

// One single-row UPDATE per commit (autocommit), with a checkpoint-sized payload.
double raw_update_commits_per_s(int n) {
  scratch s("raw-update");
  fs::create_directories(s.path);
  sqlite3* db = open_raw(s.path / "raw.db");
  check_sqlite(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, '');", nullptr,
                            nullptr, nullptr),
               db, "create");
  sqlite3_stmt* st = nullptr;
  check_sqlite(sqlite3_prepare_v2(db, "UPDATE t SET v = ? WHERE id = 1", -1, &st, nullptr), db, "prepare");
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; ++i) {
    const std::string v = fmt::format(R"({{"format":2,"pc":1,"step":{},"context":{{"k":{}}},"outputs":{{}},"non_db":{{}}}})", i, i);
    sqlite3_bind_text(st, 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    check_sqlite(sqlite3_step(st), db, "update");
    sqlite3_reset(st);
  }
  const double t = seconds_since(t0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n / t;
}

// Many rows per transaction.
double raw_batched_inserts_per_s(int n, int batch) {
  scratch s("raw-insert");
  fs::create_directories(s.path);
  sqlite3* db = open_raw(s.path / "raw.db");
  check_sqlite(sqlite3_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", nullptr, nullptr, nullptr), db, "create");
  sqlite3_stmt* st = nullptr;
  check_sqlite(sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (?)", -1, &st, nullptr), db, "prepare");
  const auto t0 = clock_type::now();
  for (int i = 0; i < n; i += batch) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int j = i; j < std::min(n, i + batch); ++j) {
      const std::string v = fmt::format(R"({{"format":2,"pc":1,"step":{},"context":{{"k":{}}},"outputs":{{}},"non_db":{{}}}})", j, j);
      sqlite3_bind_text(st, 1, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      check_sqlite(sqlite3_step(st), db, "insert");
      sqlite3_reset(st);
    }
    check_sqlite(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
  }
  const double t = seconds_since(t0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n / t;
}

void bench_steps(int reps) {
  constexpr int chains = 1000;
  constexpr int steps = 100;
  std::vector<rate> rates;
  for (int rep = 0; rep < reps; ++rep) {
    scratch s("steps");
    store st(s.path);
    runner r(st);
    const auto t0 = clock_type::now();
    const double c0 = cpu_seconds();
    for (int i = 0; i < chains; ++i) (void)submit<trivial100>(r, spec::inputs_for<trivial100>().set<"i">(i).validated());
    r.wait_idle();
    const double t = seconds_since(t0);
    rate out{chains * steps / t, (cpu_seconds() - c0) * 1e6 / (chains * steps)};
    add_stats(out, st, chains * steps);
    if (finished_ok(st, 4) != chains) fail("not every trivial100 chain finished");
    rates.push_back(out);
  }
  fmt::print("# 1. {} work chains x {} trivial steps in one runner, median of {} (submit to all finished)\n", chains,
             steps, reps);
  report_rate("engine.checkpointed_steps", rates, "steps/s", "step");
  std::vector<double> updates, inserts;
  for (int rep = 0; rep < reps; ++rep) {
    updates.push_back(raw_update_commits_per_s(20000));
    inserts.push_back(raw_batched_inserts_per_s(200000, 1000));
  }
  figure("floor.sqlite_single_row_update_commits", median(updates), "commits/s");
  figure("floor.sqlite_batched_inserts", median(inserts), "rows/s");
}

// ---------------------------------------------------------------------------------------
// 2. calcfunctions

rate sequential_calls(int calls, profile_options options) {
  scratch s("calc-seq");
  store st(s.path, options);
  runner r(st);
  const auto t0 = clock_type::now();
  const double c0 = cpu_seconds();
  for (int i = 0; i < calls; ++i) {
    if (add(Int{i}, Int{1}).value().value != i + 1) fail("add is wrong");
  }
  rate out{calls / seconds_since(t0), (cpu_seconds() - c0) * 1e6 / calls};
  add_stats(out, st, calls);
  if (finished_ok(st, 1) != calls) fail("sequential calcfunctions missing");
  return out;
}

rate calls_from_chains(int chains, int steps) {
  scratch s("calc-conc");
  store st(s.path);
  runner r(st);
  const auto t0 = clock_type::now();
  const double c0 = cpu_seconds();
  std::vector<spec::inputs_for<caller>> sets;
  for (int i = 0; i < chains; ++i) sets.push_back(spec::inputs_for<caller>().set<"i">(i + 1).set<"steps">(steps));
  (void)submit_all<caller>(r, sets);
  r.wait_idle();
  const int calls = chains * steps * 10;
  rate out{calls / seconds_since(t0), (cpu_seconds() - c0) * 1e6 / calls};
  add_stats(out, st, calls);
  if (finished_ok(st, 4) != chains || finished_ok(st, 1) != calls) fail("concurrent calcfunctions missing");
  return out;
}

// Floor: the same records a calcfunction leaves (a finished process node, two input nodes, an
// output node, 2 INPUT_CALC + 1 CREATE links) written straight through write_tx, 1,000 per
// transaction: what the store itself can take, no engine.
// n calls of per_call(tx, j), 1,000 per transaction: their rate and CPU per call.
template <class F>
rate batched_calls(store& st, int n, F per_call) {
  const auto t0 = clock_type::now();
  const double c0 = cpu_seconds();
  for (int i = 0; i < n; i += 1000) {
    st.write([&](write_tx& tx) {
      for (int j = i; j < std::min(n, i + 1000); ++j) per_call(tx, j);
    });
  }
  return {n / seconds_since(t0), (cpu_seconds() - c0) * 1e6 / n};
}

rate store_calc_records(int n) {
  scratch s("store-floor");
  store st(s.path);
  return batched_calls(st, n, [](write_tx& tx, int j) {
    new_node calc;
    calc.kind = node_kind::calc_function;
    calc.type = "bench.add";
    calc.state = process_state::finished;
    calc.exit_status = 0;
    calc.origin = {std::string(tessera::version), "", ""};
    const auto c = tx.add_node(calc);
    const auto x = tx.add_data(Int{j});
    const auto y = tx.add_data(Int{1});
    tx.add_link(x.pk, c.pk, link_type::input_calc, "x");
    tx.add_link(y.pk, c.pk, link_type::input_calc, "y");
    const auto out = tx.add_data(Int{j + 1});
    tx.add_link(c.pk, out.pk, link_type::create, "result");
  });
}

// Floor: exactly the writes the engine makes for a calcfunction called from a work chain
// (the launch: process node, 2 INPUT_CALC links to existing nodes, CALL link, journal entry;
// the end: state, output node, CREATE link), 1,000 calls per transaction, no engine.
rate store_engine_writes(int n) {
  using namespace tessera::engine_detail;
  scratch s("store-floor-engine");
  store st(s.path);
  launched parent;
  st.write([&](write_tx& tx) {
    launch_spec ls;
    ls.kind = node_kind::work_chain;
    ls.type = "bench.caller";
    ls.state = process_state::running;
    ls.inputs.push_back({"i", any_data(Int{1}), 0});
    parent = create_process(tx, ls);
  });
  std::int64_t acc = parent.input_pks[0];
  return batched_calls(st, n, [&](write_tx& tx, int j) {
    launch_spec ls;
    ls.kind = node_kind::calc_function;
    ls.type = "bench.add";
    ls.state = process_state::running;
    ls.inputs = {{"x", any_data(Int{j}), acc}, {"y", any_data(Int{1}), parent.input_pks[0]}};
    ls.hash = process_hash(ls.type, "1", ls.inputs);
    ls.parent = parent.pk;
    ls.step = 0;
    ls.seq = j;
    const auto c = create_process(tx, ls);
    acc = finish_calculation(tx, c.pk, {{"result", any_data(Int{j + 1}), 0}}).at(0);
  });
}

void report_floor(std::string_view name, const std::vector<rate>& runs, std::string_view unit, std::string_view per) {
  std::vector<double> per_s, cpu;
  for (const auto& f : runs) {
    per_s.push_back(f.per_s);
    cpu.push_back(f.cpu_us);
  }
  figure(name, median(per_s), unit);
  figure(fmt::format("{}.cpu_per_{}", name, per), median(cpu), "us");
}

void bench_calcfunctions(int reps) {
  std::vector<rate> seq, seq_nodelay, conc100, conc1000;
  std::vector<rate> floor, floor_engine;
  profile_options no_delay;
  no_delay.group_commit_delay = std::chrono::microseconds(0);
  for (int rep = 0; rep < reps; ++rep) {
    seq.push_back(sequential_calls(3000, {}));
    seq_nodelay.push_back(sequential_calls(3000, no_delay));
    conc100.push_back(calls_from_chains(100, 10));
    conc1000.push_back(calls_from_chains(1000, 10));
    floor.push_back(store_calc_records(20000));
    floor_engine.push_back(store_engine_writes(20000));
  }
  fmt::print("# 2. calcfunctions with full provenance (process node, 2 INPUT_CALC, 1 CREATE, output node), median of {};\n"
             "#    cpu_per_call: CPU time (user + sys, all threads) per call, which the load of a shared machine does not inflate\n",
             reps);
  fmt::print("#    sequential top-level calls (each one synchronous group-committed write), default profile:\n");
  report_rate("engine.calcfunctions_sequential", seq);
  fmt::print("#    the same with profile_options::group_commit_delay = 0:\n");
  report_rate("engine.calcfunctions_sequential_no_commit_delay", seq_nodelay);
  fmt::print("#    co_await call(...) from concurrent work chains (submitted with submit_all): 100 chains x 10 steps x 10 calls;\n"
             "#    1000 chains x 10 steps x 10 calls (the headline figure: target 10,000 calcs/s)\n");
  report_rate("engine.calcfunctions_from_100_chains", conc100);
  report_rate("engine.calcfunctions_from_1000_chains", conc1000);
  fmt::print("#    floor: the same nodes and links written straight through write_tx, 1,000 per transaction (no engine)\n");
  report_floor("floor.store_calcfunction_records_batched", floor, "records/s", "record");
  fmt::print("#    floor: exactly the engine's writes per call (launch with CALL link and journal entry, then end),\n"
             "#    1,000 calls per transaction (no engine, no group commit)\n");
  report_floor("floor.store_engine_writes_batched", floor_engine, "calls/s", "call");
}

// ---------------------------------------------------------------------------------------
// 3. and 4. in child processes (this program run again with a mode argument)

// argv: --memory <dir>. Prints the memory figures, then releases and checks.
int memory_mode(const fs::path& dir) {
  store st(dir);
  const long before = rss_kib();
  long waiting = 0;
  {
    runner r(st);
    const auto t0 = clock_type::now();
    launch_waiters(r, st, waiters);
    const double t_launch = seconds_since(t0);
    waiting = rss_kib();
    if (r.live() != static_cast<std::size_t>(waiters)) fail(fmt::format("{} live, expected {}", r.live(), waiters));
    fmt::print("# 3. {} work chains in one runner, each waiting on its gate child (launched in {:.1f} s; {} of the "
               "children running, the rest queued)\n",
               waiters, t_launch, gate_runs.load());
    figure("engine.rss_10000_waiting_chains", (waiting - before) / 1024.0, "MiB");
    figure("engine.rss_per_waiting_chain", static_cast<double>(waiting - before) / waiters, "KiB");
    fmt::print("# RSS before the runner: {:.1f} MiB; with the chains waiting: {:.1f} MiB\n", before / 1024.0, waiting / 1024.0);
    const auto t1 = clock_type::now();
    open_gate();
    r.wait_idle();
    fmt::print("# released: all {} finished in {:.1f} s\n", waiters, seconds_since(t1));
  }
  if (finished_ok(st, 4) != waiters || finished_ok(st, 1) != waiters) fail("not every waiter finished");
  return 0;
}

// argv: --hold <dir> <fd>. Launches the waiters, writes one byte to fd, waits to be killed.
int hold_mode(const fs::path& dir, int fd) {
  store st(dir);
  runner r(st);
  launch_waiters(r, st, waiters);
  if (::write(fd, "r", 1) != 1) fail("cannot signal the parent");
  for (;;) ::pause();
}

pid_t spawn_self(const std::vector<std::string>& args, int keep_fd = -1) {
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    std::vector<char*> argv;
    std::string self = "/proc/self/exe";
    argv.push_back(self.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    (void)keep_fd;
    ::execv("/proc/self/exe", argv.data());
    std::_Exit(127);
  }
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

void bench_memory() {
  scratch s("memory");
  std::fflush(stdout);
  const int status = wait_child(spawn_self({"--memory", s.path.string()}));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("the memory benchmark's child failed");
}

void bench_resume() {
  scratch s("resume");
  int fds[2];
  if (::pipe(fds) != 0) fail("pipe failed");
  std::fflush(stdout);
  const auto t_launch = clock_type::now();
  const pid_t pid = spawn_self({"--hold", s.path.string(), std::to_string(fds[1])}, fds[1]);
  ::close(fds[1]);
  char c = 0;
  if (::read(fds[0], &c, 1) != 1) fail("the holding child died before its chains were waiting");
  ::close(fds[0]);
  const double launched = seconds_since(t_launch);
  ::kill(pid, SIGKILL);
  (void)wait_child(pid);

  // Restart: open the profile, create a runner, resume everything.
  const auto t0 = clock_type::now();
  store st(s.path);
  runner r(st);
  const double t_open = seconds_since(t0);
  const auto n = r.resume_all();
  const double t_resume_all = seconds_since(t0);
  r.call_on_loop([] {});  // every start has run to its first suspension: all are waiting again
  const double t_waiting = seconds_since(t0);
  if (n != static_cast<std::size_t>(waiters) || r.live() != n) fail(fmt::format("resumed {}, live {}", n, r.live()));
  fmt::print("# 4. {} waiting chains (launched in {:.1f} s in a child process, then SIGKILLed); restart: profile + "
             "runner {:.2f} s, resume_all() returned at {:.2f} s\n",
             waiters, launched, t_open, t_resume_all);
  figure("engine.resume_10000_waiting_chains", t_waiting, "s");
  figure("engine.resume_rate", n / t_waiting, "chains/s");
  const auto t1 = clock_type::now();
  open_gate();
  r.wait_idle();
  const auto chains_ok = finished_ok(st, 4);
  const auto calcs = count(st, "SELECT count(*) FROM node WHERE kind = 1");
  fmt::print("# released: {} chains finished ok in {:.1f} s; {} gate calculations in the profile (one per chain); "
             "integrity: {}\n",
             chains_ok, seconds_since(t1), calcs, st.integrity_check());
  if (chains_ok != waiters || calcs != waiters || finished_ok(st, 1) != waiters) fail("resumed chains did not all finish");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string_view(argv[1]) == "--memory") return memory_mode(argv[2]);
  if (argc >= 4 && std::string_view(argv[1]) == "--hold") return hold_mode(argv[2], std::atoi(argv[3]));
  // engine_bench [repetitions] [steps|calc|memory|resume ...]   (default: 3, all)
  const int reps = argc >= 2 ? std::max(1, std::atoi(argv[1])) : 3;
  std::vector<std::string_view> only(argv + std::min(argc, 2), argv + argc);
  auto want = [&](std::string_view s) { return only.empty() || std::find(only.begin(), only.end(), s) != only.end(); };
  fmt::print("# tessera engine benchmarks, {} repetitions where cheap, profiles in {}, {} cores, load average {}\n",
             reps, bench_root().string(), std::thread::hardware_concurrency(), loadavg());
  if (want("steps")) bench_steps(reps);
  if (want("calc")) bench_calcfunctions(reps);
  if (want("memory")) bench_memory();
  if (want("resume")) bench_resume();
  fmt::print("# load average at the end: {} (the machine is shared: wall-clock rates drop with its load, CPU per unit does not)\n",
             loadavg());
  return 0;
}
