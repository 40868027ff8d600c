// Provenance store benchmarks (issue 3). Prints one figure per line, "name: value unit",
// each target figure next to its floor measured in the same run on the same machine
// (medians of several repetitions). Never fails on time. Run:
//   cmake --build <build> --target bench_store_bench && <build>/benchmarks/store_bench
//   (about 1.5 minutes, plus ~10 s the first time to build the 1M-process profile, which is
//   kept in $TESSERA_BENCH_DIR/tessera-store-bench-1m-processes for later runs)
//   TESSERA_BENCH_DIR=/some/dir to choose where the temporary profiles go (default /tmp).
//
// 1. write rate of calcfunction-like records (process + 2 inputs + 1 output, 2 INPUT_CALC
//    + 1 CREATE) through write_tx, vs raw prepared-statement inserts of the same rows, both
//    in one transaction; plus group commit figures.
// 2. Fig. 7(c) of the AiiDA 1.0 paper: N trees (depth D and breadth B in {2, 4}), descendants
//    of 50 top-level nodes through the query builder vs a hand-written recursive CTE.
// 3. listing the 50 most recent process nodes with state on 1,000,000 process nodes.
// 4. database bytes per stored calcfunction record.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include <tessera/data/data.hpp>
#include <tessera/store/query.hpp>
#include <tessera/store/store.hpp>

#include "support.hpp"

