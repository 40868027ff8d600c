// core.local: the transport for the machine tessera runs on. Commands run through
// `/bin/sh -c`, as system(3) and popen(3) run them (schedulers' commands are POSIX shell;
// job scripts name their own interpreter): dash starts in a third of bash's time, and a
// submission costs one such start. Setting "shell" picks another (absolute path), e.g.
// {"shell": "/bin/bash"}. Files are copied with std::filesystem.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include <tessera/calcjob/transport.hpp>
#include <tessera/plugin/entry_point.hpp>

extern char** environ;

namespace {

namespace fs = std::filesystem;
using tessera::calcjob::command_result;
using tessera::calcjob::transport_error;

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// A command that exits without reading its input must not kill the host with SIGPIPE: block
// it in this thread for the write and swallow the one it raised.
ssize_t write_no_sigpipe(int fd, std::string_view data) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  const ssize_t put = ::write(fd, data.data(), data.size());
  const int saved = errno;
  if (put < 0 && saved == EPIPE) {
    const timespec zero{0, 0};
    while (sigtimedwait(&pipe_set, nullptr, &zero) == SIGPIPE) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  errno = saved;
  return put;
}

class local_transport final : public tessera::calcjob::transport {
 public:
  explicit local_transport(std::string shell) : shell_(std::move(shell)) {}

  std::string_view plugin_name() const override { return "core.local"; }
  void open() override { open_ = true; }
  void close() override { open_ = false; }
  bool is_open() const override { return open_; }
  // Every operation has its own pipes, files and child: nothing is shared between threads.
  unsigned max_concurrency() const override { return 1024; }

  command_result exec_command(std::string_view command, std::optional<std::string_view> stdin_data) override {
    int in_pipe[2], out_pipe[2], err_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw transport_error(errno_text("core.local: pipe"));
    fd_closer in_r{in_pipe[0]}, in_w{in_pipe[1]};
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw transport_error(errno_text("core.local: pipe"));
    fd_closer out_r{out_pipe[0]}, out_w{out_pipe[1]};
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw transport_error(errno_text("core.local: pipe"));
    fd_closer err_r{err_pipe[0]}, err_w{err_pipe[1]};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
    // The child starts with default signal handling whatever the host blocked or ignored.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::string cmd(command);
    std::array<char*, 4> argv = {shell_.data(), const_cast<char*>("-c"), cmd.data(), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, shell_.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      errno = rc;
      throw transport_error(errno_text("core.local: cannot start the shell '" + shell_ + "'"));
    }
    in_r.close();
    out_w.close();
    err_w.close();

    command_result result;
    std::string_view input = stdin_data.value_or(std::string_view{});
    if (input.empty()) in_w.close();
    ::fcntl(in_w.fd, F_SETFL, O_NONBLOCK);
    std::array<char, 65536> buf{};
    while (out_r.fd >= 0 || err_r.fd >= 0) {
      std::array<pollfd, 3> fds{};
      nfds_t n = 0;
      fds[n++] = {out_r.fd, POLLIN, 0};
      fds[n++] = {err_r.fd, POLLIN, 0};
      if (in_w.fd >= 0) fds[n++] = {in_w.fd, POLLOUT, 0};
      if (::poll(fds.data(), n, -1) < 0) {
        if (errno == EINTR) continue;
        throw transport_error(errno_text("core.local: poll"));
      }
      for (std::size_t i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
        if (got > 0) {
          (i == 0 ? result.stdout_text : result.stderr_text).append(buf.data(), static_cast<std::size_t>(got));
        } else if (got == 0 || errno != EINTR) {
          (i == 0 ? out_r : err_r).close();
        }
      }
      if (n == 3 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
        const ssize_t put = write_no_sigpipe(in_w.fd, input);
        if (put > 0) input.remove_prefix(static_cast<std::size_t>(put));
        if (input.empty() || (put < 0 && errno != EAGAIN && errno != EINTR)) in_w.close();
      }
    }
    in_w.close();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
      if (errno != EINTR) throw transport_error(errno_text("core.local: waitpid"));
    }
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
  }

  void put_file(const fs::path& local, const std::string& remote) override { copy(local, remote); }
  void get_file(const std::string& remote, const fs::path& local) override { copy(remote, local); }

  std::string read_file(const std::string& remote) override {
    std::ifstream in(remote, std::ios::binary);
    if (!in) throw transport_error("core.local: cannot read '" + remote + "'");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void write_file(const std::string& remote, std::string_view content) override {
    std::ofstream out(remote, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw transport_error("core.local: cannot write '" + remote + "'");
  }

  std::vector<std::string> listdir(const std::string& remote) override {
    std::error_code ec;
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(remote, ec)) names.push_back(e.path().filename().string());
    if (ec) throw transport_error("core.local: cannot list '" + remote + "': " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
  }

  void makedirs(const std::string& remote) override {
    std::error_code ec;
    fs::create_directories(remote, ec);
    if (ec) throw transport_error("core.local: cannot create '" + remote + "': " + ec.message());
  }

  bool path_exists(const std::string& remote) override {
    std::error_code ec;
    return fs::exists(fs::symlink_status(remote, ec));
  }
  bool is_dir(const std::string& remote) override {
    std::error_code ec;
    return fs::is_directory(remote, ec);
  }

  void remove(const std::string& remote) override {
    std::error_code ec;
    fs::remove_all(remote, ec);
    if (ec) throw transport_error("core.local: cannot remove '" + remote + "': " + ec.message());
  }

  void chmod(const std::string& remote, std::uint32_t mode) override {
    if (::chmod(remote.c_str(), static_cast<mode_t>(mode)) != 0) throw transport_error(errno_text("core.local: chmod '" + remote + "'"));
  }

 private:
  static void copy(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
    if (ec) throw transport_error("core.local: cannot copy '" + from.string() + "' to '" + to.string() + "': " + ec.message());
  }
  std::string shell_;
  std::atomic<bool> open_{false};
};

std::unique_ptr<tessera::calcjob::transport> make_local_transport(const nlohmann::json& settings) {
  std::string shell = "/bin/sh";
  if (settings.is_object() && settings.contains("shell")) {
    const auto& j = settings["shell"];
    if (!j.is_string() || j.get<std::string>().empty() || j.get<std::string>().front() != '/') {
      throw transport_error("core.local: setting \"shell\" must be the absolute path of a shell, got " + j.dump());
    }
    shell = j.get<std::string>();
    if (::access(shell.c_str(), X_OK) != 0) throw transport_error(errno_text("core.local: setting \"shell\": '" + shell + "'"));
  }
  return std::make_unique<local_transport>(std::move(shell));
}

}  // namespace

TESSERA_ENTRY_POINT(transports, "core.local", make_local_transport)
