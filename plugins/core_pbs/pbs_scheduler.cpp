// core.pbs: PBS Pro (default) and Torque ({"flavor": "torque"}). qsub prints the job id;
// one `qstat -f` for many ids (PBS Pro adds -x to see finished jobs); qstat says
// "Unknown Job Id" for jobs it forgot, which are gone. Directive values are restricted to a
// safe alphabet (qsub parses #PBS lines itself); script values are shell-quoted.
#include <tessera/calcjob/detail/script_body.hpp>
#include <tessera/calcjob/detail/text.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/plugin/entry_point.hpp>

namespace {

using namespace tessera::calcjob;
using detail::directive_value;

class pbs_scheduler final : public scheduler {
 public:
  explicit pbs_scheduler(bool torque) : torque_(torque) {}

  std::string_view plugin_name() const override { return "core.pbs"; }

  std::string submit_script(const job_template& t) const override {
    const auto& job = t.job_name;
    const auto& res = t.resources;
    std::string s = "#!/bin/bash\n";
    if (!job.empty()) s += "#PBS -N " + directive_value(job, "job name", job) + "\n";
    s += "#PBS -o " + directive_value(job, "scheduler stdout path", transport::join(t.working_directory, t.scheduler_stdout)) + "\n";
    s += "#PBS -e " + directive_value(job, "scheduler stderr path", transport::join(t.working_directory, t.scheduler_stderr)) + "\n";
    const auto procs = std::to_string(res.num_mpiprocs_per_machine);
    const auto cores = std::to_string(res.num_mpiprocs_per_machine * res.num_cores_per_mpiproc.value_or(1));
    if (torque_) {
      s += "#PBS -l nodes=" + std::to_string(res.num_machines) + ":ppn=" + cores + "\n";
    } else {
      s += "#PBS -l select=" + std::to_string(res.num_machines) + ":mpiprocs=" + procs + ":ncpus=" + cores;
      if (res.max_memory_kb) s += ":mem=" + std::to_string(*res.max_memory_kb) + "kb";
      s += "\n";
    }
    if (torque_ && res.max_memory_kb) s += "#PBS -l mem=" + std::to_string(*res.max_memory_kb) + "kb\n";
    if (res.max_wallclock_seconds) s += "#PBS -l walltime=" + detail::hms(*res.max_wallclock_seconds) + "\n";
    if (!res.queue_name.empty()) s += "#PBS -q " + directive_value(job, "queue", res.queue_name) + "\n";
    if (!res.account.empty()) s += "#PBS -A " + directive_value(job, "account", res.account) + "\n";
    for (const auto& d : t.custom_directives) {
      if (d.find_first_of("\r\n") != std::string::npos) throw scheduler_error("job '" + job + "': a custom directive spans lines");
      s += d + "\n";
    }
    s += "\ncd " + shell_quote(t.working_directory) + " || exit 1\n\n";
    s += detail::script_body(t);
    return s;
  }

  std::string submit_command(const job_template& job, const std::string& script_path) const override {
    return "cd " + shell_quote(job.working_directory) + " && qsub " + shell_quote(script_path);
  }

  std::string parse_submit_output(const command_result& r) const override {
    const auto id = detail::trim(r.stdout_text);
    if (r.exit_status != 0 || id.empty() || !detail::is_job_id(id)) {
      throw scheduler_error("core.pbs: qsub failed (exit " + std::to_string(r.exit_status) + "): " +
                            std::string(detail::trim(r.stderr_text + r.stdout_text)));
    }
    return std::string(id);
  }

  std::string status_command(std::span<const std::string> ids) const override {
    std::string cmd = torque_ ? "qstat -f" : "qstat -f -x";
    for (const auto& id : ids) {
      if (!detail::is_job_id(id)) throw scheduler_error("core.pbs: '" + id + "' is not a job id");
      cmd += " " + shell_quote(id);
    }
    return cmd;
  }

