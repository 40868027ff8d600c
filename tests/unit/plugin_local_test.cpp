// core.local and core.direct against the real machine: no service needed.
#include "plugin_scheduler_scenarios.hpp"
#include "plugin_transport_checks.hpp"
#include "test_shells.hpp"

#include <tessera/calcjob/detail/text.hpp>

#include <atomic>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

using namespace tessera_test;

namespace {
// core.direct's commands run in the transport's shell: core.local's /bin/sh, or over core.ssh
// the user's login shell. Every core.direct test runs in each shell (test_shells.hpp).
struct local_direct : ::testing::TestWithParam<const char*> {
  std::shared_ptr<transport> t;
  std::shared_ptr<scheduler> s = shipped_plugins().make_scheduler("core.direct");
  std::string workdir = make_workdir("direct");
  void SetUp() override {
    const auto shell = shell_path(GetParam());
    if (shell.empty()) GTEST_SKIP() << GetParam() << " is not installed (cmake/install-deps.sh installs it)";
    t = shipped_plugins().make_transport("core.local", {{"shell", shell}});
    t->open();
  }
  void TearDown() override { fs::remove_all(workdir); }
};
}  // namespace

INSTANTIATE_TEST_SUITE_P(shells, local_direct, ::testing::ValuesIn(shell_names),
                         [](const auto& p) { return std::string(p.param); });

TEST(plugin_local_transport, commands_files_and_folders) {
  auto t = shipped_plugins().make_transport("core.local");
  t->open();
  const auto dir = make_workdir("local-transport");
  check_transport_basics(*t, dir);
  fs::remove_all(dir);
}

TEST_P(local_direct, add_job_runs_and_its_file_is_read) { scenario_add(*t, *s, workdir); }
TEST_P(local_direct, status_of_many_jobs_in_one_command) { scenario_status_many(*t, *s, workdir, "4194000"); }

TEST_P(local_direct, status_of_more_jobs_than_one_command_line_holds) {
  // 20,000 ids of processes that cannot exist (Linux's pids stop at 4,194,304): a few
  // commands, each within the limit, and every job gone.
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(std::to_string(5000000 + i));
  counting_transport counted(*t);
  const auto states = s->status(counted, ids);
  EXPECT_GT(counted.commands, 1);
  EXPECT_LE(counted.commands, 16);
  EXPECT_LE(counted.longest, scheduler::max_status_command_bytes);
  ASSERT_EQ(states.size(), ids.size());
  for (const auto& [id, st] : states) EXPECT_EQ(st, job_state::gone) << id;
}

