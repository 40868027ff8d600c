#pragma once
// Several shell commands run as ONE command through a transport, each with its own standard
// output, standard error and exit status, as if each had been run alone: the transport
// queue submits many jobs with one shell start (core.local) or one SSH channel (core.ssh)
// instead of one each. POSIX sh only (dash, bash, the user's login shell on a cluster).
//
// Each command runs through `eval` of its text as one quoted word, in the subshell of the
// command substitution that captures its standard error: a syntax error, `cd`, `exit` or
// variable stays in it, and no text of one command can change how the shell reads the next
// (an unbalanced quote would, pasted in as it is). Its
// standard input is /dev/null, its standard output goes straight to the batch's, framed by
// lines carrying a marker that is random per batch, and its standard error is captured and
// printed after it (a command substitution: trailing newlines of standard error are lost,
// which only shortens an error message). File descriptor 3 is closed in the command, so a
// job it starts in the background does not hold the batch's output open.
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <tessera/calcjob/shell_quote.hpp>
#include <tessera/calcjob/transport.hpp>

namespace tessera::calcjob::detail {

/// A marker no command prints by accident: "tessera-batch-" and 64 random bits.
inline std::string batch_marker() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return fmt::format("tessera-batch-{:016x}", gen());
}

inline std::string batch_script(std::span<const std::string> commands, std::string_view marker) {
  std::string s;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    // `$?` of an assignment whose value is a command substitution is that substitution's
    // exit status.
    s += fmt::format("printf '%s\\n' '{0} o {1}'\n{{ e=$(eval {2} < /dev/null 2>&1 1>&3 3>&-); }} 3>&1; s=$?\n"
                     "printf '\\n%s\\n%s\\n%s\\n' '{0} e {1}' \"$s\" \"$e\"\nprintf '%s\\n' '{0} x {1}'\n",
                     marker, i, shell_quote(commands[i]));
  }
  return s;
}

/// The result of each command of a batch, from the batch's result; nullopt for a command
/// whose record is missing or cut short (the batch's shell died, or never got that far).
inline std::vector<std::optional<command_result>> split_batch_output(const command_result& batch, std::string_view marker,
                                                                     std::size_t n) {
  std::vector<std::optional<command_result>> out(n);
  const std::string_view text = batch.stdout_text;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const auto open = fmt::format("{} o {}\n", marker, i);
    const auto err = fmt::format("\n{} e {}\n", marker, i);
    const auto end = fmt::format("\n{} x {}\n", marker, i);
    const auto a = text.find(open, pos);
    if (a == std::string_view::npos) continue;
    const auto out_begin = a + open.size();
    const auto b = text.find(err, out_begin);
    if (b == std::string_view::npos) continue;
    const auto status_begin = b + err.size();
    const auto status_end = text.find('\n', status_begin);
    if (status_end == std::string_view::npos) continue;
    const auto c = text.find(end, status_end);
    if (c == std::string_view::npos) continue;
    command_result r;
    const auto status = text.substr(status_begin, status_end - status_begin);
    if (status.empty() || status.find_first_not_of("0123456789") != std::string_view::npos || status.size() > 3) continue;
    r.exit_status = std::stoi(std::string(status));
    r.stdout_text = std::string(text.substr(out_begin, b - out_begin));
    // "$e" sits between the status line and the newline before the end marker.
    r.stderr_text = c > status_end ? std::string(text.substr(status_end + 1, c - status_end - 1)) : std::string();
    out[i] = std::move(r);
    pos = c + end.size();
  }
  return out;
}

}  // namespace tessera::calcjob::detail
