#pragma once
// Errors of the calcjob layer. transport_error: the connection or a file operation failed
// (worth retrying with back-off); scheduler_error: the scheduler refused or answered
// something unparsable (retrying will not help unless the cluster changes).
#include <stdexcept>
#include <string>

namespace tessera::calcjob {

struct transport_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The remote host's key is unknown or differs from the known_hosts file: never retried.
struct host_key_error : transport_error {
  using transport_error::transport_error;
};

struct scheduler_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace tessera::calcjob
