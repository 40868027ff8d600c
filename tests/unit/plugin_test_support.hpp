#pragma once
// Helpers shared by the plugin and services tests: the shipped plugins' registry, a
// transport wrapper that counts commands, the "add two integers" job, polling, and the
// services started by the CTest fixture (tests/services/).
#include <tessera/calcjob.hpp>
#include <tessera/plugin/registry.hpp>

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

namespace tessera_test {

using namespace tessera::calcjob;
namespace fs = std::filesystem;

inline tessera::plugin::registry& shipped_plugins() {
  static tessera::plugin::registry r({fs::path(TESSERA_TEST_PLUGIN_DIR)});
  return r;
}

/// A fresh folder under /tmp (slurmd and sshd, running as root, can reach it).
inline std::string make_workdir(const std::string& tag) {
  std::string pattern = "/tmp/tessera-" + tag + "-XXXXXX";
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

inline std::string unique_name(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream s;
  s << prefix << "-" << ::getpid() << "-" << std::hex << rng();
  return s.str();
}

/// Forwards to another transport and counts the commands run through it.
class counting_transport final : public transport {
 public:
  explicit counting_transport(transport& inner) : inner_(inner) {}
  int commands = 0;
  std::string last_command;
  std::size_t longest = 0;  // bytes of the longest command
  std::string_view plugin_name() const override { return inner_.plugin_name(); }
  void open() override { inner_.open(); }
  void close() override { inner_.close(); }
  bool is_open() const override { return inner_.is_open(); }
  command_result exec_command(std::string_view c, std::optional<std::string_view> in) override {
    ++commands;
    last_command = std::string(c);
    longest = std::max(longest, c.size());
    return inner_.exec_command(c, in);
  }
  void put_file(const fs::path& l, const std::string& r) override { inner_.put_file(l, r); }
  void get_file(const std::string& r, const fs::path& l) override { inner_.get_file(r, l); }
  std::string read_file(const std::string& r) override { return inner_.read_file(r); }
  void write_file(const std::string& r, std::string_view c) override { inner_.write_file(r, c); }
  std::vector<std::string> listdir(const std::string& r) override { return inner_.listdir(r); }
  void makedirs(const std::string& r) override { inner_.makedirs(r); }
  bool path_exists(const std::string& r) override { return inner_.path_exists(r); }
  bool is_dir(const std::string& r) override { return inner_.is_dir(r); }
  void remove(const std::string& r) override { inner_.remove(r); }
  void chmod(const std::string& r, std::uint32_t m) override { inner_.chmod(r, m); }

 private:
  transport& inner_;
};

/// Polls until `pred(state)` holds for job `id`; returns the last state (fails after `timeout`).
template <class Pred>
job_state wait_for_state(transport& t, const scheduler& s, const std::string& id, Pred pred,
                         std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::vector<std::string> ids = {id};
  job_state st = job_state::unknown;
  while (std::chrono::steady_clock::now() < deadline) {
    st = s.status(t, ids).at(id);
    if (pred(st)) return st;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "job " << id << " still " << to_string(st) << " after " << timeout.count() << " s";
  return st;
}

inline job_state wait_until_finished(transport& t, const scheduler& s, const std::string& id) {
  return wait_for_state(t, s, id, [](job_state st) { return is_finished(st); });
}

/// The job AiiDA's benchmark runs: a bash script adds two integers into a file.
inline job_template add_job(const std::string& workdir, const std::string& name, int x, int y) {
  job_template t;
  t.job_name = name;
  t.working_directory = workdir;
  t.argv = {"bash", "add.sh", std::to_string(x), std::to_string(y)};
  t.stdout_name = "sum.txt";
  t.stderr_name = "add.err";
  return t;
}

inline void write_add_script(transport& t, const std::string& workdir) {
  t.makedirs(workdir);
  t.write_file(transport::join(workdir, "add.sh"), "echo $(( $1 + $2 ))\n");
}

/// A job that runs until killed (its own name).
inline job_template sleep_job(const std::string& workdir, const std::string& name) {
  job_template t;
  t.job_name = name;
  t.working_directory = workdir;
  t.argv = {"sleep", "300"};
  return t;
}

/// Values that must arrive verbatim in a file and run nothing.
inline std::vector<std::string> nasty_values(const std::string& pwned) {
  return {"it's \"quoted\"", "$(touch " + pwned + ")", "`touch " + pwned + "`", "two\nlines", "  spaces  and\ttab ", "",
          "; touch " + pwned + " #"};
}

/// The quoting job: prints each value on its own line (printf %s\n), with the values also
/// passed through the environment and the job name (where the scheduler allows it).
inline job_template quoting_job(const std::string& workdir, const std::string& name, const std::vector<std::string>& values) {
  job_template t;
  t.job_name = name;
  t.working_directory = workdir;
  t.argv = {"printf", "%s\\n"};
  t.argv.insert(t.argv.end(), values.begin(), values.end());
  t.stdout_name = "quoted out.txt";
  t.environment = {{"TESSERA_NASTY", values.at(1)}};
  t.append_text = "printf '%s' \"$TESSERA_NASTY\" > env.txt";
  return t;
}

inline std::string expected_quoting_output(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += v + "\n";
  return out;
}

/// key=value lines of a services state file; empty when missing.
inline std::map<std::string, std::string> read_env_file(const fs::path& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

/// The state of service `name` ("slurm", "sshd") started by the CTest fixture, or a reason
/// to skip: the service cannot run on this machine, or the tests run outside ctest.
inline std::map<std::string, std::string> service(const std::string& name, std::string& skip_reason) {
  const char* dir = std::getenv("TESSERA_TEST_SERVICES_DIR");
  if (!dir) {
    skip_reason = "TESSERA_TEST_SERVICES_DIR is not set: run through ctest, whose services.start fixture starts " + name;
    return {};
  }
  const fs::path unavailable = fs::path(dir) / (name + ".unavailable");
  if (fs::exists(unavailable)) {
    std::ifstream in(unavailable);
    std::getline(in, skip_reason);
    skip_reason = name + " cannot run here: " + skip_reason;
    return {};
  }
  auto env = read_env_file(fs::path(dir) / (name + ".env"));
  if (env.empty()) skip_reason = name + " was not started (no " + (fs::path(dir) / (name + ".env")).string() + ")";
  return env;
}

#define TESSERA_REQUIRE_SERVICE(var, name)          \
  std::string var##_skip;                           \
  const auto var = ::tessera_test::service(name, var##_skip); \
  if (var.empty()) GTEST_SKIP() << var##_skip

inline nlohmann::json ssh_settings(const std::map<std::string, std::string>& sshd) {
  return {{"host", sshd.at("SSH_HOST")},
          {"port", std::stoi(sshd.at("SSH_PORT"))},
          {"username", sshd.at("SSH_USER")},
          {"key_filename", sshd.at("SSH_KEY")},
          {"known_hosts", sshd.at("SSH_KNOWN_HOSTS")}};
}

}  // namespace tessera_test
