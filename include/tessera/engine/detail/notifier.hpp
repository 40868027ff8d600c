#pragma once
// Cross-process wake-ups: after committing something other OS processes must react to
// (pause, play, kill, a state change), a writer bumps the file <profile>/events; runners
// watch it with inotify and re-read what changed. An event, not a polling loop: the
// runner's slow poll of the control table is only a safety net.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include <tessera/store/error.hpp>

namespace tessera::engine_detail {

// Two channels: "events" for control requests (pause, play, kill: what runners act on) and
// "states" for processes that terminated (what watchers, e.g. `tessera process watch`,
// follow). Runners do not watch "states", so their own news does not wake them.
inline std::filesystem::path events_file(const std::filesystem::path& profile_dir,
                                         std::string_view channel = "events") {
  return profile_dir / channel;
}

/// Wakes every watcher of the channel. Never throws: a lost wake-up is caught by the poll.
inline void notify_profile(const std::filesystem::path& profile_dir, std::string_view channel = "events") noexcept {
  const int fd = ::open(events_file(profile_dir, channel).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const char b = 1;
  [[maybe_unused]] auto n = ::pwrite(fd, &b, 1, 0);
  ::close(fd);
}

/// Calls `on_event` (on its own thread) whenever the profile's events file is written.
class profile_watcher {
 public:
  profile_watcher(const std::filesystem::path& profile_dir, std::function<void()> on_event,
                  std::string_view channel = "events")
      : on_event_(std::move(on_event)) {
    const auto file = events_file(profile_dir, channel);
    {
      const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd >= 0) ::close(fd);
    }
    inotify_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    stop_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (inotify_ < 0 || stop_ < 0 || ::inotify_add_watch(inotify_, file.c_str(), IN_MODIFY | IN_ATTRIB) < 0) {
      const int e = errno;
      close_fds();
      throw store_error(fmt::format("cannot watch {}: {}", file.string(), std::strerror(e)));
    }
    thread_ = std::thread([this] { loop(); });
  }
  profile_watcher(const profile_watcher&) = delete;
  profile_watcher& operator=(const profile_watcher&) = delete;
  ~profile_watcher() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(stop_, &one, sizeof one);
    if (thread_.joinable()) thread_.join();
    close_fds();
  }

 private:
  void loop() {
    ::pthread_setname_np(::pthread_self(), "tessera-watch");
    pollfd fds[2] = {{inotify_, POLLIN, 0}, {stop_, POLLIN, 0}};
    char buf[4096];
    for (;;) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents) return;
      if (fds[0].revents) {
        while (::read(inotify_, buf, sizeof buf) > 0) {
        }
        on_event_();
      }
    }
  }
  void close_fds() noexcept {
    if (inotify_ >= 0) ::close(inotify_);
    if (stop_ >= 0) ::close(stop_);
    inotify_ = stop_ = -1;
  }

  std::function<void()> on_event_;
  int inotify_ = -1;
  int stop_ = -1;
  std::thread thread_;
};

}  // namespace tessera::engine_detail
