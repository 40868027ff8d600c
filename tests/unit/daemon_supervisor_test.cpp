// The daemon's supervisor through its library interface (include/tessera/daemon/): the
// back-off (with a short policy, so doubling, the cap and the reset all happen in seconds),
// a worker program that cannot be executed, the pid file's lock and stale files, and the
// settings file's errors. The `tessera daemon` commands are tested end to end in
// tests/cli/cli_test.sh (sections daemon*).
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <tessera/daemon/control.hpp>

namespace fs = std::filesystem;
namespace dmn = tessera::daemon;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

fs::path fresh_dir(const std::string& name) {
  const auto dir = fs::absolute(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path write_script(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

std::string slurp(const fs::path& p) { return dmn::detail::read_file(p).value_or(""); }

template <class F>
bool eventually(F&& f, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return f();
}

}  // namespace

TEST(daemon_supervisor, backoff_doubles_up_to_the_cap_and_resets_after_a_long_run) {
  const auto dir = fresh_dir("backoff");
  // Run 0 outlives the start grace, runs 1-3 crash at once, run 4 after 1 s (longer than
  // reset_after), run 5 stays until SIGTERM.
  const auto program = write_script(dir / "worker.sh", R"(#!/bin/sh
dir=$(dirname "$0")
n=$(cat "$dir/count" 2>/dev/null || echo 0)
echo $((n + 1)) > "$dir/count"
case $n in
  0) sleep 0.4; exit 3 ;;
  1|2|3) exit 3 ;;
  4) sleep 1; exit 3 ;;
esac
trap 'exit 0' TERM
while :; do sleep 0.05; done
)");
  dmn::daemon_paths p(dir / "profile");
  dmn::save_settings(p, {program, 1, 1000});
  const auto started = dmn::start_daemon(p, dmn::backoff_policy{100, 400, 500});
  EXPECT_EQ(started.workers, 1);
  ASSERT_TRUE(eventually([&] { return slurp(p.supervisor_log()).find("restart 5 in") != std::string::npos; }))
      << slurp(p.supervisor_log());
  ASSERT_TRUE(eventually([&] {
    const auto st = dmn::read_status(p);
    return st && (*st)["slots"][0]["restarts"] == 5 && (*st)["slots"][0]["pid"].is_number_integer();
  }));
  const auto st = dmn::read_status(p);
  EXPECT_EQ((*st)["slots"][0]["last_exit"], "exited with status 3");
  const auto log = slurp(p.supervisor_log());
  std::vector<std::string> delays;
  const std::regex line(R"(worker 0 \(pid \d+\) exited with status 3 after [0-9.]+ s: restart \d+ in ([0-9.]+) s)");
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it) delays.push_back((*it)[1]);
  EXPECT_THAT(delays, ElementsAre("0.1", "0.2", "0.4", "0.4", "0.1")) << log;

  const auto stopped = dmn::stop_daemon(p, std::chrono::seconds(10));
  ASSERT_TRUE(stopped.has_value());
  EXPECT_EQ(stopped->pid, started.pid);
  EXPECT_FALSE(stopped->escalated);
  EXPECT_FALSE(fs::exists(p.pid_file()));
  EXPECT_FALSE(dmn::running_supervisor(p).has_value());
  EXPECT_FALSE(dmn::stop_daemon(p, std::chrono::seconds(1)).has_value());
}

TEST(daemon_supervisor, a_program_that_cannot_be_executed_fails_the_start_with_the_reason) {
  const auto dir = fresh_dir("noexec");
  const auto program = write_script(dir / "worker.sh", "#!/bin/sh\nexit 0\n");
  fs::permissions(program, fs::perms::owner_read | fs::perms::owner_write);
  dmn::daemon_paths p(dir / "profile");
  dmn::save_settings(p, {program, 2, 1000});
  try {
    (void)dmn::start_daemon(p);
    FAIL() << "start_daemon succeeded";
  } catch (const dmn::daemon_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot start worker 0: cannot execute " + program.string() + ": Permission denied"));
  }
  EXPECT_FALSE(fs::exists(p.pid_file()));
  EXPECT_THAT(slurp(p.supervisor_log()), HasSubstr("start failed: cannot start worker 0"));
}

