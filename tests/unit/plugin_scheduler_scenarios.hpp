#pragma once
// The behaviours every scheduler plugin must show against a real scheduler, written once and
// run for each (scheduler, transport) pair: core.direct and core.slurm, over core.local and
// core.ssh.
#include "plugin_test_support.hpp"

#include <algorithm>

namespace tessera_test {

/// Submits the add job, polls until it finishes, reads the sum. Returns submit->finished in s.
inline double scenario_add(transport& t, const scheduler& s, const std::string& workdir) {
  write_add_script(t, workdir);
  const auto start = std::chrono::steady_clock::now();
  const auto id = s.submit(t, add_job(workdir, unique_name("add"), 2, 40));
  EXPECT_FALSE(id.empty());
  const auto st = wait_until_finished(t, s, id);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(st == job_state::done || st == job_state::gone) << to_string(st);
  EXPECT_EQ(t.read_file(transport::join(workdir, "sum.txt")), "42\n");
  return seconds;
}

/// Three jobs and one id the scheduler never saw: ONE command answers for all of them.
inline void scenario_status_many(transport& t, const scheduler& s, const std::string& workdir, const std::string& bogus_id) {
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    const auto dir = transport::join(workdir, "job" + std::to_string(i));
    write_add_script(t, dir);
    ids.push_back(s.submit(t, add_job(dir, unique_name("many"), i, 100)));
  }
  ids.push_back(bogus_id);
  counting_transport counted(t);
  const auto states = s.status(counted, ids);
  EXPECT_EQ(counted.commands, 1) << "status of 4 jobs took " << counted.commands << " commands";
  ASSERT_EQ(states.size(), 4u);
  for (const auto& id : ids) EXPECT_TRUE(states.contains(id)) << id;
  EXPECT_EQ(states.at(bogus_id), job_state::gone);
  for (int i = 0; i < 3; ++i) {
    wait_until_finished(t, s, ids[static_cast<std::size_t>(i)]);
    EXPECT_EQ(t.read_file(transport::join(workdir, "job" + std::to_string(i) + "/sum.txt")), std::to_string(i + 100) + "\n");
  }
  // Only ids the scheduler forgot: every one is gone, not an error.
  const std::vector<std::string> unknown = {bogus_id};
  EXPECT_EQ(s.status(t, unknown).at(bogus_id), job_state::gone);
}

/// A running job is cancelled and then reported finished. Returns its id and last state.
inline std::pair<std::string, job_state> scenario_cancel(transport& t, const scheduler& s, const std::string& workdir) {
  t.makedirs(workdir);
  const auto id = s.submit(t, sleep_job(workdir, unique_name("cancel")));
  wait_for_state(t, s, id, [](job_state st) { return st == job_state::running; });
  s.kill(t, id);
  const auto st = wait_until_finished(t, s, id);
  EXPECT_TRUE(is_finished(st)) << to_string(st);
  // Killing a job that is already gone is not an error.
  EXPECT_NO_THROW(s.kill(t, id));
  return {id, st};
}

/// A job is found by its name (the process uuid, for idempotent submission).
inline void scenario_find_by_name(transport& t, const scheduler& s, const std::string& workdir, const std::string& name) {
  t.makedirs(workdir);
  EXPECT_TRUE(s.find_by_name(t, name).empty());
  const auto id = s.submit(t, sleep_job(workdir, name));
  std::vector<std::string> found;
  for (int i = 0; i < 100 && found.empty(); ++i) {
    found = s.find_by_name(t, name);
    if (found.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(found, std::vector<std::string>{id});
  EXPECT_TRUE(s.find_by_name(t, name + "-other").empty());
  s.kill(t, id);
  wait_until_finished(t, s, id);
}

/// Values with quotes, $(..), backticks, newlines and spaces arrive verbatim and run nothing.
inline void scenario_quoting(transport& t, const scheduler& s, const std::string& workdir, const std::string& job_name) {
  const std::string pwned = transport::join(workdir, "PWNED");
  const auto values = nasty_values(pwned);
  t.makedirs(workdir);
  const auto id = s.submit(t, quoting_job(workdir, job_name, values));
  wait_until_finished(t, s, id);
  EXPECT_EQ(t.read_file(transport::join(workdir, "quoted out.txt")), expected_quoting_output(values));
  EXPECT_EQ(t.read_file(transport::join(workdir, "env.txt")), values.at(1));
  EXPECT_FALSE(t.path_exists(pwned)) << "a value embedded in the job script was executed";
}

}  // namespace tessera_test
