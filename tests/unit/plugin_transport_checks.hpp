#pragma once
// What every transport must do, written once and run for core.local and core.ssh.
#include "plugin_test_support.hpp"

namespace tessera_test {

inline void check_transport_basics(transport& t, const std::string& remote_dir) {
  ASSERT_TRUE(t.is_open());
  // Commands: status, both streams, standard input.
  auto r = t.exec_command("echo out; echo err >&2; exit 3");
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.stdout_text, "out\n");
  EXPECT_EQ(r.stderr_text, "err\n");
  r = t.exec_command("cat", std::string_view("through stdin\n"));
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.stdout_text, "through stdin\n");
  const std::string big(300000, 'x');  // more than any pipe or channel window
  r = t.exec_command("cat; head -c 200000 /dev/zero | tr '\\0' y >&2", std::string_view(big));
  EXPECT_EQ(r.stdout_text, big);
  EXPECT_EQ(r.stderr_text, std::string(200000, 'y'));
  r = t.exec_command("true", std::string_view("input nobody reads"));
  EXPECT_EQ(r.exit_status, 0);

  // Files and folders.
  const auto dir = transport::join(remote_dir, "a/b/c");
  t.makedirs(dir);
  t.makedirs(dir);  // again: fine
  EXPECT_TRUE(t.is_dir(dir));
  t.write_file(transport::join(dir, "f.txt"), "hello\n");
  EXPECT_EQ(t.read_file(transport::join(dir, "f.txt")), "hello\n");
  EXPECT_TRUE(t.path_exists(transport::join(dir, "f.txt")));
  EXPECT_FALSE(t.is_dir(transport::join(dir, "f.txt")));
  EXPECT_FALSE(t.path_exists(transport::join(dir, "missing")));
  t.chmod(transport::join(dir, "f.txt"), 0700);
  EXPECT_EQ(t.exec_command("stat -c %a " + shell_quote(transport::join(dir, "f.txt"))).stdout_text, "700\n");

  // put/get of a file and of a folder tree.
  const fs::path local = make_workdir("local");
  fs::create_directories(local / "tree/sub");
  { std::ofstream(local / "tree/top.txt") << "top"; }
  { std::ofstream(local / "tree/sub/deep.bin", std::ios::binary) << std::string("\0\x01\xff binary", 10); }
  t.put_file(local / "tree/top.txt", transport::join(remote_dir, "single.txt"));
  EXPECT_EQ(t.read_file(transport::join(remote_dir, "single.txt")), "top");
  t.put_folder(local / "tree", transport::join(remote_dir, "tree"));
  EXPECT_EQ(t.listdir(transport::join(remote_dir, "tree")), (std::vector<std::string>{"sub", "top.txt"}));
  EXPECT_EQ(t.read_file(transport::join(remote_dir, "tree/sub/deep.bin")), std::string("\0\x01\xff binary", 10));
  t.get_folder(transport::join(remote_dir, "tree"), local / "back");
  std::ifstream back(local / "back/sub/deep.bin", std::ios::binary);
  std::stringstream content;
  content << back.rdbuf();
  EXPECT_EQ(content.str(), std::string("\0\x01\xff binary", 10));
  t.get_file(transport::join(remote_dir, "single.txt"), local / "single.txt");
  EXPECT_TRUE(fs::exists(local / "single.txt"));

  t.remove(transport::join(remote_dir, "tree"));
  EXPECT_FALSE(t.path_exists(transport::join(remote_dir, "tree")));
  t.remove(transport::join(remote_dir, "never-existed"));  // fine
  EXPECT_THROW(t.read_file(transport::join(remote_dir, "missing")), transport_error);
  fs::remove_all(local);
}

}  // namespace tessera_test
