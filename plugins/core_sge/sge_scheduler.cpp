// core.sge: Sun Grid Engine and its descendants (Son of Grid Engine 8.1, as packaged by
// Debian). `qsub -terse` prints the job id; one `qstat -xml -u '*'` lists every pending,
// running and suspended job (qstat cannot list a set of ids), and a job it does not list has
// finished: gone. `qdel` says "does not exist" for a job already gone, which is not an error.
//
// SGE's rules, enforced here rather than left to a failing qsub: a job name may not start
// with a digit (process uuids often do: such names get a "t" prefix, which no uuid starts
// with) nor contain / : @ \ * ?; -o/-e/-wd take "[host:]path,..." so a path may hold neither
// ':' nor ','. qsub reads #$ lines itself, so every directive value is limited to a safe
// alphabet (detail::directive_value); the script's own values are shell-quoted. Jobs and
// names only ever reach a command after validation: qdel also takes job names and patterns.
//
// Settings: {"parallel_environment": "mpi"} names the PE for jobs of more than one slot
// (SGE has no nodes-and-tasks request; slots = machines x procs x cores per proc).
#include <algorithm>

#include <tessera/calcjob/detail/script_body.hpp>
#include <tessera/calcjob/detail/text.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/plugin/entry_point.hpp>

namespace {

using namespace tessera::calcjob;
using detail::directive_value;

bool all_digits(std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos; }

void require_job_id(const std::string& id) {
  if (!all_digits(id)) throw scheduler_error("core.sge: '" + id + "' is not an SGE job number");
}

/// The name SGE gets for `job_name` (see the file comment).
std::string sge_job_name(const std::string& job_name) {
  directive_value(job_name, "job name", job_name);
  if (job_name.find_first_of("/:@") != std::string::npos) {
    throw scheduler_error("job '" + job_name + "': SGE job names may not contain / : @");
  }
  return (job_name.front() >= '0' && job_name.front() <= '9') ? "t" + job_name : job_name;
}

const std::string& sge_path(const std::string& job, const char* what, const std::string& path) {
  directive_value(job, what, path);
  if (path.find_first_of(":,") != std::string::npos) {
    throw scheduler_error("job '" + job + "': " + what + " '" + path + "' cannot be given to SGE (':' and ',' separate hosts and paths)");
  }
  return path;
}

/// Text between <tag> and </tag> in `block`, or empty.
std::string_view element(std::string_view block, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  const auto start = block.find(open);
  if (start == std::string_view::npos) return {};
  const auto from = start + open.size();
  const auto end = block.find(close, from);
  if (end == std::string_view::npos) return {};
  return detail::trim(block.substr(from, end - from));
}

struct listed_job {
  std::string id, name, state;
};

/// The <job_list> entries of `qstat -xml` (running ones under <queue_info>, the others under
/// <job_info>); throws when the text is not qstat's XML.
std::vector<listed_job> parse_qstat_xml(const command_result& r, const char* what) {
  if (r.exit_status != 0) {
    throw scheduler_error(std::string("core.sge: ") + what + " failed (exit " + std::to_string(r.exit_status) + "): " +
                          std::string(detail::trim(r.stderr_text + r.stdout_text)));
  }
  std::string_view text = r.stdout_text;
  if (text.find("<job_info") == std::string_view::npos) {
    throw scheduler_error(std::string("core.sge: ") + what + " printed no job list: " + std::string(detail::trim(text.substr(0, 200))));
  }
  std::vector<listed_job> out;
  for (auto pos = text.find("<job_list"); pos != std::string_view::npos; pos = text.find("<job_list", pos)) {
    const auto end = text.find("</job_list>", pos);
    if (end == std::string_view::npos) throw scheduler_error(std::string("core.sge: ") + what + " printed truncated XML");
    const auto block = text.substr(pos, end - pos);
    out.push_back({std::string(element(block, "JB_job_number")), std::string(element(block, "JB_name")),
                   std::string(element(block, "state"))});
    pos = end;
  }
  return out;
}

// State letters (qstat(1)): d(eletion) E(rror) h(old) q(ueued) r(unning) R(estarted)
// s/S(uspended) t(ransfering) T(hreshold) w(aiting) z(ombie), combined as in "hqw", "dr".
job_state map_state(std::string_view s) {
  const auto has = [&](char c) { return s.find(c) != std::string_view::npos; };
  if (s.empty()) return job_state::unknown;
  if (has('d')) return job_state::cancelled;  // qdel was run; the job is being removed
  // Eqw: the job could not be started (bad working directory, output path...) and will not
  // run until an administrator clears it; waiting for that would hang the calculation.
  if (has('E')) return job_state::failed;
  if (has('s') || has('S') || has('T')) return job_state::suspended;
  if (has('h')) return job_state::queued_held;
  if (has('r') || has('t')) return job_state::running;
  if (has('q') || has('w')) return job_state::queued;
  if (has('R')) return job_state::running;
  if (has('z')) return job_state::done;
  return job_state::unknown;
}

class sge_scheduler final : public scheduler {
 public:
  explicit sge_scheduler(std::string parallel_environment) : pe_(std::move(parallel_environment)) {}

  std::string_view plugin_name() const override { return "core.sge"; }

