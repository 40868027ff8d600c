// The calcjob lifecycle on the engine: core.arithmetic.add through core.direct + core.local
// (real bash jobs), run from a work chain and on its own; restarts at every stage without a
// second submission; back-off, pause and play; kill; a job killed outside tessera; the
// parser's exit codes; one connection and one poll per interval for many jobs.
// Faults come from a transport wrapper the test controls (the plugins are the shipped ones).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/plugin/calcjobs.hpp>
#include <tessera/tessera.hpp>

#include "../store/support.hpp"
#include "arithmetic_add.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using tessera::plugins::arithmetic_add;
namespace fs = std::filesystem;

namespace {

inline const auto add_one = calcfunction<"test.calcjob.add", "x", "y">(
    [](const Int& x, const Int& y) { return Int{x.value + y.value}; });

// A work chain that runs the calcjob as a child, then a calcfunction on its result.
struct add_chain : work_chain<add_chain> {
  static constexpr std::string_view process_name = "test.calcjob_add_chain";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), input<"y", Int>(), input<"code", InstalledCode>(), output<"sum", Int>(),
                        output<"total", Int>(),
                        outline(step<&add_chain::run_job>, step<&add_chain::finish>));
  }
  struct context {
    child<arithmetic_add> job;
  };
  context ctx;
  async_step run_job() {
    auto job_inputs = spec::inputs_for<arithmetic_add>().set<"x">(in<"x">()).set<"y">(in<"y">()).set<"code">(in<"code">());
    ctx.job = co_await run<arithmetic_add>(job_inputs);
  }
  async_step finish() {
    auto sum = ctx.job.out<"sum">();
    out<"sum">(sum);
    auto total = co_await call(add_one, sum, Int{1});
    out<"total">(total);
  }
};

// Submits two calcjobs in one step (not awaited there): the engine awaits both before the next.
struct two_jobs_chain : work_chain<two_jobs_chain> {
  static constexpr std::string_view process_name = "test.calcjob_two_jobs_chain";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"code", InstalledCode>(), output<"total", Int>(),
                        outline(step<&two_jobs_chain::launch>, step<&two_jobs_chain::finish>));
  }
  struct context {
    child<arithmetic_add> a, b;
  };
  context ctx;
  async_step launch() {
    auto ia = spec::inputs_for<arithmetic_add>().set<"x">(Int{1}).set<"y">(Int{2}).set<"code">(in<"code">());
    ctx.a = co_await submit<arithmetic_add>(ia);
    auto ib = spec::inputs_for<arithmetic_add>().set<"x">(Int{30}).set<"y">(Int{40}).set<"code">(in<"code">());
    ctx.b = co_await submit<arithmetic_add>(ib);
  }
  async_step finish() {
    auto total = co_await call(add_one, ctx.a.out<"sum">(), ctx.b.out<"sum">());
    out<"total">(total);
  }
};

// A calcjob whose parser waits for the test (to stop a runner while it is in `parse`).
inline std::atomic<bool> parse_gate_open{true};
inline std::atomic<int> gated_parses{0};
struct gated_add : calc_job<gated_add> {
  static constexpr std::string_view process_name = "test.calcjob.gated_add";
  static auto define() {
    using namespace tessera::spec;
    return extend(calc_job<gated_add>::define(), input<"x", Int>(), input<"y", Int>(), output<"sum", Int>());
  }
  calcjob::calc_info prepare(calcjob::sandbox& box) const {
    box.write("aiida.in", fmt::format("echo $(({} + {}))\n", in<"x">().value, in<"y">().value));
    calcjob::calc_info info;
    info.stdin_name = "aiida.in";
    info.stdout_name = "aiida.out";
    info.retrieve_list = {"aiida.out"};
    return info;
  }
  static calcjob::parse_result parse(const calcjob::retrieved_files& files, const port_values&) {
    ++gated_parses;
    for (int i = 0; i < 1000 && !parse_gate_open; ++i) std::this_thread::sleep_for(10ms);
    calcjob::parse_result r;
    r.outputs.set("sum", any_data(Int{std::stoll(*files.find("aiida.out"))}));
    return r;
  }
};

