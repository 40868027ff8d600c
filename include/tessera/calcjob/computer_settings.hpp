#pragma once
// How the calcjob engine treats one computer, read from its stored settings (JSON):
//   "transport": {...}           settings for the transport plugin (core.ssh: host, port, ...)
//   "scheduler": {...}           settings for the scheduler plugin
//   "safe_interval": 5.0         seconds between two connections opened to it (clusters ban
//                                clients that open too many)
//   "poll_interval": 10.0        seconds between two scheduler polls (one poll covers all jobs)
//   "retry_initial_interval": 20 seconds before the first retry of a failed transport task;
//                                doubled at each further attempt
//   "retry_max_attempts": 5      attempts before the process is paused
//   "transport_concurrency": 4   transport tasks run at once on the one connection, when the
//                                transport allows it (core.local does; core.ssh: always 1)
//   "batch_commands": 64         submissions due at once that run as one shell command (one
//                                shell start, one SSH channel); 1: each alone
//   "batch_wait": 0.02           seconds a submission waits for others to join its batch
//                                (0: none; submissions arrive one by one as processes reach
//                                their submit stage, so without a wait a batch held ~2)
// Defaults follow AiiDA's; a local transport gets no safe interval.
#include <chrono>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/calcjob/error.hpp>
#include <tessera/store/computer.hpp>

namespace tessera::calcjob {

struct computer_settings {
  nlohmann::json transport = nlohmann::json::object();
  nlohmann::json scheduler = nlohmann::json::object();
  std::chrono::milliseconds safe_interval{5000};
  std::chrono::milliseconds poll_interval{10000};
  std::chrono::milliseconds retry_initial_interval{20000};
  int retry_max_attempts = 5;
  int transport_concurrency = 4;
  int batch_commands = 64;
  std::chrono::milliseconds batch_wait{20};

  static computer_settings of(const computer_record& c) {
    computer_settings s;
    if (c.transport == "core.local") s.safe_interval = std::chrono::milliseconds(0);
    const auto& j = c.settings;
    auto seconds = [&](const char* key, std::chrono::milliseconds& out) {
      if (!j.contains(key)) return;
      if (!j[key].is_number() || j[key].get<double>() < 0) {
        throw std::invalid_argument(fmt::format("computer '{}': setting '{}' must be a number of seconds >= 0, got {}",
                                                c.label, key, j[key].dump()));
      }
      out = std::chrono::milliseconds(static_cast<long long>(j[key].get<double>() * 1000.0));
    };
    seconds("safe_interval", s.safe_interval);
    seconds("poll_interval", s.poll_interval);
    seconds("retry_initial_interval", s.retry_initial_interval);
    seconds("batch_wait", s.batch_wait);
    auto at_least_one = [&](const char* key, int& out) {
      if (!j.contains(key)) return;
      if (!j[key].is_number_integer() || j[key].get<long long>() < 1 || j[key].get<long long>() > 1024) {
        throw std::invalid_argument(fmt::format("computer '{}': setting '{}' must be an integer from 1 to 1024, got {}",
                                                c.label, key, j[key].dump()));
      }
      out = j[key].get<int>();
    };
    at_least_one("retry_max_attempts", s.retry_max_attempts);
    at_least_one("transport_concurrency", s.transport_concurrency);
    at_least_one("batch_commands", s.batch_commands);
    for (const char* key : {"transport", "scheduler"}) {
      if (!j.contains(key)) continue;
      if (!j[key].is_object()) {
        throw std::invalid_argument(fmt::format("computer '{}': setting '{}' must be a JSON object", c.label, key));
      }
    }
    if (j.contains("transport")) s.transport = j["transport"];
    if (j.contains("scheduler")) s.scheduler = j["scheduler"];
    // The transport reaches the computer's hostname unless its settings name a host.
    if (!s.transport.contains("host")) s.transport["host"] = c.hostname;
    return s;
  }

  /// The wait before attempt `attempt` (2, 3, ...): initial interval, doubled each time.
  std::chrono::milliseconds backoff(int attempt) const {
    auto d = retry_initial_interval;
    for (int i = 2; i < attempt && d < std::chrono::hours(1); ++i) d *= 2;
    return d;
  }
};

}  // namespace tessera::calcjob
