// core.ssh against a real OpenSSH server on 127.0.0.1 (started by the services fixture):
// commands, files and folders over one session; host keys checked; timings printed.
#include "plugin_transport_checks.hpp"

#include <gmock/gmock.h>

#include <iostream>

using namespace tessera_test;
using ::testing::HasSubstr;

namespace {
double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

TEST(services_ssh, commands_files_and_folders_over_one_session) {
  TESSERA_REQUIRE_SERVICE(sshd, "sshd");
  auto t = shipped_plugins().make_transport("core.ssh", ssh_settings(sshd));
  const auto t0 = std::chrono::steady_clock::now();
  t->open();
  const double connect = seconds_since(t0);
  const auto dir = make_workdir("ssh-transport");
  check_transport_basics(*t, dir);

  // Every command travels over the same TCP connection: one session, many channels.
  const auto first = t->exec_command("echo $SSH_CONNECTION").stdout_text;
  constexpr int n = 20;
  const auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) EXPECT_EQ(t->exec_command("echo $SSH_CONNECTION").stdout_text, first);
  const double per_command = seconds_since(t1) / n;
  const std::string payload(9 * 1024, 'p');
  const auto t2 = std::chrono::steady_clock::now();
  t->write_file(transport::join(dir, "payload"), payload);
  const double upload = seconds_since(t2);
  EXPECT_EQ(t->read_file(transport::join(dir, "payload")), payload);
  std::cout << "[timing] core.ssh connect+auth " << connect * 1000 << " ms, one command " << per_command * 1000
            << " ms, SFTP upload of 9 KB " << upload * 1000 << " ms\n";
  RecordProperty("ssh_connect_ms", std::to_string(connect * 1000));
  RecordProperty("ssh_command_ms", std::to_string(per_command * 1000));
  t->remove(dir);
  t->close();
  EXPECT_FALSE(t->is_open());
}

TEST(services_ssh, refuses_an_unknown_host_key) {
  TESSERA_REQUIRE_SERVICE(sshd, "sshd");
  auto settings = ssh_settings(sshd);
  settings["known_hosts"] = sshd.at("SSH_EMPTY_KNOWN_HOSTS");
  auto t = shipped_plugins().make_transport("core.ssh", settings);
  try {
    t->open();
    FAIL() << "connected to a host whose key is not in known_hosts";
  } catch (const host_key_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not in the known_hosts file"));
    EXPECT_THAT(e.what(), HasSubstr(sshd.at("SSH_EMPTY_KNOWN_HOSTS")));
    EXPECT_THAT(e.what(), HasSubstr("SHA256:"));
  }
  EXPECT_FALSE(t->is_open());
  // A missing known_hosts file is no excuse either.
  settings["known_hosts"] = "/nonexistent/known_hosts";
  EXPECT_THROW(shipped_plugins().make_transport("core.ssh", settings)->open(), host_key_error);
}

TEST(services_ssh, refuses_a_changed_host_key) {
  TESSERA_REQUIRE_SERVICE(sshd, "sshd");
  auto settings = ssh_settings(sshd);
  settings["known_hosts"] = sshd.at("SSH_WRONG_KNOWN_HOSTS");
  auto t = shipped_plugins().make_transport("core.ssh", settings);
  try {
    t->open();
    FAIL() << "connected to a host whose key differs from known_hosts";
  } catch (const host_key_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("HOST KEY MISMATCH"));
  }
}

TEST(services_ssh, refuses_a_key_the_server_does_not_accept) {
  TESSERA_REQUIRE_SERVICE(sshd, "sshd");
  auto settings = ssh_settings(sshd);
  settings["key_filename"] = sshd.at("SSH_UNAUTHORIZED_KEY");
  auto t = shipped_plugins().make_transport("core.ssh", settings);
  EXPECT_THROW(t->open(), transport_error);
}