// What the test's transport does wrong, and what it saw.
struct faults {
  std::atomic<bool> fail_all{false};      // every operation throws transport_error
  std::atomic<bool> fail_reads{false};    // listdir / read_file throw
  std::atomic<bool> fail_writes{false};   // write_file throws
  std::atomic<bool> lose_submit_reply{false};  // the submit command runs, then the connection "drops"
  std::atomic<int> fail_opens{0};         // this many open() calls throw
  std::atomic<bool> lose_batched_submit_reply_once{false};  // the next command submitting 2+ jobs
  std::atomic<bool> hold_submits{false};  // submit commands wait (before they run) while set
  std::atomic<int> held_submits{0};       // submit commands waiting now
  std::atomic<int> submits{0};            // jobs submitted (one command may submit several)
  std::atomic<int> submit_commands{0};    // commands that submitted jobs
  std::atomic<int> most_submits_in_one_command{0};
  std::atomic<std::size_t> longest_submit_command{0};  // bytes
  std::atomic<int> polls{0};              // status commands that ran
  std::atomic<int> failures{0};           // operations that threw
  std::atomic<int> in_flight{0}, max_in_flight{0};  // operations running at once
  std::atomic<int> polls_in_flight{0}, max_polls_in_flight{0};
  std::mutex m;
  std::vector<std::chrono::steady_clock::time_point> opens;
};

// Counts operations running at once (and the most ever seen) for as long as it lives.
struct counted {
  std::atomic<int>& now;
  counted(std::atomic<int>& n, std::atomic<int>& most) : now(n) {
    const int v = ++now;
    int m = most.load();
    while (v > m && !most.compare_exchange_weak(m, v)) {
    }
  }
  ~counted() { --now; }
  counted(const counted&) = delete;
  counted& operator=(const counted&) = delete;
};

class faulty_transport final : public calcjob::transport {
 public:
  faulty_transport(std::shared_ptr<calcjob::transport> inner, std::shared_ptr<faults> f)
      : inner_(std::move(inner)), f_(std::move(f)) {}
  std::string_view plugin_name() const override { return inner_->plugin_name(); }
  void open() override {
    {
      std::lock_guard lk(f_->m);
      f_->opens.push_back(std::chrono::steady_clock::now());
    }
    if (f_->fail_opens > 0) {
      --f_->fail_opens;
      fail("open");
    }
    inner_->open();
  }
  void close() override { inner_->close(); }
  bool is_open() const override { return inner_->is_open(); }
  // As core.local: the queue runs tasks on several threads (the counters are atomic).
  unsigned max_concurrency() const override { return inner_->max_concurrency(); }
  calcjob::command_result exec_command(std::string_view c, std::optional<std::string_view> in) override {
    check("exec_command");
    // Submissions come alone or batched (several in one command).
    int submits = 0;
    for (auto at = c.find("setsid /bin/bash"); at != std::string_view::npos; at = c.find("setsid /bin/bash", at + 1)) {
      ++submits;
    }
    const bool poll = c.find("ps -o pid=,stat=") != std::string_view::npos;
    if (poll) ++f_->polls;
    counted busy(f_->in_flight, f_->max_in_flight);
    std::optional<counted> polling;
    if (poll) polling.emplace(f_->polls_in_flight, f_->max_polls_in_flight);
    if (submits > 0 && f_->hold_submits) {
      ++f_->held_submits;
      while (f_->hold_submits) std::this_thread::sleep_for(5ms);
      --f_->held_submits;
    }
    auto r = inner_->exec_command(c, in);
    if (submits > 0) {
      if (f_->lose_batched_submit_reply_once && submits > 1 && f_->lose_batched_submit_reply_once.exchange(false)) {
        f_->submits += submits;
        ++f_->submit_commands;
        fail("reply of a batched submit command");
      }
      f_->submits += submits;
      ++f_->submit_commands;
      std::size_t longest = f_->longest_submit_command.load();
      while (c.size() > longest && !f_->longest_submit_command.compare_exchange_weak(longest, c.size())) {
      }
      int most = f_->most_submits_in_one_command.load();
      while (submits > most && !f_->most_submits_in_one_command.compare_exchange_weak(most, submits)) {
      }
      if (f_->lose_submit_reply) fail("reply of the submit command");
    }
    return r;
  }
  void put_file(const fs::path& l, const std::string& r) override {
    check("put_file");
    inner_->put_file(l, r);
  }
  void get_file(const std::string& r, const fs::path& l) override {
    check("get_file");
    inner_->get_file(r, l);
  }
  std::string read_file(const std::string& r) override {
    check("read_file");
    if (f_->fail_reads) fail("read_file");
    return inner_->read_file(r);
  }
  void write_file(const std::string& r, std::string_view c) override {
    check("write_file");
    if (f_->fail_writes) fail("write_file");
    counted busy(f_->in_flight, f_->max_in_flight);
    inner_->write_file(r, c);
  }
  std::vector<std::string> listdir(const std::string& r) override {
    check("listdir");
    if (f_->fail_reads) fail("listdir");
    return inner_->listdir(r);
  }
  void makedirs(const std::string& r) override {
    check("makedirs");
    inner_->makedirs(r);
  }
  bool path_exists(const std::string& r) override {
    check("path_exists");
    return inner_->path_exists(r);
  }
  bool is_dir(const std::string& r) override {
    check("is_dir");
    return inner_->is_dir(r);
  }
  void remove(const std::string& r) override {
    check("remove");
    inner_->remove(r);
  }
  void chmod(const std::string& r, std::uint32_t m) override {
    check("chmod");
    inner_->chmod(r, m);
  }

