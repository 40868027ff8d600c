#pragma once
// The daemon layer: submitting to a profile's daemon (submit.hpp, also in tessera.hpp),
// the worker a user's program becomes when the daemon starts it (worker.hpp), and the
// supervisor that keeps the workers alive (supervisor.hpp, control.hpp: what
// `tessera daemon` uses). It comes after the plugin layer: workers run calcjobs with
// plugins from the registry.
#include "daemon/control.hpp"
#include "daemon/submit.hpp"
#include "daemon/supervisor.hpp"
#include "daemon/worker.hpp"
