// core.ssh: a transport over one libssh session, reused for every command (one channel per
// command) and for files (one SFTP session, opened on first use). Public-key authentication
// only; the host key is checked against a known_hosts file, always, unless the settings say
// "strict_host_key_checking": false.
//
// Settings (JSON object): host (required), port (22), username (the local user), key_filename
// (~/.ssh/id_ed25519), known_hosts (~/.ssh/known_hosts), strict_host_key_checking (true),
// timeout (connect timeout in seconds, 10), key_exchange (libssh KEX list, optional).
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <tessera/calcjob/shell_quote.hpp>
#include <tessera/calcjob/transport.hpp>
#include <tessera/plugin/entry_point.hpp>

namespace {

namespace fs = std::filesystem;
using namespace tessera::calcjob;

constexpr std::size_t chunk = 32768;

std::string home_dir() {
  if (const char* h = std::getenv("HOME")) return h;
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_dir;
  return "/";
}

std::string local_user() {
  if (const passwd* pw = getpwuid(getuid())) return pw->pw_name;
  if (const char* u = std::getenv("USER")) return u;
  return "root";
}

struct settings_t {
  std::string host;
  int port = 22;
  std::string username;
  std::string key_filename;
  std::string known_hosts;
  bool strict = true;
  long timeout = 10;
  std::string key_exchange;
};

settings_t parse_settings(const nlohmann::json& j) {
  if (!j.is_object()) throw transport_error("core.ssh: settings must be a JSON object");
  settings_t s;
  try {
    s.host = j.value("host", std::string());
    s.port = j.value("port", 22);
    s.username = j.value("username", local_user());
    s.key_filename = j.value("key_filename", home_dir() + "/.ssh/id_ed25519");
    s.known_hosts = j.value("known_hosts", home_dir() + "/.ssh/known_hosts");
    s.strict = j.value("strict_host_key_checking", true);
    s.timeout = j.value("timeout", 10L);
    s.key_exchange = j.value("key_exchange", std::string());
  } catch (const nlohmann::json::exception& e) {
    throw transport_error(std::string("core.ssh: invalid settings: ") + e.what());
  }
  if (s.host.empty()) throw transport_error("core.ssh: settings need a \"host\"");
  return s;
}

class ssh_transport final : public transport {
 public:
  explicit ssh_transport(settings_t s) : s_(std::move(s)) {}
  ~ssh_transport() override { close(); }

  std::string_view plugin_name() const override { return "core.ssh"; }

  void open() override {
    if (session_) return;
    ssh_session session = ssh_new();
    if (!session) throw transport_error("core.ssh: cannot create a session");
    std::unique_ptr<ssh_session_struct, decltype(&ssh_free)> guard(session, &ssh_free);
    const unsigned port = static_cast<unsigned>(s_.port);
    const bool no = false;
    ssh_options_set(session, SSH_OPTIONS_HOST, s_.host.c_str());
    ssh_options_set(session, SSH_OPTIONS_PORT, &port);
    ssh_options_set(session, SSH_OPTIONS_USER, s_.username.c_str());
    ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &s_.timeout);
    ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, s_.known_hosts.c_str());
    // Only our known_hosts file counts, never the system-wide one or ~/.ssh/config.
    ssh_options_set(session, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
    ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &no);
    if (!s_.key_exchange.empty()) ssh_options_set(session, SSH_OPTIONS_KEY_EXCHANGE, s_.key_exchange.c_str());

