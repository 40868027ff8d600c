#pragma once
// Runs calcjobs with plugins from a registry: transports, schedulers and parsers are made
// by name through `reg`, which must outlive the runner.
//
//   tessera::plugin::registry reg;              // TESSERA_PLUGIN_PATH and the installed folder
//   tessera::runner r(st);
//   tessera::plugin::use_for_calcjobs(r, reg);
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/calcjob/services.hpp>
#include <tessera/plugin/registry.hpp>

namespace tessera::plugin {

inline calcjob::plugin_factories factories_of(const registry& reg) {
  calcjob::plugin_factories f;
  const registry* r = &reg;
  f.make_transport = [r](const std::string& name, const nlohmann::json& settings) { return r->make_transport(name, settings); };
  f.make_scheduler = [r](const std::string& name, const nlohmann::json& settings) { return r->make_scheduler(name, settings); };
  f.make_parser = [r](const std::string& name) -> std::shared_ptr<const parser_plugin> {
    return r->create<group::parsers>(name);
  };
  return f;
}

inline void use_for_calcjobs(runner& run, const registry& reg) { calcjob::services::of(run).set_plugins(factories_of(reg)); }

}  // namespace tessera::plugin
