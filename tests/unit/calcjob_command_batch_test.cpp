// Commands run as one batch (detail/command_batch.hpp) give each command the result it gets
// when run alone: same standard output, exit status and standard error, nothing leaking from
// one to the next (cd, variables, exit), empty standard input, and a job one of them starts
// in the background does not hold the batch open. Run by real shells through the shipped
// core.local transport: dash (/bin/sh, its default), bash, zsh and BusyBox ash (the login
// shells core.ssh may meet; test_shells.hpp).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <tessera/calcjob/detail/command_batch.hpp>
#include <tessera/calcjob/detail/text.hpp>
#include <tessera/plugin/calcjobs.hpp>

#include "test_shells.hpp"

using namespace tessera;
using tessera::calcjob::command_result;
namespace fs = std::filesystem;

namespace {

plugin::registry& local_plugins() {
  static plugin::registry r({fs::path(TESSERA_TEST_PLUGIN_DIR)});
  return r;
}

std::string without_trailing_newlines(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

class CommandBatch : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const auto shell = tessera_test::shell_path(GetParam());
    if (shell.empty()) GTEST_SKIP() << GetParam() << " is not installed (cmake/install-deps.sh installs it)";
    nlohmann::json settings = nlohmann::json::object();
    if (shell != "/bin/sh") settings["shell"] = shell;
    t = plugin::factories_of(local_plugins()).make_transport("core.local", settings);
    t->open();
  }
  std::vector<std::optional<command_result>> run_batch(const std::vector<std::string>& commands, command_result* whole = nullptr) {
    const auto marker = calcjob::detail::batch_marker();
    const auto r = t->exec_command(calcjob::detail::batch_script(commands, marker));
    if (whole) *whole = r;
    return calcjob::detail::split_batch_output(r, marker, commands.size());
  }
  std::shared_ptr<calcjob::transport> t;
};

TEST_P(CommandBatch, EachCommandGetsWhatItGetsAlone) {
  const std::vector<std::string> commands = {
      "echo out; echo err >&2; exit 3",
      "printf 'no newline at the end'",
      "cd / && pwd",
      "pwd",  // the batch's folder, not the one the command before went to
      "x=set; echo \"[$x]\"",
      "echo \"[$x]\"",  // variables stay in their command
      "cat; echo \"stdin was empty: $?\"",
      "printf '%s\\n' 'two  spaces' \"it's\" '$(echo ran)' '`echo ran`' 'a\nb'",
      "echo before; exit 0",
      "echo after",  // an `exit` ends only its own command
      "printf 'tessera-batch-0000000000000000 e 0\\n1\\n\\ntessera-batch-0000000000000000 x 0\\n'",  // a marker, not ours
      "# a comment as the last line of the command",
      "false",
      "printf '\\n\\n'; printf 'err\\n\\n' >&2",
      "",
  };
  const auto batched = run_batch(commands);
  ASSERT_EQ(batched.size(), commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    SCOPED_TRACE("command " + std::to_string(i) + ": " + commands[i]);
    ASSERT_TRUE(batched[i].has_value());
    const auto alone = t->exec_command(commands[i]);
    EXPECT_EQ(batched[i]->stdout_text, alone.stdout_text);
    EXPECT_EQ(batched[i]->exit_status, alone.exit_status);
    // Standard error comes back through a command substitution: without trailing newlines.
    EXPECT_EQ(batched[i]->stderr_text, without_trailing_newlines(alone.stderr_text));
  }
  EXPECT_EQ(batched[0]->exit_status, 3);
  EXPECT_EQ(batched[0]->stdout_text, "out\n");
  EXPECT_EQ(batched[0]->stderr_text, "err");
  EXPECT_EQ(batched[1]->stdout_text, "no newline at the end");
  EXPECT_EQ(batched[2]->stdout_text, "/\n");
  EXPECT_NE(batched[3]->stdout_text, "/\n");
  EXPECT_EQ(batched[5]->stdout_text, "[]\n");
  EXPECT_EQ(batched[6]->stdout_text, "stdin was empty: 0\n");
  EXPECT_EQ(batched[7]->stdout_text, "two  spaces\nit's\n$(echo ran)\n`echo ran`\na\nb\n");
  EXPECT_EQ(batched[9]->stdout_text, "after\n");
  EXPECT_EQ(batched[12]->exit_status, 1);
  EXPECT_EQ(batched[13]->stdout_text, "\n\n");
}