namespace {

using namespace tessera;
namespace fs = std::filesystem;

// Scratch profiles: tessera-store-bench-<name>-<pid>.
struct scratch : bench::scratch {
  explicit scratch(const std::string& name) : bench::scratch("store-bench", name) {}
};
using bench::bench_root;
using bench::median;

double wall_s(const std::function<void()>& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double cpu_ms(const std::function<void()>& f) {
  timespec a{}, b{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
  f();
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
  return static_cast<double>(b.tv_sec - a.tv_sec) * 1e3 + static_cast<double>(b.tv_nsec - a.tv_nsec) / 1e6;
}

nlohmann::json& results() {
  static nlohmann::json r = nlohmann::json::array();
  return r;
}

void line(const std::string& name, double value, const std::string& unit) {
  fmt::print("{}: {:.4g} {}\n", name, value, unit);
  std::fflush(stdout);
  results().push_back({{"name", name}, {"value", value}, {"unit", unit}});
}

// ---- the calcfunction-like record ----
node_ref api_record(write_tx& tx, std::int64_t i) {
  new_node p;
  p.kind = node_kind::calc_function;
  p.type = "core.arithmetic.add";
  p.state = process_state::finished;
  p.exit_status = 0;
  p.origin = {"0.1.0", "core.arithmetic", "0.1.0"};
  auto calc = tx.add_node(p);
  auto x = tx.add_data(Int{i});
  auto y = tx.add_data(Int{i + 1});
  tx.add_link(x.pk, calc.pk, link_type::input_calc, "x");
  tx.add_link(y.pk, calc.pk, link_type::input_calc, "y");
  auto sum = tx.add_data(Int{2 * i + 1});
  tx.add_link(calc.pk, sum.pk, link_type::create, "sum");
  return calc;
}

// The same rows with raw prepared statements (uuid generated, hash and JSON precomputed
// per value kind: the floor is SQLite's insert cost).
void raw_records(store_detail::connection& c, std::int64_t n) {
  auto node = c.prepare(
      "INSERT INTO node(uuid, kind, type, ctime, attributes, hash, process_state, exit_status, origin) "
      "VALUES (?,?,?,?,?,?,?,?,?)");
  auto link = c.prepare("INSERT INTO link(input, output, type, label) VALUES (?,?,?,?)");
  c.exec("INSERT OR IGNORE INTO origin(id, tessera_version, plugin_name, plugin_version) VALUES (1, '0.1.0', 'core.arithmetic', '0.1.0')");
  const auto h = content_hash(Int{1});
  const auto hb = std::as_bytes(std::span(h.bytes));
  auto add_node = [&](bool process, std::string_view attrs) {
    const auto u = uuid::generate();
    node.bind(1, u.span());
    node.bind(2, std::int64_t{process ? 1 : 0});
    node.bind(3, process ? "core.arithmetic.add" : "core.int");
    node.bind(4, now_timestamp().time_since_epoch().count());
    if (!process) node.bind(5, attrs);
    if (!process) node.bind(6, hb);  // as the API path: process nodes get their hash later
    if (process) {
      node.bind(7, "finished");
      node.bind(8, std::int64_t{0});
      node.bind(9, std::int64_t{1});
    }
    node.run();
    return c.last_insert_rowid();
  };
  auto add_link = [&](std::int64_t a, std::int64_t b, link_type t, const char* label) {
    link.bind_all(a, b, static_cast<std::int64_t>(t), label);
    link.run();
  };
  for (std::int64_t i = 0; i < n; ++i) {
    const auto attrs = std::to_string(i);
    const auto calc = add_node(true, {});
    const auto x = add_node(false, attrs);
    const auto y = add_node(false, attrs);
    add_link(x, calc, link_type::input_calc, "x");
    add_link(y, calc, link_type::input_calc, "y");
    const auto s = add_node(false, attrs);
    add_link(calc, s, link_type::create, "sum");
  }
}

std::int64_t db_bytes(store_detail::connection& c) {
  c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return c.scalar_int("PRAGMA page_count") * c.scalar_int("PRAGMA page_size") -
         c.scalar_int("PRAGMA freelist_count") * c.scalar_int("PRAGMA page_size");
}

void bench_write_rate_and_size() {
  constexpr std::int64_t n = 20000;
  std::vector<double> api, raw;
  double api_bytes = 0, raw_bytes = 0;
  for (int rep = 0; rep < 5; ++rep) {
    {
      scratch s("raw");
      store st(s.path);
      auto c = st.profile().connect();
      raw.push_back(static_cast<double>(n) / wall_s([&] {
        store_detail::immediate_transaction tx(c);
        raw_records(c, n);
        tx.commit();
      }));
      raw_bytes = static_cast<double>(db_bytes(c)) / n;
    }
    {
      scratch s("api");
      store st(s.path);
      api.push_back(static_cast<double>(n) / wall_s([&] {
        auto tx = st.begin_write();
        for (std::int64_t i = 0; i < n; ++i) (void)api_record(tx, i);
        tx.commit();
      }));
      auto c = st.profile().connect();
      api_bytes = static_cast<double>(db_bytes(c)) / n;
    }
  }
  const double a = median(api), r = median(raw);
  line("write_rate_records_per_s", a, "records/s");
  line("write_rate_floor_raw_inserts_per_s", r, "records/s");
  line("write_rate_fraction_of_floor", a / r, "(target >= 0.5)");
  line("bytes_per_record", api_bytes, "B (target < 1024)");
  line("bytes_per_record_floor_raw_inserts", raw_bytes, "B");
}

void bench_group_commit() {
  // Durable commits: synchronous FULL (fsync per commit). One commit per record from 8
  // threads, direct (one transaction each) vs group commit.
  profile_options o;
  o.synchronous = synchronous_mode::full;
  constexpr int threads = 8;
  constexpr int per_thread = 60;
  auto run = [&](bool grouped) {
    scratch s(grouped ? "gc" : "direct");
    store st(s.path, o);
    const double t = wall_s([&] {
      std::vector<std::thread> ts;
      for (int k = 0; k < threads; ++k) {
        ts.emplace_back([&, k] {
          for (int i = 0; i < per_thread; ++i) {
            if (grouped) {
              st.write([&](write_tx& tx) { (void)api_record(tx, k * 1000 + i); });
            } else {
              auto tx = st.begin_write();
              (void)api_record(tx, k * 1000 + i);
              tx.commit();
            }
          }
        });
      }
      for (auto& th : ts) th.join();
    });
    return std::pair<double, double>(threads * per_thread / t,
                                     grouped ? static_cast<double>(st.stats().units) / static_cast<double>(st.stats().batches) : 1.0);
  };
  const auto direct = run(false);
  const auto grouped = run(true);
  line("durable_commit_rate_full_direct_per_s", direct.first, "records/s (one fsync'd commit each, 8 threads)");
  line("durable_commit_rate_full_group_commit_per_s", grouped.first, "records/s (8 threads)");
  line("group_commit_units_per_batch_full", grouped.second, "units");
  // NORMAL (the default): group commit with async submission from one thread
  scratch s("gcn");
  store st(s.path);
  constexpr int m = 5000;
  const double t = wall_s([&] {
    std::vector<std::future<node_ref>> fut;
    fut.reserve(m);
    for (int i = 0; i < m; ++i) fut.push_back(st.submit([i](write_tx& tx) { return api_record(tx, i); }));
    for (auto& f : fut) (void)f.get();
  });
  line("group_commit_rate_normal_submit_per_s", m / t, "records/s");
  const double t2 = wall_s([&] {
    for (int i = 0; i < 2000; ++i) {
      auto tx = st.begin_write();
      (void)api_record(tx, i);
      tx.commit();
    }
  });
  line("commit_per_record_rate_normal_per_s", 2000 / t2, "records/s (one transaction each)");
}

// ---- Fig. 7(c) ----
struct forest {
  store_detail::connection* c;
  std::vector<std::int64_t> roots;
  // Each tree: root data node; each node has `breadth` children down to `depth` levels;
  // levels alternate data -> calc (INPUT_CALC) -> data (CREATE) ...
  void add_trees(int count, int depth, int breadth) {
    auto node = c->prepare("INSERT INTO node(uuid, kind, type, ctime) VALUES (?, ?, ?, ?)");
    auto link = c->prepare("INSERT INTO link(input, output, type, label) VALUES (?,?,?,?)");
    static const std::string labels[] = {"o0", "o1", "o2", "o3", "o4", "o5", "o6", "o7"};
    store_detail::immediate_transaction tx(*c);
    std::vector<std::int64_t> level, next;
    for (int t = 0; t < count; ++t) {
      auto add = [&](bool data) {
        node.bind(1, uuid::generate().span());
        node.bind(2, std::int64_t{data ? 0 : 1});
        node.bind(3, data ? "core.int" : "core.arithmetic.add");
        node.bind(4, std::int64_t{0});
        node.run();
        return c->last_insert_rowid();
      };
      level.assign(1, add(true));
      roots.push_back(level[0]);
      bool data = true;
      for (int dlev = 0; dlev < depth; ++dlev) {
        next.clear();
        for (auto parent : level) {
          for (int b = 0; b < breadth; ++b) {
            const auto child = add(!data);
            link.bind_all(parent, child, std::int64_t{data ? 1 : 3}, data ? std::string("x") + labels[b] : labels[b]);
            link.run();
            next.push_back(child);
          }
        }
        level.swap(next);
        data = !data;
      }
    }
    tx.commit();
  }
};

void bench_fig7() {
  for (auto [depth, breadth] : {std::pair{2, 2}, std::pair{2, 4}, std::pair{4, 2}, std::pair{4, 4}}) {
    scratch s(fmt::format("fig7-{}{}", depth, breadth));
    profile_options o;
    o.synchronous = synchronous_mode::off;
    store st(s.path, o);
    auto c = st.profile().connect();
    forest f{&c, {}};
    std::mt19937_64 rng(42);
    int built = 0;
    for (int n : {2500, 5000, 10000}) {
      const double build_s = wall_s([&] { f.add_trees(n - built, depth, breadth); });
      built = n;
      std::vector<double> qb, hand;
      std::size_t rows_qb = 0, rows_hand = 0;
      for (int rep = 0; rep < 15; ++rep) {
        std::vector<std::int64_t> top;
        nlohmann::json top_json = nlohmann::json::array();
        for (int k = 0; k < 50; ++k) {
          top.push_back(f.roots[rng() % f.roots.size()]);
          top_json.push_back(top.back());
        }
        qb.push_back(cpu_ms([&] {
          query q(st);
          q.append(node_filter::any(), "top").where(in(col("pk"), top_json))
              .append(node_filter::any(), "descendant").with_ancestor("top").project(col("pk"));
          rows_qb = 0;
          for (const auto& row : q.iterate()) rows_qb += row.size();
        }));
        hand.push_back(cpu_ms([&] {
          std::string in_list;
          for (std::size_t k = 0; k < top.size(); ++k) in_list += k == 0 ? "?" : ",?";
          // prepared-statement cache for both: the comparison is of the SQL, not of parsing
          auto lease = st.read();
          auto q = lease.connection().cached(
              "WITH RECURSIVE d(src, pk) AS (SELECT input, output FROM link WHERE type IN (1, 3) AND input IN (" + in_list +
              ") UNION SELECT d.src, l.output FROM d JOIN link l ON l.input = d.pk WHERE l.type IN (1, 3)) SELECT pk FROM d");
          for (std::size_t k = 0; k < top.size(); ++k) q->bind(static_cast<int>(k + 1), top[k]);
          rows_hand = 0;
          while (q->step()) ++rows_hand;
        }));
      }
      const auto name = fmt::format("fig7c_D{}_B{}_N{}", depth, breadth, n);
      line(name + "_build_s", build_s, "s (not a target)");
      line(name + "_query_builder_cpu_ms", median(qb), fmt::format("ms ({} rows)", rows_qb));
      line(name + "_hand_written_cte_cpu_ms", median(hand), fmt::format("ms ({} rows)", rows_hand));
      line(name + "_ratio", median(qb) / median(hand), "(target <= 1.5)");
    }
  }
}

// ---- listing on 1M process nodes ----
void bench_listing() {
  const fs::path dir = bench_root() / "tessera-store-bench-1m-processes";  // kept between runs
  constexpr std::int64_t n = 1'000'000;
  {
    profile_options o;
    o.synchronous = synchronous_mode::off;
    store st(dir, o);
    auto c = st.profile().connect();
    const auto have = c.scalar_int("SELECT count(*) FROM node WHERE kind > 0");
    if (have != n) {
      const double t = wall_s([&] {
        c.exec("DELETE FROM node");
        auto ins = c.prepare(
            "INSERT INTO node(uuid, kind, type, label, ctime, process_state, exit_status, origin) VALUES (?,?,?,?,?,?,?,1)");
        c.exec("INSERT OR IGNORE INTO origin(id, tessera_version, plugin_name, plugin_version) VALUES (1, '0.1.0', 'x', '1')");
        static constexpr const char* states[] = {"finished", "finished", "finished", "excepted", "killed", "running", "waiting"};
        store_detail::immediate_transaction tx(c);
        const auto t0 = now_timestamp().time_since_epoch().count() - n * 1000;
        for (std::int64_t i = 0; i < n; ++i) {
          ins.bind(1, uuid::generate().span());
          ins.bind(2, std::int64_t{1 + i % 4});
          ins.bind(3, i % 4 == 3 ? "my.work.chain" : "core.arithmetic.add");
          ins.bind(4, fmt::format("process {}", i));
          ins.bind(5, t0 + i * 1000);
          ins.bind(6, states[i % 7]);
          if (i % 7 < 3) ins.bind(7, std::int64_t{0});
          ins.run();
        }
        tx.commit();
        c.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      });
      line("listing_profile_build_s", t, "s (1,000,000 process nodes, built once, kept in " + dir.string() + ")");
    }
  }
  store st(dir);
  std::vector<double> first;
  // a fresh store (new connections) each time: includes opening the read connection
  for (int rep = 0; rep < 5; ++rep) {
    store fresh(dir);
    first.push_back(wall_s([&] { (void)fresh.read().recent_processes(50); }) * 1e3);
  }
  std::vector<double> listing, floor;
  for (int rep = 0; rep < 21; ++rep) {
    listing.push_back(wall_s([&] {
                        auto rows = st.read().recent_processes(50);
                        if (rows.size() != 50) throw std::runtime_error("listing returned too few rows");
                      }) * 1e3);
    floor.push_back(wall_s([&] {
                      auto lease = st.read();
                      auto q = lease.connection().cached("SELECT pk, process_state FROM node ORDER BY pk DESC LIMIT 50");
                      while (q->step()) {
                      }
                    }) * 1e3);
  }
  std::vector<double> active;
  for (int rep = 0; rep < 21; ++rep) {
    active.push_back(wall_s([&] { (void)st.read().active_processes(50); }) * 1e3);
  }
  line("list_50_recent_processes_1M_ms", median(listing), "ms (target < 20)");
  line("list_50_active_processes_1M_ms", median(active), "ms (2/7 of the 1M are running/waiting)");
  line("list_50_recent_processes_1M_first_query_after_open_ms", median(first), "ms");
  line("list_50_floor_last_50_rows_by_rowid_ms", median(floor), "ms");
  query q(st);
  q.append(node_filter::process(), "p").where(col("process_state") == "excepted")
      .project(col("pk")).project(col("label")).order_by(col("ctime"), true).limit(50);
  std::vector<double> qb;
  for (int rep = 0; rep < 11; ++rep) qb.push_back(wall_s([&] { (void)q.all(); }) * 1e3);
  line("list_50_recent_excepted_processes_query_builder_1M_ms", median(qb), "ms");
}

}  // namespace

int main(int argc, char** argv) {
  // Accepts --benchmark_out=FILE (as benchmarks/CMakeLists.txt's run_benchmarks passes it)
  // and writes the figures there as JSON too; other arguments are ignored.
  std::string out_file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a.starts_with("--benchmark_out=")) out_file = std::string(a.substr(16));
  }
  fmt::print("# tessera store benchmarks (medians; floors measured in the same run)\n");
  const auto t = wall_s([] {
    bench_write_rate_and_size();
    bench_group_commit();
    bench_listing();
    bench_fig7();
  });
  line("total_runtime_s", t, "s");
  if (!out_file.empty()) {
    std::ofstream(out_file) << nlohmann::json{{"benchmarks", results()}}.dump(2) << "\n";
  }
  return 0;
}
