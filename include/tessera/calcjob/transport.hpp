#pragma once
// A transport reaches the files and the shell of a computer: the local machine, or a
// cluster over SSH. Plugins implement it (core.local, core.ssh); the calcjob engine and the
// schedulers only see this interface. Remote paths are POSIX strings; local paths are
// std::filesystem paths. A transport is opened once and reused for many operations
// (clusters ban clients that open too many connections); it is used by one thread at a time
// unless it says otherwise (max_concurrency).
// Failures throw transport_error (host_key_error for an unknown or changed host key).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tessera/calcjob/error.hpp>

namespace tessera::calcjob {

struct command_result {
  int exit_status = -1;
  std::string stdout_text;
  std::string stderr_text;
};

class transport {
 public:
  virtual ~transport() = default;
  transport() = default;
  transport(const transport&) = delete;
  transport& operator=(const transport&) = delete;

  /// The plugin name, e.g. "core.ssh".
  virtual std::string_view plugin_name() const = 0;

  virtual void open() = 0;
  virtual void close() = 0;
  virtual bool is_open() const = 0;

  /// How many operations may run at once on one open transport, from different threads.
  /// 1 (the default): one at a time, as one SSH session allows. core.local has no shared
  /// state per operation and lets the transport queue overlap uploads, submissions and
  /// retrievals (computer setting `transport_concurrency`).
  virtual unsigned max_concurrency() const { return 1; }

  /// Runs `command` through the remote user's shell (core.local: /bin/sh -c), with `stdin_data`
  /// on its standard input (none: empty input). Not an error when the command fails: the
  /// exit status says so. Throws transport_error when the command could not be run at all.
  virtual command_result exec_command(std::string_view command,
                                      std::optional<std::string_view> stdin_data = std::nullopt) = 0;

  virtual void put_file(const std::filesystem::path& local, const std::string& remote) = 0;
  virtual void get_file(const std::string& remote, const std::filesystem::path& local) = 0;
  virtual std::string read_file(const std::string& remote) = 0;
  virtual void write_file(const std::string& remote, std::string_view content) = 0;

  /// Names in a folder, without "." and "..", sorted.
  virtual std::vector<std::string> listdir(const std::string& remote) = 0;
  /// mkdir -p: existing folders are fine.
  virtual void makedirs(const std::string& remote) = 0;
  virtual bool path_exists(const std::string& remote) = 0;
  virtual bool is_dir(const std::string& remote) = 0;
  /// Removes a file, or a folder with everything in it (rm -rf); a missing path is fine.
  virtual void remove(const std::string& remote) = 0;
  virtual void chmod(const std::string& remote, std::uint32_t mode) = 0;

  /// Copies a local folder recursively into `remote` (created if missing).
  virtual void put_folder(const std::filesystem::path& local, const std::string& remote) {
    if (!std::filesystem::is_directory(local)) {
      throw transport_error("put_folder: '" + local.string() + "' is not a folder");
    }
    makedirs(remote);
    for (const auto& entry : std::filesystem::directory_iterator(local)) {
      const std::string target = join(remote, entry.path().filename().string());
      if (entry.is_directory()) {
        put_folder(entry.path(), target);
      } else {
        put_file(entry.path(), target);
      }
    }
  }

  /// Copies a remote folder recursively into the local folder `local` (created if missing).
  virtual void get_folder(const std::string& remote, const std::filesystem::path& local) {
    std::filesystem::create_directories(local);
    for (const auto& name : listdir(remote)) {
      const std::string source = join(remote, name);
      if (is_dir(source)) {
        get_folder(source, local / name);
      } else {
        get_file(source, local / name);
      }
    }
  }

  /// `folder/name`, without doubling the slash.
  static std::string join(std::string_view folder, std::string_view name) {
    std::string out(folder);
    if (!out.empty() && out.back() != '/') out += '/';
    out += name;
    return out;
  }
};

}  // namespace tessera::calcjob
