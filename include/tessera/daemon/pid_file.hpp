#pragma once
// The supervisor's pid file: it holds an exclusive flock on the file for as long as it
// runs, so the lock, not the file's presence, says whether a daemon is running. A file left
// by a supervisor that died (SIGKILL, a crash, a reboot) is unlocked: stale, and replaced
// by the next start. Readers probe with a shared non-blocking lock, which fails exactly
// while a supervisor holds its exclusive one; the supervisor retries its own lock briefly,
// so a probe that happens to hold the shared lock at that moment does not look like a
// second daemon.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>

#include <tessera/daemon/detail/posix.hpp>

namespace tessera::daemon {

namespace detail {
inline std::optional<pid_t> parse_pid(const std::string& text) {
  try {
    std::size_t used = 0;
    const long v = std::stol(text, &used);
    if (v > 0 && (used == text.size() || text[used] == '\n')) return static_cast<pid_t>(v);
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

inline std::optional<pid_t> read_pid(int fd) {
  char buf[32] = {};
  const auto n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  return parse_pid(std::string(buf, static_cast<std::size_t>(n)));
}
}  // namespace detail

/// What the pid file says: the pid of the running supervisor (the file is locked), or of a
/// dead one (a stale file), or nothing.
struct pid_file_probe {
  std::optional<pid_t> running;
  std::optional<pid_t> stale;
};

inline pid_file_probe probe_pid_file(const std::filesystem::path& path) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    detail::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return {};
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return {std::nullopt, detail::read_pid(fd.get())};
    // Locked: a supervisor holds it. It writes its pid right after taking the lock, so an
    // empty file is one being written: read again.
    if (auto pid = detail::read_pid(fd.get())) return {pid, std::nullopt};
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw daemon_error(fmt::format("{} is locked but holds no pid: remove it if no supervisor runs", path.string()));
}

/// The supervisor's side: an exclusive lock on the pid file, held until destruction.
class pid_file {
 public:
  pid_file() = default;

  /// Takes the lock and writes this process's pid. Throws daemon_error naming the pid of a
  /// supervisor that holds it already. `stale` receives the pid of a dead supervisor whose
  /// file this replaces.
  static pid_file acquire(const std::filesystem::path& path, std::optional<pid_t>* stale = nullptr) {
    for (int attempt = 0;; ++attempt) {
      detail::unique_fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
      if (!fd) throw daemon_error(fmt::format("cannot open the pid file {}: {}", path.string(), detail::errno_text(errno)));
      if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
          throw daemon_error(fmt::format("cannot lock the pid file {}: {}", path.string(), detail::errno_text(errno)));
        }
        if (attempt < 30) {  // ~300 ms: a reader's shared probe lock lasts microseconds
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          continue;
        }
        const auto other = detail::read_pid(fd.get());
        throw daemon_error(fmt::format("the daemon of this profile is already running (supervisor pid {}): stop it with "
                                       "`tessera daemon stop`, or use `tessera daemon restart`",
                                       other ? std::to_string(*other) : std::string("unknown")));
      }
      // The file may have been unlinked by the supervisor that held it just before we
      // locked it: then the lock guards nothing. Try again on the file now at `path`.
      struct stat held {}, now {};
      if (::fstat(fd.get(), &held) != 0 || ::stat(path.c_str(), &now) != 0 || held.st_ino != now.st_ino ||
          held.st_dev != now.st_dev) {
        continue;
      }
      if (stale) *stale = detail::read_pid(fd.get());
      const auto text = fmt::format("{}\n", ::getpid());
      if (::ftruncate(fd.get(), 0) != 0 ||
          ::pwrite(fd.get(), text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        throw daemon_error(fmt::format("cannot write the pid file {}: {}", path.string(), detail::errno_text(errno)));
      }
      pid_file out;
      out.fd_ = std::move(fd);
      out.path_ = path;
      return out;
    }
  }

  /// Removes the file while still holding the lock (so nobody takes over a file about to
  /// vanish), then lets go.
  void remove() {
    if (!fd_) return;
    ::unlink(path_.c_str());
    fd_.reset();
  }
  [[nodiscard]] int fd() const noexcept { return fd_.get(); }

 private:
  detail::unique_fd fd_;
  std::filesystem::path path_;
};

}  // namespace tessera::daemon
