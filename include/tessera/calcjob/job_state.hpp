#pragma once
// What a scheduler says about a job, reduced to the states the calcjob lifecycle acts on.
#include <optional>
#include <string_view>

namespace tessera::calcjob {

enum class job_state {
  queued,       // waiting for resources
  queued_held,  // waiting, held by the user or an admin
  running,
  suspended,
  done,         // finished; the scheduler does not say it failed
  failed,       // finished with an error, timed out, node failure, out of memory
  cancelled,    // killed by someone (tessera, the user, an admin)
  gone,         // the scheduler no longer knows the job: finished long ago (or never existed)
  unknown,      // a state the plugin cannot map
};

/// True when the job will not run any more: time to retrieve its files.
constexpr bool is_finished(job_state s) {
  return s == job_state::done || s == job_state::failed || s == job_state::cancelled || s == job_state::gone;
}

constexpr std::string_view to_string(job_state s) {
  switch (s) {
    case job_state::queued: return "queued";
    case job_state::queued_held: return "queued_held";
    case job_state::running: return "running";
    case job_state::suspended: return "suspended";
    case job_state::done: return "done";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
    case job_state::gone: return "gone";
    case job_state::unknown: return "unknown";
  }
  return "unknown";
}

}  // namespace tessera::calcjob
