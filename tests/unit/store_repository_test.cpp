// The file repository (content-addressed, deduplicated, atomic, verifiable), the data types
// whose content lives there (SinglefileData, FolderData), RemoteData, and codes.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <tessera/data/data.hpp>
#include <tessera/data/folder.hpp>
#include <tessera/data/remote.hpp>
#include <tessera/data/singlefile.hpp>
#include <tessera/store/code.hpp>
#include <tessera/store/query.hpp>
#include <tessera/store/store.hpp>

#include "../store/support.hpp"

namespace {

using namespace tessera;
using tessera::test::temp_dir;
namespace fs = std::filesystem;

void write_file(const fs::path& p, const std::string& content) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
}
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

TEST(StoreRepository, ContentAddressedDeduplicatedReadOnly) {
  temp_dir d;
  repository repo(d / "repo");
  const auto a = repo.put("hello");
  const auto b = repo.put("hello");
  const auto c = repo.put("world");
  EXPECT_EQ(a, b);
  EXPECT_NE(a.object, c.object);
  EXPECT_EQ(a.size, 5u);
  hasher h;
  h.update(std::string_view("hello"));
  EXPECT_EQ(a.object, h.finish());  // the key is the BLAKE2b-256 of the bytes
  EXPECT_EQ(count_files(d / "repo" / "objects"), 2u);
  EXPECT_EQ(count_files(d / "repo" / "tmp"), 0u);  // no temp file left behind
  EXPECT_EQ(repo.read(a.object), "hello");
  const auto p = repo.path_of(a.object);
  EXPECT_EQ(p.parent_path().filename().string() + p.filename().string(), a.object.hex());
  struct stat sb {};
  ASSERT_EQ(::stat(p.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0444u);  // objects are written read-only
  EXPECT_EQ(repo.put("").size, 0u);
  EXPECT_EQ(repo.read(repo.put("").object), "");
}

TEST(StoreRepository, LargeFilesStreamAndMissingObjectsAreNamed) {
  temp_dir d;
  repository repo(d / "repo");
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  write_file(d / "big.bin", big);
  const auto f = repo.put_file(d / "big.bin");
  EXPECT_EQ(f.size, big.size());
  EXPECT_EQ(f, repo.put(big));
  EXPECT_EQ(repo.read(f.object), big);
  digest absent;
  absent.bytes[3] = 9;
  try {
    (void)repo.read(absent);
    FAIL() << "read a missing object";
  } catch (const repository_error& e) {
    EXPECT_NE(std::string(e.what()).find(absent.hex()), std::string::npos) << e.what();
  }
  EXPECT_THROW(repo.put_file(d / "no-such-file"), repository_error);
  EXPECT_THROW(repo.copy_out(absent, d / "out"), repository_error);
}

TEST(StoreRepository, VerifyFindsCorruptedObjects) {
  temp_dir d;
  repository repo(d / "repo");
  const auto a = repo.put("important data");
  (void)repo.put("other");
  auto r = repo.verify();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.objects, 2u);
  const auto p = repo.path_of(a.object);
  fs::permissions(p, fs::perms::owner_write, fs::perm_options::add);
  write_file(p, "tampered data");
  r = repo.verify();
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find(p.string()), std::string::npos) << r.problems[0];
  EXPECT_NE(r.problems[0].find(a.object.hex()), std::string::npos) << r.problems[0];
}

TEST(StoreRepository, SinglefileDataNode) {
  temp_dir d;
  store st(d / "profile");
  write_file(d / "input.txt", "line 1\nline 2\n");
  const auto sf = st.files().add_file(d / "input.txt");
  EXPECT_EQ(sf.filename, "input.txt");
  node_ref ref;
  {
    auto tx = st.begin_write();
    ref = tx.add_data(sf);
    tx.commit();
  }
  const auto back = st.read().load<SinglefileData>(ref.pk);
  EXPECT_EQ(back, sf);
  EXPECT_EQ(st.files().read(back), "line 1\nline 2\n");
  EXPECT_EQ(st.read().load_any(ref.pk).get<SinglefileData>(), sf);  // registered type
  // the content hash covers the bytes
  EXPECT_NE(content_hash(sf), content_hash(st.files().add_bytes("other", "input.txt")));
  EXPECT_EQ(content_hash(sf), content_hash(st.files().add_bytes("line 1\nline 2\n", "input.txt")));
  // the source file may change afterwards: the stored node does not
  write_file(d / "input.txt", "changed");
  EXPECT_EQ(st.files().read(st.read().load<SinglefileData>(ref.pk)), "line 1\nline 2\n");
  EXPECT_THROW((void)st.files().add_bytes("x", "dir/name"), repository_error);
  EXPECT_THROW((void)st.files().add_bytes("x", ".."), repository_error);
  EXPECT_THROW((void)data_traits<SinglefileData>::deserialize(
                   {{"filename", "../etc/passwd"}, {"object", sf.content.object.hex()}, {"size", 1}}),
               data_error);
  EXPECT_THROW((void)data_traits<SinglefileData>::deserialize({{"filename", "a"}}), data_error);
  EXPECT_TRUE(st.check_integrity().ok());
}

