#pragma once
// What a plugin library exports, one descriptor per entry point, and the macro authors use:
//
//   #include <tessera/plugin/entry_point.hpp>
//   std::unique_ptr<tessera::calcjob::scheduler> make_slurm(const nlohmann::json& settings);
//   TESSERA_ENTRY_POINT(schedulers, "core.slurm", make_slurm)
//
// Each descriptor is a Boost.DLL alias in the ELF section "tessera", so the registry lists a
// library's entry points without knowing their names (boost::dll::library_info) and loads
// them with import_alias (an alias is a pointer to the symbol: import_symbol would read the
// pointer itself as the descriptor). The factory must be an unqualified function name: the
// alias symbol is named after it. TESSERA_PLUGIN_VERSION (a string literal, default: the
// tessera version) is the version listed for the library's entry points.
#include <cstdint>
#include <type_traits>
#include <typeinfo>

#include <boost/dll/alias.hpp>

#include <tessera/plugin/group.hpp>
#include <tessera/version.hpp>

namespace tessera::plugin {

/// Bumped whenever the descriptor, a group's factory type or an interface of calcjob/ changes
/// in a way that breaks plugins built before.
inline constexpr std::uint32_t abi_version = 3;  // 2: parser_plugin defined; 3: scheduler::submit_command(job_template)

/// The layout is part of the ABI; `abi` stays the first member so any version can read it.
struct entry_point {
  std::uint32_t abi;
  std::uint32_t size;          // sizeof(entry_point) in the plugin
  const char* group;           // to_string(group)
  const char* name;            // "core.slurm"
  const char* version;
  const char* factory_type;    // typeid(factory).name(): checked against the group's factory
  void (*factory)();           // the factory, type-erased; cast back only after the check
};

}  // namespace tessera::plugin

// The ABI this plugin is built against. Only tests override it, to build a plugin from
// "another" tessera.
#ifndef TESSERA_PLUGIN_ABI
#define TESSERA_PLUGIN_ABI (::tessera::plugin::abi_version)
#endif

#ifndef TESSERA_PLUGIN_VERSION
#define TESSERA_PLUGIN_VERSION (::tessera::version.data())
#endif

// Low level: exports a descriptor for `factory` whatever its type (the registry checks it at
// load time). Authors use TESSERA_ENTRY_POINT, which also checks the type at compile time.
#define TESSERA_ENTRY_POINT_UNCHECKED(group_id, name_literal, factory)                                         \
  namespace tessera_entry_points {                                                                             \
  const ::tessera::plugin::entry_point tessera_ep_desc_##factory = {                                           \
      TESSERA_PLUGIN_ABI,                                                                                      \
      static_cast<std::uint32_t>(sizeof(::tessera::plugin::entry_point)),                                     \
      #group_id,                                                                                               \
      name_literal,                                                                                            \
      TESSERA_PLUGIN_VERSION,                                                                                  \
      typeid(&factory).name(),                                                                                 \
      reinterpret_cast<void (*)()>(&factory)};                                                                 \
  }                                                                                                            \
  BOOST_DLL_ALIAS_SECTIONED(tessera_entry_points::tessera_ep_desc_##factory, tessera_ep_##factory, tessera)

#define TESSERA_ENTRY_POINT(group_id, name_literal, factory)                                                   \
  static_assert(std::is_same_v<decltype(&factory), ::tessera::plugin::factory_t<::tessera::plugin::group::group_id>>, \
                "tessera: the factory of entry point " name_literal " does not have the factory type of group " #group_id); \
  TESSERA_ENTRY_POINT_UNCHECKED(group_id, name_literal, factory)