  std::string submit_script(const job_template& t) const override {
    const auto& job = t.job_name;
    const auto& res = t.resources;
    std::string s = "#!/bin/bash\n";
    // The queue's shell (csh by default) would run the script otherwise.
    s += "#$ -S /bin/bash\n";
    if (!job.empty()) s += "#$ -N " + sge_job_name(job) + "\n";
    s += "#$ -wd " + sge_path(job, "working directory", t.working_directory) + "\n";
    s += "#$ -o " + sge_path(job, "scheduler stdout path", transport::join(t.working_directory, t.scheduler_stdout)) + "\n";
    s += "#$ -e " + sge_path(job, "scheduler stderr path", transport::join(t.working_directory, t.scheduler_stderr)) + "\n";
    // The submitting environment goes with the job, as sbatch does by default (and AiiDA's
    // import_sys_environment): the code may depend on modules loaded at login.
    s += "#$ -V\n";
    const std::uint64_t cores_per_machine =
        std::uint64_t{res.num_mpiprocs_per_machine} * res.num_cores_per_mpiproc.value_or(1);
    const std::uint64_t slots = std::uint64_t{res.num_machines} * cores_per_machine;
    if (slots == 0) throw scheduler_error("job '" + job + "': no slots requested");
    if (slots > 1) {
      if (pe_.empty()) {
        throw scheduler_error("job '" + job + "': " + std::to_string(slots) +
                              " slots need a parallel environment: set the scheduler setting \"parallel_environment\"");
      }
      s += "#$ -pe " + pe_ + " " + std::to_string(slots) + "\n";
    }
    if (res.max_wallclock_seconds) s += "#$ -l h_rt=" + detail::hms(*res.max_wallclock_seconds) + "\n";
    // h_vmem is a per-slot limit in SGE; max_memory_kb is per machine.
    if (res.max_memory_kb) {
      const auto per_slot = (*res.max_memory_kb + cores_per_machine - 1) / cores_per_machine;
      s += "#$ -l h_vmem=" + std::to_string(per_slot) + "K\n";
    }
    if (!res.queue_name.empty()) s += "#$ -q " + directive_value(job, "queue", res.queue_name) + "\n";
    if (!res.account.empty()) s += "#$ -A " + directive_value(job, "account", res.account) + "\n";
    return s + detail::custom_directives_and_body(t);
  }

  std::string submit_command(const job_template& job, const std::string& script_path) const override {
    return "cd " + shell_quote(job.working_directory) + " && qsub -terse " + shell_quote(script_path);
  }

  std::string parse_submit_output(const command_result& r) const override {
    // -terse: "<id>\n", or "<id>.<first>-<last>:<step>" for an array job.
    auto out = detail::trim(r.stdout_text);
    out = out.substr(0, out.find_first_of(".\n"));
    if (r.exit_status != 0 || !all_digits(out)) {
      throw scheduler_error("core.sge: qsub failed (exit " + std::to_string(r.exit_status) + "): " +
                            std::string(detail::trim(r.stderr_text + r.stdout_text)));
    }
    return std::string(out);
  }

  std::string status_command(std::span<const std::string> ids) const override {
    for (const auto& id : ids) require_job_id(id);
    return "qstat -xml -u '*'";
  }

  std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids,
                                                       const command_result& r) const override {
    std::map<std::string, job_state> out;
    for (const auto& id : ids) out[id] = job_state::gone;
    for (const auto& j : parse_qstat_xml(r, "qstat")) {
      // A parallel job may be listed once per queue instance: the first entry counts.
      if (const auto it = out.find(j.id); it != out.end() && it->second == job_state::gone) it->second = map_state(j.state);
    }
    return out;
  }

  std::string kill_command(const std::string& id) const override {
    require_job_id(id);
    return "qdel " + shell_quote(id);
  }

  void parse_kill_output(const command_result& r) const override {
    const auto all = r.stdout_text + r.stderr_text;
    if (r.exit_status == 0 || all.find("does not exist") != std::string::npos ||
        all.find("already in deletion") != std::string::npos) {
      return;
    }
    throw scheduler_error("core.sge: qdel failed (exit " + std::to_string(r.exit_status) + "): " + std::string(detail::trim(all)));
  }

  std::string find_by_name_command(const std::string& job_name) const override {
    (void)sge_job_name(job_name);  // a name SGE refuses was never submitted: say so now
    // -s prsz: finished jobs too, while the qmaster keeps them (its finished_jobs setting).
    return "qstat -xml -u '*' -s prsz";
  }

  std::vector<std::string> parse_find_by_name_output(const std::string& job_name, const command_result& r) const override {
    const auto name = sge_job_name(job_name);
    std::vector<std::string> ids;
    for (const auto& j : parse_qstat_xml(r, "qstat")) {
      if (j.name == name && std::find(ids.begin(), ids.end(), j.id) == ids.end()) ids.push_back(j.id);
    }
    return ids;
  }

 private:
  std::string pe_;
};

std::unique_ptr<scheduler> make_sge_scheduler(const nlohmann::json& settings) {
  std::string pe;
  if (settings.is_object() && settings.contains("parallel_environment")) {
    if (!settings["parallel_environment"].is_string()) throw scheduler_error("core.sge: \"parallel_environment\" must be a string");
    pe = settings["parallel_environment"].get<std::string>();
    if (!detail::is_directive_safe(pe) || pe.find_first_of("/:@,") != std::string::npos) {
      throw scheduler_error("core.sge: parallel environment '" + pe + "' is not an SGE name");
    }
  }
  return std::make_unique<sge_scheduler>(std::move(pe));
}

}  // namespace

TESSERA_ENTRY_POINT(schedulers, "core.sge", make_sge_scheduler)