 private:
  void check(const char* what) {
    if (f_->fail_all) fail(what);
  }
  [[noreturn]] void fail(const char* what) {
    ++f_->failures;
    throw calcjob::transport_error(fmt::format("test transport: {} failed (connection refused)", what));
  }
  std::shared_ptr<calcjob::transport> inner_;
  std::shared_ptr<faults> f_;
};

plugin::registry& shipped() {
  static plugin::registry r({fs::path(TESSERA_TEST_PLUGIN_DIR)});
  return r;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

// Alive: exists and is not a zombie (PID 1 may reap late).
bool process_alive(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

class CalcjobLifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    parse_gate_open = true;
    st = std::make_unique<store>(dir.path() / "profile");
    fs::create_directories(dir.path() / "work");
    auto settings = nlohmann::json{{"poll_interval", 0.05},
                                   {"retry_initial_interval", 0.1},
                                   {"retry_max_attempts", 4},
                                   {"safe_interval", 0.0}};
    add_computer("localhost", settings);
    auto slow = settings;
    slow["retry_initial_interval"] = 600;  // a failed task waits until the runner is gone
    add_computer("slow-retry", slow);
    auto safe = settings;
    safe["safe_interval"] = 0.5;
    safe["retry_initial_interval"] = 0.05;
    add_computer("safe", safe);
    auto serial = settings;
    serial["transport_concurrency"] = 1;
    add_computer("serial", serial);
    auto unbatched = settings;
    unbatched["batch_commands"] = 1;
    add_computer("unbatched", unbatched);
    auto unwaited = settings;
    unwaited["batch_wait"] = 0;  // batches only of what is due at once
    add_computer("unwaited", unwaited);
  }

  void add_computer(const std::string& label, const nlohmann::json& settings, std::string workdir = {}) {
    st->write([&](write_tx& tx) {
      computer_spec c;
      c.label = label;
      c.hostname = "localhost";
      c.transport = "core.local";
      c.scheduler = "core.direct";
      c.workdir = workdir.empty() ? (dir.path() / "work" / label).string() : workdir;
      c.settings = settings;
      (void)tx.add_computer(c);
    });
  }

  std::unique_ptr<runner> make_runner() {
    auto r = std::make_unique<runner>(*st);
    auto f = plugin::factories_of(shipped());
    auto inner = f.make_transport;
    auto ctl = fault;
    f.make_transport = [inner, ctl](const std::string& name, const nlohmann::json& s) -> std::shared_ptr<calcjob::transport> {
      return std::make_shared<faulty_transport>(inner(name, s), ctl);
    };
    calcjob::services::of(*r).set_plugins(f);
    return r;
  }

  static InstalledCode bash(std::string computer = "localhost", std::string prepend = {}, std::string append = {}) {
    return InstalledCode{std::move(computer), "/bin/bash", "core.arithmetic.add", std::move(prepend), std::move(append)};
  }
  static port_values add_inputs(std::int64_t x, std::int64_t y, const InstalledCode& code) {
    return spec::inputs_for<arithmetic_add>().set<"x">(Int{x}).set<"y">(Int{y}).set<"code">(code).values();
  }

  // Submits `n` jobs while every submit command is held (before it runs): the queue's 4
  // threads wait in one each, so the submissions of the other jobs pile up, due at once, and
  // run together once let go (as many jobs ready at once do in a busy runner).
  std::vector<std::int64_t> submit_with_submissions_held(runner& r, int n, const std::string& computer,
                                                         const std::string& prepend = {}) {
    fault->hold_submits = true;
    std::vector<port_values> sets;
    for (int i = 0; i < n; ++i) sets.push_back(add_inputs(i, 100, bash(computer, prepend)));
    auto pks = submit_all<arithmetic_add>(r, sets);
    EXPECT_TRUE(eventually([&] {
      return std::all_of(pks.begin(), pks.end(), [&](std::int64_t pk) { return stage_of(pk) == "submit"; });
    }));
    std::this_thread::sleep_for(300ms);  // the last jobs' submit tasks reach the queue
    EXPECT_GE(fault->held_submits, 1);
    fault->hold_submits = false;
    return pks;
  }

  // Job i of submit_with_submissions_held finished with i + 100.
  void expect_sums(runner& r, const std::vector<std::int64_t>& pks) {
    for (std::size_t i = 0; i < pks.size(); ++i) {
      auto res = r.wait(pks[i]);
      ASSERT_TRUE(res.ok()) << res.exit_message << "\n" << log_text(pks[i]);
      EXPECT_EQ(res.get<Int>("sum").value(), Int{static_cast<std::int64_t>(i) + 100});
    }
  }

  nlohmann::json attributes(std::int64_t pk) { return st->read().node(pk).attributes; }
  std::string stage_of(std::int64_t pk) { return attributes(pk).value("calc_job_state", ""); }
  std::optional<process_state> state_of(std::int64_t pk) { return st->read().state_of(pk); }
  bool paused(std::int64_t pk) {
    auto p = st->read().paused_processes();
    return std::find(p.begin(), p.end(), pk) != p.end();
  }
  std::string log_text(std::int64_t pk) {
    std::string out;
    for (const auto& l : st->read().logs(pk)) out += l.message + "\n";
    return out;
  }
  long job_pid(std::int64_t pk) {
    auto a = attributes(pk);
    return a.contains("job_id") ? std::stol(a["job_id"].get<std::string>()) : 0;
  }

  tessera::test::temp_dir dir;
  std::unique_ptr<store> st;
  std::shared_ptr<faults> fault = std::make_shared<faults>();
};

