// Fills profiles for the CLI's end-to-end tests (tests/cli/cli_test.sh):
//   cli_fixture fill DIR        runs a sum_of_sums work chain (children, reports), a faulty
//                               chain (excepted) and adds a data node; then stores a live
//                               "running" parent with a live child and two more live
//                               processes for pause/play/kill (no runner needed for those);
//                               prints "name pk" lines.
//   cli_fixture tick DIR N      runs a ticker work chain of N slow steps (for watch).
//   cli_fixture lock DIR SECS   holds an exclusive lock on the database for SECS seconds
//                               (prints "locked" once it holds it).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "../engine/processes.hpp"

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
  if (mode == "lock" && argc == 4) return lock(argv[2], std::atoi(argv[3]));
  std::fprintf(stderr, "usage: %s fill DIR | tick DIR N | lock DIR SECONDS\n", argv[0]);
  return 2;
}
