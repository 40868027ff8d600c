// Loads mylab.echo (found through TESSERA_PLUGIN_PATH) and the plugins installed with tessera
// (found through the installed package's default folder), and uses both.
#include <tessera/plugin.hpp>

#include <cstdio>
#include <filesystem>

int main() {
  tessera::plugin::registry registry;
  for (const auto& p : registry.problems()) std::printf("problem: %s\n", p.message.c_str());
  for (const auto& e : registry.entries()) {
    std::printf("%-12s %-12s %-8s %s\n", std::string(to_string(e.group)).c_str(), e.name.c_str(), e.version.c_str(),
                e.library.c_str());
  }
  const auto echo = registry.find(tessera::plugin::group::schedulers, "mylab.echo");
  if (!echo || echo->version != "2.3.4") return 1;
  const auto slurm = registry.find(tessera::plugin::group::schedulers, "core.slurm");
  if (!slurm) return 2;
  // The core plugins must come from the installed prefix, not from the build tree.
  if (std::filesystem::weakly_canonical(slurm->library.parent_path()) !=
      std::filesystem::weakly_canonical(EXPECTED_INSTALLED_PLUGINDIR)) {
    std::printf("core.slurm from %s, expected %s\n", slurm->library.c_str(), EXPECTED_INSTALLED_PLUGINDIR);
    return 3;
  }
  tessera::calcjob::job_template job;
  job.job_name = "it's";
  auto scheduler = registry.make_scheduler("mylab.echo");
  if (scheduler->submit_script(job) != "#!/bin/sh\necho 'it'\\''s'\n") return 4;
  auto local = registry.make_transport("core.local");
  local->open();
  if (local->exec_command("echo ok").stdout_text != "ok\n") return 5;
  if (!registry.problems().empty()) return 6;
  std::puts("third-party plugin ok");
  return 0;
}
