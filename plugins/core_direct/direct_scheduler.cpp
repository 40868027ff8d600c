// core.direct: no scheduler at all. The job script runs in the background in a session of
// its own (setsid: no terminal hang-up or Ctrl-C reaches it, and kill signals its whole
// process group); /proc/<pid>/stat (or ps) tells whether it still runs. The job's name is
// the script's argument ("tessera-job:<name>"), so `ps` finds it by name. Per job: the
// transport's shell, setsid, one bash for the script and the job's own command (no re-exec
// under the name, no nohup: setsid already detaches it from any terminal).
//
// The job id is "<pid>:<start>", start being the process's start time in clock ticks since
// boot (/proc/<pid>/stat, field 22). A pid alone names whichever process holds it now: Linux
// reuses pids (pid_max is often 32,768, a few minutes of jobs at full speed), and a finished
// job's pid taken by another process would look like the job still running, and killing it
// would signal someone else's process group. The start time tells them apart. Where there is
// no /proc the id is the bare pid, as are ids recorded before this form.
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

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
    // The start time is read with shell builtins (no process more per job). The child exists
    // from the fork on; one that already ended and was reaped has no stat: the bare pid.
    return "cd " + shell_quote(job.working_directory) + " && { setsid /bin/bash " + shell_quote(script_path) + " " +
           shell_quote(std::string(name_prefix) + job.job_name) + " > /dev/null 2>&1 < /dev/null & p=$!; " +
           start_time_of("$p") + " if [ -n \"$t\" ]; then echo \"${p}:${t}\"; else echo \"$p\"; fi; }";
  }

  std::string parse_submit_output(const command_result& r) const override {
    const auto id = detail::trim(r.stdout_text);
    if (r.exit_status != 0 || !parse_id(id)) {
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
    std::unordered_set<std::string_view> seen;  // a reused pid may be in two ids
    for (const auto& id : ids) {
      const auto pid = checked(id).pid;
      if (!seen.insert(pid).second) continue;
      list += (list.empty() ? "" : ",") + std::string(pid);
      files += " /proc/" + std::string(pid) + "/stat";
    }
    return "if [ -r /proc/self/stat ]; then cat" + files + " 2>/dev/null; true; else ps -o pid=,stat= -p " +
           shell_quote(list) + "; fi";
  }

  std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids,
                                                       const command_result& r) const override {
    // ps exits 1 when none of the pids exists: that only means every job is gone. (cat's
    // complaints about gone jobs are discarded: what is left is the shell's or ps's.)
    if (r.exit_status != 0 && !detail::trim(r.stderr_text).empty()) {
      throw scheduler_error("core.direct: the status poll failed (exit " + std::to_string(r.exit_status) + "): " +
                            r.stderr_text);
    }
    std::map<std::string, job_state> out;
    std::unordered_map<std::string_view, std::vector<std::pair<const std::string*, std::string_view>>> by_pid;
    for (const auto& id : ids) {
      out[id] = job_state::gone;
      const auto ref = checked(id);
      by_pid[ref.pid].emplace_back(&id, ref.start);
    }
    for (auto line : detail::lines(r.stdout_text)) {
      const auto s = read_status_line(line);
      if (!s) continue;
      const auto it = by_pid.find(s->pid);
      if (it == by_pid.end()) continue;
      // A zombie has finished; PID 1 just has not reaped it yet.
      const auto state = s->state == 'Z' ? job_state::done : s->state == 'T' ? job_state::suspended : job_state::running;
      for (const auto& [id, start] : it->second) {
        // Another start time: the job is gone and its pid was given to another process.
        if (start.empty() || s->start.empty() || start == s->start) out[*id] = state;
      }
    }
    return out;
  }

  std::string kill_command(const std::string& id) const override {
    const auto ref = checked(id);
    const std::string pid(ref.pid);
    // The job leads its own session: kill the whole process group, its children included.
    // Just after submission setsid() may not have run yet (no such group): kill the pid, then
    // the group once more, which by then holds whatever the job started before it died.
    // (No `--`: dash's kill refuses it; `kill -TERM -<id>` means the group in sh and bash.)
    const auto kill = "kill -TERM -" + pid + " 2>/dev/null || { kill -TERM " + pid + " && { kill -TERM -" + pid +
                      " 2>/dev/null; true; }; }";
    if (ref.start.empty()) return kill;
    // Only while the pid is still the job's. A process of that pid started at another time
    // means the job is gone: nothing to kill. No process of that pid: the job's leader is
    // gone, but its group may live on, and Linux hands out no pid that is still a group's id,
    // so the group is the job's.
    return start_time_of(pid) + " if [ -z \"$t\" ] || [ \"$t\" = " + std::string(ref.start) + " ]; then " + kill + "; fi";
  }

  void parse_kill_output(const command_result& r) const override {
    if (r.exit_status != 0 && r.stderr_text.find("No such process") == std::string::npos) {
      throw scheduler_error("core.direct: kill failed (exit " + std::to_string(r.exit_status) + "): " + r.stderr_text);
    }
  }

  std::string find_by_name_command(const std::string& job_name) const override {
    // Every process's arguments, then (where there is /proc) the stat line of those that may
    // be the job, for its start time: parse_find_by_name_output matches the name exactly.
    const auto name = shell_quote(std::string(name_prefix) + job_name);
    return "ps -eo pid=,args=; if [ -r /proc/self/stat ]; then echo " + std::string(stat_section) +
           "; ps -eo pid=,args= | while read -r p a; do case \" $a\" in *' '" + name + "|*' '" + name + "' '*) " +
           "l=; { read -r l < /proc/$p/stat; } 2>/dev/null; [ -n \"$l\" ] && printf '%s\\n' \"$l\";; esac; done; fi; true";
  }

  std::vector<std::string> parse_find_by_name_output(const std::string& job_name, const command_result& r) const override {
    if (r.exit_status != 0) throw scheduler_error("core.direct: ps failed: " + r.stderr_text);
    const std::string wanted = std::string(name_prefix) + job_name;
    std::vector<std::string_view> pids;
    std::unordered_map<std::string_view, std::string_view> start_of;
    bool in_stat = false;
    for (auto line : detail::lines(r.stdout_text)) {
      if (line == stat_section) {
        in_stat = true;
        continue;
      }
      if (in_stat) {
        if (const auto s = read_status_line(line); s && !s->start.empty()) start_of[s->pid] = s->start;
        continue;
      }
      const auto space = line.find(' ');
      if (space == std::string_view::npos) continue;
      const auto args = detail::trim(line.substr(space + 1));
      // "/bin/bash <script> tessera-job:<name>"; jobs of earlier versions renamed themselves
      // and show "tessera-job:<name> <script>".
      const bool last = args.size() > wanted.size() && args.ends_with(wanted) && args[args.size() - wanted.size() - 1] == ' ';
      const bool first = args.starts_with(wanted) && (args.size() == wanted.size() || args[wanted.size()] == ' ');
      if (last || first) pids.push_back(line.substr(0, space));
    }
    std::vector<std::string> ids;
    for (const auto pid : pids) {
      const auto start = start_of.find(pid);
      ids.push_back(start == start_of.end() ? std::string(pid) : std::string(pid) + ":" + std::string(start->second));
    }
    return ids;
  }

 private:
  static constexpr std::string_view stat_section = "--tessera-stat--";

  struct job_ref {
    std::string_view pid, start;  // start: empty when the id carries none
  };
  // "<pid>" or "<pid>:<start>", both all digits; nullopt for anything else.
  static std::optional<job_ref> parse_id(std::string_view id) {
    const auto digits = [](std::string_view d) {
      return !d.empty() && d.size() <= 20 && d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    const auto colon = id.find(':');
    job_ref ref{id.substr(0, colon), colon == std::string_view::npos ? std::string_view() : id.substr(colon + 1)};
    if (!digits(ref.pid) || (colon != std::string_view::npos && !digits(ref.start))) return std::nullopt;
    return ref;
  }
  static job_ref checked(std::string_view id) {
    if (auto ref = parse_id(id)) return *ref;
    throw scheduler_error("core.direct: '" + std::string(id) + "' is not a job id (<pid> or <pid>:<start time>)");
  }

  // Shell text that sets t to the start time of process `pid` (a shell word), or to nothing
  // when it has no /proc/<pid>/stat. Builtins and parameter expansion only: no process, no
  // word splitting (zsh, a common login shell over core.ssh, does not split unquoted
  // variables), and the command name is passed over by cutting through its last ") ".
  static std::string start_time_of(std::string_view pid) {
    return "t=; l=; { read -r l < /proc/" + std::string(pid) +
           "/stat; } 2>/dev/null; if [ -n \"$l\" ]; then s=${l##*\") \"}; i=0; while [ $i -lt 19 ]; do s=${s#* }; "
           "i=$((i + 1)); done; t=${s%% *}; fi;";
  }

  struct status_line {
    std::string_view pid;
    char state;
    std::string_view start;  // empty for ps's lines
  };
  // "<pid> <stat>" from ps, or "<pid> (<command name>) <state> ..." from /proc/<pid>/stat,
  // where the name may hold spaces and parentheses: the fields follow the last ')'. The start
  // time is the 20th of them (field 22 of the line).
  static std::optional<status_line> read_status_line(std::string_view line) {
    const auto id_end = line.find_first_of(" \t");
    if (id_end == std::string_view::npos) return std::nullopt;
    status_line out{line.substr(0, id_end), '\0', {}};
    auto rest = line.substr(id_end);
    bool proc = false;
    if (const auto first = rest.find_first_not_of(" \t"); first != std::string_view::npos && rest[first] == '(') {
      const auto close = rest.rfind(')');
      if (close == std::string_view::npos) return std::nullopt;
      rest.remove_prefix(close + 1);
      proc = true;
    }
    for (int field = 0; field < (proc ? 20 : 1); ++field) {
      const auto at = rest.find_first_not_of(" \t");
      if (at == std::string_view::npos) break;
      rest.remove_prefix(at);
      const auto end = std::min(rest.find_first_of(" \t"), rest.size());
      if (field == 0) out.state = rest[0];
      if (field == 19) out.start = rest.substr(0, end);
      rest.remove_prefix(end);
    }
    if (out.state == '\0') return std::nullopt;
    return out;
  }
};

std::unique_ptr<scheduler> make_direct_scheduler(const nlohmann::json& /*settings*/) {
  return std::make_unique<direct_scheduler>();
}

}  // namespace

TESSERA_ENTRY_POINT(schedulers, "core.direct", make_direct_scheduler)
