#pragma once
// The plugin registry: finds plugin libraries (*.so) in TESSERA_PLUGIN_PATH (colon-separated)
// and the installed plugin folder, loads them with Boost.DLL, lists their entry points and
// makes objects from them. A library is refused as a whole, with a message naming the file,
// when it is not a shared library, was built against another ABI, declares an entry point
// whose factory does not match its group, or repeats an entry-point name (both files named).
// rescan() loads libraries installed since, without a restart. Objects made by a plugin hold
// its library loaded (the shared_ptr's deleter owns the library), so they may outlive the
// registry. All members are thread-safe.
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/core/demangle.hpp>
#include <boost/dll/import.hpp>
#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>
#include <fmt/format.h>

#include <tessera/plugin/entry_point.hpp>
#include <tessera/plugin/error.hpp>
#include <tessera/plugin/group.hpp>

namespace tessera::plugin {

struct entry_info {
  std::string name;
  plugin::group group;
  std::string version;
  std::filesystem::path library;
};

/// A library that was refused, and why (the message names the file).
struct load_problem {
  std::filesystem::path file;
  std::string message;
};

class registry {
 public:
  /// Scans default_directories().
  registry() : registry(default_directories()) {}
  /// Scans exactly `directories` (missing ones are skipped).
  explicit registry(std::vector<std::filesystem::path> directories) : directories_(std::move(directories)) { rescan(); }

  /// TESSERA_PLUGIN_PATH's folders, then the installed plugin folder (or, in tessera's own
  /// build tree, the folder its plugins are built into).
  static std::vector<std::filesystem::path> default_directories() {
    std::vector<std::filesystem::path> dirs;
    if (const char* env = std::getenv("TESSERA_PLUGIN_PATH")) {
      std::string_view rest = env;
      while (!rest.empty()) {
        const auto colon = rest.find(':');
        const auto part = rest.substr(0, colon);
        if (!part.empty()) dirs.emplace_back(std::string(part));
        if (colon == std::string_view::npos) break;
        rest.remove_prefix(colon + 1);
      }
    }
#ifdef TESSERA_PLUGIN_DEFAULT_DIR
    dirs.emplace_back(TESSERA_PLUGIN_DEFAULT_DIR);
#endif
    return dirs;
  }

