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
#include <vector>

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

// Submits n sum_product children in one step (a daemon worker hands them to the queue, so
// they spread over the workers); the next step checks their results and returns the last
// (a workflow returns data, it does not make any).
struct fan : work_chain<fan> {
  static constexpr std::string_view process_name = "daemon_test.fan";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"n", Int>(), output<"last", Int>(),
                        exit_code<400, "ERROR_WRONG_CHILD_RESULT">("a child returned a wrong result"),
                        outline(step<&fan::launch>, step<&fan::gather>));
  }
  struct context {
    std::vector<child<sum_product>> kids;
  };
  context ctx;
  async_step launch() {
    for (std::int64_t i = 0; i < in<"n">().value; ++i) {
      ctx.kids.push_back(co_await submit<sum_product>(spec::inputs_for<sum_product>().set<"x">(i).set<"y">(1).set<"z">(2)));
    }
  }
  exit_code_value gather() {
    for (std::size_t i = 0; i < ctx.kids.size(); ++i) {
      if (ctx.kids[i].out<"result">()->value != static_cast<std::int64_t>(i + 1) * 2) return exit<"ERROR_WRONG_CHILD_RESULT">();
    }
    if (!ctx.kids.empty()) out<"last">(ctx.kids.back().out<"result">());
    return {};
  }
};

}  // namespace tessera::daemon_test
