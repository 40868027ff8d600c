// CalcJobs on the real SLURM (tests/services/) when something breaks for real:
//   - the SSH server is stopped (its sessions killed) while six jobs are being submitted or
//     run: the calcjobs pause after their retries, saying why; once sshd is back and they
//     are played, all finish and each job was submitted once;
//   - a daemon worker is SIGKILLed after sbatch accepted its job and before the job id was
//     recorded: the next worker finds the job by name instead of submitting it again.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <tessera/daemon/submit.hpp>

#include "services_calcjob_support.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using tessera::plugins::arithmetic_add;
using tessera_test::service;
namespace fs = std::filesystem;

namespace {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

std::vector<std::string> lines_of(const fs::path& file) {
  std::vector<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string text_of(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The exit status of `command` run by sh here, and what it printed.
std::pair<int, std::string> shell(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return {-1, out};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// Every job SLURM knows under `name`, finished or not (squeue -t all keeps finished jobs for
// MinJobAge, 300 s here): a second submission would show up as a second id.
std::vector<std::string> slurm_jobs_named(const std::string& name) {
  auto [rc, out] = shell("squeue -h -t all -n " + calcjob::shell_quote(name) + " -o %i");
  EXPECT_EQ(rc, 0) << out;
  return words(out);
}

class services_failure : public tessera_test::calcjob_on_slurm {
 protected:
  void SetUp() override {
    calcjob_on_slurm::SetUp();
    runs = std::filesystem::path(workdir) / "runs.txt";
  }
  void TearDown() override {
    for (const auto& name : job_names) (void)shell("scancel -n " + calcjob::shell_quote(name) + " 2>/dev/null");
    calcjob_on_slurm::TearDown();
  }

  // A computer whose failed transport tasks pause their calcjob after 3 attempts.
  void add_computer(const std::string& transport, nlohmann::json transport_settings, nlohmann::json more = {}) {
    more["retry_max_attempts"] = 3;
    more["safe_interval"] = 0.1;
    calcjob_on_slurm::add_computer(transport, std::move(transport_settings), more);
  }

  // x + y, in a job that first appends "<job name> <job id>" to `runs` (one line per run of
  // any job), then sleeps `seconds`.
  port_values logged_inputs(std::int64_t x, std::int64_t y, int seconds) const {
    return inputs(x, y,
                  fmt::format("echo \"$SLURM_JOB_NAME $SLURM_JOB_ID\" >> {}\nsleep {}", calcjob::shell_quote(runs.string()), seconds));
  }

  // The job name of calcjob `pk` (its uuid), remembered to cancel its jobs in TearDown.
  std::string job_name(std::int64_t pk) {
    auto name = st->read().node(pk).id.str();
    job_names.push_back(name);
    return name;
  }
  nlohmann::json attributes(std::int64_t pk) { return st->read().node(pk).attributes; }
  std::string log_text(std::int64_t pk) {
    std::string out;
    for (const auto& l : st->read().logs(pk)) out += l.message + "\n";
    return out;
  }
  // For failure messages: each calcjob's state, stage, pause flag and log.
  std::string describe(const std::vector<std::int64_t>& pks) {
    std::string out;
    for (auto pk : pks) {
      const auto s = st->read().state_of(pk);
      out += fmt::format("calcjob {}: {}, stage {}, {}\n{}", pk, s ? std::string(to_string(*s)) : "?",
                         attributes(pk).value("calc_job_state", "?"), st->read().paused(pk) ? "paused" : "not paused",
                         log_text(pk));
    }
    return out;
  }
  bool terminated(std::int64_t pk) {
    const auto s = st->read().state_of(pk);
    return s && is_terminal(*s);
  }

  // Calcjob `pk` finished with sum x + y, and its job was submitted once: SLURM knows one
  // job of its name, the job id recorded, which ran once.
  void expect_done_once(std::int64_t pk, std::int64_t sum) {
    std::optional<std::int64_t> got;
    const auto node = [&] {
      auto rd = st->read();
      for (const auto& l : rd.outgoing(pk)) {
        if (l.label == "sum") got = rd.load<Int>(l.output).value;
      }
      return rd.node(pk);
    }();
    ASSERT_EQ(node.state, process_state::finished) << node.exit_message << "\n" << log_text(pk);
    ASSERT_EQ(node.exit_status.value_or(-1), 0) << node.exit_message;
    EXPECT_EQ(got, sum) << "calcjob " << pk;
    const auto name = node.id.str();
    const auto id = node.attributes.value("job_id", "");
    EXPECT_EQ(slurm_jobs_named(name), std::vector<std::string>{id}) << "calcjob " << pk << " (job " << name << ")";
    int ran = 0;
    for (const auto& line : lines_of(runs)) {
      const auto w = words(line);
      if (w.empty() || w[0] != name) continue;
      ++ran;
      EXPECT_EQ(w.size() > 1 ? w[1] : "", id) << line;
    }
    EXPECT_EQ(ran, 1) << "calcjob " << pk << ": its job ran " << ran << " times\n" << text_of(runs);
  }

  fs::path runs;
  std::vector<std::string> job_names;
};

// ---- many submissions at once: batched over one SSH channel, each job once ----

TEST_F(services_failure, jobs_due_at_once_are_submitted_in_one_ssh_command_each_once) {
  std::string skip;
  const auto sshd = service("sshd", skip);
  if (sshd.empty()) GTEST_SKIP() << skip;
  add_computer("core.ssh", tessera_test::ssh_settings(sshd));
  make_runner();
  // One connection, one task at a time (core.ssh): the eight uploads, queued first, run
  // before any submission, so the submissions pile up behind them and go as batches.
  std::vector<port_values> sets;
  for (int i = 0; i < 8; ++i) sets.push_back(logged_inputs(i, 10, 0));
  const auto pks = submit_all<arithmetic_add>(*r, sets);
  for (auto pk : pks) (void)job_name(pk);
  for (auto pk : pks) (void)r->wait(pk);
  for (std::size_t i = 0; i < pks.size(); ++i) expect_done_once(pks[i], static_cast<std::int64_t>(i) + 10);
  auto& q = calcjob::services::of(*r).queue_for("cluster");
  EXPECT_GE(q.batches(), 1u);
  EXPECT_GE(q.batched_commands(), 2u);
  EXPECT_EQ(q.connections_opened(), 1u);
  std::cout << "sbatch commands batched: " << q.batched_commands() << " in " << q.batches() << " SSH commands (of "
            << pks.size() << " jobs)\n";
}

// ---- sshd stopped mid-run ----

class services_ssh_outage : public services_failure {
 protected:
  void SetUp() override {
    services_failure::SetUp();
    if (IsSkipped()) return;
    std::string skip;
    sshd = service("sshd", skip);
    if (sshd.empty()) GTEST_SKIP() << skip;
  }
  void TearDown() override {
    if (sshd_down) (void)sshd_action("start-server");  // the fixture's other tests need it
    services_failure::TearDown();
  }

  // tests/services/sshd.sh stop-server|start-server on the fixture's sshd: the real server,
  // same port and keys afterwards.
  static int sshd_action(const std::string& action) {
    const auto [rc, out] = shell(fmt::format("bash {}/sshd.sh {} {} 2>&1", calcjob::shell_quote(TESSERA_TEST_SERVICES_SCRIPTS),
                                             action, calcjob::shell_quote(std::getenv("TESSERA_TEST_SERVICES_DIR"))));
    std::cout << out;
    return rc;
  }

  // Six slow jobs; sshd stops once `ids` of them have a recorded job id (and, with
  // `one_running`, SLURM runs one of them). Counts the stages the calcjobs paused in, and
  // what SLURM had of their jobs at the outage, into `paused_in`.
  // `batch_commands`: the computer's setting (1: each sbatch its own SSH command).
  void outage(std::size_t ids, bool one_running, std::map<std::string, int>& paused_in, int batch_commands = 64) {
    auto ts = tessera_test::ssh_settings(sshd);
    ts["timeout"] = 5;
    add_computer("core.ssh", ts, {{"batch_commands", batch_commands}});
    make_runner();
    std::vector<std::int64_t> pks;
    for (int i = 0; i < 6; ++i) pks.push_back(submit<arithmetic_add>(*r, logged_inputs(i, 100, 2)));
    for (auto pk : pks) (void)job_name(pk);
    auto recorded = [&] {
      std::size_t n = 0;
      for (auto pk : pks) n += attributes(pk).contains("job_id") ? 1 : 0;
      return n;
    };
    std::string names;
    for (const auto& n : job_names) names += (names.empty() ? "" : ",") + n;
    auto running = [&] {
      const auto states = words(shell("squeue -h -t all -n " + calcjob::shell_quote(names) + " -o %T").second);
      return std::find(states.begin(), states.end(), "RUNNING") != states.end();
    };
    ASSERT_TRUE(eventually([&] { return recorded() >= ids && (!one_running || running()); }, 60s))
        << recorded() << " job ids recorded";
    ASSERT_EQ(sshd_action("stop-server"), 0);
    sshd_down = true;
    // What SLURM had at the outage, per calcjob: a job in state X, or none yet.
    std::map<std::int64_t, std::string> slurm_state;
    for (auto pk : pks) {
      const auto found = words(shell("squeue -h -t all -n " + calcjob::shell_quote(st->read().node(pk).id.str()) + " -o %T").second);
      slurm_state[pk] = found.empty() ? std::string("none") : found.front();
    }

    // Retries fail (connection refused), then each calcjob pauses: still running, not
    // failed or excepted, the pause message and the log naming the task and the error.
    auto paused = [&] {
      auto p = st->read().paused_processes();
      return std::all_of(pks.begin(), pks.end(), [&](auto pk) { return std::find(p.begin(), p.end(), pk) != p.end(); });
    };
    ASSERT_TRUE(eventually(paused, 90s)) << "not all paused:\n" << describe(pks);
    std::ostringstream report;
    for (auto pk : pks) {
      const auto stage = attributes(pk).value("calc_job_state", "");
      ++paused_in[stage];
      report << " pk " << pk << ": " << stage << " (SLURM at the outage: " << slurm_state[pk] << ")";
      EXPECT_EQ(st->read().state_of(pk), process_state::running) << "calcjob " << pk;
      std::string why;
      {
        auto rd = st->read();
        auto q = rd.connection().prepare("SELECT message FROM process_control WHERE node = ?");
        q.bind_all(pk);
        if (q.step()) why = std::string(q.text(0));
      }
      const auto task = fmt::format("the {} task failed after 3 attempts", stage);
      EXPECT_NE(why.find(task), std::string::npos) << "calcjob " << pk << " paused because: " << why;
      EXPECT_NE(why.find("core.ssh"), std::string::npos) << why;
      EXPECT_NE(why.find("play the process to retry it"), std::string::npos) << why;
      EXPECT_NE(log_text(pk).find(task), std::string::npos) << log_text(pk);
      // A job SLURM has, but whose calcjob is still in submit: its answer was lost with the
      // session (the case a resubmission would duplicate).
      if (stage == "submit" && slurm_state[pk] != "none") ++paused_in["submit, job already in SLURM"];
      ++paused_in["SLURM " + slurm_state[pk]];
    }
    std::cout << "[ outage ] stages when paused:" << report.str() << "\n";
    RecordProperty("stages", report.str());

    ASSERT_EQ(sshd_action("start-server"), 0);
    sshd_down = false;
    for (auto pk : pks) r->play(pk);
    ASSERT_TRUE(eventually([&] { return std::all_of(pks.begin(), pks.end(), [&](auto pk) { return terminated(pk); }); }, 120s))
        << describe(pks);
    for (std::size_t i = 0; i < pks.size(); ++i) expect_done_once(pks[i], static_cast<std::int64_t>(i) + 100);
  }

  std::map<std::string, std::string> sshd;
  bool sshd_down = false;
};

TEST_F(services_ssh_outage, sshd_stopped_while_jobs_are_submitted_pauses_then_play_submits_each_once) {
  std::map<std::string, int> paused_in;
  // One submission per SSH command: batched, the six sbatch usually go in one command and
  // are recorded together, and no job is left to be submitted when sshd stops.
  outage(1, false, paused_in, 1);
  if (HasFatalFailure()) return;
  // sshd stops as the first id is recorded, while the other five wait for their submit task
  // (about 60 ms each over SSH): those pause in submit, the first past it.
  EXPECT_GE(paused_in["update"] + paused_in["retrieve"], 1);
  EXPECT_GE(paused_in["submit"], 1);
}

TEST_F(services_ssh_outage, sshd_stopped_while_jobs_run_pauses_then_play_waits_for_the_same_jobs) {
  std::map<std::string, int> paused_in;
  outage(6, true, paused_in);
  if (HasFatalFailure()) return;
  // Every job was submitted and recorded, one runs (2 s jobs, 2 at a time), the others
  // are queued: the calcjobs wait for them in update.
  EXPECT_EQ(paused_in["update"] + paused_in["retrieve"], 6);
  EXPECT_GE(paused_in["SLURM RUNNING"], 1);
}

// ---- a worker SIGKILLed between sbatch and the job id ----

class services_worker_kill : public services_failure {
 protected:
  void TearDown() override {
    for (auto& pid : workers) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    services_failure::TearDown();
  }

  // A daemon worker (slot K) of the profile, as the supervisor starts it, with the sbatch
  // wrapper first on its PATH; stderr into worker-K.log. The environment is built here:
  // only async-signal-safe calls between fork and exec.
  pid_t spawn(int slot) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
      const std::string kv(*e);
      const auto eq = kv.find('=');
      if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    env["PATH"] = bin.string() + ":" + env["PATH"];
    env["TESSERA_PLUGIN_PATH"] = TESSERA_TEST_PLUGIN_DIR;
    env["TESSERA_TEST_REAL_SBATCH"] = real_sbatch;
    env["TESSERA_TEST_SBATCH_LOG"] = sbatch_log.string();
    env["TESSERA_TEST_SBATCH_ARM"] = arm.string();
    env["TESSERA_TEST_PROFILE"] = profile.string();
    std::vector<std::string> envs;
    for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
    std::vector<std::string> args = {TESSERA_SERVICES_TEST_WORKER, "--tessera-worker", "--profile", profile.string(),
                                     "--slot", std::to_string(slot), "--lease-ms", "1500", "--claim-interval-ms", "200"};
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    const int log = ::open(worker_log(slot).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t pid = ::fork();
    if (pid == 0) {
      if (log >= 0) ::dup2(log, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
    if (log >= 0) ::close(log);
    workers.push_back(pid);
    return pid;
  }
  std::string worker_log(int slot) const { return (dir.path() / fmt::format("worker-{}.log", slot)).string(); }
  std::string logs() const { return text_of(worker_log(0)) + text_of(worker_log(1)); }

  // Waits up to `limit` for worker `pid`: its wait status, or nullopt if it still runs.
  std::optional<int> wait_for(pid_t pid, std::chrono::milliseconds limit) {
    std::optional<int> out;
    (void)eventually(
        [&] {
          int status = 0;
          if (::waitpid(pid, &status, WNOHANG) != pid) return false;
          out = status;
          std::replace(workers.begin(), workers.end(), pid, pid_t{-1});
          return true;
        },
        limit);
    return out;
  }

  fs::path bin, arm, sbatch_log;
  std::string real_sbatch;
  std::vector<pid_t> workers;
};

TEST_F(services_worker_kill, worker_sigkilled_between_sbatch_and_job_id_the_next_finds_the_job_by_name) {
  add_computer("core.local", nlohmann::json::object());
  real_sbatch = words(shell("command -v sbatch").second).at(0);
  bin = fs::path(workdir) / "bin";
  fs::create_directories(bin);
  fs::create_symlink(TESSERA_SERVICES_SBATCH_WRAPPER, bin / "sbatch");
  arm = fs::path(workdir) / "kill-armed";
  sbatch_log = fs::path(workdir) / "sbatch.log";
  std::ofstream(arm) << "the first sbatch kills its worker\n";

  const auto w1 = spawn(0);
  const auto pk = tessera::submit<arithmetic_add>(*st, logged_inputs(20, 22, 1));
  const auto name = job_name(pk);

  // The first worker dies of the SIGKILL that the wrapper sent it, after sbatch accepted.
  const auto status = wait_for(w1, 60s);
  ASSERT_TRUE(status) << "worker 1 is still running\n" << logs();
  ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << "wait status " << *status << "\n" << logs();
  EXPECT_EQ(text_of(arm.string() + ".fired"), std::to_string(w1) + "\n") << "the wrapper killed another process";
  auto calls = lines_of(sbatch_log);
  ASSERT_EQ(calls.size(), 1U) << text_of(sbatch_log);
  const auto first = words(calls[0]);
  ASSERT_EQ(first.size(), 2U) << calls[0];
  ASSERT_EQ(first[0], "0") << "sbatch failed: " << calls[0];
  const auto id = first[1];
  // ... and before tessera recorded the id: the calcjob is still in submit, its job in SLURM.
  {
    const auto a = attributes(pk);
    EXPECT_EQ(a.value("calc_job_state", ""), "submit") << a.dump();
    EXPECT_FALSE(a.contains("job_id")) << a.dump();
    EXPECT_EQ(st->read().state_of(pk), process_state::running);
  }
  EXPECT_EQ(slurm_jobs_named(name), std::vector<std::string>{id});

  // The second worker takes the calcjob over once the first one's lease is out, finds the
  // job by name and waits for it: no second sbatch.
  const auto w2 = spawn(1);
  ASSERT_TRUE(eventually([&] { return terminated(pk); }, 90s)) << logs() << "\n" << log_text(pk);
  expect_done_once(pk, 42);
  EXPECT_EQ(attributes(pk).value("job_id", ""), id);
  EXPECT_EQ(lines_of(sbatch_log).size(), 1U) << "sbatch ran again:\n" << text_of(sbatch_log);
  EXPECT_NE(text_of(worker_log(1)).find("claimed 1 root"), std::string::npos) << logs();
  {
    auto rd = st->read();
    for (const auto& w : rd.workers()) {
      if (w.pid == w1) {
        EXPECT_EQ(w.state, worker_state::lost) << "the killed worker was not declared lost";
      }
    }
  }
  const auto stopped = wait_for((::kill(w2, SIGTERM), w2), 30s);
  ASSERT_TRUE(stopped) << logs();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << "wait status " << *stopped << "\n" << logs();
}

}  // namespace