TEST_F(CalcjobLifecycle, ArithmeticAddInAWorkChainEndToEnd) {
  auto r = make_runner();
  auto pk = submit<add_chain>(*r, spec::inputs_for<add_chain>().set<"x">(Int{2}).set<"y">(Int{3}).set<"code">(bash()));
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_status << " " << res.exit_message << "\n" << log_text(pk);
  EXPECT_EQ(res.get<Int>("sum").value(), Int{5});
  EXPECT_EQ(res.get<Int>("total").value(), Int{6});
  EXPECT_EQ(fault->submits, 1);

  auto lease = st->read();
  auto calls = lease.outgoing(pk, link_type::call_calc);
  ASSERT_EQ(calls.size(), 2u);  // the calcjob, then the calcfunction
  const auto job = calls[0].output;
  auto node = lease.node(job);
  EXPECT_EQ(node.kind, node_kind::calc_job);
  EXPECT_EQ(node.type, "core.arithmetic.add");
  EXPECT_EQ(node.state, process_state::finished);
  EXPECT_EQ(node.attributes.value("calc_job_state", ""), "parse");
  EXPECT_FALSE(node.attributes.value("job_id", "").empty());
  std::map<std::string, std::int64_t> outs;
  for (const auto& l : lease.outgoing(job, link_type::create)) outs[l.label] = l.output;
  ASSERT_EQ(outs.size(), 3u);
  auto remote = lease.load_any(outs.at("remote_folder")).get<RemoteData>();
  EXPECT_EQ(remote.computer, "localhost");
  EXPECT_TRUE(fs::exists(fs::path(remote.remote_path) / "aiida.in"));
  // The remote folder is named after the uuid, so is the job.
  EXPECT_NE(remote.remote_path.find(node.id.str().substr(4)), std::string::npos);
  auto retrieved = lease.load_any(outs.at("retrieved")).get<FolderData>();
  ASSERT_TRUE(retrieved.files.contains("aiida.out"));
  EXPECT_EQ(st->files().read(retrieved.files.at("aiida.out").object), "5\n");
  EXPECT_EQ(lease.load_any(outs.at("sum")).get<Int>(), Int{5});
  // The code node is linked as an input of the calcjob (the chain's own input node).
  std::map<std::string, std::int64_t> ins;
  for (const auto& l : lease.incoming(job, link_type::input_calc)) ins[l.label] = l.input;
  EXPECT_EQ(ins.size(), 3u);  // x, y, code: the options are not provenance
  std::int64_t chain_code = 0;
  for (const auto& l : lease.incoming(pk, link_type::input_work)) {
    if (l.label == "code") chain_code = l.input;
  }
  EXPECT_EQ(ins.at("code"), chain_code);
}

TEST_F(CalcjobLifecycle, SubmittedCalcjobsAreAwaitedBeforeTheNextStep) {
  auto r = make_runner();
  auto res = run<two_jobs_chain>(*r, spec::inputs_for<two_jobs_chain>().set<"code">(bash("localhost", "sleep 0.2")));
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("total").value(), Int{73});
  EXPECT_EQ(fault->submits, 2);
}

