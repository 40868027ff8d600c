#pragma once
// Quoting for POSIX shells. Every value tessera embeds in a job script or a shell command
// goes through shell_quote: inside single quotes nothing is special, so a value can carry
// quotes, $(..), backticks, newlines or spaces and still arrive verbatim.
#include <span>
#include <string>
#include <string_view>

namespace tessera::calcjob {

/// One shell word that expands to exactly `value`: 'value' with each ' written as '\''.
inline std::string shell_quote(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 2);
  out += '\'';
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

/// The words quoted one by one and joined with spaces (a command line from an argv).
inline std::string shell_join(std::span<const std::string> argv) {
  std::string out;
  for (const auto& word : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(word);
  }
  return out;
}

/// True for a valid shell variable name ([A-Za-z_][A-Za-z0-9_]*): names cannot be quoted.
inline bool is_shell_identifier(std::string_view name) {
  if (name.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name.front())) return false;
  for (char c : name) {
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace tessera::calcjob
