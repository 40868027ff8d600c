#pragma once
// The work chains the daemon tests hand to workers: sum_product adds x and y, then
// multiplies by z, one calcfunction per step. Every calcfunction body appends "<pid> <pk>"
// to the file named by TESSERA_DAEMON_SIDE_FILE, so a test can tell which worker ran what
// and whether anything ran twice. TESSERA_DAEMON_CALC_MS makes each body take that long.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include <tessera/tessera.hpp>

namespace tessera::daemon_test {

inline void record_execution() {
  static const char* path = std::getenv("TESSERA_DAEMON_SIDE_FILE");
  static const int ms = [] {
    const char* v = std::getenv("TESSERA_DAEMON_CALC_MS");
    return v ? std::atoi(v) : 0;
  }();
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (!path) return;
  const std::string line = std::to_string(::getpid()) + " " + std::to_string(current_process_pk()) + "\n";
  const int fd = ::open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());  // O_APPEND: one atomic line
  ::close(fd);
}

inline const auto add = calcfunction<"daemon_test.add", "x", "y">([](const Int& x, const Int& y) {
  record_execution();
  return Int{x.value + y.value};
});
inline const auto mul = calcfunction<"daemon_test.mul", "x", "y">([](const Int& x, const Int& y) {
  record_execution();
  return Int{x.value * y.value};
});

struct sum_product : work_chain<sum_product> {
  static constexpr std::string_view process_name = "daemon_test.sum_product";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"x", Int>(), input<"y", Int>(), input<"z", Int>(), output<"result", Int>(),
                        outline(step<&sum_product::sum>, step<&sum_product::product>));
  }
  struct context {
    stored<Int> s;
  };
  context ctx;
  async_step sum() { ctx.s = co_await call(add, in<"x">(), in<"y">()); }
  async_step product() { out<"result">(co_await call(mul, ctx.s, in<"z">())); }
};

}  // namespace tessera::daemon_test