  std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids,
                                                       const command_result& r) const override {
    std::map<std::string, job_state> out;
    for (const auto& id : ids) out[id] = job_state::gone;
    // qstat exits non-zero when any id is unknown, and still prints the others.
    if (r.exit_status != 0) {
      for (auto line : detail::lines(r.stderr_text)) {
        if (line.find("Unknown Job Id") == std::string_view::npos && line.find("Job has finished") == std::string_view::npos) {
          throw scheduler_error("core.pbs: qstat failed (exit " + std::to_string(r.exit_status) + "): " + std::string(line));
        }
      }
    }
    std::string current;
    char state = 0;
    std::optional<int> exit_status;
    const auto flush = [&] {
      if (current.empty()) return;
      const auto it = find_id(out, current);
      if (it != out.end()) it->second = map_state(state, exit_status);
      current.clear();
      state = 0;
      exit_status.reset();
    };
    for (auto line : detail::lines(r.stdout_text)) {
      if (line.starts_with("Job Id:")) {
        flush();
        current = std::string(detail::trim(line.substr(7)));
        continue;
      }
      const auto eq = line.find(" = ");
      if (eq == std::string_view::npos) continue;
      const auto key = detail::trim(line.substr(0, eq));
      const auto value = detail::trim(line.substr(eq + 3));
      if (key == "job_state" && !value.empty()) state = value.front();
      if (key == "Exit_status" || key == "exit_status") {
        try {
          exit_status = std::stoi(std::string(value));
        } catch (const std::exception&) {
        }
      }
    }
    flush();
    return out;
  }

  std::string kill_command(const std::string& id) const override {
    if (!detail::is_job_id(id)) throw scheduler_error("core.pbs: '" + id + "' is not a job id");
    return "qdel " + shell_quote(id);
  }

  void parse_kill_output(const command_result& r) const override {
    if (r.exit_status == 0 || r.stderr_text.find("Unknown Job Id") != std::string::npos ||
        r.stderr_text.find("Job has finished") != std::string::npos) {
      return;
    }
    throw scheduler_error("core.pbs: qdel failed (exit " + std::to_string(r.exit_status) + "): " +
                          std::string(detail::trim(r.stderr_text)));
  }

  std::string find_by_name_command(const std::string& job_name) const override {
    return std::string(torque_ ? "qselect -N " : "qselect -x -N ") + shell_quote(job_name);
  }

  std::vector<std::string> parse_find_by_name_output(const std::string& /*job_name*/, const command_result& r) const override {
    if (r.exit_status != 0 && !detail::trim(r.stderr_text).empty()) {
      throw scheduler_error("core.pbs: qselect failed (exit " + std::to_string(r.exit_status) + "): " +
                            std::string(detail::trim(r.stderr_text)));
    }
    std::vector<std::string> ids;
    for (auto line : detail::lines(r.stdout_text)) ids.emplace_back(line);
    return ids;
  }

 private:
  // qstat -f may print the full "123.server.domain" for an id submitted as "123.server".
  static std::map<std::string, job_state>::iterator find_id(std::map<std::string, job_state>& out, const std::string& id) {
    if (auto it = out.find(id); it != out.end()) return it;
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (id.starts_with(it->first + ".") || it->first.starts_with(id + ".")) return it;
    }
    return out.end();
  }

  static job_state map_state(char state, std::optional<int> exit_status) {
    switch (state) {
      case 'Q': case 'W': case 'T': return job_state::queued;
      case 'H': return job_state::queued_held;
      case 'R': case 'E': case 'B': return job_state::running;
      case 'S': case 'U': return job_state::suspended;
      case 'F': case 'C': case 'X':
        // PBS Pro reports a job killed by a signal as 256 + signal (271: SIGTERM from qdel, 265: SIGKILL).
        if (!exit_status || *exit_status == 0) return job_state::done;
        return (*exit_status == 271 || *exit_status == 265) ? job_state::cancelled : job_state::failed;
      case 'M': return job_state::gone;
      default: return job_state::unknown;
    }
  }

  bool torque_;
};

std::unique_ptr<scheduler> make_pbs_scheduler(const nlohmann::json& settings) {
  const auto flavor = settings.is_object() ? settings.value("flavor", std::string("pbspro")) : std::string("pbspro");
  if (flavor != "pbspro" && flavor != "torque") {
    throw scheduler_error("core.pbs: unknown flavor '" + flavor + "' (expected \"pbspro\" or \"torque\")");
  }
  return std::make_unique<pbs_scheduler>(flavor == "torque");
}

}  // namespace

TESSERA_ENTRY_POINT(schedulers, "core.pbs", make_pbs_scheduler)
