#pragma once
// A daemon's settings and the files it keeps in <profile>/daemon/:
//   daemon.json      the settings (program, workers, lease_ms), written by `tessera daemon
//                    start|incr|decr`, read by the supervisor at start and on SIGHUP
//   supervisor.pid   the supervisor's pid, flock'ed by it for as long as it runs (pid_file.hpp)
//   status.json      what the supervisor is doing: its slots, their pids, restarts and last
//                    exits (supervisor.hpp), replaced atomically on every change
//   supervisor.log   the supervisor's log: starts, exits, restarts, stops
//   worker-<K>.log   stdout and stderr of the worker in slot K, appended across restarts
//
// The command line of a worker (the user's executable, whose main calls
// tessera::daemon::worker_main):
//   PROGRAM --tessera-worker --profile <absolute profile dir> --slot <K> --lease-ms <L>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <tessera/daemon/detail/posix.hpp>

namespace tessera::daemon {

/// The flag that makes a user's executable a worker of the daemon.
inline constexpr std::string_view worker_flag = "--tessera-worker";

/// Limits of the settings, checked wherever they are set.
inline constexpr int max_workers = 256;
inline constexpr std::int64_t default_lease_ms = 10'000;
inline constexpr std::int64_t min_lease_ms = 100;
inline constexpr std::int64_t max_lease_ms = 3'600'000;

struct daemon_settings {
  std::filesystem::path program;  // absolute
  int workers = 1;
  std::int64_t lease_ms = default_lease_ms;
};

/// The files of one profile's daemon.
struct daemon_paths {
  std::filesystem::path profile;  // absolute
  explicit daemon_paths(const std::filesystem::path& p) : profile(std::filesystem::absolute(p).lexically_normal()) {
    // "dir/" normalizes to "dir/" (an empty last part): drop it so paths compare equal.
    if (!profile.has_filename() && profile.has_parent_path() && profile != profile.root_path()) {
      profile = profile.parent_path();
    }
  }
  [[nodiscard]] std::filesystem::path dir() const { return profile / "daemon"; }
  [[nodiscard]] std::filesystem::path settings() const { return dir() / "daemon.json"; }
  [[nodiscard]] std::filesystem::path pid_file() const { return dir() / "supervisor.pid"; }
  [[nodiscard]] std::filesystem::path status() const { return dir() / "status.json"; }
  [[nodiscard]] std::filesystem::path supervisor_log() const { return dir() / "supervisor.log"; }
  [[nodiscard]] std::filesystem::path worker_log(int slot) const { return dir() / fmt::format("worker-{}.log", slot); }
};

/// The arguments (argv[0] first) the supervisor runs the worker of `slot` with.
inline std::vector<std::string> worker_arguments(const daemon_settings& s, const daemon_paths& p, int slot) {
  return {s.program.string(), std::string(worker_flag), "--profile", p.profile.string(), "--slot", std::to_string(slot),
          "--lease-ms", std::to_string(s.lease_ms)};
}

/// Why `program` cannot be a worker program, or nullopt if it exists and is executable.
inline std::optional<std::string> program_problem(const std::filesystem::path& program) {
  std::error_code ec;
  if (!std::filesystem::exists(program, ec)) return fmt::format("the worker program {} does not exist", program.string());
  if (std::filesystem::is_directory(program, ec)) return fmt::format("the worker program {} is a directory", program.string());
  if (::access(program.c_str(), X_OK) != 0) {
    return fmt::format("the worker program {} is not executable (chmod +x it)", program.string());
  }
  return std::nullopt;
}

inline nlohmann::json to_json(const daemon_settings& s) {
  return {{"program", s.program.string()}, {"workers", s.workers}, {"lease_ms", s.lease_ms}};
}

/// The settings recorded in daemon.json, or nullopt if there are none yet. A file that is
/// not valid settings is an error naming the file.
inline std::optional<daemon_settings> load_settings(const daemon_paths& p) {
  const auto text = detail::read_file(p.settings());
  if (!text) return std::nullopt;
  try {
    const auto j = nlohmann::json::parse(*text);
    daemon_settings s;
    s.program = j.at("program").get<std::string>();
    s.workers = j.at("workers").get<int>();
    s.lease_ms = j.at("lease_ms").get<std::int64_t>();
    if (s.workers < 1 || s.workers > max_workers || s.lease_ms < min_lease_ms || s.lease_ms > max_lease_ms ||
        !s.program.is_absolute()) {
      throw std::invalid_argument("a value is out of range");
    }
    return s;
  } catch (const std::exception& e) {
    throw daemon_error(fmt::format("{} is not valid daemon settings ({}): fix or delete it and pass --program", p.settings().string(),
                                   e.what()));
  }
}

inline void save_settings(const daemon_paths& p, const daemon_settings& s) {
  std::error_code ec;
  std::filesystem::create_directories(p.dir(), ec);
  if (ec) throw daemon_error(fmt::format("cannot create {}: {}", p.dir().string(), ec.message()));
  detail::write_file_atomic(p.settings(), to_json(s).dump(2) + "\n");
}

}  // namespace tessera::daemon