TEST_F(CalcjobLifecycle, FailingPollsPauseTheWaitingJobAndPlayResumesIt) {
  auto r = make_runner();
  auto pk = submit<arithmetic_add>(*r, add_inputs(3, 3, bash("localhost", "sleep 1")));
  ASSERT_TRUE(eventually([&] { return stage_of(pk) == "update"; }));
  fault->fail_all = true;  // the scheduler polls fail from now on
  ASSERT_TRUE(eventually([&] { return paused(pk); }));
  const auto log = log_text(pk);
  EXPECT_NE(log.find("the update task failed after 4 attempts"), std::string::npos) << log;
  EXPECT_EQ(state_of(pk), process_state::running);
  fault->fail_all = false;
  r->play(pk);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{6});
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, MissingOutputFileGivesItsExitCode) {
  auto r = make_runner();
  auto res = run<arithmetic_add>(*r, add_inputs(1, 2, bash("localhost", "", "rm -f aiida.out")));
  EXPECT_EQ(res.state, process_state::finished);
  EXPECT_EQ(res.exit_status, 310) << res.exit_message;
  EXPECT_NE(res.find("retrieved"), nullptr);
  EXPECT_EQ(res.find("sum"), nullptr);
}

TEST_F(CalcjobLifecycle, UnparsableOutputFileGivesItsExitCode) {
  auto r = make_runner();
  auto code = bash();
  code.filepath_executable = "/bin/cat";  // copies the script instead of running it
  auto res = run<arithmetic_add>(*r, add_inputs(1, 2, code));
  EXPECT_EQ(res.exit_status, 320) << res.exit_message;
  EXPECT_NE(res.exit_message.find("echo $((1 + 2))"), std::string::npos) << res.exit_message;
}

TEST_F(CalcjobLifecycle, ValuesWithQuotesReachTheJobVerbatim) {
  // The code's path is a value embedded in the job script: quoted, it runs nothing else.
  auto code = bash();
  const auto odd = dir.path() / "bin dir 'quoted' $(touch pwned)";
  fs::create_directories(odd);
  fs::copy_file("/bin/bash", odd / "bash");
  code.filepath_executable = (odd / "bash").string();
  auto r = make_runner();
  auto res = run<arithmetic_add>(*r, add_inputs(40, 2, code));
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{42});
  const auto remote = res.get<RemoteData>("remote_folder").value().remote_path;
  EXPECT_TRUE(fs::exists(fs::path(remote) / "aiida.out"));
  EXPECT_FALSE(fs::exists(fs::path(remote) / "pwned"));
}

TEST_F(CalcjobLifecycle, FailingTransportBacksOffThenPausesAndPlayRetries) {
  fault->fail_all = true;
  auto r = make_runner();
  const auto t0 = std::chrono::steady_clock::now();
  auto pk = submit<arithmetic_add>(*r, add_inputs(2, 2, bash()));
  ASSERT_TRUE(eventually([&] { return paused(pk); }));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(state_of(pk), process_state::running);  // paused, not failed
  // 4 attempts: waits of 0.1 + 0.2 + 0.4 s between them.
  EXPECT_GE(took, 700ms);
  EXPECT_EQ(fault->failures, 4);
  const auto log = log_text(pk);
  EXPECT_NE(log.find("the upload task failed after 4 attempts"), std::string::npos) << log;
  EXPECT_NE(log.find("connection refused"), std::string::npos) << log;
  fault->fail_all = false;
  r->play(pk);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message << "\n" << log_text(pk);
  EXPECT_EQ(res.get<Int>("sum").value(), Int{4});
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, ConnectionsAreOpenedNoSoonerThanTheSafeInterval) {
  fault->fail_opens = 2;  // the first two connections fail: the upload is retried twice
  auto r = make_runner();
  auto res = run<arithmetic_add>(*r, add_inputs(1, 1, bash("safe")));
  ASSERT_TRUE(res.ok()) << res.exit_message;
  std::lock_guard lk(fault->m);
  ASSERT_EQ(fault->opens.size(), 3u);
  EXPECT_GE(fault->opens[1] - fault->opens[0], 500ms);
  EXPECT_GE(fault->opens[2] - fault->opens[1], 500ms);
}

