// The fault test: work chains run in a child process that is SIGKILLed at random moments
// and restarted on the same profile until everything finished. At least 50 kills in all.
// Each round checks that every chain finished, that the provenance graph equals an
// uninterrupted run's in shape and values, that no calculation ran twice (the bodies
// append their pk to a side file; the only re-runs allowed are of calculations that were
// running at the moment of a kill, whose results the kill lost), and that SQLite's
// integrity check passes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <tessera/tessera.hpp>

#include "../store/support.hpp"

using namespace tessera;
using namespace std::chrono_literals;

namespace {

pid_t spawn_driver(const std::filesystem::path& profile, const std::filesystem::path& side) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("TESSERA_FAULT_SIDE_FILE", side.c_str(), 1);
    const std::string dir = profile.string();
    const char* args[] = {TESSERA_FAULT_DRIVER, dir.c_str(), nullptr};
    ::execv(TESSERA_FAULT_DRIVER, const_cast<char* const*>(args));
    ::_exit(127);
  }
  return pid;
}

// Waits up to `limit` for the driver; its exit status, or -1 if it is still running.
int wait_for(pid_t pid, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(2ms);
  }
}

nlohmann::json value_json(store_reader& r, std::int64_t pk) {
  auto n = r.node(pk);
  return {{"type", n.type}, {"value", n.attributes}};
}

// A process as the test compares it: everything but pks, uuids and times.
nlohmann::json describe(store_reader& r, std::int64_t pk) {
  auto n = r.node(pk);
  nlohmann::json j = {{"type", n.type},
                      {"kind", to_string(n.kind)},
                      {"state", to_string(n.state.value_or(process_state::created))},
                      {"exit", n.exit_status.value_or(-1)}};
  auto ins = nlohmann::json::object();
  for (const auto& l : r.incoming(pk)) {
    if (is_input(l.type)) ins[l.label] = value_json(r, l.input);
  }
  auto outs = nlohmann::json::object();
  for (const auto& l : r.outgoing(pk)) {
    if (is_output(l.type)) outs[l.label] = value_json(r, l.output);
  }
  j["inputs"] = ins;
  j["outputs"] = outs;
  auto kids = nlohmann::json::array();
  for (const auto& e : r.journal(pk)) kids.push_back({{"step", e.step}, {"seq", e.seq}, {"child", describe(r, e.child)}});
  j["children"] = kids;
  // every child is journaled exactly once
  j["children_linked"] = r.children(pk).size();
  return j;
}

nlohmann::json signature(const std::filesystem::path& profile) {
  store st(profile);
  auto r = st.read();
  auto& c = r.connection();
  nlohmann::json sig;
  auto top = c.prepare(
      "SELECT pk FROM node n WHERE kind > 0 AND NOT EXISTS (SELECT 1 FROM link l WHERE l.output = n.pk AND l.type IN "
      "(5, 6)) ORDER BY pk");
  while (top.step()) sig["top"].push_back(describe(r, top.int64(0)));
  auto kinds = c.prepare("SELECT kind, count(*) FROM node GROUP BY kind ORDER BY kind");
  while (kinds.step()) sig["nodes"][std::to_string(kinds.int64(0))] = kinds.int64(1);
  auto links = c.prepare("SELECT type, count(*) FROM link GROUP BY type ORDER BY type");
  while (links.step()) sig["links"][std::to_string(links.int64(0))] = links.int64(1);
  sig["checkpoints"] = c.scalar_int("SELECT count(*) FROM checkpoint");
  return sig;
}

std::map<std::int64_t, int> executions(const std::filesystem::path& side) {
  std::map<std::int64_t, int> n;
  std::ifstream in(side);
  std::int64_t pk = 0;
  while (in >> pk) ++n[pk];
  return n;
}

}  // namespace

TEST(EngineFault, SigkillAtRandomMomentsLosesNothingAndRunsNothingTwice) {
  test::temp_dir d;
  // The reference: one uninterrupted run.
  const auto ref_profile = d / "reference";
  const auto ref_side = d / "reference.side";
  const auto ref_start = std::chrono::steady_clock::now();
  ASSERT_EQ(wait_for(spawn_driver(ref_profile, ref_side), 120s), 0);
  // Kills are drawn within the time an uninterrupted run takes on this machine and build
  // (a fast Release build on a quiet machine finishes in a fraction of what ASan needs).
  const auto ref_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - ref_start).count();
  const auto reference = signature(ref_profile);
  ASSERT_EQ(reference["top"].size(), 4u);
  for (const auto& [pk, n] : executions(ref_side)) ASSERT_EQ(n, 1) << "calculation " << pk << " in the reference run";

  std::mt19937 rng(std::random_device{}());
  const char* seed_env = std::getenv("TESSERA_FAULT_SEED");
  if (seed_env) rng.seed(static_cast<unsigned>(std::stoul(seed_env)));
  std::uniform_int_distribution<int> delay_ms(1, std::max(5, static_cast<int>(ref_ms * 9 / 10)));
  int kills = 0;
  int rounds = 0;
  while (kills < 50 && rounds < 300) {
    ++rounds;
    const auto profile = d / ("round" + std::to_string(rounds));
    const auto side = d / ("round" + std::to_string(rounds) + ".side");
    std::map<std::int64_t, int> interrupted;  // calculation -> kills that caught it running
    int round_kills = 0;
    for (;;) {
      const pid_t pid = spawn_driver(profile, side);
      const int status = wait_for(pid, std::chrono::milliseconds(delay_ms(rng)));
      if (status >= 0) {
        ASSERT_EQ(status, 0) << "round " << rounds << " after " << round_kills << " kills: the driver failed";
        break;
      }
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      ++kills;
      ++round_kills;
      if (std::filesystem::exists(profile / "tessera.db")) {
        store st(profile);
        auto r = st.read();
        auto q = r.connection().prepare("SELECT pk FROM node WHERE kind = 1 AND process_state IN ('created', 'running')");
        while (q.step()) ++interrupted[q.int64(0)];
      }
      ASSERT_LT(round_kills, 400) << "round " << rounds << " never finishes";
    }
    SCOPED_TRACE("round " + std::to_string(rounds) + " with " + std::to_string(round_kills) + " kills");
    EXPECT_EQ(signature(profile), reference);
    for (const auto& [pk, n] : executions(side)) {
      const int allowed = 1 + (interrupted.count(pk) ? interrupted[pk] : 0);
      EXPECT_LE(n, allowed) << "calculation " << pk << " ran " << n << " times";
    }
    store st(profile);
    EXPECT_EQ(st.integrity_check(), "ok");
    auto lease = st.read();
    // every calculation that finished ran at least once (none was skipped)
    auto calcs = lease.connection().prepare("SELECT pk FROM node WHERE kind = 1");
    auto ran = executions(side);
    while (calcs.step()) EXPECT_GE(ran[calcs.int64(0)], 1) << "calculation " << calcs.int64(0) << " never ran";
  }
  EXPECT_GE(kills, 50);
  std::printf("fault test: %d kills over %d rounds (uninterrupted run: %lld ms)\n", kills, rounds,
              static_cast<long long>(ref_ms));
}
