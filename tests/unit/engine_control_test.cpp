// Pause, play and kill: from the runner, from another store (as another program does), with
// the runner gone; kills cascade to children.
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "../engine/processes.hpp"
#include "../store/support.hpp"

using namespace tessera;
using namespace tessera::test;
using namespace std::chrono_literals;

namespace {

std::size_t children_of(store& st, std::int64_t pk) { return st.read().children(pk).size(); }

template <class F>
bool eventually(F f, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (f()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return f();
}

}  // namespace

TEST(EngineControl, APausedProcessDoesNotAdvanceUntilPlayed) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto pk = submit<ticker>(r, spec::inputs_for<ticker>().set<"n">(15).validated());
  ASSERT_TRUE(eventually([&] { return children_of(st, pk) >= 2; }));
  r.pause(pk);
  EXPECT_TRUE(st.read().paused(pk));
  // The step in flight finishes (its child included) and the process parks; a fixed sleep
  // here was too short on a loaded machine under ASan.
  ASSERT_TRUE(eventually([&] { return r.parked(pk); }));
  const auto at_pause = children_of(st, pk);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(children_of(st, pk), at_pause) << "a paused process launched children";
  EXPECT_LT(at_pause, 15u);
  r.play(pk);
  auto res = r.wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
  EXPECT_EQ(res.get<Int>("count").value(), Int{15});
  EXPECT_FALSE(st.read().paused(pk));
}

TEST(EngineControl, PauseAndPlayFromAnotherStoreArriveAsEvents) {
  temp_dir d;
  store st(d.path());
  runner_options o;
  o.control_poll = std::chrono::milliseconds(60000);  // no poll: events only
  runner r(st, o);
  auto pk = submit<ticker>(r, spec::inputs_for<ticker>().set<"n">(15).validated());
  ASSERT_TRUE(eventually([&] { return children_of(st, pk) >= 2; }));
  {
    store other(d.path());  // what the CLI or another program does
    pause_process(other, pk);
  }
  // Only the event can tell the runner (no poll for a minute): it parks the process.
  ASSERT_TRUE(eventually([&] { return r.parked(pk); }));
  const auto at_pause = children_of(st, pk);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(children_of(st, pk), at_pause);
  {
    store other(d.path());
    play_process(other, pk);
  }
  auto res = r.wait(pk);
  ASSERT_TRUE(res.ok()) << res.exit_message;
}

TEST(EngineControl, KillCascadesToChildrenAndStopsThem) {
  temp_dir d;
  store st(d.path());
  runner r(st);
  auto pk = submit<ticker_parent>(r, spec::inputs_for<ticker_parent>().set<"n">(50).validated());
  std::int64_t kid = 0;
  ASSERT_TRUE(eventually([&] {
    auto k = st.read().children(pk);
    if (k.empty()) return false;
    kid = k[0];
    return children_of(st, kid) >= 2;
  }));
  auto killed = r.kill(pk, "enough");
  EXPECT_GE(killed.size(), 2u);
  auto res = r.wait(pk);
  EXPECT_EQ(res.state, process_state::killed);
  EXPECT_EQ(res.exit_status, killed_exit_status);
  EXPECT_EQ(res.exit_message, "enough");
  auto lease = st.read();
  EXPECT_EQ(lease.node(kid).state, process_state::killed);
  const auto kids_at_kill = lease.children(kid).size();
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(st.read().children(kid).size(), kids_at_kill) << "a killed child kept launching";
  EXPECT_EQ(r.live(), 0u);
  EXPECT_THROW(r.kill(pk), process_control_error);
  EXPECT_THROW(r.pause(pk), process_control_error);
  EXPECT_THROW(r.kill(999999), process_control_error);
}

TEST(EngineControl, KillWorksWhenTheRunnerIsGone) {
  temp_dir d;
  std::int64_t pk = 0;
  {
    store st(d.path());
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    if (child == 0) {
      store cst(d.path());
      runner r(cst);
      auto p = submit<ticker_parent>(r, spec::inputs_for<ticker_parent>().set<"n">(1000).validated());
      [[maybe_unused]] auto n = ::write(fds[1], &p, sizeof p);
      for (;;) std::this_thread::sleep_for(1s);  // until SIGKILL
    }
    ASSERT_EQ(::read(fds[0], &pk, sizeof pk), static_cast<ssize_t>(sizeof pk));
    ASSERT_TRUE(eventually([&] {
      auto k = st.read().children(pk);
      return !k.empty() && st.read().children(k[0]).size() >= 2;
    }));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(fds[0]);
    ::close(fds[1]);
    // The runner is gone; kill from here.
    auto killed = kill_process(st, pk);
    // the parent, its ticker, and the ticker's add if one was in flight when the runner died
    EXPECT_GE(killed.size(), 2u);
    EXPECT_LE(killed.size(), 3u);
    EXPECT_EQ(killed[0], pk);
    for (auto k : killed) EXPECT_EQ(st.read().node(k).state, process_state::killed);
  }
  // A new runner has nothing to resume.
  store st(d.path());
  runner r(st);
  EXPECT_EQ(r.resume_all(), 0u);
  EXPECT_EQ(st.integrity_check(), "ok");
}

TEST(EngineControl, TerminationsWakeWatchersOfTheStatesChannel) {
  temp_dir d;
  store st(d.path());
  std::atomic<int> events{0};
  engine_detail::profile_watcher w(d.path(), [&] { ++events; }, "states");
  runner r(st);
  auto res = run<passthrough>(r, spec::inputs_for<passthrough>().set<"x">(1).validated());
  ASSERT_TRUE(res.ok());
  EXPECT_TRUE(eventually([&] { return events.load() >= 1; }, 5s));
}
