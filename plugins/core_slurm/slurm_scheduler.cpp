// core.slurm: sbatch --parsable, one squeue for many jobs, scancel. squeue forgets finished
// jobs after MinJobAge and says "Invalid job id specified" when it knows none of the ids:
// both mean the job is gone, not an error. Directive lines are parsed by sbatch, not by a
// shell, so values on them are restricted to a safe alphabet instead of shell-quoted.
#include <tessera/calcjob/detail/script_body.hpp>
#include <tessera/calcjob/detail/text.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/plugin/entry_point.hpp>

namespace {

using namespace tessera::calcjob;
using detail::directive_value;

job_state map_state(std::string_view state, std::string_view reason) {
  if (state == "PENDING" || state == "CONFIGURING" || state == "REQUEUED" || state == "REQUEUE_FED") {
    return reason.starts_with("JobHeld") ? job_state::queued_held : job_state::queued;
  }
  if (state == "REQUEUE_HOLD" || state == "RESV_DEL_HOLD") return job_state::queued_held;
  if (state == "RUNNING" || state == "COMPLETING" || state == "SIGNALING" || state == "STAGE_OUT" ||
      state == "RESIZING") {
    return job_state::running;
  }
  if (state == "SUSPENDED" || state == "STOPPED") return job_state::suspended;
  if (state == "COMPLETED") return job_state::done;
  if (state == "CANCELLED") return job_state::cancelled;
  if (state == "FAILED" || state == "TIMEOUT" || state == "NODE_FAIL" || state == "PREEMPTED" || state == "BOOT_FAIL" ||
      state == "DEADLINE" || state == "OUT_OF_MEMORY" || state == "SPECIAL_EXIT" || state == "REVOKED") {
    return job_state::failed;
  }
  return job_state::unknown;
}

bool invalid_job_id(const command_result& r) { return r.stderr_text.find("Invalid job id") != std::string::npos; }

class slurm_scheduler final : public scheduler {
 public:
  std::string_view plugin_name() const override { return "core.slurm"; }

  std::string submit_script(const job_template& t) const override {
    const auto& job = t.job_name;
    const auto& res = t.resources;
    std::string s = "#!/bin/bash\n";
    if (!job.empty()) s += "#SBATCH --job-name=" + directive_value(job, "job name", job) + "\n";
    // Absolute paths: sbatch run over ssh would otherwise write into the remote home.
    s += "#SBATCH --output=" + directive_value(job, "scheduler stdout path", transport::join(t.working_directory, t.scheduler_stdout)) + "\n";
    s += "#SBATCH --error=" + directive_value(job, "scheduler stderr path", transport::join(t.working_directory, t.scheduler_stderr)) + "\n";
    s += "#SBATCH --nodes=" + std::to_string(res.num_machines) + "\n";
    s += "#SBATCH --ntasks-per-node=" + std::to_string(res.num_mpiprocs_per_machine) + "\n";
    if (res.num_cores_per_mpiproc) s += "#SBATCH --cpus-per-task=" + std::to_string(*res.num_cores_per_mpiproc) + "\n";
    if (res.max_wallclock_seconds) s += "#SBATCH --time=" + detail::hms(*res.max_wallclock_seconds) + "\n";
    if (res.max_memory_kb) s += "#SBATCH --mem=" + std::to_string((*res.max_memory_kb + 1023) / 1024) + "\n";
    if (!res.queue_name.empty()) s += "#SBATCH --partition=" + directive_value(job, "partition", res.queue_name) + "\n";
    if (!res.account.empty()) s += "#SBATCH --account=" + directive_value(job, "account", res.account) + "\n";
    if (!res.qos.empty()) s += "#SBATCH --qos=" + directive_value(job, "qos", res.qos) + "\n";
    for (const auto& d : t.custom_directives) {
      if (d.find_first_of("\r\n") != std::string::npos) throw scheduler_error("job '" + job + "': a custom directive spans lines");
      s += d + "\n";
    }
    s += "\ncd " + shell_quote(t.working_directory) + " || exit 1\n\n";
    s += detail::script_body(t);
    return s;
  }

  std::string submit_command(const job_template& job, const std::string& script_path) const override {
    return "cd " + shell_quote(job.working_directory) + " && sbatch --parsable " + shell_quote(script_path);
  }

  std::string parse_submit_output(const command_result& r) const override {
    // --parsable prints "<id>" or "<id>;<cluster>".
    auto out = detail::trim(r.stdout_text);
    out = out.substr(0, out.find(';'));
    if (r.exit_status != 0 || out.empty() || out.find_first_not_of("0123456789") != std::string_view::npos) {
      throw scheduler_error("core.slurm: sbatch failed (exit " + std::to_string(r.exit_status) + "): " +
                            std::string(detail::trim(r.stderr_text + r.stdout_text)));
    }
    return std::string(out);
  }

  std::string status_command(std::span<const std::string> ids) const override {
    std::string list;
    for (const auto& id : ids) {
      if (!detail::is_job_id(id)) throw scheduler_error("core.slurm: '" + id + "' is not a job id");
      list += (list.empty() ? "" : ",") + id;
    }
    return "squeue -h -t all -j " + shell_quote(list) + " -o '%i %T %r'";
  }

  std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids,
                                                       const command_result& r) const override {
    std::map<std::string, job_state> out;
    for (const auto& id : ids) out[id] = job_state::gone;
    if (r.exit_status != 0) {
      if (invalid_job_id(r)) return out;
      throw scheduler_error("core.slurm: squeue failed (exit " + std::to_string(r.exit_status) + "): " +
                            std::string(detail::trim(r.stderr_text)));
    }
    for (auto line : detail::lines(r.stdout_text)) {
      const auto w = detail::words(line);
      if (w.size() < 2) continue;
      const std::string id(w[0]);
      if (out.contains(id)) out[id] = map_state(w[1], w.size() > 2 ? w[2] : std::string_view{});
    }
    return out;
  }

  std::string kill_command(const std::string& id) const override {
    if (!detail::is_job_id(id)) throw scheduler_error("core.slurm: '" + id + "' is not a job id");
    return "scancel " + shell_quote(id);
  }

  void parse_kill_output(const command_result& r) const override {
    if (r.exit_status == 0 || invalid_job_id(r) || r.stderr_text.find("already completing or completed") != std::string::npos) {
      return;
    }
    throw scheduler_error("core.slurm: scancel failed (exit " + std::to_string(r.exit_status) + "): " +
                          std::string(detail::trim(r.stderr_text)));
  }

  std::string find_by_name_command(const std::string& job_name) const override {
    return "squeue -h -t all -n " + shell_quote(job_name) + " -o '%i %j'";
  }

  std::vector<std::string> parse_find_by_name_output(const std::string& job_name, const command_result& r) const override {
    if (r.exit_status != 0) {
      throw scheduler_error("core.slurm: squeue failed (exit " + std::to_string(r.exit_status) + "): " +
                            std::string(detail::trim(r.stderr_text)));
    }
    std::vector<std::string> ids;
    for (auto line : detail::lines(r.stdout_text)) {
      const auto space = line.find(' ');
      if (space != std::string_view::npos && line.substr(space + 1) == job_name) ids.emplace_back(line.substr(0, space));
    }
    return ids;
  }
};

std::unique_ptr<scheduler> make_slurm_scheduler(const nlohmann::json& /*settings*/) {
  return std::make_unique<slurm_scheduler>();
}

}  // namespace

TESSERA_ENTRY_POINT(schedulers, "core.slurm", make_slurm_scheduler)
