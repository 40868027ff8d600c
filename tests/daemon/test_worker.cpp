// The worker program of the daemon tests: a user's program as the daemon runs it.
#include <tessera/daemon/worker.hpp>

#include "chains.hpp"

int main(int argc, char** argv) {
  return tessera::daemon::worker_main<tessera::daemon_test::sum_product, tessera::daemon_test::fan>(argc, argv);
}