  /// Loads the libraries in the folders that are not loaded yet. Refused ones are recorded in
  /// problems() (each file once), never thrown: one bad plugin must not hide the others.
  void rescan() {
    std::lock_guard lock(mutex_);
    for (const auto& dir : directories_) {
      std::error_code ec;
      if (!std::filesystem::is_directory(dir, ec)) continue;
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.path().extension() == ".so" && e.is_regular_file(ec)) files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        const auto canonical = std::filesystem::weakly_canonical(f, ec);
        const auto key = ec ? f : canonical;
        if (loaded_files_.contains(key)) continue;
        // A refused file is tried again once it changes (a fixed plugin installed over it).
        const auto mtime = std::filesystem::last_write_time(key, ec);
        if (const auto it = refused_.find(key); it != refused_.end() && it->second == mtime) continue;
        refused_[key] = mtime;
        try {
          load_locked(key);
        } catch (const plugin_error& e) {
          problems_.push_back({key, e.what()});
        }
      }
    }
  }

  /// Loads one library now; throws plugin_error (naming the file) if it is refused.
  void load_library(const std::filesystem::path& file) {
    std::lock_guard lock(mutex_);
    std::error_code ec;
    const auto canonical = std::filesystem::weakly_canonical(file, ec);
    const auto key = ec ? file : canonical;
    if (loaded_files_.contains(key)) return;
    load_locked(key);
  }

  /// Every entry point found, sorted by group then name.
  std::vector<entry_info> entries() const {
    std::lock_guard lock(mutex_);
    std::vector<entry_info> out;
    for (const auto& [key, e] : entries_) out.push_back(e.info);
    return out;
  }

  std::vector<load_problem> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }

  std::vector<std::filesystem::path> directories() const { return directories_; }

  std::optional<entry_info> find(plugin::group g, std::string_view name) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find({g, std::string(name)});
    if (it == entries_.end()) return std::nullopt;
    return it->second.info;
  }

  /// Calls the factory of entry point `name` in group G. The result keeps the plugin loaded.
  template <plugin::group G, class... Args>
  std::shared_ptr<object_t<G>> create(std::string_view name, Args&&... args) const {
    std::shared_ptr<boost::dll::shared_library> library;
    factory_t<G> factory = nullptr;
    {
      std::lock_guard lock(mutex_);
      const auto it = entries_.find({G, std::string(name)});
      if (it == entries_.end()) throw plugin_error(not_found_message(G, name));
      library = it->second.library;
      factory = reinterpret_cast<factory_t<G>>(it->second.descriptor->factory);
    }
    auto object = factory(std::forward<Args>(args)...);
    if (!object) throw plugin_error(fmt::format("the factory of {} plugin '{}' returned nothing", to_string(G), name));
    // The deleter owns the library: the object's code stays mapped until it is destroyed.
    return std::shared_ptr<object_t<G>>(object.release(), [library](object_t<G>* p) { delete p; });
  }

  std::shared_ptr<calcjob::transport> make_transport(std::string_view name,
                                                     const nlohmann::json& settings = nlohmann::json::object()) const {
    return create<group::transports>(name, settings);
  }
  std::shared_ptr<calcjob::scheduler> make_scheduler(std::string_view name,
                                                     const nlohmann::json& settings = nlohmann::json::object()) const {
    return create<group::schedulers>(name, settings);
  }

 private:
  struct loaded_entry {
    entry_info info;
    std::shared_ptr<boost::dll::shared_library> library;
    boost::shared_ptr<const entry_point> descriptor;  // from import_alias; holds the library too
  };

  std::string not_found_message(plugin::group g, std::string_view name) const {
    std::string elsewhere;
    for (const auto& [key, e] : entries_) {
      if (key.second == name) elsewhere = fmt::format(" ('{}' is in group {})", name, to_string(key.first));
    }
    std::string dirs;
    for (const auto& d : directories_) dirs += (dirs.empty() ? "" : ":") + d.string();
    return fmt::format("no {} plugin named '{}'{} in the plugin folders [{}] (TESSERA_PLUGIN_PATH adds folders)",
                       to_string(g), name, elsewhere, dirs);
  }

  static std::string expected_factory_type(plugin::group g) {
    switch (g) {
      case group::calculations: return typeid(factory_t<group::calculations>).name();
      case group::parsers: return typeid(factory_t<group::parsers>).name();
      case group::schedulers: return typeid(factory_t<group::schedulers>).name();
      case group::transports: return typeid(factory_t<group::transports>).name();
      case group::data: return typeid(factory_t<group::data>).name();
      case group::workflows: return typeid(factory_t<group::workflows>).name();
    }
    return {};
  }

  static bool has_elf_header(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && magic[0] == '\x7f' && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
  }

  void load_locked(const std::filesystem::path& file) {
    const std::string f = file.string();
    if (!has_elf_header(file)) throw plugin_error(fmt::format("plugin file '{}' is not a shared library (no ELF header)", f));

    std::vector<std::string> aliases;
    try {
      boost::dll::library_info info(file);
      aliases = info.symbols("tessera");
    } catch (const std::exception& e) {
      throw plugin_error(fmt::format("plugin file '{}' is not a readable shared library: {}", f, e.what()));
    }
    if (aliases.empty()) {
      throw plugin_error(fmt::format("plugin file '{}' has no tessera entry points (declare them with TESSERA_ENTRY_POINT)", f));
    }

    auto library = std::make_shared<boost::dll::shared_library>();
    try {
      library->load(file);
    } catch (const std::exception& e) {
      throw plugin_error(fmt::format("plugin file '{}' cannot be loaded: {}", f, e.what()));
    }
    // Never unloaded (RTLD_NODELETE, set by reopening it): a plugin pulls in libraries with
    // thread-local storage and process-wide state (core.ssh: libssh, libcom_err), which
    // unmapping while threads live would leave dangling; a process loads each library once,
    // so unloading buys nothing. A replaced file (a new inode) still loads anew.
    if (void* again = ::dlopen(file.string().c_str(), RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE)) ::dlclose(again);

    // Check everything before registering anything: a library is taken whole or not at all.
    std::vector<loaded_entry> found;
    std::set<std::pair<plugin::group, std::string>> in_this_file;
    for (const auto& alias : aliases) {
      auto descriptor = boost::dll::import_alias<const entry_point>(*library, alias.c_str());
      if (descriptor->abi != abi_version) {
        throw plugin_error(fmt::format("plugin file '{}' was built for tessera plugin ABI {}, but this program has ABI {}: "
                                       "rebuild the plugin against this tessera",
                                       f, descriptor->abi, abi_version));
      }
      if (descriptor->size != sizeof(entry_point)) {
        throw plugin_error(fmt::format("plugin file '{}': entry point descriptor of {} bytes, expected {}", f,
                                       descriptor->size, sizeof(entry_point)));
      }
      const std::string name = descriptor->name;
      const auto g = group_from_string(descriptor->group);
      if (!g) throw plugin_error(fmt::format("plugin file '{}': entry point '{}' names unknown group '{}'", f, name, descriptor->group));
      if (expected_factory_type(*g) != descriptor->factory_type) {
        throw plugin_error(fmt::format("plugin file '{}': entry point '{}' is in group {}, but its factory is '{}', not '{}'",
                                       f, name, to_string(*g), boost::core::demangle(descriptor->factory_type),
                                       boost::core::demangle(expected_factory_type(*g).c_str())));
      }
      if (!in_this_file.insert({*g, name}).second) {
        throw plugin_error(fmt::format("plugin file '{}' declares {} entry point '{}' twice", f, to_string(*g), name));
      }
      if (const auto it = entries_.find({*g, name}); it != entries_.end()) {
        throw plugin_error(fmt::format("plugin file '{}': {} entry point '{}' is already provided by '{}'", f, to_string(*g),
                                       name, it->second.info.library.string()));
      }
      found.push_back({entry_info{name, *g, descriptor->version, file}, library, descriptor});
    }
    for (auto& e : found) {
      auto key = std::pair{e.info.group, e.info.name};
      entries_.emplace(std::move(key), std::move(e));
    }
    loaded_files_.insert(file);
    refused_.erase(file);
  }

  std::vector<std::filesystem::path> directories_;
  mutable std::mutex mutex_;
  std::map<std::pair<plugin::group, std::string>, loaded_entry> entries_;
  std::map<std::filesystem::path, std::filesystem::file_time_type> refused_;
  std::set<std::filesystem::path> loaded_files_;
  std::vector<load_problem> problems_;
};

}  // namespace tessera::plugin