TEST(StoreRepository, FolderDataNode) {
  temp_dir d;
  store st(d / "profile");
  write_file(d / "src" / "a.txt", "A");
  write_file(d / "src" / "sub" / "b.txt", "B");
  write_file(d / "src" / "sub" / "deeper" / "c.txt", "A");  // same bytes as a.txt: one object
  const auto folder = st.files().add_folder(d / "src");
  ASSERT_EQ(folder.files.size(), 3u);
  EXPECT_TRUE(folder.files.contains("sub/deeper/c.txt"));
  EXPECT_EQ(folder.files.at("a.txt"), folder.files.at("sub/deeper/c.txt"));
  node_ref ref;
  {
    auto tx = st.begin_write();
    ref = tx.add_data(folder, "inputs");
    tx.commit();
  }
  const auto back = st.read().load<FolderData>(ref.pk);
  EXPECT_EQ(back, folder);
  st.files().materialize(back, d / "out");
  EXPECT_EQ(read_file(d / "out" / "sub" / "b.txt"), "B");
  EXPECT_EQ(read_file(d / "out" / "sub" / "deeper" / "c.txt"), "A");
  fs::create_symlink(d / "src" / "a.txt", d / "src" / "link");
  EXPECT_THROW((void)st.files().add_folder(d / "src"), repository_error);
  EXPECT_THROW((void)st.files().add_folder(d / "src" / "a.txt"), repository_error);
  EXPECT_THROW((void)data_traits<FolderData>::deserialize(
                   {{"files", {{"../x", {{"object", folder.files.at("a.txt").object.hex()}, {"size", 1}}}}}}),
               data_error);
  // a node whose object disappeared is reported by the integrity check
  fs::remove(st.files().path_of(folder.files.at("sub/b.txt").object));
  auto report = st.check_integrity();
  EXPECT_FALSE(report.ok());
  ASSERT_EQ(report.missing.size(), 1u);
  EXPECT_NE(report.missing[0].find(fmt::format("node {}", ref.pk)), std::string::npos) << report.missing[0];
  EXPECT_EQ(report.database, "ok");
}

TEST(StoreRepository, RemoteData) {
  temp_dir d;
  store st(d.path());
  RemoteData r{"cluster", "/scratch/run/1234"};
  auto tx = st.begin_write();
  auto ref = tx.add_data(r);
  EXPECT_EQ(tx.load<RemoteData>(ref.pk), r);
  EXPECT_THROW((void)data_traits<RemoteData>::deserialize({{"computer", "c"}, {"remote_path", "relative/x"}}), data_error);
  EXPECT_THROW((void)data_traits<RemoteData>::deserialize({{"computer", ""}, {"remote_path", "/x"}}), data_error);
  EXPECT_THROW((void)data_traits<RemoteData>::deserialize(nlohmann::json::array()), data_error);
}

TEST(StoreCode, InstalledAndPortableCodes) {
  temp_dir d;
  store st(d / "profile");
  write_file(d / "code" / "run.sh", "#!/bin/sh\necho hi\n");
  const auto folder = st.files().add_folder(d / "code");
  auto tx = st.begin_write();
  computer_spec cs;
  cs.label = "localhost";
  cs.hostname = "localhost";
  cs.transport = "core.local";
  cs.scheduler = "core.direct";
  cs.workdir = "/tmp/work";
  (void)tx.add_computer(cs);
  InstalledCode ic{"localhost", "/usr/bin/pw.x", "quantumespresso.pw", "module load qe", ""};
  auto ref = add_code(tx, ic, "my-code");
  EXPECT_EQ(tx.load<InstalledCode>(ref.pk), ic);
  EXPECT_EQ(find_code(tx, "my-code"), ref.pk);
  EXPECT_FALSE(find_code(tx, "nope").has_value());
  auto missing_computer = ic;
  missing_computer.computer = "nowhere";
  try {
    (void)add_code(tx, missing_computer, "bad");
    FAIL() << "code on a missing computer";
  } catch (const not_found_error& e) {
    EXPECT_NE(std::string(e.what()).find("'nowhere'"), std::string::npos) << e.what();
  }
  auto relative = ic;
  relative.filepath_executable = "pw.x";
  EXPECT_THROW((void)add_code(tx, relative, "bad"), store_error);
  EXPECT_THROW((void)add_code(tx, ic, ""), store_error);
  PortableCode pc{folder, "run.sh", ""};
  auto pref = add_code(tx, st.files(), pc, "portable");
  EXPECT_EQ(tx.load<PortableCode>(pref.pk), pc);
  EXPECT_EQ(find_code(tx, "portable"), pref.pk);
  auto wrong_exe = pc;
  wrong_exe.filepath_executable = "missing.sh";
  EXPECT_THROW((void)add_code(tx, st.files(), wrong_exe, "bad"), store_error);
  auto absent = pc;
  absent.files.files["extra.dat"] = file_object{digest{}, 3};
  EXPECT_THROW((void)add_code(tx, st.files(), absent, "bad"), repository_error);
  tx.commit();
  // codes are data nodes found by the query builder through their type prefix
  query q(st);
  q.append(node_filter::data_prefix("core.code"), "c").project(col("label")).order_by(col("pk"));
  EXPECT_EQ(q.all(), (std::vector<query_row>{{"my-code"}, {"portable"}}));
  EXPECT_TRUE(st.check_integrity().ok());
}

}  // namespace
