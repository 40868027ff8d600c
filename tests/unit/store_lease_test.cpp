// The daemon's durable task queue, store side (lease.hpp): workers claim live root processes,
// renew them by heartbeats, lose them when late; and several OS processes claiming at once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <tessera/data/data.hpp>
#include <tessera/store/store.hpp>

#include "../store/support.hpp"

namespace {

using namespace tessera;
using tessera::test::temp_dir;

constexpr std::int64_t lease = 10'000;  // ms; the unit tests pass their own clock

node_ref add_leased_process(write_tx& tx, node_kind kind, std::string type) {
  new_node p;
  p.kind = kind;
  p.type = std::move(type);
  p.origin = {"0.1.0", "test.leases", "1"};
  return tx.add_node(p);
}
std::int64_t add_root(write_tx& tx) { return add_leased_process(tx, node_kind::work_chain, "test.root").pk; }
std::int64_t add_child(write_tx& tx, std::int64_t parent, node_kind kind = node_kind::work_chain) {
  const auto c = add_leased_process(tx, kind, "test.child").pk;
  tx.add_link(parent, c, is_workflow(kind) ? link_type::call_work : link_type::call_calc, "CALL");
  return c;
}
// n new roots, handed to the daemon
std::vector<std::int64_t> add_roots(store& st, int n) {
  return st.write([&](write_tx& tx) {
    std::vector<std::int64_t> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(add_root(tx));
      tx.enqueue(out.back());
    }
    return out;
  });
}

std::int64_t register_worker(store& st, std::int64_t now, std::string host = "test-host") {
  return st.write([&](write_tx& tx) { return tx.register_worker(::getpid(), host, now); });
}
std::vector<claimed_root> claim(store& st, std::int64_t w, std::int64_t now, std::size_t n, std::int64_t ms = lease) {
  return st.write([&](write_tx& tx) { return tx.claim(w, now, ms, n); });
}
bool heartbeat(store& st, std::int64_t w, std::int64_t now, std::int64_t ms = lease) {
  return st.write([&](write_tx& tx) { return tx.heartbeat(w, now, ms); });
}
std::vector<std::int64_t> pks(const std::vector<claimed_root>& v) {
  std::vector<std::int64_t> out;
  for (const auto& c : v) out.push_back(c.pk);
  return out;
}
worker_record worker_row(store& st, std::int64_t w) {
  for (auto& r : st.read().workers()) {
    if (r.id == w) return r;
  }
  throw not_found_error(fmt::format("no worker {}", w));
}

// A profile with two workers, a and b, registered at time 0.
class StoreLease : public ::testing::Test {
 protected:
  temp_dir d;
  store st{d.path()};
  std::int64_t a = register_worker(st, 0);
  std::int64_t b = register_worker(st, 0);
};

TEST_F(StoreLease, EachLiveRootIsClaimedOnceOldestFirst) {
  const auto roots = add_roots(st, 5);
  const auto done = st.write([](write_tx& tx) {
    auto p = add_root(tx);
    tx.enqueue(p);
    tx.terminate(p, process_state::finished, 0);
    return p;
  });
  // a root run in the foreground by a program of its own is not the daemon's
  const auto foreground = st.write([](write_tx& tx) { return add_root(tx); });
  EXPECT_LT(a, b);
  auto got = claim(st, a, 1000, 3);
  ASSERT_EQ(pks(got), (std::vector<std::int64_t>{roots[0], roots[1], roots[2]}));
  EXPECT_EQ(got[0], (claimed_root{roots[0], 1, node_kind::work_chain, "test.root"}));
  // b gets the rest; nobody gets them twice, nor the terminated process
  EXPECT_EQ(pks(claim(st, b, 1001, 10)), (std::vector<std::int64_t>{roots[3], roots[4]}));
  EXPECT_TRUE(claim(st, a, 1002, 10).empty());
  EXPECT_TRUE(claim(st, b, 1002, 10).empty());
  EXPECT_EQ(st.read().owner_of(done).worker, 0);
  EXPECT_FALSE(st.read().owner_of(foreground).queued);
  EXPECT_TRUE(st.read().owner_of(roots[0]).queued);
  auto r = st.read();
  EXPECT_TRUE(r.holds(a, roots[0], 1));
  EXPECT_FALSE(r.holds(b, roots[0], 1));
  EXPECT_FALSE(r.holds(a, roots[0], 2));
  EXPECT_FALSE(r.holds(a, roots[3], 1));
  const auto ws = r.workers();
  ASSERT_EQ(ws.size(), 2u);
  EXPECT_EQ(ws[0].roots, 3);
  EXPECT_EQ(ws[1].roots, 2);
  EXPECT_EQ(ws[1].host, "test-host");
  EXPECT_EQ(ws[1].pid, ::getpid());
  EXPECT_EQ(ws[1].started, 0);
  EXPECT_EQ(ws[1].state, worker_state::running);
}

