// shell_quote must make any value one shell word that expands to exactly that value. Each
// case is checked by a real bash: printf '%s' <quoted> must print the value back and run
// nothing.
#include <tessera/calcjob/detail/script_body.hpp>
#include <tessera/calcjob/detail/text.hpp>
#include <tessera/calcjob/job_state.hpp>
#include <tessera/calcjob/shell_quote.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <string>

using namespace tessera::calcjob;

namespace {

// Runs `script` with bash and returns its stdout (popen: this test is about bash itself).
std::string bash_output(const std::string& script) {
  const auto file = std::filesystem::temp_directory_path() / ("tessera-quote-" + std::to_string(::getpid()) + ".sh");
  if (FILE* f = std::fopen(file.c_str(), "w")) {
    std::fputs(script.c_str(), f);
    std::fclose(f);
  }
  std::string out;
  if (FILE* p = ::popen(("bash " + file.string()).c_str(), "r")) {
    std::array<char, 4096> buf{};
    while (const auto n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    ::pclose(p);
  }
  std::filesystem::remove(file);
  return out;
}

const std::array<std::string, 12> nasty = {
    "",
    "plain",
    "with space",
    "it's",
    "''",
    "\"double\"",
    "$(touch /tmp/tessera-pwned-quote)",
    "`touch /tmp/tessera-pwned-quote`",
    "line one\nline two\n",
    "$HOME ${PATH} $1 \\ \\n",
    "; rm -rf / ; echo | cat & wait",
    "tab\tand*glob?[a]~",
};

}  // namespace

TEST(calcjob_shell_quote, known_forms) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("abc"), "'abc'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("$(x)"), "'$(x)'");
  EXPECT_EQ(shell_quote("a\nb"), "'a\nb'");
  const std::vector<std::string> argv = {"echo", "a b", ""};
  EXPECT_EQ(shell_join(argv), "'echo' 'a b' ''");
}

TEST(calcjob_shell_quote, bash_reads_every_value_back_verbatim_and_runs_nothing) {
  std::filesystem::remove("/tmp/tessera-pwned-quote");
  for (const auto& value : nasty) {
    EXPECT_EQ(bash_output("printf '%s' " + shell_quote(value)), value) << "value: " << value;
    // As one argument among others, and in an assignment.
    EXPECT_EQ(bash_output("set -- x " + shell_quote(value) + " y; printf '%s' \"$2\""), value);
    EXPECT_EQ(bash_output("v=" + shell_quote(value) + "; printf '%s' \"$v\""), value);
  }
  EXPECT_FALSE(std::filesystem::exists("/tmp/tessera-pwned-quote")) << "a quoted value was executed";
}

TEST(calcjob_shell_quote, identifiers) {
  EXPECT_TRUE(is_shell_identifier("OMP_NUM_THREADS"));
  EXPECT_TRUE(is_shell_identifier("_x1"));
  EXPECT_FALSE(is_shell_identifier(""));
  EXPECT_FALSE(is_shell_identifier("1x"));
  EXPECT_FALSE(is_shell_identifier("A=B"));
  EXPECT_FALSE(is_shell_identifier("a b"));
}

TEST(calcjob_script_body, quotes_argv_environment_and_redirections) {
  job_template t;
  t.job_name = "j";
  t.argv = {"printf", "%s", "it's $(touch /tmp/tessera-pwned-quote)\nnext"};
  t.stdout_name = "out file.txt";
  t.stderr_name = "err.txt";
  t.environment = {{"GREETING", "hello 'world'"}};
  t.prepend_text = "echo before";
  t.append_text = "echo after";
  const auto body = tessera::calcjob::detail::script_body(t);
  EXPECT_EQ(body,
            "export GREETING='hello '\\''world'\\'''\n\n"
            "echo before\n\n"
            "'printf' '%s' 'it'\\''s $(touch /tmp/tessera-pwned-quote)\nnext' > 'out file.txt' 2> 'err.txt'\n"
            "\necho after\n");
}

TEST(calcjob_script_body, refuses_bad_environment_names_and_empty_argv) {
  job_template t;
  t.job_name = "j";
  EXPECT_THROW(tessera::calcjob::detail::script_body(t), scheduler_error);
  t.argv = {"true"};
  t.environment = {{"A; rm -rf /", "x"}};
  EXPECT_THROW(tessera::calcjob::detail::script_body(t), scheduler_error);
}

TEST(calcjob_script_body, directive_values_are_restricted) {
  EXPECT_TRUE(tessera::calcjob::detail::is_directive_safe("/scratch/u/abc-123_x.out"));
  EXPECT_FALSE(tessera::calcjob::detail::is_directive_safe("a b"));
  EXPECT_FALSE(tessera::calcjob::detail::is_directive_safe("a\nb"));
  EXPECT_FALSE(tessera::calcjob::detail::is_directive_safe("\"x\""));
  EXPECT_FALSE(tessera::calcjob::detail::is_directive_safe(""));
  EXPECT_THROW(tessera::calcjob::detail::directive_value("j", "partition", "x y"), scheduler_error);
}

TEST(calcjob_text, lines_words_ids_and_times) {
  const auto l = tessera::calcjob::detail::lines("  a b \n\n c\r\n");
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0], "a b");
  EXPECT_EQ(l[1], "c");
  const auto w = tessera::calcjob::detail::words("  12   RUNNING\tNone ");
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[1], "RUNNING");
  EXPECT_TRUE(tessera::calcjob::detail::is_job_id("123.pbs-server"));
  EXPECT_TRUE(tessera::calcjob::detail::is_job_id("45_7"));
  EXPECT_FALSE(tessera::calcjob::detail::is_job_id("1;rm"));
  EXPECT_FALSE(tessera::calcjob::detail::is_job_id(""));
  EXPECT_EQ(tessera::calcjob::detail::hms(3723), "1:02:03");
  EXPECT_EQ(tessera::calcjob::detail::hms(59), "0:00:59");
}

TEST(calcjob_job_state, finished_states) {
  EXPECT_FALSE(is_finished(job_state::queued));
  EXPECT_FALSE(is_finished(job_state::running));
  EXPECT_TRUE(is_finished(job_state::done));
  EXPECT_TRUE(is_finished(job_state::gone));
  EXPECT_TRUE(is_finished(job_state::cancelled));
  EXPECT_EQ(to_string(job_state::queued_held), "queued_held");
}
