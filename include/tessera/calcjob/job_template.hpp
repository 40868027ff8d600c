#pragma once
// Everything a scheduler plugin needs to write a job script. Plain data: the calcjob
// lifecycle fills it from a calculation's prepare() and the computer's settings. Values are
// never trusted: schedulers quote each of them (shell_quote) or refuse it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::calcjob {

struct job_resources {
  std::uint32_t num_machines = 1;
  std::uint32_t num_mpiprocs_per_machine = 1;
  std::optional<std::uint32_t> num_cores_per_mpiproc;
  std::optional<std::uint64_t> max_wallclock_seconds;
  std::optional<std::uint64_t> max_memory_kb;
  std::string queue_name;   // partition (SLURM), queue (PBS, SGE); empty: the default
  std::string account;
  std::string qos;
};

struct job_template {
  std::string job_name;                  // the process uuid, so a job can be found again
  std::string working_directory;         // absolute remote path; the script runs there
  std::vector<std::string> argv;         // the command line, one word per element
  std::string stdin_name;                // relative to the working directory; empty: none
  std::string stdout_name;               // where the command's output goes; empty: scheduler's
  std::string stderr_name;
  bool join_stderr = false;              // stderr into stdout_name
  std::string scheduler_stdout = "_scheduler-stdout.txt";  // the scheduler's own output files
  std::string scheduler_stderr = "_scheduler-stderr.txt";
  job_resources resources;
  std::map<std::string, std::string> environment;  // exported before the command
  std::string prepend_text;              // shell lines run before the command (verbatim)
  std::string append_text;               // shell lines run after it (verbatim)
  std::vector<std::string> custom_directives;  // extra scheduler lines, e.g. "#SBATCH --gres=gpu:1"
};

}  // namespace tessera::calcjob
