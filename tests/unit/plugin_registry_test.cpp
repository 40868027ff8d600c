// The registry loads every shipped plugin and refuses, with a message naming the file, each
// kind of bad library: another ABI, a duplicate entry-point name, a text file named .so, a
// factory that does not match its group. rescan() picks up a library installed later;
// objects keep their library loaded after the registry is gone.
#include "plugin_test_support.hpp"

#include <tessera/data/int.hpp>
#include <tessera/plugin.hpp>

#include <gmock/gmock.h>

using namespace tessera::plugin;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {
const fs::path bad_dir = TESSERA_TEST_BAD_PLUGIN_DIR;

std::string all_problems(const registry& r) {
  std::string out;
  for (const auto& p : r.problems()) out += p.file.string() + ": " + p.message + "\n";
  return out;
}
}  // namespace

TEST(plugin_registry, loads_every_shipped_plugin) {
  const auto& r = tessera_test::shipped_plugins();
  EXPECT_TRUE(r.problems().empty()) << all_problems(r);
  const std::vector<std::pair<group, std::string>> expected = {{group::transports, "core.local"},
                                                               {group::transports, "core.ssh"},
                                                               {group::schedulers, "core.direct"},
                                                               {group::schedulers, "core.slurm"},
                                                               {group::schedulers, "core.pbs"},
                                                               {group::schedulers, "core.sge"},
                                                               {group::calculations, "core.arithmetic.add"},
                                                               {group::parsers, "core.arithmetic.add"}};
  for (const auto& [g, name] : expected) {
    const auto e = r.find(g, name);
    ASSERT_TRUE(e) << name;
    EXPECT_EQ(e->name, name);
    EXPECT_EQ(e->group, g);
    EXPECT_EQ(e->version, tessera::version);
    EXPECT_TRUE(fs::exists(e->library)) << e->library;
    EXPECT_EQ(e->library.parent_path(), fs::weakly_canonical(TESSERA_TEST_PLUGIN_DIR));
  }
  EXPECT_EQ(r.entries().size(), expected.size());
  EXPECT_EQ(r.make_transport("core.local")->plugin_name(), "core.local");
  EXPECT_EQ(r.make_scheduler("core.slurm")->plugin_name(), "core.slurm");
  EXPECT_EQ(r.make_scheduler("core.direct")->plugin_name(), "core.direct");
  EXPECT_EQ(r.make_scheduler("core.pbs")->plugin_name(), "core.pbs");
  EXPECT_EQ(r.make_scheduler("core.sge")->plugin_name(), "core.sge");
  EXPECT_EQ(r.make_transport("core.ssh", {{"host", "127.0.0.1"}})->plugin_name(), "core.ssh");
}

TEST(plugin_registry, arithmetic_add_parser_reads_the_sum_or_names_the_problem) {
  const auto& r = tessera_test::shipped_plugins();
  EXPECT_TRUE(r.create<group::calculations>("core.arithmetic.add"));
  auto parser = r.create<group::parsers>("core.arithmetic.add");
  using files = std::map<std::string, std::string>;
  auto parse = [&](files f) { return parser->parse(tessera::calcjob::retrieved_files(std::move(f)), {}); };
  auto ok = parse(files{{"aiida.out", "-42\n"}});
  EXPECT_TRUE(ok.exit_label.empty());
  ASSERT_NE(ok.outputs.find("sum"), nullptr);
  EXPECT_EQ(ok.outputs.find("sum")->template get<tessera::Int>(), tessera::Int{-42});
  EXPECT_EQ(parse(files{{"other", "1"}}).exit_label, "ERROR_READING_OUTPUT_FILE");
  auto bad = parse(files{{"aiida.out", "3 4\n"}});
  EXPECT_EQ(bad.exit_label, "ERROR_INVALID_OUTPUT_FILE");
  EXPECT_NE(bad.message.find("'3 4'"), std::string::npos) << bad.message;
  EXPECT_EQ(parse(files{{"aiida.out", ""}}).exit_label, "ERROR_INVALID_OUTPUT_FILE");
}

TEST(plugin_registry, default_directories_are_the_plugin_path_then_the_default_folder) {
  ::setenv("TESSERA_PLUGIN_PATH", "/nonexistent/a::/nonexistent/b", 1);
  const auto dirs = registry::default_directories();
  ::unsetenv("TESSERA_PLUGIN_PATH");
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], "/nonexistent/a");
  EXPECT_EQ(dirs[1], "/nonexistent/b");
  EXPECT_EQ(dirs[2], TESSERA_PLUGIN_DEFAULT_DIR);
  // In this build tree the default folder is where the shipped plugins are built.
  registry r;
  EXPECT_TRUE(r.find(group::schedulers, "core.slurm"));
}