TEST_P(local_direct, cancel_kills_the_job_and_its_children) {
  // A killed job may linger as a zombie until PID 1 reaps it: done or gone, both finished.
  const auto [id, st] = scenario_cancel(*t, *s, workdir);
  EXPECT_TRUE(st == job_state::gone || st == job_state::done) << to_string(st);
  // Its `sleep 300` child died with it: the job led its own process group.
  const auto pid = id.substr(0, id.find(':'));
  ASSERT_EQ(pid.find_first_not_of("0123456789"), std::string::npos) << id;
  const auto live_in_group = "ps -eo pgid=,stat= | awk '$1 == " + pid + " && $2 !~ /^Z/' | wc -l";
  std::string count;
  for (int i = 0; i < 100; ++i) {
    count = t->exec_command(live_in_group).stdout_text;
    if (count == "0\n") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(count, "0\n") << "processes of the cancelled job are still running";
}

namespace {
// The fields of /proc/<pid>/stat after the command name (the state first, field 3 of the
// line); none when there is no such process.
std::vector<std::string> direct_stat_fields(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string line;
  std::getline(in, line);
  const auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream words(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; words >> f;) fields.push_back(f);
  return fields;
}
// Field 22: when the process started, in clock ticks since boot.
std::string direct_start_time_of(const std::string& pid) {
  const auto fields = direct_stat_fields(pid);
  return fields.size() > 19 ? fields[19] : std::string();
}
bool direct_process_alive(const std::string& pid) {
  const auto fields = direct_stat_fields(pid);
  return !fields.empty() && fields[0] != "Z";
}
}  // namespace

TEST_P(local_direct, a_job_id_is_its_pid_and_start_time) {
  t->makedirs(workdir);
  const auto id = s->submit(*t, sleep_job(workdir, unique_name("id")));
  const auto colon = id.find(':');
  ASSERT_NE(colon, std::string::npos) << id;
  const auto pid = id.substr(0, colon);
  EXPECT_EQ(id.substr(colon + 1), direct_start_time_of(pid)) << id;
  const std::vector<std::string> ids = {id};
  EXPECT_EQ(s->status(*t, ids).at(id), job_state::running);
  s->kill(*t, id);
  EXPECT_NE(wait_until_finished(*t, *s, id), job_state::running);
  EXPECT_FALSE(direct_process_alive(pid));
}

TEST_P(local_direct, a_pid_taken_by_another_process_is_not_the_job) {
  // A job finished and its pid went to another process, here a `sleep` in a session of its
  // own: the job's id (same pid, another start time) is gone, and killing the job leaves
  // that process alone. With its own start time, the id is that process, and kill hits it.
  const auto other = t->exec_command("setsid sleep 60 > /dev/null 2>&1 < /dev/null & echo $!");
  const std::string pid(tessera::calcjob::detail::trim(other.stdout_text));
  ASSERT_FALSE(pid.empty()) << other.stderr_text;
  for (int i = 0; i < 100 && direct_start_time_of(pid).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto start = direct_start_time_of(pid);
  ASSERT_FALSE(start.empty());
  const auto old_job = pid + ":" + std::to_string(std::stoull(start) - 1);
  const auto same = pid + ":" + start;
  const std::vector<std::string> ids = {old_job, same};
  const auto states = s->status(*t, ids);
  EXPECT_EQ(states.at(old_job), job_state::gone);
  EXPECT_EQ(states.at(same), job_state::running);
  EXPECT_NO_THROW(s->kill(*t, old_job));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(direct_process_alive(pid)) << "killing job " << old_job << " killed process " << pid << ", which started later";
  s->kill(*t, same);
  for (int i = 0; i < 200 && direct_process_alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(direct_process_alive(pid));
  if (direct_process_alive(pid)) ::kill(std::stoi(pid), SIGKILL);
}

TEST_P(local_direct, finds_a_job_by_its_name) { scenario_find_by_name(*t, *s, workdir, unique_name("find")); }

TEST_P(local_direct, values_arrive_verbatim_and_run_nothing) {
  // core.direct carries the job name in the script too: make it nasty as well.
  const auto name = unique_name("q") + " it's $(touch " + workdir + "/PWNED)";
  scenario_quoting(*t, *s, workdir, name);
  EXPECT_FALSE(fs::exists(workdir + "/PWNED"));
}

TEST(plugin_local_transport, runs_commands_through_sh_unless_the_settings_name_another_shell) {
  auto t = shipped_plugins().make_transport("core.local");
  t->open();
  EXPECT_EQ(t->exec_command("echo $0").stdout_text, "/bin/sh\n");
  auto b = shipped_plugins().make_transport("core.local", {{"shell", "/bin/bash"}});
  b->open();
  EXPECT_EQ(b->exec_command("echo $0; [ -n \"$BASH_VERSION\" ] && echo bash").stdout_text, "/bin/bash\nbash\n");
  try {
    (void)shipped_plugins().make_transport("core.local", {{"shell", "bash"}});
    ADD_FAILURE() << "a relative shell path was accepted";
  } catch (const transport_error& e) {
    EXPECT_NE(std::string(e.what()).find("setting \"shell\" must be the absolute path of a shell, got \"bash\""), std::string::npos) << e.what();
  }
  try {
    (void)shipped_plugins().make_transport("core.local", {{"shell", "/no/such/shell"}});
    ADD_FAILURE() << "a missing shell was accepted";
  } catch (const transport_error& e) {
    EXPECT_NE(std::string(e.what()).find("'/no/such/shell'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
}

TEST(plugin_local_transport, one_transport_serves_several_threads_at_once) {
  auto t = shipped_plugins().make_transport("core.local");
  t->open();
  EXPECT_GT(t->max_concurrency(), 1u);
  const auto dir = make_workdir("local-concurrent");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 25; ++k) {
        const auto name = transport::join(dir, fmt::format("f{}-{}", i, k));
        t->write_file(name, fmt::format("{} {}", i, k));
        const auto r = t->exec_command("cat " + shell_quote(name) + "; echo; cat >&2", std::string_view("in"));
        if (r.exit_status != 0 || r.stdout_text != fmt::format("{} {}\n", i, k) || r.stderr_text != "in") ++wrong;
        if (t->read_file(name) != fmt::format("{} {}", i, k)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(t->listdir(dir).size(), 100u);
  fs::remove_all(dir);
}