    if (ssh_connect(session) != SSH_OK) {
      throw transport_error("core.ssh: cannot connect to " + where() + ": " + ssh_get_error(session));
    }
    try {
      verify_host_key(session);
      authenticate(session);
    } catch (...) {
      ssh_disconnect(session);
      throw;
    }
    session_ = guard.release();
  }

  void close() override {
    if (sftp_) {
      sftp_free(sftp_);
      sftp_ = nullptr;
    }
    if (session_) {
      ssh_disconnect(session_);
      ssh_free(session_);
      session_ = nullptr;
    }
  }

  bool is_open() const override { return session_ != nullptr && ssh_is_connected(session_) != 0; }

  command_result exec_command(std::string_view command, std::optional<std::string_view> stdin_data) override {
    ssh_session session = require_open();
    ssh_channel ch = ssh_channel_new(session);
    if (!ch) throw fail("cannot create a channel");
    std::unique_ptr<ssh_channel_struct, decltype(&ssh_channel_free)> guard(ch, &ssh_channel_free);
    if (ssh_channel_open_session(ch) != SSH_OK) throw fail("cannot open a channel");
    const std::string cmd(command);
    if (ssh_channel_request_exec(ch, cmd.c_str()) != SSH_OK) throw fail("cannot run a command");
    if (stdin_data && !stdin_data->empty()) {
      std::string_view rest = *stdin_data;
      while (!rest.empty()) {
        const auto n = std::min<std::size_t>(rest.size(), chunk);
        const int put = ssh_channel_write(ch, rest.data(), static_cast<uint32_t>(n));
        if (put == SSH_ERROR) {
          // The command ended without reading all of its input (as `true` does): not an
          // error, as for a local pipe; a lost connection shows in the reads below.
          if (remote_closed(ch)) break;
          throw fail("cannot write the command's input");
        }
        rest.remove_prefix(static_cast<std::size_t>(put));
      }
    }
    if (!remote_closed(ch)) ssh_channel_send_eof(ch);

    command_result r;
    std::array<char, chunk> buf{};
    const auto drain = [&] {
      bool got = false;
      for (int is_stderr = 0; is_stderr < 2; ++is_stderr) {
        const int n = ssh_channel_read_nonblocking(ch, buf.data(), static_cast<uint32_t>(buf.size()), is_stderr);
        if (n == SSH_ERROR) {
          if (ssh_channel_is_closed(ch) && ssh_is_connected(session) != 0) return false;  // ended, all read
          throw fail("cannot read the command's output");
        }
        if (n > 0) {
          (is_stderr ? r.stderr_text : r.stdout_text).append(buf.data(), static_cast<std::size_t>(n));
          got = true;
        }
      }
      return got;
    };
    while (true) {
      if (drain()) continue;
      if (remote_closed(ch)) break;
      // Waits for stdout (stderr packets are buffered meanwhile and drained on the next turn).
      const int p = ssh_channel_poll_timeout(ch, 20, 0);
      if (p == SSH_ERROR) throw fail("lost the connection while reading the command's output");
    }
    while (drain()) {
    }
    r.exit_status = ssh_channel_get_exit_status(ch);
    ssh_channel_close(ch);
    return r;
  }

  void put_file(const fs::path& local, const std::string& remote) override {
    std::ifstream in(local, std::ios::binary);
    if (!in) throw transport_error("core.ssh: cannot read local file '" + local.string() + "'");
    std::ostringstream s;
    s << in.rdbuf();
    std::error_code ec;
    const auto perms = fs::status(local, ec).permissions();
    write_file_mode(remote, s.str(), static_cast<mode_t>(perms) & 0777);
  }

  void get_file(const std::string& remote, const fs::path& local) override {
    const std::string content = read_file(remote);
    std::ofstream out(local, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw transport_error("core.ssh: cannot write local file '" + local.string() + "'");
  }

  std::string read_file(const std::string& remote) override {
    sftp_session sftp = require_sftp();
    sftp_file f = sftp_open(sftp, remote.c_str(), O_RDONLY, 0);
    if (!f) throw sftp_fail("cannot open '" + remote + "'");
    std::string out;
    std::array<char, chunk> buf{};
    while (true) {
      const ssize_t n = sftp_read(f, buf.data(), buf.size());
      if (n < 0) {
        sftp_close(f);
        throw sftp_fail("cannot read '" + remote + "'");
      }
      if (n == 0) break;
      out.append(buf.data(), static_cast<std::size_t>(n));
    }
    sftp_close(f);
    return out;
  }

  void write_file(const std::string& remote, std::string_view content) override { write_file_mode(remote, content, 0644); }

  std::vector<std::string> listdir(const std::string& remote) override {
    sftp_session sftp = require_sftp();
    sftp_dir dir = sftp_opendir(sftp, remote.c_str());
    if (!dir) throw sftp_fail("cannot list '" + remote + "'");
    std::vector<std::string> names;
    while (sftp_attributes a = sftp_readdir(sftp, dir)) {
      std::string name = a->name ? a->name : "";
      sftp_attributes_free(a);
      if (name != "." && name != ".." && !name.empty()) names.push_back(std::move(name));
    }
    sftp_closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
  }

  void makedirs(const std::string& remote) override {
    sftp_session sftp = require_sftp();
    std::string prefix;
    std::size_t pos = 0;
    while (pos <= remote.size()) {
      const auto slash = remote.find('/', pos);
      prefix = remote.substr(0, slash);
      pos = slash == std::string::npos ? remote.size() + 1 : slash + 1;
      if (prefix.empty()) continue;
      if (sftp_attributes a = sftp_stat(sftp, prefix.c_str())) {
        const bool dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
        sftp_attributes_free(a);
        if (!dir) throw transport_error("core.ssh: '" + prefix + "' on " + where() + " exists and is not a folder");
        continue;
      }
      if (sftp_mkdir(sftp, prefix.c_str(), 0755) != 0 && sftp_get_error(sftp) != SSH_FX_FILE_ALREADY_EXISTS) {
        throw sftp_fail("cannot create '" + prefix + "'");
      }
    }
  }

  bool path_exists(const std::string& remote) override {
    sftp_attributes a = sftp_lstat(require_sftp(), remote.c_str());
    if (!a) return false;
    sftp_attributes_free(a);
    return true;
  }

  bool is_dir(const std::string& remote) override {
    sftp_attributes a = sftp_stat(require_sftp(), remote.c_str());
    if (!a) return false;
    const bool dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
    sftp_attributes_free(a);
    return dir;
  }

  void remove(const std::string& remote) override {
    // One round trip instead of an SFTP walk of the tree.
    const auto r = exec_command("rm -rf -- " + shell_quote(remote), std::nullopt);
    if (r.exit_status != 0) throw transport_error("core.ssh: cannot remove '" + remote + "' on " + where() + ": " + r.stderr_text);
  }

  void chmod(const std::string& remote, std::uint32_t mode) override {
    if (sftp_chmod(require_sftp(), remote.c_str(), static_cast<mode_t>(mode)) != 0) throw sftp_fail("cannot chmod '" + remote + "'");
  }

 private:
  std::string where() const { return s_.username + "@" + s_.host + ":" + std::to_string(s_.port); }

  void verify_host_key(ssh_session session) {
    if (!s_.strict) return;
    ssh_key key = nullptr;
    std::string fingerprint = "?";
    if (ssh_get_server_publickey(session, &key) == SSH_OK) {
      unsigned char* hash = nullptr;
      size_t len = 0;
      if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
        char* hex = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
        if (hex) {
          fingerprint = std::string(ssh_key_type_to_char(ssh_key_type(key))) + " " + hex;
          ssh_string_free_char(hex);
        }
        ssh_clean_pubkey_hash(&hash);
      }
      ssh_key_free(key);
    }
    switch (ssh_session_is_known_server(session)) {
      case SSH_KNOWN_HOSTS_OK: return;
      case SSH_KNOWN_HOSTS_CHANGED:
        throw host_key_error("core.ssh: HOST KEY MISMATCH for " + where() + ": the server offers " + fingerprint +
                             ", which differs from the key recorded in '" + s_.known_hosts +
                             "'. Someone may be intercepting the connection; refusing to connect.");
      case SSH_KNOWN_HOSTS_OTHER:
        throw host_key_error("core.ssh: the server " + where() + " offers a key of another type (" + fingerprint +
                             ") than the one recorded in '" + s_.known_hosts + "'; refusing to connect.");
      case SSH_KNOWN_HOSTS_UNKNOWN:
      case SSH_KNOWN_HOSTS_NOT_FOUND:
        throw host_key_error("core.ssh: the host key of " + where() + " (" + fingerprint + ") is not in the known_hosts file '" +
                             s_.known_hosts + "'. Check the fingerprint and add it (ssh-keyscan -p " + std::to_string(s_.port) +
                             " " + s_.host + " >> " + s_.known_hosts + "); refusing to connect.");
      case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    throw host_key_error("core.ssh: cannot check the host key of " + where() + " against '" + s_.known_hosts +
                         "': " + ssh_get_error(session));
  }

  void authenticate(ssh_session session) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(s_.key_filename.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      throw transport_error("core.ssh: cannot read the private key '" + s_.key_filename + "'");
    }
    const int rc = ssh_userauth_publickey(session, nullptr, key);
    ssh_key_free(key);
    if (rc != SSH_AUTH_SUCCESS) {
      throw transport_error("core.ssh: the server " + where() + " refused the key '" + s_.key_filename + "': " +
                            ssh_get_error(session));
    }
  }

  ssh_session require_open() {
    if (!session_) open();
    return session_;
  }

  sftp_session require_sftp() {
    ssh_session session = require_open();
    if (sftp_) return sftp_;
    sftp_session sftp = sftp_new(session);
    if (!sftp) throw fail("cannot start SFTP");
    if (sftp_init(sftp) != SSH_OK) {
      sftp_free(sftp);
      throw fail("cannot start SFTP");
    }
    sftp_ = sftp;
    return sftp_;
  }

  void write_file_mode(const std::string& remote, std::string_view content, mode_t mode) {
    sftp_session sftp = require_sftp();
    sftp_file f = sftp_open(sftp, remote.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (!f) throw sftp_fail("cannot create '" + remote + "'");
    while (!content.empty()) {
      const auto n = std::min(content.size(), chunk);
      const ssize_t put = sftp_write(f, content.data(), n);
      if (put <= 0) {
        sftp_close(f);
        throw sftp_fail("cannot write '" + remote + "'");
      }
      content.remove_prefix(static_cast<std::size_t>(put));
    }
    if (sftp_close(f) != SSH_OK) throw sftp_fail("cannot close '" + remote + "'");
  }

  // The command's side is done: it sent EOF or closed the channel.
  static bool remote_closed(ssh_channel ch) { return ssh_channel_is_eof(ch) != 0 || ssh_channel_is_closed(ch) != 0; }

  transport_error fail(const std::string& what) const {
    return transport_error("core.ssh: " + what + " on " + where() + ": " + (session_ ? ssh_get_error(session_) : "not connected"));
  }

  transport_error sftp_fail(const std::string& what) const {
    const int code = sftp_ ? sftp_get_error(sftp_) : -1;
    static constexpr std::array<const char*, 9> names = {"ok", "end of file", "no such file", "permission denied",
                                                         "failure", "bad message", "no connection", "connection lost",
                                                         "operation unsupported"};
    const std::string reason = code >= 0 && static_cast<std::size_t>(code) < names.size() ? names[static_cast<std::size_t>(code)]
                                                                                         : "SFTP error " + std::to_string(code);
    return transport_error("core.ssh: " + what + " on " + where() + ": " + reason);
  }

  settings_t s_;
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;
};

std::unique_ptr<transport> make_ssh_transport(const nlohmann::json& settings) {
  return std::make_unique<ssh_transport>(parse_settings(settings));
}

}  // namespace

TESSERA_ENTRY_POINT(transports, "core.ssh", make_ssh_transport)
