// Daemon workers as separate OS processes on one profile: submissions from this program,
// claims, graceful stops that hand half-done chains over, workers SIGKILLed at random
// during 1,000 chains (all finish, none twice), a frozen worker fenced, an unknown type.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <tessera/daemon/submit.hpp>
#include <tessera/daemon/worker.hpp>

#include "../daemon/chains.hpp"
#include "../store/support.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using tessera::daemon_test::sum_product;

namespace {

// A chain only this test program knows: the workers' program does not list it.
struct unknown_chain : work_chain<unknown_chain> {
  static constexpr std::string_view process_name = "daemon_test.not_in_the_worker";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), output<"y", Int>(), outline(step<&unknown_chain::go>));
  }
  void go() { out<"y">(in<"x">()); }
};

struct worker_proc {
  pid_t pid = -1;
  int slot = 0;
};

class DaemonWorker : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = tmp_.path() / "profile";
    side_ = (tmp_.path() / "side.txt").string();
    std::filesystem::remove(side_);
    { store st(dir_); }
  }
  void TearDown() override {
    for (auto& w : workers_) {
      if (w.pid > 0) {
        ::kill(w.pid, SIGKILL);
        ::waitpid(w.pid, nullptr, 0);
      }
    }
  }

  pid_t spawn(int slot, std::int64_t lease_ms = 1'000, int calc_ms = 0, std::vector<std::string> extra = {}) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setenv("TESSERA_DAEMON_SIDE_FILE", side_.c_str(), 1);
      ::setenv("TESSERA_DAEMON_CALC_MS", std::to_string(calc_ms).c_str(), 1);
      const std::string log = dir_.string() + "-worker-" + std::to_string(slot) + ".log";
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 2);
        ::close(fd);
      }
      std::vector<std::string> a = {TESSERA_DAEMON_TEST_WORKER, "--tessera-worker", "--profile", dir_.string(),
                                    "--slot", std::to_string(slot), "--lease-ms", std::to_string(lease_ms),
                                    "--claim-interval-ms", "200"};
      a.insert(a.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& s : a) argv.push_back(s.data());
      argv.push_back(nullptr);
      ::execv(TESSERA_DAEMON_TEST_WORKER, argv.data());
      ::_exit(127);
    }
    workers_.push_back({pid, slot});
    return pid;
  }
  // Waits up to `limit` for `pid`: exit status, 128 + signal, or -1 if still running.
  static int wait_for(pid_t pid, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (std::chrono::steady_clock::now() >= until) return -1;
      std::this_thread::sleep_for(2ms);
    }
  }
  int stop(pid_t pid, std::chrono::milliseconds limit = 30s) {
    ::kill(pid, SIGTERM);
    const int rc = wait_for(pid, limit);
    for (auto& w : workers_) {
      if (w.pid == pid && rc >= 0) w.pid = -1;
    }
    return rc;
  }

  std::vector<std::int64_t> submit_chains(store& st, int n) {
    std::vector<spec::inputs_for<sum_product>> ins;
    for (int i = 0; i < n; ++i) ins.push_back(spec::inputs_for<sum_product>().set<"x">(i).set<"y">(1).set<"z">(2));
    return submit_all<sum_product>(st, ins);
  }
  // Polls until every pk has terminated; false at the limit.
  static bool wait_terminated(store& st, const std::vector<std::int64_t>& pks, std::chrono::seconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    for (;;) {
      {
        auto r = st.read();
        bool all = true;
        for (auto it = pks.rbegin(); it != pks.rend() && all; ++it) {
          auto s = r.state_of(*it);
          all = s && is_terminal(*s);
        }
        if (all) return true;
      }
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(20ms);
    }
  }
  // Every chain finished with (i + 1) * 2 and called exactly two calcfunctions, both finished.
  static void expect_all_done_once(store& st, const std::vector<std::int64_t>& pks) {
    auto r = st.read();
    for (std::size_t i = 0; i < pks.size(); ++i) {
      const auto n = r.node(pks[i]);
      ASSERT_EQ(n.state, process_state::finished) << "chain " << pks[i] << ": " << n.exit_message;
      ASSERT_EQ(n.exit_status.value_or(-1), 0) << "chain " << pks[i];
      std::int64_t result = -1;
      int calls = 0;
      for (const auto& l : r.outgoing(pks[i])) {
        if (l.label == "result") result = r.load<Int>(l.output).value;
        if (is_call(l.type)) {
          ++calls;
          EXPECT_EQ(r.state_of(l.output), process_state::finished);
        }
      }
      EXPECT_EQ(result, static_cast<std::int64_t>((i + 1) * 2)) << "chain " << pks[i];
      EXPECT_EQ(calls, 2) << "chain " << pks[i] << " called a calcfunction twice";
    }
  }
  // pk -> the pids that ran its body, in order.
  std::map<std::int64_t, std::vector<pid_t>> executions() const {
    std::map<std::int64_t, std::vector<pid_t>> out;
    std::ifstream in(side_);
    long long pid = 0, pk = 0;
    while (in >> pid >> pk) out[pk].push_back(static_cast<pid_t>(pid));
    return out;
  }
  std::string worker_log(int slot) const {
    std::ifstream in(dir_.string() + "-worker-" + std::to_string(slot) + ".log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  tessera::test::temp_dir tmp_;
  std::filesystem::path dir_;
  std::string side_;
  std::vector<worker_proc> workers_;
};

TEST_F(DaemonWorker, RunsSubmittedChainsAndStopsGracefully) {
  store st(dir_);
  const auto w = spawn(0);
  const auto pks = submit_chains(st, 50);
  ASSERT_TRUE(wait_terminated(st, pks, 60s)) << worker_log(0);
  expect_all_done_once(st, pks);
  for (const auto& [pk, pids] : executions()) EXPECT_EQ(pids.size(), 1U) << "calcfunction " << pk << " ran twice";
  EXPECT_EQ(executions().size(), 100U);
  EXPECT_EQ(stop(w), 0) << worker_log(0);
  auto r = st.read();
  const auto ws = r.workers();
  ASSERT_EQ(ws.size(), 1U);
  EXPECT_EQ(ws[0].state, worker_state::stopped);
  EXPECT_EQ(ws[0].pid, w);
  EXPECT_EQ(ws[0].roots, 0);
  EXPECT_NE(worker_log(0).find("registered as worker 1"), std::string::npos) << worker_log(0);
}

TEST_F(DaemonWorker, SubmissionToAMissingProfileIsRefusedAndCreatesNothing) {
  const auto missing = dir_ / "no-such-profile";
  try {
    (void)submit<sum_product>(missing, spec::inputs_for<sum_product>().set<"x">(1).set<"y">(1).set<"z">(1));
    FAIL() << "expected an error";
  } catch (const store_error& e) {
    EXPECT_NE(std::string(e.what()).find("no profile there"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("daemon_test.sum_product"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(DaemonWorker, BadWorkerCommandLinesExitTwoNamingTheProblem) {
  auto run = [&](std::vector<std::string> a) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      const std::string log = dir_.string() + "-args.log";
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      a.insert(a.begin(), TESSERA_DAEMON_TEST_WORKER);
      std::vector<char*> argv;
      for (auto& s : a) argv.push_back(s.data());
      argv.push_back(nullptr);
      ::execv(TESSERA_DAEMON_TEST_WORKER, argv.data());
      ::_exit(127);
    }
    const int rc = wait_for(pid, 30s);
    std::ifstream in(dir_.string() + "-args.log");
    std::stringstream ss;
    ss << in.rdbuf();
    std::filesystem::remove(dir_.string() + "-args.log");
    return std::make_pair(rc, ss.str());
  };
  auto [rc1, e1] = run({"--tessera-worker"});
  EXPECT_EQ(rc1, 2);
  EXPECT_NE(e1.find("needs --profile DIR"), std::string::npos) << e1;
  auto [rc2, e2] = run({"--tessera-worker", "--profile", (dir_ / "nowhere").string()});
  EXPECT_EQ(rc2, 2);
  EXPECT_NE(e2.find("no profile in"), std::string::npos) << e2;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "nowhere"));
  auto [rc3, e3] = run({"--tessera-worker", "--profile", dir_.string(), "--lease-ms", "soon"});
  EXPECT_EQ(rc3, 2);
  EXPECT_NE(e3.find("--lease-ms must be a non-negative integer, not 'soon'"), std::string::npos) << e3;
  auto [rc4, e4] = run({"--tessera-worker", "--profile", dir_.string(), "--colour"});
  EXPECT_EQ(rc4, 2);
  EXPECT_NE(e4.find("unknown worker option '--colour'"), std::string::npos) << e4;
  auto [rc5, e5] = run({"--tessera-worker", "--profile", dir_.string(), "--lease-ms", "5"});
  EXPECT_EQ(rc5, 2);
  EXPECT_NE(e5.find("lease of 5 ms is too short"), std::string::npos) << e5;
  store st(dir_);
  EXPECT_TRUE(st.read().workers().empty()) << "a refused worker registers nothing";
}

TEST_F(DaemonWorker, AGracefulStopHandsHalfDoneChainsToAnotherWorker) {
  store st(dir_);
  const auto a = spawn(0, 2'000, /*calc_ms=*/20);
  const auto pks = submit_chains(st, 200);
  // Let worker A get going, then stop it in the middle of the batch.
  for (int i = 0; i < 500 && executions().size() < 20; ++i) std::this_thread::sleep_for(10ms);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(stop(a), 0) << worker_log(0);
  const auto stop_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::size_t finished_by_a = 0;
  {
    auto r = st.read();
    for (auto pk : pks) finished_by_a += r.state_of(pk) == process_state::finished;
    const auto ws = r.workers();
    ASSERT_EQ(ws.size(), 1U);
    EXPECT_EQ(ws[0].state, worker_state::stopped);
    EXPECT_EQ(ws[0].roots, 0) << "a stopped worker holds no root";
    EXPECT_EQ(r.connection().scalar_int("SELECT count(*) FROM process_lease WHERE worker != 0"), 0);
  }
  EXPECT_LT(finished_by_a, pks.size()) << "stopped too late to test a hand-over";
  std::printf("graceful stop took %lld ms; %zu of %zu chains had finished\n", static_cast<long long>(stop_ms), finished_by_a,
              pks.size());
  spawn(1, 2'000);
  ASSERT_TRUE(wait_terminated(st, pks, 120s)) << worker_log(1);
  expect_all_done_once(st, pks);
  // Nothing was killed, so no calcfunction body may have run twice.
  for (const auto& [pk, pids] : executions()) EXPECT_EQ(pids.size(), 1U) << "calcfunction " << pk << " ran twice";
}

TEST_F(DaemonWorker, WorkersKilledAtRandomDuringAThousandChainsLoseNothingAndRunNothingTwice) {
  store st(dir_);
  constexpr std::int64_t lease_ms = 1'000;
  std::vector<pid_t> slot_pid(3);
  for (int s = 0; s < 3; ++s) slot_pid[s] = spawn(s, lease_ms, 5);
  const auto pks = submit_chains(st, 1'000);
  std::mt19937 rng(12345);
  std::set<pid_t> killed;
  int kills = 0;
  const auto until = std::chrono::steady_clock::now() + 240s;
  while (!wait_terminated(st, pks, 0s) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 150));
    if (kills < 12) {
      const int s = static_cast<int>(rng() % 3);
      ::kill(slot_pid[s], SIGKILL);
      ::waitpid(slot_pid[s], nullptr, 0);
      killed.insert(slot_pid[s]);
      ++kills;
      for (auto& w : workers_) {
        if (w.pid == slot_pid[s]) w.pid = -1;
      }
      slot_pid[s] = spawn(s, lease_ms, 5);  // as the supervisor would
    }
  }
  ASSERT_TRUE(wait_terminated(st, pks, 120s)) << worker_log(0) << worker_log(1) << worker_log(2);
  expect_all_done_once(st, pks);
  // A worker too slow to heartbeat within its lease (a loaded machine, a sanitizer build) is
  // fenced: it writes nothing more and exits 75, and its roots go to another worker.
  std::set<pid_t> fenced;
  for (auto pid : slot_pid) {
    const int rc = stop(pid);
    if (rc == daemon::fenced_exit_status) {
      fenced.insert(pid);
    } else {
      EXPECT_EQ(rc, 0) << "worker " << pid;
    }
  }
  // A body may run again only if the worker that ran it first lost its roots: killed (its
  // result was lost with it) or fenced (it wrote nothing after); never two live workers on
  // one process.
  std::size_t again = 0;
  for (const auto& [pk, pids] : executions()) {
    for (std::size_t i = 0; i + 1 < pids.size(); ++i) {
      EXPECT_TRUE(killed.count(pids[i]) || fenced.count(pids[i]))
          << "calcfunction " << pk << " ran in worker " << pids[i] << ", which was neither killed nor fenced, and again in "
          << pids[i + 1];
      ++again;
    }
  }
  EXPECT_GE(kills, 5);
  std::printf("%d workers SIGKILLed during 1,000 chains, %zu fenced; %zu calcfunction bodies re-ran after a kill or a fence\n",
              kills, fenced.size(), again);
  EXPECT_EQ(st.integrity_check(), "ok");
}

TEST_F(DaemonWorker, AFrozenWorkerIsFencedAndEndsWithoutWriting) {
  store st(dir_);
  constexpr std::int64_t lease_ms = 600;
  const auto frozen = spawn(0, lease_ms, /*calc_ms=*/50);
  const auto pks = submit_chains(st, 20);
  for (int i = 0; i < 500 && executions().empty(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(::kill(frozen, SIGSTOP), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(lease_ms + 200));
  const auto healthy = spawn(1, lease_ms);
  // If the freeze caught the worker inside a write transaction, it holds SQLite's write
  // lock and nobody can write (nor declare it lost) until it runs again: that transaction
  // then commits first (it began while the worker was alive), the next one is fenced. So
  // it is let go once it is declared lost, or after a while.
  for (int i = 0; i < 300; ++i) {
    const auto ws = st.read().workers();
    if (!ws.empty() && ws[0].state == worker_state::lost) break;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(frozen, SIGCONT);
  ASSERT_TRUE(wait_terminated(st, pks, 60s)) << worker_log(0) << worker_log(1);
  // Its next transaction (a heartbeat or a step's commit) finds it lost: it ends at once.
  EXPECT_EQ(wait_for(frozen, 30s), daemon::fenced_exit_status) << worker_log(0);
  for (auto& w : workers_) {
    if (w.pid == frozen) w.pid = -1;
  }
  EXPECT_NE(worker_log(0).find("fenced"), std::string::npos) << worker_log(0);
  expect_all_done_once(st, pks);
  auto r = st.read();
  const auto ws = r.workers();
  ASSERT_EQ(ws.size(), 2U);
  EXPECT_EQ(ws[0].state, worker_state::lost);
  EXPECT_EQ(stop(healthy), 0);
}

TEST_F(DaemonWorker, SubmittedChildrenSpreadOverTheWorkersAndWakeTheirParentAcrossProcesses) {
  store st(dir_);
  const auto a = spawn(0, 2'000, 2);
  const auto b = spawn(1, 2'000, 2);
  for (int i = 0; i < 1000 && st.read().workers().size() < 2; ++i) std::this_thread::sleep_for(5ms);
  std::vector<spec::inputs_for<daemon_test::fan>> ins;
  for (int i = 0; i < 4; ++i) ins.push_back(spec::inputs_for<daemon_test::fan>().set<"n">(25));
  const auto fans = submit_all<daemon_test::fan>(st, ins);
  ASSERT_TRUE(wait_terminated(st, fans, 120s)) << worker_log(0) << worker_log(1);
  std::set<pid_t> ran_in;
  for (const auto& [pk, pids] : executions()) {
    EXPECT_EQ(pids.size(), 1U) << "calcfunction " << pk << " ran twice";
    ran_in.insert(pids.begin(), pids.end());
  }
  EXPECT_EQ(executions().size(), 200U);  // 4 x 25 children x 2 calcfunctions
  EXPECT_EQ(ran_in.size(), 2U) << "the children all ran in one worker";
  auto r = st.read();
  for (auto pk : fans) {
    const auto n = r.node(pk);
    ASSERT_EQ(n.state, process_state::finished) << n.exit_message;
    EXPECT_EQ(n.exit_status.value_or(-1), 0) << n.exit_message;  // 400: a child's result was wrong
    std::int64_t last = -1;
    int calls = 0;
    for (const auto& l : r.outgoing(pk)) {
      if (l.label == "last") last = r.load<Int>(l.output).value;
      calls += is_call(l.type);
    }
    EXPECT_EQ(last, 50);
    EXPECT_EQ(calls, 25);
  }
  EXPECT_EQ(stop(a), 0);
  EXPECT_EQ(stop(b), 0);
}

TEST_F(DaemonWorker, AChainOfATypeTheWorkerDoesNotKnowEndsExceptedNamingTheType) {
  store st(dir_);
  spawn(0);
  const auto pk = submit<unknown_chain>(st, spec::inputs_for<unknown_chain>().set<"x">(1));
  const auto ok = submit_chains(st, 3);
  ASSERT_TRUE(wait_terminated(st, {pk}, 60s)) << worker_log(0);
  ASSERT_TRUE(wait_terminated(st, ok, 60s)) << worker_log(0);
  auto r = st.read();
  const auto n = r.node(pk);
  EXPECT_EQ(n.state, process_state::excepted);
  EXPECT_NE(n.exit_message.find("does not know process type 'daemon_test.not_in_the_worker'"), std::string::npos)
      << n.exit_message;
  expect_all_done_once(st, ok);
}

}  // namespace