TEST_F(CalcjobLifecycle, ManyJobsShareOneConnectionAndOnePollPerInterval) {
  // No batch wait: submissions too run side by side, not only as one command.
  auto r = make_runner();
  std::vector<port_values> sets;
  for (int i = 0; i < 20; ++i) sets.push_back(add_inputs(i, 1, bash("unwaited", "sleep 0.5")));
  auto pks = submit_all<arithmetic_add>(*r, sets);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < pks.size(); ++i) {
    auto res = r->wait(pks[i]);
    ASSERT_TRUE(res.ok()) << res.exit_message;
    EXPECT_EQ(res.get<Int>("sum").value(), Int{static_cast<std::int64_t>(i) + 1});
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(fault->submits, 20);
  {
    std::lock_guard lk(fault->m);
    EXPECT_EQ(fault->opens.size(), 1u);
  }
  // One status command per 50 ms interval at most, for all 20 jobs together, never two at once.
  EXPECT_LE(fault->polls, static_cast<int>(secs / 0.05) + 2);
  EXPECT_LT(fault->polls, 20 * 10);
  EXPECT_EQ(fault->max_polls_in_flight, 1);
  // core.local allows several operations at once: uploads and submissions of the 20 jobs
  // overlapped on the one connection, on at most transport_concurrency (default 4) threads.
  auto& q = calcjob::services::of(*r).queue_for("unwaited");
  EXPECT_EQ(q.threads(), 4u);
  EXPECT_GE(fault->max_in_flight, 2);
  EXPECT_LE(fault->max_in_flight, 4);
}

TEST_F(CalcjobLifecycle, TransportConcurrencyOneRunsTasksOneAtATime) {
  auto r = make_runner();
  std::vector<port_values> sets;
  for (int i = 0; i < 10; ++i) sets.push_back(add_inputs(i, 2, bash("serial")));
  auto pks = submit_all<arithmetic_add>(*r, sets);
  for (std::size_t i = 0; i < pks.size(); ++i) {
    auto res = r->wait(pks[i]);
    ASSERT_TRUE(res.ok()) << res.exit_message;
    EXPECT_EQ(res.get<Int>("sum").value(), Int{static_cast<std::int64_t>(i) + 2});
  }
  EXPECT_EQ(calcjob::services::of(*r).queue_for("serial").threads(), 1u);
  EXPECT_EQ(fault->max_in_flight, 1);
}

// ---- submissions due at once run as one command ----

TEST_F(CalcjobLifecycle, SubmissionsDueAtOnceRunAsOneCommand) {
  auto r = make_runner();
  const auto pks = submit_with_submissions_held(*r, 12, "localhost");
  expect_sums(*r, pks);
  EXPECT_EQ(fault->submits, 12);
  EXPECT_LT(fault->submit_commands, 12);
  EXPECT_GE(fault->most_submits_in_one_command, 2);
  std::set<long> pids;
  for (auto pk : pks) pids.insert(job_pid(pk));
  EXPECT_EQ(pids.size(), pks.size());  // each its own job
  EXPECT_FALSE(pids.contains(0));
  auto& q = calcjob::services::of(*r).queue_for("localhost");
  EXPECT_GE(q.batches(), 1u);
  EXPECT_GE(q.batched_commands(), 2u);
}

TEST_F(CalcjobLifecycle, SubmissionsArrivingWithinTheBatchWaitGoAsOneCommand) {
  // Six calcjobs started 20 ms apart, nothing held: each submission waits up to batch_wait
  // (2 s here: room for a loaded machine) for others, so the six go together.
  auto settings = nlohmann::json{{"poll_interval", 0.05}, {"safe_interval", 0.0}, {"batch_wait", 2.0}};
  add_computer("gathering", settings);
  auto r = make_runner();
  std::vector<std::int64_t> pks;
  for (int i = 0; i < 6; ++i) {
    pks.push_back(submit<arithmetic_add>(*r, add_inputs(i, 100, bash("gathering"))));
    std::this_thread::sleep_for(20ms);
  }
  expect_sums(*r, pks);
  EXPECT_EQ(fault->submits, 6);
  EXPECT_EQ(fault->submit_commands, 1);
  EXPECT_EQ(fault->most_submits_in_one_command, 6);
  EXPECT_EQ(calcjob::services::of(*r).queue_for("gathering").batched_commands(), 6u);
}

TEST_F(CalcjobLifecycle, ABatchTooLongForOneCommandLineIsSplit) {
  // Job folders ~2,000 characters deep: 20 submit commands of ~4 KiB each do not fit in one
  // 64 KiB batch.
  std::string deep = (dir.path() / "work" / "deep").string();
  for (char c = 'a'; c < 'a' + 10; ++c) deep += "/" + std::string(200, c);
  add_computer("deep", {{"poll_interval", 0.05}, {"retry_initial_interval", 0.1}, {"safe_interval", 0.0}}, deep);
  auto r = make_runner();
  const auto pks = submit_with_submissions_held(*r, 20, "deep");
  expect_sums(*r, pks);
  EXPECT_EQ(fault->submits, 20);
  EXPECT_GE(fault->longest_submit_command, 4000u);
  EXPECT_LE(fault->longest_submit_command, 70000u);
  EXPECT_GE(fault->most_submits_in_one_command, 2);
  EXPECT_LT(fault->most_submits_in_one_command, 16);
  EXPECT_GE(calcjob::services::of(*r).queue_for("deep").batches(), 2u);
}

