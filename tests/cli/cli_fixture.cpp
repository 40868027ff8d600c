// Fills profiles for the CLI's end-to-end tests (tests/cli/cli_test.sh):
//   cli_fixture fill DIR        runs a sum_of_sums work chain (children, reports), a faulty
//                               chain (excepted) and adds a data node; then stores a live
//                               "running" parent with a live child and two more live
//                               processes for pause/play/kill (no runner needed for those);
//                               prints "name pk" lines.
//   cli_fixture tick DIR N      runs a ticker work chain of N slow steps (for watch).
//   cli_fixture calcjob DIR WORK  runs core.arithmetic.add (2 + 3) through core.direct and
//                               core.local (computer "localhost", work directory WORK);
//                               stores a calcjob whose upload has not happened (live, no
//                               files) and a finished one whose remote folder is on computer
//                               "offline" (core.ssh to a closed port); prints "name pk" lines.
//   cli_fixture lock DIR SECS   holds an exclusive lock on the database for SECS seconds
//                               (prints "locked" once it holds it).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <tessera/calcjob/calc_job.hpp>
#include <tessera/plugin/calcjobs.hpp>

#include "../engine/processes.hpp"
#include "arithmetic_add.hpp"

using namespace tessera;

namespace {

std::int64_t live_process(store& st, std::string type, node_kind kind, std::optional<std::int64_t> caller) {
  return st.write([&](write_tx& tx) {
    new_node n;
    n.kind = kind;
    n.type = std::move(type);
    n.state = process_state::running;
    n.origin = {std::string(tessera::version), "tests.cli", "1"};
    auto ref = tx.add_node(n);
    if (caller) {
      tx.add_link(*caller, ref.pk, is_workflow(kind) ? link_type::call_work : link_type::call_calc,
                  "CALL");
    }
    tx.add_log(ref.pk, log_level::report, "started by the CLI test fixture");
    return ref.pk;
  });
}

int fill(const char* dir) {
  store st(dir);
  std::int64_t sos = 0, bad = 0;
  {
    runner r(st);
    sos = submit<test::sum_of_sums>(r, spec::inputs_for<test::sum_of_sums>().set<"a">(2).set<"b">(3).validated());
    bad = submit<test::faulty>(r, spec::inputs_for<test::faulty>().set<"x">(1).validated());
    (void)r.wait(sos);
    (void)r.wait(bad);
    r.wait_idle();
  }
  const auto data = st.write([](write_tx& tx) { return tx.add_data(Int{42}, "answer").pk; });
  const auto parent = live_process(st, "test.live_parent", node_kind::work_chain, std::nullopt);
  const auto child = live_process(st, "test.live_child", node_kind::calc_function, parent);
  const auto other = live_process(st, "test.live_other", node_kind::work_chain, std::nullopt);
  const auto third = live_process(st, "test.live_third", node_kind::work_chain, std::nullopt);
  std::printf("sum_of_sums %lld\nfaulty %lld\ndata %lld\nlive_parent %lld\nlive_child %lld\nlive_other %lld\nlive_third %lld\n",
              static_cast<long long>(sos), static_cast<long long>(bad), static_cast<long long>(data),
              static_cast<long long>(parent), static_cast<long long>(child), static_cast<long long>(other),
              static_cast<long long>(third));
  return 0;
}

void add_computer(store& st, std::string label, std::string transport, std::string workdir, nlohmann::json settings) {
  st.write([&](write_tx& tx) {
    computer_spec c;
    c.label = std::move(label);
    c.hostname = "127.0.0.1";
    c.transport = std::move(transport);
    c.scheduler = "core.direct";
    c.workdir = std::move(workdir);
    c.settings = std::move(settings);
    (void)tx.add_computer(c);
  });
}

int fill_calcjob(const char* dir, const char* work) {
  using plugins::arithmetic_add;
  store st(dir);
  // Short polls: the job (bash adding two numbers) ends at once.
  add_computer(st, "localhost", "core.local", work, {{"poll_interval", 0.05}, {"safe_interval", 0.0}});
  // Port 1 of the loopback refuses connections: every transport operation fails.
  add_computer(st, "offline", "core.ssh", "/scratch", {{"transport", {{"port", 1}, {"timeout", 2}}}});
  std::int64_t add = 0;
  {
    runner r(st);
    plugin::registry reg({std::filesystem::path(TESSERA_PLUGIN_DEFAULT_DIR)});
    plugin::use_for_calcjobs(r, reg);
    const InstalledCode bash{"localhost", "/bin/bash", "core.arithmetic.add", {}, {}};
    add = submit<arithmetic_add>(
        r, spec::inputs_for<arithmetic_add>().set<"x">(Int{2}).set<"y">(Int{3}).set<"code">(bash).values());
    if (!r.wait(add).ok()) {
      std::fprintf(stderr, "core.arithmetic.add (pk %lld) did not finish ok\n", static_cast<long long>(add));
      return 1;
    }
    r.wait_idle();
  }
  // Stored without a runner, as a runner would have left them.
  const auto pending = live_process(st, "core.arithmetic.add", node_kind::calc_job, std::nullopt);
  st.write([&](write_tx& tx) { tx.set_attribute(pending, "calc_job_state", "upload"); });
  const auto offline = st.write([](write_tx& tx) {
    new_node n;
    n.kind = node_kind::calc_job;
    n.type = "core.arithmetic.add";
    n.state = process_state::running;
    n.origin = {std::string(tessera::version), "tests.cli", "1"};
    const auto ref = tx.add_node(n);
    tx.set_attribute(ref.pk, "calc_job_state", "update");
    const auto remote = tx.add_data(RemoteData{"offline", "/scratch/ab/cd/ef"}).pk;
    tx.add_link(ref.pk, remote, link_type::create, "remote_folder");
    return ref.pk;
  });
  std::printf("add %lld\npending %lld\noffline %lld\n", static_cast<long long>(add), static_cast<long long>(pending),
              static_cast<long long>(offline));
  return 0;
}

int tick(const char* dir, int n) {
  store st(dir);
  runner r(st);
  const auto pk = submit<test::ticker_parent>(r, spec::inputs_for<test::ticker_parent>().set<"n">(n).validated());
  std::printf("%lld\n", static_cast<long long>(pk));
  std::fflush(stdout);
  auto res = r.wait(pk);
  return res.ok() ? 0 : 1;
}

int lock(const char* dir, int seconds) {
  const std::string db = std::string(dir) + "/tessera.db";
  sqlite3* c = nullptr;
  if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) return 1;
  char* err = nullptr;
  if (sqlite3_exec(c, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; "
                      "INSERT OR REPLACE INTO setting(key, value) VALUES ('cli_test_lock', '1');",
                   nullptr, nullptr, &err) != SQLITE_OK) {
    std::fprintf(stderr, "cannot lock %s: %s\n", db.c_str(), err ? err : "?");
    return 1;
  }
  std::printf("locked\n");
  std::fflush(stdout);
  ::sleep(static_cast<unsigned>(seconds));
  sqlite3_exec(c, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(c);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "fill" && argc == 3) return fill(argv[2]);
  if (mode == "tick" && argc == 4) return tick(argv[2], std::atoi(argv[3]));
  if (mode == "calcjob" && argc == 4) return fill_calcjob(argv[2], argv[3]);
  if (mode == "lock" && argc == 4) return lock(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr, "usage: %s fill DIR | tick DIR N | calcjob DIR WORKDIR | lock DIR SECONDS\n", argv[0]);
  return 2;
}
