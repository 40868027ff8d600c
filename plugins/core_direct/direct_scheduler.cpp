// core.direct: no scheduler at all. The job script runs in the background in a session of
// its own (setsid: no terminal hang-up or Ctrl-C reaches it, and kill signals its whole
// process group); its pid is the job id, /proc/<pid>/stat (or ps) tells whether it still
// runs. The job's name is the script's argument ("tessera-job:<name>"), so `ps` finds it by
// name. Per job: the transport's shell, setsid, one bash for the script and the job's own
// command (no re-exec under the name, no nohup: setsid already detaches it from any terminal).
#include <tessera/calcjob/detail/script_body.hpp>
#include <tessera/calcjob/detail/text.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/plugin/entry_point.hpp>

namespace {

using namespace tessera::calcjob;

constexpr std::string_view name_prefix = "tessera-job:";

class direct_scheduler final : public scheduler {
 public:
  std::string_view plugin_name() const override { return "core.direct"; }

  std::string submit_script(const job_template& t) const override {
    std::string s = "#!/bin/bash\n";
    s += "# run as: /bin/bash <this script> " + std::string(name_prefix) + "<job name> (ps shows the name)\n";
    if (!t.working_directory.empty()) s += "cd " + shell_quote(t.working_directory) + " || exit 1\n";
    s += "exec > " + shell_quote(t.scheduler_stdout) + " 2> " + shell_quote(t.scheduler_stderr) + "\n\n";
    s += detail::script_body(t);
    return s;
  }

  std::string submit_command(const job_template& job, const std::string& script_path) const override {
    // Braces: only the job goes to the background (not the whole `cd && ...` list, which
    // would keep a subshell holding the transport's output pipe, and report its pid). The
    // background child execs setsid, which (not a group leader) calls setsid() and execs bash
    // in place: $! is the job's pid, session and process group. ($! may be printed before
    // setsid() ran: kill_command then falls back to the pid, which is all there is yet.)
    return "cd " + shell_quote(job.working_directory) + " && { setsid /bin/bash " + shell_quote(script_path) + " " +
           shell_quote(std::string(name_prefix) + job.job_name) + " > /dev/null 2>&1 < /dev/null & echo $!; }";
  }

  std::string parse_submit_output(const command_result& r) const override {
    const auto id = detail::trim(r.stdout_text);
    if (r.exit_status != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string_view::npos) {
      throw scheduler_error("core.direct: submission failed (exit " + std::to_string(r.exit_status) + "): " + r.stdout_text +
                            r.stderr_text);
    }
    return std::string(id);
  }

  std::string status_command(std::span<const std::string> ids) const override {
    // Where there is a /proc (Linux), one `cat` of the jobs' stat files: ps reads every
    // process's, and starting it cost more CPU than the jobs it watched (15 ms a poll against
    // 5 ms here). A job that is gone has no file (cat complains, and says nothing of the
    // others). Elsewhere (a BSD or macOS over core.ssh), ps.
    std::string list, files;
    for (const auto& id : ids) {
      check_pid(id);
      list += (list.empty() ? "" : ",") + id;
      files += " /proc/" + id + "/stat";
    }
    return "if [ -r /proc/self/stat ]; then cat" + files + " 2>/dev/null; true; else ps -o pid=,stat= -p " +
           shell_quote(list) + "; fi";
  }

  std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids,
                                                       const command_result& r) const override {
    // ps exits 1 when none of the pids exists: that only means every job is gone.
    if (r.exit_status != 0 && !detail::trim(r.stderr_text).empty()) {
      throw scheduler_error("core.direct: ps failed (exit " + std::to_string(r.exit_status) + "): " + r.stderr_text);
    }
    std::map<std::string, job_state> out;
    for (const auto& id : ids) out[id] = job_state::gone;
    for (auto line : detail::lines(r.stdout_text)) {
      // "<pid> <stat>" from ps, or "<pid> (<command name>) <state> ..." from /proc/<pid>/stat,
      // where the name may hold spaces and parentheses: the state follows the last ')'.
      const auto id_end = line.find_first_of(" \t");
      if (id_end == std::string_view::npos) continue;
      const std::string id(line.substr(0, id_end));
      if (!out.contains(id)) continue;
      auto rest = line.substr(id_end);
      if (const auto first = rest.find_first_not_of(" \t"); first != std::string_view::npos && rest[first] == '(') {
        const auto close = rest.rfind(')');
        if (close == std::string_view::npos) continue;
        rest.remove_prefix(close + 1);
      }
      const auto at = rest.find_first_not_of(" \t");
      if (at == std::string_view::npos) continue;
      const char state = rest[at];
      // A zombie has finished; PID 1 just has not reaped it yet.
      out[id] = state == 'Z' ? job_state::done : state == 'T' ? job_state::suspended : job_state::running;
    }
    return out;
  }

  std::string kill_command(const std::string& id) const override {
    check_pid(id);
    // The job leads its own session: kill the whole process group, its children included.
    // Just after submission setsid() may not have run yet (no such group): kill the pid, then
    // the group once more, which by then holds whatever the job started before it died.
    // (No `--`: dash's kill refuses it; `kill -TERM -<id>` means the group in sh and bash.)
    return "kill -TERM -" + id + " 2>/dev/null || { kill -TERM " + id + " && { kill -TERM -" + id +
           " 2>/dev/null; true; }; }";
  }

  void parse_kill_output(const command_result& r) const override {
    if (r.exit_status != 0 && r.stderr_text.find("No such process") == std::string::npos) {
      throw scheduler_error("core.direct: kill failed (exit " + std::to_string(r.exit_status) + "): " + r.stderr_text);
    }
  }

  std::string find_by_name_command(const std::string& /*job_name*/) const override { return "ps -eo pid=,args="; }

  std::vector<std::string> parse_find_by_name_output(const std::string& job_name, const command_result& r) const override {
    if (r.exit_status != 0) throw scheduler_error("core.direct: ps failed: " + r.stderr_text);
    const std::string wanted = std::string(name_prefix) + job_name;
    std::vector<std::string> ids;
    for (auto line : detail::lines(r.stdout_text)) {
      const auto space = line.find(' ');
      if (space == std::string_view::npos) continue;
      const auto args = detail::trim(line.substr(space + 1));
      // "/bin/bash <script> tessera-job:<name>"; jobs of earlier versions renamed themselves
      // and show "tessera-job:<name> <script>".
      const bool last = args.size() > wanted.size() && args.ends_with(wanted) && args[args.size() - wanted.size() - 1] == ' ';
      const bool first = args.starts_with(wanted) && (args.size() == wanted.size() || args[wanted.size()] == ' ');
      if (last || first) ids.emplace_back(line.substr(0, space));
    }
    return ids;
  }

 private:
  static void check_pid(const std::string& id) {
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
      throw scheduler_error("core.direct: '" + id + "' is not a process id");
    }
  }
};

std::unique_ptr<scheduler> make_direct_scheduler(const nlohmann::json& /*settings*/) {
  return std::make_unique<direct_scheduler>();
}

}  // namespace

TESSERA_ENTRY_POINT(schedulers, "core.direct", make_direct_scheduler)
