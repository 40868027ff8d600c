#pragma once
// POSIX pieces the daemon's supervisor and its control commands share: an owning file
// descriptor, atomic file replacement, wait statuses in words, and what /proc says about a
// process (its process group and command line), which is how a pid is verified before it
// is signalled.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace tessera::daemon {

/// Any failure of the daemon's supervisor or of its control commands; the message is one
/// line naming what went wrong and what to do.
class daemon_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

/// Owns a file descriptor; closes it once.
class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] explicit operator bool() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

inline std::string errno_text(int e) { return std::strerror(e); }

/// Milliseconds since the Unix epoch: the clock of the store's worker table too.
inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// "2026-11-22 09:30:01.123" (UTC), for log lines.
inline std::string utc_stamp(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03}", buf, ms % 1000);
}

/// Writes `content` to a temporary file beside `path` and renames it over `path`, so a
/// reader sees the old file or the new one, never a part.
inline void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  const auto tmp = path.string() + fmt::format(".tmp.{}", ::getpid());
  unique_fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) throw daemon_error(fmt::format("cannot write {}: {}", tmp, errno_text(errno)));
  std::string_view rest = content;
  while (!rest.empty()) {
    const auto n = ::write(fd.get(), rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::unlink(tmp.c_str());
      throw daemon_error(fmt::format("cannot write {}: {}", tmp, errno_text(e)));
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw daemon_error(fmt::format("cannot replace {}: {}", path.string(), errno_text(e)));
  }
}

/// The whole file, or nullopt if it cannot be read.
inline std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

/// A wait status in words: "exited with status 3", "killed by signal 9 (SIGKILL)".
inline std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* abbrev = ::sigabbrev_np(sig);
    return fmt::format("killed by signal {} (SIG{}){}", sig, abbrev ? abbrev : "?", WCOREDUMP(status) ? ", core dumped" : "");
  }
  return fmt::format("changed state (wait status {:#x})", status);
}

/// The process group of `pid` from /proc/<pid>/stat, or nullopt if there is no such process.
inline std::optional<pid_t> process_group_of(pid_t pid) {
  auto stat = read_file(fmt::format("/proc/{}/stat", pid));
  if (!stat) return std::nullopt;
  // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after
  // the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(stat->substr(close + 1));
  std::string state;
  long ppid = 0, pgrp = 0;
  if (!(in >> state >> ppid >> pgrp)) return std::nullopt;
  if (state == "Z" || state == "X") return std::nullopt;  // dead: nothing to signal
  return static_cast<pid_t>(pgrp);
}

/// The arguments of `pid` from /proc/<pid>/cmdline (empty if there is no such process).
inline std::vector<std::string> command_line_of(pid_t pid) {
  std::vector<std::string> out;
  auto text = read_file(fmt::format("/proc/{}/cmdline", pid));
  if (!text) return out;
  std::size_t start = 0;
  while (start < text->size()) {
    const auto end = text->find('\0', start);
    out.push_back(text->substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

}  // namespace detail
}  // namespace tessera::daemon
