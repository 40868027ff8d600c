#pragma once
// A scheduler plugin (core.direct, core.slurm, core.pbs, ...) turns a job_template into a
// script and knows the commands that submit, poll, kill and find jobs and how to read their
// output. The command builders and parsers are pure functions (unit-tested from sample
// text); the non-virtual helpers below run them through a transport. Status takes MANY ids
// and builds ONE command: one poll per computer per interval covers all of its jobs.
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <tessera/calcjob/error.hpp>
#include <tessera/calcjob/job_state.hpp>
#include <tessera/calcjob/job_template.hpp>
#include <tessera/calcjob/shell_quote.hpp>
#include <tessera/calcjob/transport.hpp>

namespace tessera::calcjob {

class scheduler {
 public:
  virtual ~scheduler() = default;
  scheduler() = default;
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  /// The plugin name, e.g. "core.slurm".
  virtual std::string_view plugin_name() const = 0;

  /// The text of the job script (starts with #!/bin/bash).
  virtual std::string submit_script(const job_template& t) const = 0;
  /// Submits the script at `script_path` (absolute) from the job's working directory. The
  /// job's name is there for schedulers that must carry it themselves (core.direct).
  virtual std::string submit_command(const job_template& job, const std::string& script_path) const = 0;
  /// The job id from the submit command's result; throws scheduler_error if it failed.
  virtual std::string parse_submit_output(const command_result& r) const = 0;

  /// One command for the state of all `ids`.
  virtual std::string status_command(std::span<const std::string> ids) const = 0;
  /// A state for every id asked for: ids the scheduler does not list are job_state::gone.
  virtual std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids,
                                                               const command_result& r) const = 0;

  virtual std::string kill_command(const std::string& id) const = 0;
  /// Throws scheduler_error when the kill was refused (a job already gone is not an error).
  virtual void parse_kill_output(const command_result& r) const = 0;

  /// For idempotent submission: jobs are named after the process uuid.
  virtual std::string find_by_name_command(const std::string& job_name) const = 0;
  /// Ids of the live or recently finished jobs of that name (none: empty).
  virtual std::vector<std::string> parse_find_by_name_output(const std::string& job_name,
                                                             const command_result& r) const = 0;

  // ---- through a transport ----

  /// Writes the script into the working directory as `script_name` and returns the command
  /// that submits it (the transport queue runs the commands of many jobs as one).
  std::string prepare_submit(transport& t, const job_template& job,
                             const std::string& script_name = "_tessera_submit.sh") const {
    const std::string path = transport::join(job.working_directory, script_name);
    t.makedirs(job.working_directory);
    t.write_file(path, submit_script(job));
    t.chmod(path, 0755);
    return submit_command(job, path);
  }

  /// prepare_submit, then the command: the job id.
  std::string submit(transport& t, const job_template& job, const std::string& script_name = "_tessera_submit.sh") const {
    return parse_submit_output(t.exec_command(prepare_submit(t, job, script_name)));
  }

  /// The state of every id: one command, or as few as keep each command line within
  /// max_status_command_bytes (Linux takes at most 128 KiB in one argument, `sh -c`'s
  /// script; SSH servers cap a request's size): thousands of jobs are then a few commands.
  std::map<std::string, job_state> status(transport& t, std::span<const std::string> ids) const {
    std::map<std::string, job_state> out;
    std::size_t per_command = ids.size();
    for (std::size_t first = 0; first < ids.size();) {
      const auto part = ids.subspan(first, std::min(per_command, ids.size() - first));
      auto command = status_command(part);
      if (command.size() > max_status_command_bytes && part.size() > 1) {
        per_command = (part.size() + 1) / 2;
        continue;
      }
      out.merge(parse_status_output(part, t.exec_command(command)));
      first += part.size();
    }
    return out;
  }
  static constexpr std::size_t max_status_command_bytes = 64 * 1024;

  void kill(transport& t, const std::string& id) const { parse_kill_output(t.exec_command(kill_command(id))); }

  std::vector<std::string> find_by_name(transport& t, const std::string& job_name) const {
    return parse_find_by_name_output(job_name, t.exec_command(find_by_name_command(job_name)));
  }
};

}  // namespace tessera::calcjob
