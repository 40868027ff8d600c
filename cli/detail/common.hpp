#pragma once
// Shared pieces of the `tessera` command-line tool: errors with exit statuses, the
// profile lookup, opening the store with a clear message for each way it can fail,
// aligned tables, colours (only on a terminal) and JSON output.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <tessera/store/node.hpp>
#include <tessera/store/store.hpp>

namespace tessera::cli {

/// Exit statuses: 0 success, 1 a command failed, 2 usage error, 3 the database is locked.
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_locked = 3;

/// An error the tool reports as one line ("error: <message>") with an exit status.
class error : public std::runtime_error {
 public:
  explicit error(const std::string& what, int status = exit_failure) : std::runtime_error(what), status_(status) {}
  [[nodiscard]] int status() const noexcept { return status_; }

 private:
  int status_;
};

/// Options every command sees.
struct globals {
  std::string profile;  // --profile
  bool json = false;    // --json
  bool colour = false;  // stdout is a terminal and NO_COLOR is unset
};

/// The file naming the default profile: $XDG_CONFIG_HOME/tessera/default-profile, or
/// ~/.config/tessera/default-profile (one line: the profile directory).
std::filesystem::path default_profile_file();
/// The directory `tessera init` uses when given none: $XDG_DATA_HOME/tessera/default or
/// ~/.local/share/tessera/default.
std::filesystem::path default_profile_dir();
/// The profile to use: --profile, else $TESSERA_PROFILE, else the default profile file;
/// throws a one-line error saying how to choose one when none is set or it does not exist.
std::filesystem::path resolve_profile(const globals& g);
/// Opens the profile's store (migrating it if needed). Errors: missing profile, locked
/// database (another process holds a lock longer than $TESSERA_BUSY_TIMEOUT_MS, 2000 ms by
/// default), newer schema.
std::unique_ptr<store> open_store(const globals& g);
/// Runs f, turning SQLITE_BUSY/LOCKED into the "database is locked" error.
[[noreturn]] void rethrow_store_error(const std::filesystem::path& dir);

/// pk from the command line, with "unknown pk" and "not a process" checks.
node_record need_node(store_reader& r, std::int64_t pk);
node_record need_process(store_reader& r, std::int64_t pk);

// ---- output ----
enum class colour { none, bold, dim, red, green, yellow, blue };
std::string paint(const globals& g, colour c, std::string_view s);
std::string format_time(timestamp t);
std::string state_text(const std::optional<process_state>& s, bool paused = false);
colour state_colour(const std::optional<process_state>& s, const std::optional<int>& exit_status);

/// A table printed with aligned columns; cells may carry a colour.
class table {
 public:
  explicit table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  struct cell {
    std::string text;
    colour c = colour::none;
    cell(std::string t, colour k = colour::none) : text(std::move(t)), c(k) {}  // NOLINT
    cell(const char* t, colour k = colour::none) : text(t), c(k) {}              // NOLINT
  };
  void add(std::vector<cell> row) { rows_.push_back(std::move(row)); }
  [[nodiscard]] bool empty() const noexcept { return rows_.empty(); }
  void print(const globals& g) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<cell>> rows_;
};

void print_json(const nlohmann::json& j);
// Links as JSON for --json output: type, label and the node at the other end.
nlohmann::json links_json(const std::vector<tessera::link_record>& links, bool incoming);

/// The folders plugins are loaded from (cli/plugin.cpp): the registry's defaults, or next to
/// an installed tool.
std::vector<std::filesystem::path> plugin_directories();

// ---- commands (one file each) ----
void add_profile_commands(CLI::App& app, globals& g);
void add_process_commands(CLI::App& app, globals& g);
void add_node_commands(CLI::App& app, globals& g);
void add_computer_commands(CLI::App& app, globals& g);
void add_storage_commands(CLI::App& app, globals& g);
void add_plugin_commands(CLI::App& app, globals& g);
void add_daemon_commands(CLI::App& app, globals& g);
void add_calcjob_commands(CLI::App& app, globals& g);

}  // namespace tessera::cli
