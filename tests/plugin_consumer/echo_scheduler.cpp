// mylab.echo: a toy scheduler from "another lab": it runs nothing and says every job is done.
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/plugin/entry_point.hpp>

namespace {

using namespace tessera::calcjob;

class echo_scheduler final : public scheduler {
 public:
  std::string_view plugin_name() const override { return "mylab.echo"; }
  std::string submit_script(const job_template& t) const override { return "#!/bin/sh\necho " + shell_quote(t.job_name) + "\n"; }
  std::string submit_command(const job_template&, const std::string& script) const override { return "sh " + shell_quote(script); }
  std::string parse_submit_output(const command_result& r) const override { return r.stdout_text; }
  std::string status_command(std::span<const std::string>) const override { return "true"; }
  std::map<std::string, job_state> parse_status_output(std::span<const std::string> ids, const command_result&) const override {
    std::map<std::string, job_state> out;
    for (const auto& id : ids) out[id] = job_state::done;
    return out;
  }
  std::string kill_command(const std::string&) const override { return "true"; }
  void parse_kill_output(const command_result&) const override {}
  std::string find_by_name_command(const std::string&) const override { return "true"; }
  std::vector<std::string> parse_find_by_name_output(const std::string&, const command_result&) const override { return {}; }
};

std::unique_ptr<scheduler> make_echo(const nlohmann::json&) { return std::make_unique<echo_scheduler>(); }

}  // namespace

TESSERA_ENTRY_POINT(schedulers, "mylab.echo", make_echo)