TEST_F(CalcjobLifecycle, BatchCommandsOneSubmitsEachJobAlone) {
  auto r = make_runner();
  const auto pks = submit_with_submissions_held(*r, 8, "unbatched");
  expect_sums(*r, pks);
  EXPECT_EQ(fault->submits, 8);
  EXPECT_EQ(fault->submit_commands, 8);
  EXPECT_EQ(fault->most_submits_in_one_command, 1);
  EXPECT_EQ(calcjob::services::of(*r).queue_for("unbatched").batches(), 0u);
}

TEST_F(CalcjobLifecycle, ALostBatchReplyRetriesEachJobAloneAndFindsItByName) {
  // The batch runs (every job starts), then the connection drops before its reply: each
  // calcjob's submission is retried alone, finds its job by name and submits nothing again.
  fault->lose_batched_submit_reply_once = true;
  auto r = make_runner();
  const auto pks = submit_with_submissions_held(*r, 12, "localhost", "sleep 1");
  expect_sums(*r, pks);
  EXPECT_FALSE(fault->lose_batched_submit_reply_once);  // it happened
  EXPECT_EQ(fault->failures, 1);
  EXPECT_EQ(fault->submits, 12);  // found by name: no job submitted twice
  std::set<long> pids;
  for (auto pk : pks) pids.insert(job_pid(pk));
  EXPECT_EQ(pids.size(), pks.size());
  EXPECT_FALSE(pids.contains(0));
}

// ---- restarts: stop the runner with the process in each stage, resume, one job only ----

TEST_F(CalcjobLifecycle, RestartInUpload) {
  fault->fail_writes = true;
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<arithmetic_add>(*r, add_inputs(3, 4, bash("slow-retry")));
    ASSERT_TRUE(eventually([&] { return fault->failures > 0; }));
    EXPECT_EQ(stage_of(pk), "upload");
  }
  fault->fail_writes = false;
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 1u);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{7});
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, RestartInSubmitAfterTheJobWasSubmittedFindsItByName) {
  fault->lose_submit_reply = true;
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<arithmetic_add>(*r, add_inputs(5, 6, bash("slow-retry", "sleep 1")));
    ASSERT_TRUE(eventually([&] { return fault->submits == 1 && fault->failures == 1; }));
    EXPECT_EQ(stage_of(pk), "submit");
    EXPECT_FALSE(attributes(pk).contains("job_id"));
  }
  fault->lose_submit_reply = false;
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 1u);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{11});
  EXPECT_EQ(fault->submits, 1);  // found by name, not submitted again
  EXPECT_FALSE(attributes(pk).value("job_id", "").empty());
}

TEST_F(CalcjobLifecycle, RestartInSubmitAfterTheJobAlreadyFinishedDoesNotRunItAgain) {
  fault->lose_submit_reply = true;
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<arithmetic_add>(*r, add_inputs(8, 1, bash("slow-retry")));
    ASSERT_TRUE(eventually([&] { return fault->submits == 1 && fault->failures == 1; }));
  }
  std::this_thread::sleep_for(500ms);  // the job ends meanwhile: nothing to find by name
  fault->lose_submit_reply = false;
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 1u);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{9});
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, RestartInUpdate) {
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<arithmetic_add>(*r, add_inputs(1, 9, bash("localhost", "sleep 1")));
    ASSERT_TRUE(eventually([&] { return stage_of(pk) == "update"; }));
  }
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 1u);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{10});
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, RestartInRetrieve) {
  fault->fail_reads = true;
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<arithmetic_add>(*r, add_inputs(2, 9, bash("slow-retry")));
    ASSERT_TRUE(eventually([&] { return stage_of(pk) == "retrieve" && fault->failures > 0; }));
  }
  fault->fail_reads = false;
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 1u);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{11});
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, RestartInParse) {
  parse_gate_open = false;
  gated_parses = 0;
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<gated_add>(*r, spec::inputs_for<gated_add>().set<"x">(Int{4}).set<"y">(Int{4}).set<"code">(bash()));
    ASSERT_TRUE(eventually([&] { return stage_of(pk) == "parse" && gated_parses == 1; }));
    // The runner stops while the parser runs: its result is never committed.
    std::thread stopper([&] { r.reset(); });
    std::this_thread::sleep_for(200ms);
    parse_gate_open = true;
    stopper.join();
  }
  EXPECT_EQ(state_of(pk), process_state::running);
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 1u);
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("sum").value(), Int{8});
  EXPECT_EQ(gated_parses, 2);
  EXPECT_EQ(fault->submits, 1);
}

