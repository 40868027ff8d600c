#pragma once
// What every benchmark program needs: a scratch folder under $TESSERA_BENCH_DIR (default the
// temporary folder), removed afterwards; medians; CPU clocks; and figures printed as
// "name: value unit", one per line.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace tessera::bench {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

inline fs::path bench_root() {
  const char* env = std::getenv("TESSERA_BENCH_DIR");
  return env != nullptr ? fs::path(env) : fs::temp_directory_path();
}

/// <bench root>/tessera-<program>-<name>-<pid>, empty at the start, removed at the end.
struct scratch {
  fs::path path;
  scratch(std::string_view program, std::string_view name)
      : path(bench_root() / fmt::format("tessera-{}-{}-{}", program, name, ::getpid())) {
    fs::remove_all(path);
  }
  scratch(const scratch&) = delete;
  scratch& operator=(const scratch&) = delete;
  ~scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// CPU time (user + system) so far, in seconds: RUSAGE_SELF (all threads of this process)
/// or RUSAGE_CHILDREN (its reaped children).
inline double cpu_seconds(int who = RUSAGE_SELF) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

/// "name: value unit" on a line of its own (2 decimals below 100).
inline void figure(std::string_view name, double value, std::string_view unit) {
  fmt::print("{}: {:.{}f} {}\n", name, value, value >= 100 ? 0 : 2, unit);
  std::fflush(stdout);
}

/// The load averages (1, 5, 15 min), to print beside figures on a shared machine.
inline std::string loadavg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace tessera::bench
