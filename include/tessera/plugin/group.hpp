#pragma once
// Entry-point groups and the factory type each group's entry points must have. A factory is
// a plain function (the only thing that crosses a dlopen boundary safely); objects it makes
// are owned by the registry's caller, and keep their library loaded (registry.hpp).
#include <array>
#include <memory>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include <tessera/calcjob/parser.hpp>
#include <tessera/calcjob/scheduler.hpp>
#include <tessera/calcjob/transport.hpp>

namespace tessera {
namespace spec {
class runtime_spec;
}

// Interfaces of the engine-bound groups, completed by the layers that run them (calcjob
// lifecycle, engine; each addition bumps plugin::abi_version). Parsers are defined by the
// calcjob lifecycle (calcjob/parser.hpp); data is only declared, so its factories have a type.
class data_plugin;

/// A process offered by a plugin (groups calculations and workflows). For now it gives what
/// is known without running anything: its spec, e.g. spec::runtime_spec_of<P>(). The spec
/// lives in the plugin's library, which the object keeps loaded. Plugin and program must
/// agree on runtime_spec's layout: the same tessera headers, and both header-only or both
/// TESSERA_SEPARATE_COMPILATION.
class process_plugin {
 public:
  process_plugin() = default;
  process_plugin(const process_plugin&) = delete;
  process_plugin& operator=(const process_plugin&) = delete;
  virtual ~process_plugin() = default;
  [[nodiscard]] virtual const spec::runtime_spec& spec() const = 0;
};
class calculation_plugin : public process_plugin {};
class workflow_plugin : public process_plugin {};
}  // namespace tessera

namespace tessera::plugin {

enum class group { calculations, parsers, schedulers, transports, data, workflows };

inline constexpr std::array<group, 6> all_groups = {group::calculations, group::parsers, group::schedulers,
                                                    group::transports,   group::data,    group::workflows};

constexpr std::string_view to_string(group g) {
  switch (g) {
    case group::calculations: return "calculations";
    case group::parsers: return "parsers";
    case group::schedulers: return "schedulers";
    case group::transports: return "transports";
    case group::data: return "data";
    case group::workflows: return "workflows";
  }
  return "?";
}

constexpr std::optional<group> group_from_string(std::string_view s) {
  for (group g : all_groups) {
    if (to_string(g) == s) return g;
  }
  return std::nullopt;
}

/// group_traits<G>::object is what the group's factories make; ::factory their type.
template <group G>
struct group_traits;

template <>
struct group_traits<group::transports> {
  using object = calcjob::transport;
  using factory = std::unique_ptr<object> (*)(const nlohmann::json& settings);
};
template <>
struct group_traits<group::schedulers> {
  using object = calcjob::scheduler;
  using factory = std::unique_ptr<object> (*)(const nlohmann::json& settings);
};
template <>
struct group_traits<group::calculations> {
  using object = calculation_plugin;
  using factory = std::unique_ptr<object> (*)();
};
template <>
struct group_traits<group::parsers> {
  using object = parser_plugin;
  using factory = std::unique_ptr<object> (*)();
};
template <>
struct group_traits<group::workflows> {
  using object = workflow_plugin;
  using factory = std::unique_ptr<object> (*)();
};
template <>
struct group_traits<group::data> {
  using object = data_plugin;
  using factory = std::unique_ptr<object> (*)();
};

template <group G>
using factory_t = typename group_traits<G>::factory;
template <group G>
using object_t = typename group_traits<G>::object;

}  // namespace tessera::plugin
