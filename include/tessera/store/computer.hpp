#pragma once
// A computer: where calcjobs run (label, hostname, transport and scheduler plugins, work
// directory, free-form settings). Stored in table `computer`; the calcjob layer uses it.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include <tessera/store/uuid.hpp>

namespace tessera {

struct computer_spec {
  std::string label;        // unique
  std::string hostname;
  std::string description;
  std::string transport;    // plugin name, e.g. "core.local", "core.ssh"
  std::string scheduler;    // plugin name, e.g. "core.direct", "core.slurm"
  std::string workdir;      // remote working directory, may contain {username}
  nlohmann::json settings = nlohmann::json::object();  // e.g. mpirun command, prepend text
};

struct computer_record : computer_spec {
  std::int64_t pk = 0;
  uuid id;
};

}  // namespace tessera