TEST_F(CalcjobLifecycle, RestartedWorkChainPicksUpItsRunningCalcjob) {
  std::int64_t pk = 0;
  {
    auto r = make_runner();
    pk = submit<add_chain>(*r, spec::inputs_for<add_chain>().set<"x">(Int{20}).set<"y">(Int{22}).set<"code">(
                                   bash("localhost", "sleep 1")));
    ASSERT_TRUE(eventually([&] {
      auto calls = st->read().outgoing(pk, link_type::call_calc);
      return !calls.empty() && stage_of(calls[0].output) == "update";
    }));
  }
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 2u);  // the chain and its calcjob
  auto res = r->wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("total").value(), Int{43});
  EXPECT_EQ(fault->submits, 1);
}

// ---- kill ----

TEST_F(CalcjobLifecycle, KillDuringARunningJobKillsTheJob) {
  auto r = make_runner();
  auto pk = submit<arithmetic_add>(*r, add_inputs(1, 1, bash("localhost", "sleep 30")));
  ASSERT_TRUE(eventually([&] { return stage_of(pk) == "update"; }));
  const long pid = job_pid(pk);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_alive(pid));
  r->kill(pk);
  EXPECT_EQ(state_of(pk), process_state::killed);
  EXPECT_TRUE(eventually([&] { return !process_alive(pid); }, 10s)) << "job " << pid << " still runs";
  EXPECT_TRUE(eventually([&] { return log_text(pk).find("killed job") != std::string::npos; })) << log_text(pk);
}

TEST_F(CalcjobLifecycle, KillWorksWhileTheTransportIsDown) {
  auto r = make_runner();
  auto pk = submit<arithmetic_add>(*r, add_inputs(1, 1, bash("localhost", "sleep 30")));
  ASSERT_TRUE(eventually([&] { return stage_of(pk) == "update"; }));
  const long pid = job_pid(pk);
  ASSERT_GT(pid, 0);
  fault->fail_all = true;
  kill_process(*st, pk);  // as the CLI does: no runner involved
  EXPECT_EQ(state_of(pk), process_state::killed);
  ASSERT_TRUE(eventually([&] { return fault->failures > 0; }));  // the runner tried to kill the job
  EXPECT_TRUE(process_alive(pid));
  fault->fail_all = false;  // the computer is back: the queued kill goes through
  EXPECT_TRUE(eventually([&] { return !process_alive(pid); }, 10s)) << "job " << pid << " still runs";
}

TEST_F(CalcjobLifecycle, KilledWhileNoRunnerHeldItItsJobIsKilledAtTheNextResume) {
  std::int64_t pk = 0;
  long pid = 0;
  {
    auto r = make_runner();
    pk = submit<arithmetic_add>(*r, add_inputs(1, 1, bash("localhost", "sleep 30")));
    ASSERT_TRUE(eventually([&] { return stage_of(pk) == "update"; }));
    pid = job_pid(pk);
    ASSERT_GT(pid, 0);
  }
  EXPECT_TRUE(process_alive(pid));  // the runner is gone, the job runs on
  kill_process(*st, pk);
  auto r = make_runner();
  EXPECT_EQ(r->resume_all(), 0u);
  EXPECT_TRUE(eventually([&] { return !process_alive(pid); }, 10s)) << "job " << pid << " still runs";
  EXPECT_TRUE(eventually([&] { return st->read().node(pk).extras.value("job_kill", "") == "done"; }));
  EXPECT_NE(log_text(pk).find("killed job " + std::to_string(pid)), std::string::npos) << log_text(pk);
  // Recorded: the next resume does not try again.
  const auto logs = st->read().logs(pk).size();
  EXPECT_EQ(r->resume_all(), 0u);
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(st->read().logs(pk).size(), logs);
}

TEST_F(CalcjobLifecycle, JobKilledOutsideTesseraGivesItsExitCode) {
  auto r = make_runner();
  auto pk = submit<arithmetic_add>(*r, add_inputs(1, 1, bash("localhost", "sleep 30")));
  ASSERT_TRUE(eventually([&] { return stage_of(pk) == "update"; }));
  const long pid = job_pid(pk);
  ASSERT_GT(pid, 0);
  // The job's whole process group (setsid() may still be under way just after submission).
  ASSERT_TRUE(eventually([&] { return ::kill(static_cast<pid_t>(-pid), SIGTERM) == 0; }));
  auto res = r->wait(pk);
  EXPECT_EQ(res.state, process_state::finished);
  EXPECT_EQ(res.exit_status, 150) << res.exit_message;
  EXPECT_NE(res.exit_message.find("killed or cancelled outside tessera"), std::string::npos) << res.exit_message;
}

}  // namespace
