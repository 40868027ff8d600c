// The file repository (content-addressed, deduplicated, atomic, verifiable), the data types
// whose content lives there (SinglefileData, FolderData), RemoteData, and codes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

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
  // a node whose object disappeared is reported by the integrity check (small objects of a
  // store are rows of its database)
  {
    auto tx = st.begin_write();
    auto del = tx.connection().prepare("DELETE FROM repository_object WHERE key = ?");
    const auto& key = folder.files.at("sub/b.txt").object.bytes;
    del.bind(1, std::span<const std::byte>(reinterpret_cast<const std::byte*>(key.data()), key.size()));
    del.run();
    tx.commit();
  }
  auto report = st.check_integrity();
  EXPECT_FALSE(report.ok());
  ASSERT_EQ(report.missing.size(), 1u);
  EXPECT_NE(report.missing[0].find(fmt::format("node {}", ref.pk)), std::string::npos) << report.missing[0];
  EXPECT_EQ(report.database, "ok");
}

std::int64_t packed_rows(store& st) { return st.read().connection().scalar_int("SELECT count(*) FROM repository_object"); }

// A store's small objects are rows of its database, not files: written with its next write
// transaction, readable meanwhile; objects above the limit stay files.
TEST(StorePackedObjects, SmallObjectsAreRowsBigOnesAreFiles) {
  temp_dir d;
  store st(d / "profile");
  auto& repo = st.files();
  ASSERT_TRUE(repo.packs());
  const auto objects = d / "profile" / "repository" / "objects";
  const auto small = repo.put("hello");
  EXPECT_EQ(repo.put("hello"), small);
  EXPECT_EQ(repo.pending_objects(), 1u);
  EXPECT_EQ(packed_rows(st), 0);
  EXPECT_EQ(repo.read(small.object), "hello");  // pending: read from memory
  EXPECT_TRUE(repo.contains(small.object));
  st.write([](write_tx&) {});  // any write transaction takes pending objects along
  EXPECT_EQ(repo.pending_objects(), 0u);
  EXPECT_EQ(packed_rows(st), 1);
  EXPECT_EQ(repo.read(small.object), "hello");
  EXPECT_EQ(count_files(objects), 0u);

  const std::string at_limit(repository::pack_limit, 'a');
  const std::string above(repository::pack_limit + 1, 'b');
  const auto a = repo.put(at_limit);
  const auto b = repo.put(above);
  EXPECT_FALSE(fs::exists(repo.path_of(a.object)));
  EXPECT_TRUE(fs::exists(repo.path_of(b.object)));
  EXPECT_EQ(count_files(objects), 1u);
  // put_file decides on the size it reads
  write_file(d / "small.txt", "x = 1\n");
  write_file(d / "big.txt", above + "c");
  const auto fs_small = repo.put_file(d / "small.txt");
  const auto fs_big = repo.put_file(d / "big.txt");
  EXPECT_EQ(fs_small, repo.put("x = 1\n"));
  EXPECT_FALSE(fs::exists(repo.path_of(fs_small.object)));
  EXPECT_TRUE(fs::exists(repo.path_of(fs_big.object)));
  EXPECT_EQ(repo.read(fs_big.object), above + "c");
  {
    auto tx = st.begin_write();  // a direct transaction takes them along too
    tx.commit();
  }
  EXPECT_EQ(repo.pending_objects(), 0u);
  EXPECT_EQ(packed_rows(st), 3);  // hello, at_limit, x = 1
  EXPECT_EQ(repo.read(a.object), at_limit);
  // copy_out writes a packed object as a new, writable file
  repo.copy_out(small.object, d / "out" / "hello.txt");
  EXPECT_EQ(read_file(d / "out" / "hello.txt"), "hello");
  std::ofstream(d / "out" / "hello.txt", std::ios::app) << "!";
  EXPECT_EQ(read_file(d / "out" / "hello.txt"), "hello!");
  EXPECT_EQ(repo.read(small.object), "hello");
  const auto v = repo.verify();
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.objects, 5u);  // 3 packed + 2 files
  EXPECT_EQ(v.bytes, 5 + at_limit.size() + 6 + above.size() + above.size() + 1);
  EXPECT_TRUE(st.check_integrity().ok());
}

TEST(StorePackedObjects, VerifyFindsACorruptedRow) {
  temp_dir d;
  store st(d / "profile");
  const auto a = st.files().put("important data");
  (void)st.files().put("other");
  st.write([](write_tx&) {});
  {
    auto tx = st.begin_write();
    auto up = tx.connection().prepare("UPDATE repository_object SET content = CAST('tampered' AS BLOB) WHERE key = ?");
    up.bind(1, std::span<const std::byte>(reinterpret_cast<const std::byte*>(a.object.bytes.data()), a.object.bytes.size()));
    up.run();
    tx.commit();
  }
  const auto r = st.files().verify();
  EXPECT_EQ(r.objects, 2u);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("packed object " + a.object.hex()), std::string::npos) << r.problems[0];
  EXPECT_NE(r.problems[0].find("corrupted"), std::string::npos) << r.problems[0];
  EXPECT_FALSE(st.check_integrity().ok());
}

