// A stand-in for a user's worker program (tessera::daemon::worker_main is written apart),
// for the daemon's end-to-end tests (tests/cli/cli_test.sh, sections daemon*). It honours
// the supervisor's contract and checks the supervisor's side of it:
//   fake_worker --tessera-worker --profile ABS_DIR --slot K --lease-ms L
// It prints its arguments and "contract ok" (or "contract violated: ..." and exits 2) to
// stdout, which the supervisor appends to worker-K.log; registers in the store's worker
// table and heartbeats every L/4 ms; on SIGTERM marks itself stopped and exits 0.
// FAKE_WORKER in the environment (inherited through the supervisor) changes that:
//   crash:MS      exit with status 3 after MS ms
//   ignore-term   ignore SIGTERM (for `stop --timeout`)
//   silent        never heartbeat after registering (status shows it lost)
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <tessera/store/lease.hpp>
#include <tessera/store/store.hpp>

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// What the supervisor owes a worker: stdin from /dev/null, no descriptor of its own left
// open, no signal blocked or ignored. Empty if all holds.
std::string contract_problem(int argc, char** argv) {
  if (argc != 8 || std::string_view(argv[1]) != "--tessera-worker" || std::string_view(argv[2]) != "--profile" ||
      argv[3][0] != '/' || std::string_view(argv[4]) != "--slot" || std::string_view(argv[6]) != "--lease-ms") {
    return "expected --tessera-worker --profile ABS --slot K --lease-ms L";
  }
  struct stat in {}, null {};
  if (::fstat(STDIN_FILENO, &in) != 0 || ::stat("/dev/null", &null) != 0 || in.st_rdev != null.st_rdev) {
    return "stdin is not /dev/null";
  }
  int extra = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (const dirent* e = ::readdir(d)) {
      const int fd = std::atoi(e->d_name);
      if (e->d_name[0] != '.' && fd > 2 && fd != ::dirfd(d)) ++extra;
    }
    ::closedir(d);
  }
  if (extra) return std::to_string(extra) + " inherited file descriptors beyond 0-2";
  sigset_t mask;
  ::sigprocmask(SIG_SETMASK, nullptr, &mask);
  for (int s : {SIGTERM, SIGHUP, SIGCHLD, SIGINT, SIGQUIT, SIGPIPE}) {
    if (::sigismember(&mask, s)) return std::string("signal ") + ::strsignal(s) + " is blocked";
    struct sigaction now {};
    ::sigaction(s, nullptr, &now);
    if (now.sa_handler != SIG_DFL) return std::string("signal ") + ::strsignal(s) + " is not at its default action";
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  std::printf("fake worker pid %d:", static_cast<int>(::getpid()));
  for (int i = 1; i < argc; ++i) std::printf(" %s", argv[i]);
  std::printf("\n");
  if (const auto problem = contract_problem(argc, argv); !problem.empty()) {
    std::printf("contract violated: %s\n", problem.c_str());
    return 2;
  }
  std::printf("contract ok\n");
  std::fflush(stdout);
  const std::string mode = std::getenv("FAKE_WORKER") ? std::getenv("FAKE_WORKER") : "";
  const std::int64_t lease_ms = std::atoll(argv[7]);
  std::int64_t crash_at = 0;
  if (mode.rfind("crash:", 0) == 0) crash_at = now_ms() + std::atoll(mode.c_str() + 6);
  // SIGTERM blocked before the store starts any thread, then taken with sigtimedwait. A
  // blocked signal stays pending even when ignored, so ignore-term waits on no signal.
  sigset_t term;
  ::sigemptyset(&term);
  if (mode == "ignore-term") {
    ::signal(SIGTERM, SIG_IGN);
  } else {
    ::sigaddset(&term, SIGTERM);
  }
  ::pthread_sigmask(SIG_BLOCK, &term, nullptr);
  tessera::store st(argv[3]);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const auto id = st.write([&](tessera::write_tx& tx) { return tx.register_worker(::getpid(), host, now_ms()); });
  for (;;) {
    std::int64_t wait = lease_ms / 4;
    if (crash_at) wait = std::min(wait, std::max<std::int64_t>(0, crash_at - now_ms()));
    timespec ts{static_cast<time_t>(wait / 1000), static_cast<long>(wait % 1000 * 1'000'000)};
    const int sig = ::sigtimedwait(&term, nullptr, &ts);
    if (sig == SIGTERM) {
      std::printf("SIGTERM: stopping\n");
      try {
        st.write([&](tessera::write_tx& tx) { tx.set_worker_state(id, tessera::worker_state::stopped); });
      } catch (const tessera::worker_fenced_error& e) {  // declared lost already: nothing to hand back
        std::printf("%s\n", e.what());
      }
      return 0;
    }
    if (crash_at && now_ms() >= crash_at) {
      std::printf("crashing on purpose\n");
      std::fflush(stdout);
      std::_Exit(3);
    }
    if (mode == "silent") continue;
    if (!st.write([&](tessera::write_tx& tx) { return tx.heartbeat(id, now_ms(), lease_ms); })) {
      std::printf("lost my lease: exiting\n");
      return 4;
    }
  }
}