TEST_F(StoreLease, ChildrenBelongToTheOwnerOfTheirRoot) {
  std::int64_t root = 0, child = 0, grandchild = 0, calc = 0;
  st.write([&](write_tx& tx) {
    root = add_root(tx);
    child = add_child(tx, root);
    grandchild = add_child(tx, child);
    calc = add_child(tx, root, node_kind::calc_function);
    tx.enqueue(root);
    EXPECT_THROW(tx.enqueue(child), store_error);  // it belongs to its root
  });
  EXPECT_EQ(pks(claim(st, a, 0, 10)), (std::vector<std::int64_t>{root}));
  EXPECT_TRUE(claim(st, b, 0, 10).empty());  // the children are not roots
  for (auto pk : {root, child, grandchild, calc}) {
    const auto o = st.read().owner_of(pk);
    EXPECT_EQ(o.root, root) << pk;
    EXPECT_EQ(o.worker, a) << pk;
    EXPECT_EQ(o.generation, 1) << pk;
    EXPECT_EQ(o.expires, lease) << pk;
  }
  // the hot path: children end without touching the lease; a child cannot be leased alone
  st.write([&](write_tx& tx) { tx.terminate(calc, process_state::finished, 0); });
  EXPECT_TRUE(heartbeat(st, a, 10));
  EXPECT_EQ(st.read().owner_of(grandchild).worker, a);
  EXPECT_THROW(st.write([&](write_tx& tx) { return tx.lease_root(b, child, 20, lease); }), store_error);
  EXPECT_THROW((void)st.read().owner_of(999), not_found_error);
}