TEST(plugin_registry, refuses_another_abi_version) {
  registry r({bad_dir / "bad_abi"});
  EXPECT_TRUE(r.entries().empty());
  const auto problems = r.problems();
  ASSERT_EQ(problems.size(), 1u);
  const auto& p = problems[0];
  EXPECT_EQ(p.file.filename(), "libtessera_test_plugin_bad_abi.so");
  EXPECT_THAT(p.message, HasSubstr(p.file.string()));
  EXPECT_THAT(p.message, HasSubstr("ABI 999"));
  EXPECT_THAT(p.message, HasSubstr("ABI " + std::to_string(abi_version)));
  EXPECT_THROW(r.load_library(p.file), plugin_error);
}

TEST(plugin_registry, refuses_a_duplicate_name_naming_both_files) {
  registry r({bad_dir / "dup"});
  ASSERT_EQ(r.entries().size(), 1u);
  EXPECT_EQ(r.entries()[0].name, "test.dup");
  const auto problems = r.problems();
  ASSERT_EQ(problems.size(), 1u) << all_problems(r);
  const auto& msg = problems[0].message;
  EXPECT_THAT(msg, HasSubstr("libtessera_test_plugin_dup_a.so"));
  EXPECT_THAT(msg, HasSubstr("libtessera_test_plugin_dup_b.so"));
  EXPECT_THAT(msg, HasSubstr("'test.dup'"));
}

TEST(plugin_registry, refuses_a_factory_that_does_not_match_its_group) {
  registry r({bad_dir / "mismatch"});
  EXPECT_TRUE(r.entries().empty());
  const auto problems = r.problems();
  ASSERT_EQ(problems.size(), 1u);
  const auto& msg = problems[0].message;
  EXPECT_THAT(msg, HasSubstr("libtessera_test_plugin_mismatch.so"));
  EXPECT_THAT(msg, HasSubstr("'test.mismatch' is in group schedulers"));
  EXPECT_THAT(msg, HasSubstr("tessera::calcjob::transport"));
}

TEST(plugin_registry, refuses_a_text_file_named_so_and_rescan_finds_new_libraries) {
  const auto dir = fs::path(tessera_test::make_workdir("plugins"));
  { std::ofstream(dir / "libnot_a_plugin.so") << "this is not a shared library\n"; }
  registry r({dir});
  EXPECT_TRUE(r.entries().empty());
  ASSERT_EQ(r.problems().size(), 1u);
  EXPECT_THAT(r.problems()[0].message, HasSubstr((dir / "libnot_a_plugin.so").string()));
  EXPECT_THAT(r.problems()[0].message, HasSubstr("not a shared library"));

  // "Install" a plugin while the registry lives: rescan finds it, no restart.
  EXPECT_THROW(r.make_transport("test.late"), plugin_error);
  fs::copy_file(bad_dir / "good" / "libtessera_test_plugin_good.so", dir / "libtessera_test_plugin_good.so");
  r.rescan();
  ASSERT_TRUE(r.find(group::transports, "test.late"));
  EXPECT_EQ(r.make_transport("test.late")->exec_command("x").stdout_text, "good");
  EXPECT_EQ(r.problems().size(), 1u) << "the text file is reported once, not on every rescan";
  fs::remove_all(dir);
}

TEST(plugin_registry, objects_keep_their_library_loaded) {
  std::shared_ptr<tessera::calcjob::transport> t;
  {
    registry r({fs::path(TESSERA_TEST_PLUGIN_DIR)});
    t = r.make_transport("core.local");
  }
  // The registry (and its handles) are gone; the object's code must still be mapped.
  t->open();
  const auto res = t->exec_command("echo alive");
  EXPECT_EQ(res.stdout_text, "alive\n");
}

TEST(plugin_registry, unknown_names_and_wrong_groups_are_clear_errors) {
  const auto& r = tessera_test::shipped_plugins();
  try {
    r.make_scheduler("core.local");
    FAIL() << "no error";
  } catch (const plugin_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("no schedulers plugin named 'core.local'"));
    EXPECT_THAT(e.what(), HasSubstr("is in group transports"));
  }
  EXPECT_THROW(r.make_transport("mylab.nothing"), plugin_error);
}

TEST(plugin_group, names_round_trip) {
  for (auto g : all_groups) EXPECT_EQ(group_from_string(to_string(g)), g);
  EXPECT_FALSE(group_from_string("schedulerz"));
}
