#pragma once
// Report messages attached to a process node (AiiDA's "report" log), with level and time.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/store/node.hpp>

namespace tessera {

/// Python logging levels, as AiiDA uses them (REPORT sits between INFO and WARNING).
enum class log_level : std::uint8_t { debug = 10, info = 20, report = 23, warning = 30, error = 40, critical = 50 };

constexpr std::string_view to_string(log_level l) noexcept {
  switch (l) {
    case log_level::debug: return "DEBUG";
    case log_level::info: return "INFO";
    case log_level::report: return "REPORT";
    case log_level::warning: return "WARNING";
    case log_level::error: return "ERROR";
    case log_level::critical: return "CRITICAL";
  }
  return "?";
}

struct log_entry {
  std::int64_t id = 0;
  std::int64_t node = 0;
  timestamp time{};
  log_level level = log_level::report;
  std::string message;
  nlohmann::json metadata;  // object, empty when none
};

}  // namespace tessera
