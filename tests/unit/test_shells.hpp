#pragma once
// The shells a scheduler's or the batch's commands must work in. They run in the transport's
// shell: /bin/sh on core.local, the user's login shell over core.ssh. dash (/bin/sh on
// Debian), bash, zsh (the login shell of macOS and of many users; it does not split unquoted
// variables into words) and BusyBox ash. cmake/install-deps.sh installs them all; a test
// of a shell that is missing is skipped, and says so.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace tessera_test {

/// Test parameter values: "sh", "bash", "zsh", "ash".
inline const char* const shell_names[] = {"sh", "bash", "zsh", "ash"};

/// The absolute path that runs the shell `name`, or "" when it is not installed. BusyBox
/// runs the applet its program is called by: ash is a symlink named ash (made once, by an
/// atomic rename, so test processes running side by side agree).
inline std::string shell_path(const std::string& name) {
  namespace fs = std::filesystem;
  if (name != "ash") {
    const std::string path = "/bin/" + name;
    return ::access(path.c_str(), X_OK) == 0 ? path : std::string();
  }
  const fs::path busybox = "/bin/busybox";
  if (::access(busybox.c_str(), X_OK) != 0) return {};
  const fs::path dir = fs::temp_directory_path() / ("tessera-test-shells-" + std::to_string(::getuid()));
  const fs::path ash = dir / "ash";
  std::error_code ec;
  if (fs::read_symlink(ash, ec) == busybox) return ash.string();
  fs::create_directories(dir, ec);
  const fs::path temp = dir / ("ash." + std::to_string(::getpid()));
  fs::remove(temp, ec);
  fs::create_symlink(busybox, temp, ec);
  if (!ec) fs::rename(temp, ash, ec);
  return fs::read_symlink(ash, ec) == busybox ? ash.string() : std::string();
}

}  // namespace tessera_test