TEST_P(CommandBatch, ACommandThatDoesNotParseFailsAloneAndChangesNothingAfterIt) {
  // Pasted in as text, the unbalanced quote would swallow the commands after it.
  const auto batched = run_batch({"echo 'unbalanced", "echo \"it's fine\"", "echo '(' ; echo ')'"});
  ASSERT_TRUE(batched[0] && batched[1] && batched[2]);
  EXPECT_NE(batched[0]->exit_status, 0);
  EXPECT_NE(t->exec_command("echo 'unbalanced").exit_status, 0);  // as alone
  EXPECT_FALSE(batched[0]->stderr_text.empty());  // the shell says why
  EXPECT_EQ(batched[0]->stdout_text, "");
  EXPECT_EQ(batched[1]->stdout_text, "it's fine\n");
  EXPECT_EQ(batched[1]->exit_status, 0);
  EXPECT_EQ(batched[2]->stdout_text, "(\n)\n");
}

TEST_P(CommandBatch, ABackgroundJobDoesNotHoldTheBatchOpen) {
  // As core.direct submits: the job's own output goes elsewhere, the command prints its pid.
  const auto t0 = std::chrono::steady_clock::now();
  const auto batched = run_batch({"sleep 30 > /dev/null 2>&1 < /dev/null & echo $!", "echo next"});
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(batched[0] && batched[1]);
  const auto pid = std::stol(std::string(calcjob::detail::trim(batched[0]->stdout_text)));
  EXPECT_GT(pid, 1);
  EXPECT_EQ(::kill(static_cast<pid_t>(pid), 0), 0);  // the job runs on
  ::kill(static_cast<pid_t>(pid), SIGKILL);
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(batched[1]->stdout_text, "next\n");
}

TEST_P(CommandBatch, CommandsAfterTheBatchShellDiedHaveNoRecord) {
  // `$$` is the batch's shell (a subshell keeps it): killing it cuts the batch short.
  command_result whole;
  const auto batched = run_batch({"echo first", "kill -KILL $$", "echo never"}, &whole);
  ASSERT_EQ(batched.size(), 3u);
  ASSERT_TRUE(batched[0]);
  EXPECT_EQ(batched[0]->stdout_text, "first\n");
  EXPECT_FALSE(batched[1]);
  EXPECT_FALSE(batched[2]);
  EXPECT_NE(whole.exit_status, 0);
}

INSTANTIATE_TEST_SUITE_P(Shells, CommandBatch, ::testing::ValuesIn(tessera_test::shell_names),
                         [](const auto& p) { return std::string(p.param); });

TEST(CommandBatchOutput, ACutOrForgedRecordIsNotAResult) {
  const std::string m = "tessera-batch-00000000000000ab";
  command_result whole;
  whole.stdout_text = m + " o 0\nhello\n" + m + " e 0\n0\n\n" + m + " x 0\n" +  // complete
                      m + " o 1\npartial\n" + m + " e 1\n";                      // cut short
  auto r = calcjob::detail::split_batch_output(whole, m, 3);
  ASSERT_TRUE(r[0]);
  EXPECT_EQ(r[0]->stdout_text, "hello");
  EXPECT_EQ(r[0]->exit_status, 0);
  EXPECT_FALSE(r[1]);
  EXPECT_FALSE(r[2]);
  // Not a number where the exit status goes: no result.
  whole.stdout_text = m + " o 0\nx\n" + m + " e 0\nzero\n\n" + m + " x 0\n";
  EXPECT_FALSE(calcjob::detail::split_batch_output(whole, m, 1)[0]);
}

}  // namespace
