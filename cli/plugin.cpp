// tessera plugin list [GROUP], tessera spec show NAME
#include <algorithm>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include <tessera/plugin/registry.hpp>
#include <tessera/spec/render.hpp>
#include <tessera/spec/runtime_spec.hpp>

#include "detail/common.hpp"

namespace tessera::cli {

namespace fs = std::filesystem;
using plugin::group;

// The registry's default folder is where this build tree writes plugins. The installed tool
// looks next to itself instead (<prefix>/bin/../lib/tessera/plugins, wherever the prefix was
// moved): a build tree's plugins would clash, by name, with the installed ones.
std::vector<fs::path> plugin_directories() {
  auto dirs = plugin::registry::default_directories();
#if defined(TESSERA_CLI_BUILD_BINARY) && defined(TESSERA_CLI_INSTALLED_PLUGINS) && defined(TESSERA_PLUGIN_DEFAULT_DIR)
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !fs::equivalent(exe, TESSERA_CLI_BUILD_BINARY, ec)) {
    // default_directories() puts it last; the same folder named in TESSERA_PLUGIN_PATH stays.
    if (!dirs.empty() && dirs.back() == fs::path(TESSERA_PLUGIN_DEFAULT_DIR)) dirs.pop_back();
    dirs.push_back(exe.parent_path() / TESSERA_CLI_INSTALLED_PLUGINS);
  }
#endif
  return dirs;
}

namespace {

std::string group_names() {
  std::vector<std::string_view> names;
  for (const group each : plugin::all_groups) names.push_back(plugin::to_string(each));
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ", "));
}

std::optional<group> parse_group(const std::string& text, const char* what) {
  if (text.empty()) return std::nullopt;
  if (auto parsed = plugin::group_from_string(text)) return parsed;
  throw error(fmt::format("unknown plugin group '{}' for {}: use one of {}", text, what, group_names()), exit_usage);
}

void cmd_plugin_list(const globals& g, const std::string& group_text) {
  const auto only = parse_group(group_text, "`tessera plugin list`");
  const plugin::registry r(plugin_directories());
  auto entries = r.entries();
  std::erase_if(entries, [&](const plugin::entry_info& e) { return only && e.group != *only; });
  std::sort(entries.begin(), entries.end(), [](const plugin::entry_info& a, const plugin::entry_info& b) {
    return std::pair(plugin::to_string(a.group), std::string_view(a.name)) <
           std::pair(plugin::to_string(b.group), std::string_view(b.name));
  });
  // Refused libraries are listed whatever the filter: the registry cannot tell their group.
  const auto refused = r.problems();
  std::vector<std::string> dirs;
  for (const auto& d : r.directories()) dirs.push_back(d.string());

  if (g.json) {
    auto plugins = nlohmann::json::array();
    for (const auto& e : entries) {
      plugins.push_back({{"group", plugin::to_string(e.group)}, {"name", e.name}, {"version", e.version},
                         {"library", e.library.string()}});
    }
    auto bad = nlohmann::json::array();
    for (const auto& p : refused) bad.push_back({{"library", p.file.string()}, {"reason", p.message}});
    print_json({{"plugins", plugins}, {"refused", bad}, {"directories", dirs}});
    return;
  }
  if (entries.empty()) {
    std::printf("no %splugins found in the plugin folders [%s] (TESSERA_PLUGIN_PATH adds folders)\n",
                only ? fmt::format("{} ", plugin::to_string(*only)).c_str() : "", fmt::format("{}", fmt::join(dirs, ":")).c_str());
  } else {
    table t({"GROUP", "NAME", "VERSION", "LIBRARY"});
    for (const auto& e : entries) t.add({std::string(plugin::to_string(e.group)), e.name, e.version, e.library.string()});
    t.print(g);
  }
  if (!refused.empty()) {
    const auto head = fmt::format("{} refused (the plugins in {} are not available):",
                                  refused.size() == 1 ? std::string("1 library") : fmt::format("{} libraries", refused.size()),
                                  refused.size() == 1 ? "it" : "them");
    std::printf("\n%s\n", paint(g, colour::bold, head).c_str());
    for (const auto& p : refused) std::printf("  %s\n", paint(g, colour::red, p.message).c_str());
  }
}

void cmd_spec_show(const globals& g, const std::string& name, const std::string& group_text) {
  const auto only = parse_group(group_text, "--group");
  if (only && *only != group::calculations && *only != group::workflows) {
    throw error(fmt::format("{} plugins have no spec: --group takes calculations or workflows", plugin::to_string(*only)),
                exit_usage);
  }
  const plugin::registry r(plugin_directories());
  std::vector<group> found;
  for (const group each : {group::calculations, group::workflows}) {
    if ((!only || *only == each) && r.find(each, name)) found.push_back(each);
  }
  if (found.empty()) {
    // Say why when we can: the name is another group's, or a library was refused.
    std::string why;
    for (const auto& e : r.entries()) {
      if (e.name == name) why = fmt::format(" ('{}' is a {} plugin, which has no spec)", name, plugin::to_string(e.group));
    }
    if (const auto n = r.problems().size(); why.empty() && n > 0) {
      why = fmt::format(" ({} plugin {} refused)", n, n == 1 ? "library was" : "libraries were");
    }
    throw error(fmt::format("no {} plugin named '{}'{}: list the plugins with `tessera plugin list`",
                            only ? plugin::to_string(*only) : "calculations or workflows", name, why));
  }
  if (found.size() > 1) {
    throw error(fmt::format("'{}' is both a calculations and a workflows plugin: choose one with --group", name),
                exit_usage);
  }
  // The object keeps its library, where the spec lives, loaded while we render it.
  const std::shared_ptr<const process_plugin> process =
      found.front() == group::calculations ? std::shared_ptr<const process_plugin>(r.create<group::calculations>(name))
                                           : std::shared_ptr<const process_plugin>(r.create<group::workflows>(name));
  const spec::runtime_spec& s = process->spec();
  if (g.json) {
    print_json(s.to_json());
    return;
  }
  const auto md = s.to_markdown();
  std::fwrite(md.data(), 1, md.size(), stdout);
}

}  // namespace

void add_plugin_commands(CLI::App& app, globals& g) {
  auto* plug = app.add_subcommand("plugin", "list plugins (from TESSERA_PLUGIN_PATH and the installed plugin folder)");
  plug->require_subcommand(1);
  auto group_text = std::make_shared<std::string>();
  auto* list = plug->add_subcommand("list", "every plugin by group and name, and the libraries refused, with why");
  list->add_option("GROUP", *group_text, "only this group: " + group_names());
  list->callback([&g, group_text] { cmd_plugin_list(g, *group_text); });

  auto* specs = app.add_subcommand("spec", "specs of the processes that plugins provide");
  specs->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto* show = specs->add_subcommand("show", "a calculation's or workflow's spec as Markdown (--json: as JSON)");
  show->add_option("NAME", *name, "entry-point name, as `tessera plugin list` shows it")->required();
  show->add_option("-g,--group", *group_text, "calculations or workflows, when both have NAME");
  show->callback([&g, name, group_text] { cmd_spec_show(g, *name, *group_text); });
}

}  // namespace tessera::cli
