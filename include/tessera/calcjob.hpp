#pragma once
// The calcjob layer's engine-independent part: transports, schedulers, their data.
#include <tessera/calcjob/error.hpp>
#include <tessera/calcjob/job_state.hpp>
#include <tessera/calcjob/job_template.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/calcjob/shell_quote.hpp>
#include <tessera/calcjob/transport.hpp>
