// A program that is both a daemon worker and a client of the daemon. Work chains are
// compiled C++, so the daemon's workers are copies of the user's own program:
//
//   tessera daemon start --program build/examples/daemon --workers 2   # workers: this program
//   build/examples/daemon submit PROFILE [N] [STEPS] [MS]  # N countdown chains of STEPS steps, each
//                                                          # calling a calcfunction that takes MS ms;
//                                                          # prints their pks and returns at once
//   build/examples/daemon                                  # self-contained: a temporary profile, two
//                                                          # workers on threads of this program
//
// main() hands over to tessera::daemon::worker_main when the daemon started the program
// (its command line then holds --tessera-worker); tessera::submit<P>(store, inputs) queues a
// chain for whichever worker claims it first, and returns its pk once it is durable.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <tessera/daemon/worker.hpp>
#include <tessera/tessera.hpp>

using namespace tessera;

// One tick: waits `ms` milliseconds (a stand-in for real work) and returns left - 1.
const auto tick = calcfunction<"examples.daemon.tick", "left", "ms">([](const Int& left, const Int& ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms.value));
  return Int{left.value - 1};
});

// Counts `steps` down to zero, one calcfunction call per step (one checkpoint per step).
struct countdown : work_chain<countdown> {
  static constexpr std::string_view process_name = "examples.daemon.countdown";
  static auto define() {
    using namespace tessera::spec;
    return process_spec(input<"steps", Int>(help("how many ticks")), input<"ms", Int>(default_value(0), help("ms per tick")),
                        output<"left", Int>(help("0 once done")),
                        outline(step<&countdown::setup>, while_<&countdown::more>(step<&countdown::next>),
                                step<&countdown::done>));
  }
  struct context {
    stored<Int> left;
  };
  context ctx;
  async_step setup() { ctx.left = co_await call(tick, Int{in<"steps">().value + 1}, Int{0}); }
  bool more() const { return ctx.left->value > 0; }
  async_step next() {
    ctx.left = co_await call(tick, ctx.left, in<"ms">());
    report("left: " + std::to_string(ctx.left->value));
  }
  void done() { out<"left">(ctx.left); }
};

namespace {

int submit_mode(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s submit PROFILE [N] [STEPS] [MS]\n", argv[0]);
    return 2;
  }
  const std::filesystem::path profile = argv[2];
  const int n = argc > 3 ? std::atoi(argv[3]) : 1;
  const int steps = argc > 4 ? std::atoi(argv[4]) : 3;
  const int ms = argc > 5 ? std::atoi(argv[5]) : 0;
  if (n < 1 || steps < 0 || ms < 0) {
    std::fprintf(stderr, "%s submit: N must be positive, STEPS and MS not negative\n", argv[0]);
    return 2;
  }
  try {
    if (!std::filesystem::exists(profile / "tessera.db")) {
      std::fprintf(stderr, "%s submit: no profile in %s (create it with `tessera init %s`)\n", argv[0], profile.c_str(),
                   profile.c_str());
      return 1;
    }
    store st(profile);
    std::vector<spec::inputs_for<countdown>> ins(static_cast<std::size_t>(n),
                                                 spec::inputs_for<countdown>().set<"steps">(steps).set<"ms">(ms));
    for (auto pk : submit_all<countdown>(st, ins)) std::printf("%lld\n", static_cast<long long>(pk));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s submit: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}

// Two workers on threads of this program share a temporary profile; 20 chains submitted.
int self_contained() {
  const auto dir = std::filesystem::temp_directory_path() / ("tessera-daemon-example-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  bool ok = false;
  {
    store st(dir);
    std::vector<std::unique_ptr<daemon::worker>> workers;
    std::vector<std::thread> threads;
    for (int slot = 0; slot < 2; ++slot) {
      daemon::worker_options o;
      o.profile = dir;
      o.slot = slot;
      workers.push_back(std::make_unique<daemon::worker>(o));
      threads.emplace_back([w = workers.back().get()] { (void)w->run(); });
    }
    std::vector<spec::inputs_for<countdown>> ins(20, spec::inputs_for<countdown>().set<"steps">(5).set<"ms">(1));
    const auto pks = submit_all<countdown>(st, ins);
    std::printf("submitted %zu countdown chains to the daemon's queue (pks %lld-%lld)\n", pks.size(),
                static_cast<long long>(pks.front()), static_cast<long long>(pks.back()));
    for (;;) {  // a client would use `tessera process watch`; here a poll keeps it short
      const auto left = st.read().connection().scalar_int(
          "SELECT count(*) FROM node WHERE type = 'examples.daemon.countdown' AND process_state NOT IN "
          "('finished', 'excepted', 'killed')");
      if (left == 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (auto& w : workers) w->request_stop();
    for (auto& t : threads) t.join();
    auto r = st.read();
    const auto finished = r.connection().scalar_int(
        "SELECT count(*) FROM node WHERE type = 'examples.daemon.countdown' AND process_state = 'finished' AND exit_status = 0");
    for (const auto& w : r.workers()) {
      std::printf("worker %lld (pid %lld): %s\n", static_cast<long long>(w.id), static_cast<long long>(w.pid),
                  std::string(to_string(w.state)).c_str());
    }
    std::printf("%lld of %zu chains finished, each with 6 calcfunction calls (5 steps + setup)\n", static_cast<long long>(finished), pks.size());
    ok = finished == static_cast<std::int64_t>(pks.size()) &&
         r.connection().scalar_int("SELECT count(*) FROM node WHERE type = 'examples.daemon.tick' AND process_state = 'finished'") ==
             6 * static_cast<std::int64_t>(pks.size());
  }
  std::filesystem::remove_all(dir);
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (daemon::is_worker(argc, argv)) return daemon::worker_main<countdown>(argc, argv);
  if (argc > 1 && std::string(argv[1]) == "submit") return submit_mode(argc, argv);
  if (argc > 1) {
    std::fprintf(stderr, "usage: %s [submit PROFILE [N] [STEPS] [MS]]  (or run by `tessera daemon start --program`)\n", argv[0]);
    return 2;
  }
  return self_contained();
}