// What survives the process: an object goes into the database with the first write
// transaction after its put (so with the node that refers to it), or when the store closes;
// a process killed before either leaves nothing behind, and nothing refers to it.
TEST(StorePackedObjects, ObjectsAreDurableWithTheNodesThatReferToThem) {
  temp_dir d;
  const auto profile = d / "profile";
  { store st(profile); }  // create it before forking
  const auto child = [&](auto body) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      body();
      ::_exit(0);  // no destructors: as if killed
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  };
  hasher h1, h3;
  h1.update(std::string_view("never referred to"));
  h3.update(std::string_view("put before a clean close"));
  std::int64_t pk = 0;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  child([&] {
    auto* st = new store(profile);  // never destroyed
    (void)st->files().put("never referred to");
    const auto f = st->files().add_bytes("referred to", "out.txt");
    const auto ref = st->write([&](write_tx& tx) { return tx.add_data(f); });
    (void)st->files().put("never referred to, put after the last write");
    if (::write(pipefd[1], &ref.pk, sizeof ref.pk) != static_cast<ssize_t>(sizeof ref.pk)) ::_exit(1);
  });
  ASSERT_EQ(::read(pipefd[0], &pk, sizeof pk), static_cast<ssize_t>(sizeof pk));
  // objects put while the transaction that refers to them is open, with no write after it:
  // a group-commit unit, a direct transaction
  child([&] {
    auto* st = new store(profile);
    const auto ref = st->write([&](write_tx& tx) { return tx.add_data(st->files().add_bytes("put in a unit", "u.txt")); });
    if (::write(pipefd[1], &ref.pk, sizeof ref.pk) != static_cast<ssize_t>(sizeof ref.pk)) ::_exit(1);
  });
  child([&] {
    auto* st = new store(profile);
    auto tx = st->begin_write();
    const auto ref = tx.add_data(st->files().add_bytes("put in a direct transaction", "d.txt"));
    tx.commit();
    if (::write(pipefd[1], &ref.pk, sizeof ref.pk) != static_cast<ssize_t>(sizeof ref.pk)) ::_exit(1);
  });
  std::int64_t pks[3] = {pk, 0, 0};
  ASSERT_EQ(::read(pipefd[0], &pks[1], sizeof pk), static_cast<ssize_t>(sizeof pk));
  ASSERT_EQ(::read(pipefd[0], &pks[2], sizeof pk), static_cast<ssize_t>(sizeof pk));
  child([&] {
    store st(profile);
    (void)st.files().put("put before a clean close");
  });
  store st(profile);
  EXPECT_TRUE(st.files().contains(h1.finish()));  // went in with the node's transaction
  EXPECT_EQ(st.files().read(st.read().load<SinglefileData>(pk)), "referred to");
  EXPECT_EQ(st.files().read(st.read().load<SinglefileData>(pks[1])), "put in a unit");
  EXPECT_EQ(st.files().read(st.read().load<SinglefileData>(pks[2])), "put in a direct transaction");
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  EXPECT_TRUE(st.files().contains(h3.finish()));  // the destructor wrote it
  hasher h4;
  h4.update(std::string_view("never referred to, put after the last write"));
  EXPECT_FALSE(st.files().contains(h4.finish()));  // lost with the process: nothing refers to it
  EXPECT_TRUE(st.check_integrity().ok());
}

// Many threads put while others write: every object is readable at every moment after its
// put, and all are rows at the end.
TEST(StorePackedObjects, ConcurrentPutsAndWrites) {
  temp_dir d;
  store st(d / "profile");
  std::atomic<bool> failed{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const auto text = fmt::format("thread {} object {}", t, i);
        const auto f = st.files().add_bytes(text, "f.txt");
        if (st.files().read(f.content.object) != text) failed = true;
        if (i % 10 == 0) {
          const auto ref = st.write([&](write_tx& tx) { return tx.add_data(f); });
          if (st.files().read(st.read().load<SinglefileData>(ref.pk)) != text) failed = true;
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_FALSE(failed);
  st.write([](write_tx&) {});
  EXPECT_EQ(st.files().pending_objects(), 0u);
  EXPECT_EQ(packed_rows(st), 2000);
  EXPECT_TRUE(st.check_integrity().ok());
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