TEST(daemon_supervisor, a_worker_that_exits_at_once_fails_the_start) {
  const auto dir = fresh_dir("exits");
  const auto program = write_script(dir / "worker.sh", "#!/bin/sh\necho not a worker\nexit 7\n");
  dmn::daemon_paths p(dir / "profile");
  dmn::save_settings(p, {program, 1, 1000});
  try {
    (void)dmn::start_daemon(p);
    FAIL() << "start_daemon succeeded";
  } catch (const dmn::daemon_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("exited with status 7 right after it started"));
    EXPECT_THAT(e.what(), HasSubstr(p.worker_log(0).string()));
  }
  EXPECT_THAT(slurp(p.worker_log(0)), HasSubstr("not a worker"));
  EXPECT_FALSE(fs::exists(p.pid_file()));
}

TEST(daemon_pid_file, the_lock_says_who_runs_and_a_file_without_it_is_stale) {
  const auto dir = fresh_dir("pidfile");
  const auto path = dir / "supervisor.pid";
  EXPECT_FALSE(dmn::probe_pid_file(path).running);
  std::ofstream(path) << "424242\n";  // left by a supervisor that died
  const auto stale = dmn::probe_pid_file(path);
  EXPECT_FALSE(stale.running);
  EXPECT_EQ(stale.stale, 424242);

  std::optional<pid_t> replaced;
  auto held = dmn::pid_file::acquire(path, &replaced);
  EXPECT_EQ(replaced, 424242);
  EXPECT_EQ(dmn::probe_pid_file(path).running, ::getpid());
  // A second supervisor (here: a second open file description) is refused, naming the pid.
  try {
    (void)dmn::pid_file::acquire(path);
    FAIL() << "a second lock was granted";
  } catch (const dmn::daemon_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("already running (supervisor pid {})", ::getpid())));
  }
  held.remove();
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(dmn::probe_pid_file(path).running);
}

TEST(daemon_settings, a_broken_settings_file_is_an_error_naming_it) {
  const auto dir = fresh_dir("settings");
  dmn::daemon_paths p(dir.string() + "/");
  EXPECT_EQ(p.profile, dir);  // a trailing slash does not change the profile path workers get
  EXPECT_FALSE(dmn::load_settings(p).has_value());
  dmn::save_settings(p, {"/bin/true", 3, 2500});
  const auto s = dmn::load_settings(p);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->program, "/bin/true");
  EXPECT_EQ(s->workers, 3);
  EXPECT_EQ(s->lease_ms, 2500);
  EXPECT_THAT(dmn::worker_arguments(*s, p, 2),
              ElementsAre("/bin/true", "--tessera-worker", "--profile", dir.string(), "--slot", "2", "--lease-ms", "2500"));
  for (const char* bad : {"{", R"({"program": "/bin/true", "workers": 0, "lease_ms": 1000})",
                          R"({"program": "rel/prog", "workers": 1, "lease_ms": 1000})"}) {
    std::ofstream(p.settings()) << bad;
    try {
      (void)dmn::load_settings(p);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const dmn::daemon_error& e) {
      EXPECT_THAT(e.what(), HasSubstr(p.settings().string() + " is not valid daemon settings"));
    }
  }
  EXPECT_THAT(dmn::program_problem(dir / "nope").value_or(""), HasSubstr("does not exist"));
  EXPECT_THAT(dmn::program_problem(dir).value_or(""), HasSubstr("is a directory"));
  EXPECT_FALSE(dmn::program_problem("/bin/sh").has_value());
}

TEST(daemon_posix, wait_statuses_and_proc_lookups) {
  EXPECT_EQ(dmn::detail::describe_wait_status(3 << 8), "exited with status 3");
  EXPECT_EQ(dmn::detail::describe_wait_status(SIGKILL), "killed by signal 9 (SIGKILL)");
  EXPECT_EQ(dmn::detail::process_group_of(::getpid()), ::getpgrp());
  const auto args = dmn::detail::command_line_of(::getpid());
  ASSERT_FALSE(args.empty());
  EXPECT_THAT(args[0], HasSubstr("tessera_daemon_tests"));
  EXPECT_FALSE(dmn::detail::process_group_of(0x7ffffff0).has_value());
}
