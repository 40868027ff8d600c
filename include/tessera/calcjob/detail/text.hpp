#pragma once
// Small text helpers for scheduler plugins that parse command output.
#include <string>
#include <string_view>
#include <vector>

namespace tessera::calcjob::detail {

inline std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

/// Non-empty trimmed lines.
inline std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto line = trim(text.substr(0, nl));
    if (!line.empty()) out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

/// Whitespace-separated words.
inline std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const auto start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

/// Job ids come back from the database: only a conservative alphabet may reach a command.
inline bool is_job_id(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' ||
                    c == '-' || c == '+' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

/// "HH:MM:SS" for a wall-clock limit in seconds.
inline std::string hms(unsigned long long seconds) {
  const auto h = seconds / 3600, m = (seconds % 3600) / 60, s = seconds % 60;
  std::string out = std::to_string(h) + ":";
  out += (m < 10 ? "0" : "") + std::to_string(m) + ":";
  out += (s < 10 ? "0" : "") + std::to_string(s);
  return out;
}

}  // namespace tessera::calcjob::detail
