// The daemon worker of services_failure_test.cpp: a user's program that runs
// core.arithmetic.add calcjobs (plugins from TESSERA_PLUGIN_PATH).
#include <tessera/daemon/worker.hpp>

#include "arithmetic_add.hpp"

int main(int argc, char** argv) { return tessera::daemon::worker_main<tessera::plugins::arithmetic_add>(argc, argv); }