TEST_F(StoreLease, AWorkerThatStopsHeartbeatingLosesItsRootsWhenTheLeaseExpires) {
  const auto roots = add_roots(st, 3);
  EXPECT_EQ(claim(st, a, 0, 10).size(), 3u);
  EXPECT_TRUE(claim(st, b, 5'000, 10).empty());
  EXPECT_TRUE(heartbeat(st, a, 9'000));  // leases now until 19'000
  EXPECT_TRUE(heartbeat(st, b, 9'000));
  EXPECT_TRUE(heartbeat(st, b, 18'000));
  EXPECT_TRUE(claim(st, b, 18'999, 10).empty());  // still valid
  EXPECT_EQ(worker_row(st, a).state, worker_state::running);
  // a stopped heartbeating at 9'000: at 19'000 its leases have expired and it is lost
  auto got = claim(st, b, 19'000, 2);
  EXPECT_EQ(pks(got), (std::vector<std::int64_t>{roots[0], roots[1]}));
  for (const auto& c : got) EXPECT_EQ(c.generation, 2);  // a new owner, a new fencing token
  EXPECT_EQ(worker_row(st, a).state, worker_state::lost);
  // a's third root is claimable though its row still names a (a is lost)
  EXPECT_EQ(pks(claim(st, b, 19'001, 2)), (std::vector<std::int64_t>{roots[2]}));
  auto r = st.read();
  for (auto pk : roots) {
    EXPECT_FALSE(r.holds(a, pk, 1));
    EXPECT_TRUE(r.holds(b, pk, 2));
  }
  EXPECT_EQ(worker_row(st, a).roots, 0);
  EXPECT_EQ(worker_row(st, b).roots, 3);
}

TEST_F(StoreLease, ALostWorkerIsFencedForGood) {
  const auto root = add_roots(st, 1)[0];
  EXPECT_EQ(claim(st, a, 0, 1).size(), 1u);
  EXPECT_TRUE(heartbeat(st, b, 9'000));
  // a late heartbeat (lease_ms after the last one) is refused even before anyone claimed:
  // a must have stopped driving at its own deadline
  EXPECT_FALSE(heartbeat(st, a, 10'000));
  EXPECT_EQ(worker_row(st, a).state, worker_state::lost);
  EXPECT_EQ(worker_row(st, a).heartbeat, 0);  // nothing renewed
  EXPECT_EQ(st.read().owner_of(root).expires, lease);
  EXPECT_FALSE(st.read().holds(a, root, 1));
  EXPECT_FALSE(heartbeat(st, a, 10'001));
  EXPECT_THROW(claim(st, a, 10'001, 1), worker_fenced_error);
  EXPECT_THROW(st.write([&](write_tx& tx) { tx.set_worker_state(a, worker_state::running); }), worker_fenced_error);
  EXPECT_THROW(st.write([&](write_tx& tx) { return tx.lease_root(a, root, 10'001, lease); }), worker_fenced_error);
  // b takes the root at once (its lease row has not expired, but its worker is lost)
  auto got = claim(st, b, 9'500, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].generation, 2);
  // a worker late for its own claim is refused too, and writes nothing
  EXPECT_THROW(claim(st, b, 9'000 + lease, 1), worker_fenced_error);
  EXPECT_EQ(worker_row(st, b).state, worker_state::running);
  EXPECT_THROW(heartbeat(st, 999, 0), not_found_error);
}

TEST_F(StoreLease, TheGenerationGoesUpWithEveryNewOwner) {
  const auto root = add_roots(st, 1)[0];
  std::int64_t now = 0;
  std::vector<std::int64_t> generations;
  for (int i = 0; i < 4; ++i) {
    const auto w = register_worker(st, now);
    auto got = claim(st, w, now, 1);
    ASSERT_EQ(got.size(), 1u) << i;
    generations.push_back(got[0].generation);
    EXPECT_TRUE(heartbeat(st, w, now + 1));  // the same owner renewing keeps its generation
    EXPECT_TRUE(st.read().holds(w, root, got[0].generation));
    EXPECT_EQ(st.write([&](write_tx& tx) { return tx.lease_root(w, root, now + 2, lease); }), got[0].generation);
    now += 2 * lease;  // w falls silent
  }
  EXPECT_EQ(generations, (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST_F(StoreLease, TerminatedRootsLoseTheirLeaseRowAtTheNextHeartbeat) {
  const auto roots = add_roots(st, 3);
  EXPECT_EQ(claim(st, a, 0, 2).size(), 2u);
  // termination is the hot path: no lease statement
  st.write([&](write_tx& tx) {
    tx.terminate(roots[0], process_state::finished, 0);
    tx.terminate(roots[1], process_state::excepted, 1);
  });
  EXPECT_EQ(worker_row(st, a).roots, 2);
  EXPECT_TRUE(heartbeat(st, b, 1));  // any worker's heartbeat cleans up
  EXPECT_EQ(worker_row(st, a).roots, 0);
  EXPECT_EQ(st.read().connection().scalar_int("SELECT group_concat(pk) FROM process_lease"), roots[2]);  // queued
  EXPECT_EQ(pks(claim(st, b, 2, 5)), (std::vector<std::int64_t>{roots[2]}));
}

TEST_F(StoreLease, ReleaseAndStoppingHandRootsBack) {
  const auto roots = add_roots(st, 3);
  EXPECT_EQ(claim(st, a, 0, 3).size(), 3u);
  EXPECT_TRUE(st.write([&](write_tx& tx) { return tx.release(a, roots[0]); }));
  EXPECT_FALSE(st.write([&](write_tx& tx) { return tx.release(a, roots[0]); }));
  EXPECT_FALSE(st.write([&](write_tx& tx) { return tx.release(b, roots[1]); }));  // not b's
  EXPECT_EQ(st.read().owner_of(roots[0]).worker, 0);
  EXPECT_FALSE(st.read().holds(a, roots[0], 1));
  auto got = claim(st, b, 1, 5);
  ASSERT_EQ(pks(got), (std::vector<std::int64_t>{roots[0]}));
  EXPECT_EQ(got[0].generation, 2);
  // graceful stop: stopping keeps the roots (and heartbeats) but claims nothing new ...
  st.write([&](write_tx& tx) { tx.set_worker_state(a, worker_state::stopping); });
  EXPECT_TRUE(heartbeat(st, a, 2));
  EXPECT_TRUE(claim(st, a, 2, 5).empty());
  EXPECT_TRUE(st.read().holds(a, roots[1], 1));
  // ... stopped hands every root back, and is final
  st.write([&](write_tx& tx) { tx.set_worker_state(a, worker_state::stopped); });
  EXPECT_FALSE(heartbeat(st, a, 3));
  EXPECT_EQ(worker_row(st, a).state, worker_state::stopped);
  EXPECT_EQ(worker_row(st, a).roots, 0);
  EXPECT_EQ(pks(claim(st, b, 3, 5)), (std::vector<std::int64_t>{roots[1], roots[2]}));
  EXPECT_THROW(st.write([&](write_tx& tx) { tx.set_worker_state(a, worker_state::running); }), worker_fenced_error);
}

TEST_F(StoreLease, AWorkerLeasesTheRootItCreates) {
  // created and leased in one unit: no other worker can claim it in between
  const auto root = st.write([&](write_tx& tx) {
    const auto pk = add_root(tx);
    EXPECT_EQ(tx.lease_root(a, pk, 0, lease), 1);
    return pk;
  });
  EXPECT_TRUE(claim(st, b, 1, 5).empty());
  EXPECT_THROW(st.write([&](write_tx& tx) { return tx.lease_root(b, root, 1, lease); }), store_error);
  EXPECT_TRUE(st.read().holds(a, root, 1));
  st.write([&](write_tx& tx) { tx.terminate(root, process_state::finished, 0); });
  EXPECT_THROW(st.write([&](write_tx& tx) { return tx.lease_root(a, root, 2, lease); }), store_error);
  const auto data = st.write([](write_tx& tx) { return tx.add_data(Int{1}).pk; });
  EXPECT_THROW(st.write([&](write_tx& tx) { return tx.lease_root(a, data, 2, lease); }), store_error);
}

// 1,000,000 process nodes, a few thousand live: the claim walks live_process, never node.
TEST_F(StoreLease, ClaimingCostsTheLiveProcessesNotTheWholeTable) {
  {
    auto tx = st.begin_write();
    // monotonic uuids (16 digits) keep the unique index append-only: the fill takes seconds
    tx.connection().exec(R"sql(
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1000000)
INSERT INTO node(pk, uuid, kind, type, ctime, process_state)
  SELECT i, CAST(printf('%016d', i) AS BLOB), CASE WHEN i % 300 = 0 THEN 4 ELSE 1 END,
         CASE WHEN i % 300 = 0 THEN 'test.root' ELSE 'core.add' END, i,
         CASE WHEN i % 300 = 0 THEN 'waiting' ELSE 'finished' END FROM s;
INSERT INTO live_process(pk) SELECT pk FROM node WHERE pk % 300 = 0;
INSERT INTO process_lease(pk, worker, expires, generation) SELECT pk, 0, 0, 0 FROM live_process WHERE pk % 600 = 300;
INSERT INTO link(input, output, type, label) SELECT pk - 300, pk, 6, 'CALL' FROM live_process WHERE pk % 600 = 0;
ANALYZE;
)sql");
    tx.commit();
  }
  auto r = st.read();
  ASSERT_EQ(r.connection().scalar_int("SELECT count(*) FROM live_process"), 3333);
  auto plan = r.connection().prepare(fmt::format("EXPLAIN QUERY PLAN {}", store_detail::claimable_roots_sql));
  std::vector<std::string> steps;
  while (plan.step()) steps.emplace_back(plan.text(3));
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0], "SCAN l");  // live_process, in pk order
  for (const auto& s : steps) fmt::print("claim plan: {}\n", s);
  for (const auto& s : steps) {
    EXPECT_TRUE(s == "SCAN l" || s.starts_with("SEARCH ") || s.starts_with("BLOOM FILTER ON ") ||
                s.starts_with("CORRELATED SCALAR SUBQUERY"))
        << s;
    EXPECT_EQ(s.find("TEMP B-TREE"), std::string::npos) << s;
  }
  std::size_t claimed = 0, rounds = 0;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto got = claim(st, a, 1, 100);
    if (got.empty()) break;
    for (const auto& c : got) EXPECT_EQ(c.pk % 600, 300) << c.pk;  // roots only
    claimed += got.size();
    ++rounds;
  }
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(claimed, 1667u);  // the odd multiples of 300; the even ones are their children
  // each claim reads at most the 3333 live rows and writes 100 leases: a few milliseconds,
  // where a walk over node would take hundreds (generous bound for a loaded machine)
  EXPECT_LT(took, std::chrono::milliseconds(100) * static_cast<int>(rounds));
  fmt::print("claimed {} roots of 1,000,000 nodes in {} claims, {} ms\n", claimed, rounds,
             std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
}

// ---- several worker OS processes on one profile ----

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct claim_record {
  std::int64_t pk, generation, time, worker;
};

// What a worker process does, in a forked child; returns its exit code. Each claim is
// reported on `fd` right after it committed. `drive`: end each claimed root's call tree
// (after a fencing check), else hold it. Runs until a claim finds nothing
// (`until_none_claimable`) or no live process is left, for 60 s at most.
int worker_process(const std::filesystem::path& dir, int fd, std::int64_t lease_ms, std::size_t max_roots, bool drive,
                   bool until_none_claimable) {
  try {
    store st(dir);
    const auto w = register_worker(st, wall_ms(), fmt::format("worker-{}", ::getpid()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      // one clock reading for both: the leases it takes expire with its heartbeat
      const auto now = wall_ms();
      if (!heartbeat(st, w, now, lease_ms)) return 3;  // fenced: must not happen here
      const auto got = claim(st, w, now, max_roots, lease_ms);
      for (const auto& c : got) {
        const claim_record rec{c.pk, c.generation, now, w};
        if (::write(fd, &rec, sizeof rec) != static_cast<ssize_t>(sizeof rec)) return 2;
      }
      if (drive) {
        for (const auto& c : got) {
          // ends the root's call tree, children first, if it still holds the root
          st.write([&](write_tx& tx) {
            if (!tx.holds(w, c.pk, c.generation)) throw store_error(fmt::format("lost root {}", c.pk));
            std::vector<std::int64_t> tree{c.pk};
            for (std::size_t i = 0; i < tree.size(); ++i) {
              for (auto k : tx.children(tree[i])) tree.push_back(k);
            }
            for (auto it = tree.rbegin(); it != tree.rend(); ++it) tx.terminate(*it, process_state::finished, 0);
          });
        }
      }
      if (got.empty()) {
        if (until_none_claimable) return 0;
        if (st.read().connection().scalar_int("SELECT count(*) FROM live_process") == 0) return 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      } else if (!drive) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    return 4;
  } catch (const std::exception& e) {
    fmt::print(stderr, "worker process {} failed: {}\n", ::getpid(), e.what());
    return 1;
  }
}

struct child {
  pid_t pid;
  int fd;
};
child fork_worker(const std::filesystem::path& dir, std::int64_t lease_ms, std::size_t max_roots, bool drive,
                  bool until_none_claimable) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(fds[0]);
    const int code = worker_process(dir, fds[1], lease_ms, max_roots, drive, until_none_claimable);
    ::close(fds[1]);
    ::_exit(code);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}
// Reads claim records until `enough` of them, or to the end of the pipe (enough = 0).
std::vector<claim_record> read_records(int fd, std::size_t enough = 0) {
  std::vector<claim_record> out;
  claim_record r{};
  while ((enough == 0 || out.size() < enough) && ::read(fd, &r, sizeof r) == static_cast<ssize_t>(sizeof r)) {
    out.push_back(r);
  }
  return out;
}
int exit_code(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::int64_t> make_profile_with_roots(const std::filesystem::path& dir, int n) {
  store st(dir);  // closed before forking: no threads in the parent then
  return st.write([&](write_tx& tx) {
    std::vector<std::int64_t> out;
    for (int i = 0; i < n; ++i) {
      out.push_back(add_root(tx));
      if (i % 2 == 0) (void)add_child(tx, out.back());  // children must never be claimed
      tx.enqueue(out.back());
    }
    return out;
  });
}

TEST(StoreLeaseMultiProcess, FourWorkersClaimEveryRootExactlyOnce) {
  temp_dir d;
  const auto roots = make_profile_with_roots(d.path(), 1000);
  std::vector<child> kids;
  for (int i = 0; i < 4; ++i) kids.push_back(fork_worker(d.path(), 60'000, 7, false, true));
  std::map<std::int64_t, std::vector<claim_record>> by_pk;
  std::map<std::int64_t, std::int64_t> per_worker;
  std::size_t total = 0;
  for (const auto& k : kids) {
    for (const auto& r : read_records(k.fd)) {
      by_pk[r.pk].push_back(r);
      per_worker[r.worker] += 1;
      ++total;
    }
    ::close(k.fd);
    EXPECT_EQ(exit_code(k.pid), 0);
  }
  EXPECT_EQ(total, roots.size());
  EXPECT_EQ(by_pk.size(), roots.size());
  for (auto pk : roots) {
    ASSERT_EQ(by_pk[pk].size(), 1u) << "root " << pk;
    EXPECT_EQ(by_pk[pk][0].generation, 1);
  }
  // the store agrees: one lease per root, held by the worker that reported it
  store st(d.path());
  auto r = st.read();
  EXPECT_EQ(r.connection().scalar_int("SELECT count(*) FROM process_lease"), 1000);
  for (auto pk : roots) EXPECT_EQ(r.owner_of(pk).worker, by_pk[pk][0].worker);
  for (const auto& w : r.workers()) EXPECT_EQ(w.roots, per_worker[w.id]) << "worker " << w.id;
  fmt::print("claims per worker:");
  for (const auto& [w, n] : per_worker) fmt::print(" {}", n);
  fmt::print("\n");
}

TEST(StoreLeaseMultiProcess, AKilledWorkersRootsGoToTheOthersWhenItsLeasesExpire) {
  temp_dir d;
  const auto roots = make_profile_with_roots(d.path(), 1000);
  constexpr std::int64_t lease_ms = 1500;
  // the victim claims and holds (it never ends a root); the others claim and end theirs
  const auto victim = fork_worker(d.path(), lease_ms, 5, false, false);
  std::vector<child> kids;
  for (int i = 0; i < 3; ++i) kids.push_back(fork_worker(d.path(), lease_ms, 5, true, false));
  auto victim_records = read_records(victim.fd, 10);
  ASSERT_EQ(victim_records.size(), 10u);
  const auto killed_at = wall_ms();
  ASSERT_EQ(::kill(victim.pid, SIGKILL), 0);
  EXPECT_EQ(exit_code(victim.pid), 128 + SIGKILL);
  for (const auto& r : read_records(victim.fd)) victim_records.push_back(r);  // reported before it died
  ::close(victim.fd);
  std::vector<claim_record> others;
  for (const auto& k : kids) {
    for (const auto& r : read_records(k.fd)) others.push_back(r);
    ::close(k.fd);
    EXPECT_EQ(exit_code(k.pid), 0);
  }
  store st(d.path());
  auto r = st.read();
  EXPECT_EQ(r.connection().scalar_int("SELECT count(*) FROM live_process"), 0);  // every root ended
  const auto victim_id = victim_records.front().worker;
  const auto v = worker_row(st, victim_id);
  EXPECT_EQ(v.state, worker_state::lost);
  // the victim heartbeat and claimed with one clock reading: its leases all ran until
  // its last heartbeat + lease_ms
  const auto victim_expiry = v.heartbeat + lease_ms;
  std::set<std::int64_t> held_by_victim;
  for (const auto& c : victim_records) {
    EXPECT_EQ(c.generation, 1);
    held_by_victim.insert(c.pk);
  }
  std::map<std::int64_t, int> claims;
  std::size_t taken_over = 0;
  std::int64_t last_takeover = 0;
  for (const auto& c : others) {
    EXPECT_NE(c.worker, victim_id);
    claims[c.pk] += 1;
    if (c.generation == 2) {
      // a root of the victim (claimed but maybe not reported before the kill), taken only
      // once the victim's lease had expired
      ++taken_over;
      last_takeover = std::max(last_takeover, c.time);
      EXPECT_GE(c.time, victim_expiry) << "root " << c.pk << " claimed while the killed worker's lease was valid";
    } else {
      EXPECT_EQ(c.generation, 1) << "root " << c.pk;
      EXPECT_EQ(held_by_victim.count(c.pk), 0u) << "root " << c.pk << " claimed from the live victim";
    }
  }
  // the survivors ended every root (the victim ended none), each claimed by one of them once
  for (auto pk : roots) EXPECT_EQ(claims[pk], 1) << "root " << pk;
  EXPECT_GE(taken_over, held_by_victim.size());
  // bounded: the victim's last heartbeat came before the kill, so its leases ended by
  // killed_at + lease_ms; the others claim every 50 ms or so (1 s of slack for a busy machine)
  EXPECT_LE(victim_expiry, killed_at + lease_ms);
  EXPECT_LE(last_takeover, killed_at + lease_ms + 1000);
  fmt::print("the killed worker held {} roots; the others took over {} of them {} ms after the kill (lease {} ms)\n",
             held_by_victim.size(), taken_over, last_takeover - killed_at, lease_ms);
}

}  // namespace
