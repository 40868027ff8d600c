#pragma once
// The daemon layer: submitting to a profile's daemon (submit.hpp) and the worker a user's
// program becomes when the daemon starts it (worker.hpp).
#include "daemon/submit.hpp"
#include "daemon/worker.hpp"
