#pragma once
// The part of a job script every scheduler writes the same way: environment, prepend text,
// the command line with its redirections, append text. Every value is shell-quoted.
#include <string>

#include <tessera/calcjob/error.hpp>
#include <tessera/calcjob/job_template.hpp>
#include <tessera/calcjob/shell_quote.hpp>

namespace tessera::calcjob::detail {

inline std::string script_body(const job_template& t) {
  if (t.argv.empty()) throw scheduler_error("job '" + t.job_name + "': the command line (argv) is empty");
  std::string out;
  for (const auto& [name, value] : t.environment) {
    if (!is_shell_identifier(name)) {
      throw scheduler_error("job '" + t.job_name + "': environment variable name '" + name + "' is not a shell identifier");
    }
    out += "export " + name + "=" + shell_quote(value) + "\n";
  }
  if (!t.environment.empty()) out += "\n";
  if (!t.prepend_text.empty()) out += t.prepend_text + (t.prepend_text.back() == '\n' ? "\n" : "\n\n");
  out += shell_join(t.argv);
  if (!t.stdin_name.empty()) out += " < " + shell_quote(t.stdin_name);
  if (!t.stdout_name.empty()) out += " > " + shell_quote(t.stdout_name);
  if (t.join_stderr) {
    out += " 2>&1";
  } else if (!t.stderr_name.empty()) {
    out += " 2> " + shell_quote(t.stderr_name);
  }
  out += "\n";
  if (!t.append_text.empty()) out += "\n" + t.append_text + (t.append_text.back() == '\n' ? "" : "\n");
  return out;
}

/// The end of a batch script after the scheduler's own directives: the custom directive
/// lines (one line each), then `cd` into the working directory and the body.
inline std::string custom_directives_and_body(const job_template& t) {
  std::string out;
  for (const auto& d : t.custom_directives) {
    if (d.find_first_of("\r\n") != std::string::npos) throw scheduler_error("job '" + t.job_name + "': a custom directive spans lines");
    out += d + "\n";
  }
  out += "\ncd " + shell_quote(t.working_directory) + " || exit 1\n\n";
  return out + script_body(t);
}

/// Whether `value` can go on a scheduler directive line unquoted: directive parsers differ
/// (sbatch, qsub) and none of them is a shell, so only a conservative alphabet is let through.
inline bool is_directive_safe(const std::string& value) {
  if (value.empty()) return false;
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-' || c == '/' || c == ':' || c == '+' || c == '@' || c == '=' || c == ',';
    if (!ok) return false;
  }
  return true;
}

inline const std::string& directive_value(const std::string& job, const char* what, const std::string& value) {
  if (!is_directive_safe(value)) {
    throw scheduler_error("job '" + job + "': " + what + " '" + value +
                          "' cannot go on a scheduler directive line (allowed: letters, digits and ._-/:+@=,)");
  }
  return value;
}

}  // namespace tessera::calcjob::detail
