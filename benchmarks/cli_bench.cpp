// CLI latency: `tessera process list` on a profile with 1,000,000 process nodes, and
// `tessera --version`. Builds the profile once (raw prepared inserts in one transaction,
// mostly finished processes plus 100 live ones), then runs the built CLI as a child
// process and reports the median wall time of several runs:
//   cli_bench [TESSERA_BINARY [PROFILE_DIR [N]]]
// Defaults: <build>/cli/tessera next to this program's folder, /tmp/tessera_cli_bench_1M,
// 1000000. Prints `name: value unit` lines.
#include <sqlite3.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <tessera/store/store.hpp>

namespace fs = std::filesystem;

namespace {

double run_ms(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto t1 = std::chrono::steady_clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "%s exited with status %d\n", args[0].c_str(), WEXITSTATUS(status));
    std::exit(1);
  }
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

double median_ms(const std::vector<std::string>& args, int runs) {
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) t.push_back(run_ms(args));
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

void build_profile(const fs::path& dir, std::int64_t n) {
  { tessera::store st(dir); }  // schema
  sqlite3* db = nullptr;
  sqlite3_open((dir / "tessera.db").c_str(), &db);
  sqlite3_stmt* c = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM node WHERE kind > 0", -1, &c, nullptr);
  sqlite3_step(c);
  const auto have = sqlite3_column_int64(c, 0);
  sqlite3_finalize(c);
  if (have >= n) {
    sqlite3_close(db);
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  sqlite3_exec(db, "PRAGMA synchronous = OFF; BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO node(uuid, kind, type, label, ctime, process_state, exit_status) "
                     "VALUES (?, ?, ?, NULL, ?, ?, ?)",
                     -1, &ins, nullptr);
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const std::int64_t live_every = std::max<std::int64_t>(1, n / 100);
  for (std::int64_t i = have; i < n; ++i) {
    unsigned char u[16] = {0xbe, 0x4c, 0x11, 0x00};
    for (int b = 0; b < 8; ++b) u[8 + b] = static_cast<unsigned char>((i >> (8 * b)) & 0xff);
    const bool live = i % live_every == 0;
    const bool work = i % 3 == 0;
    sqlite3_bind_blob(ins, 1, u, 16, SQLITE_TRANSIENT);
    sqlite3_bind_int(ins, 2, work ? 4 : 1);
    sqlite3_bind_text(ins, 3, work ? "bench.chain" : "bench.add", -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, now - (n - i) * 1000);
    sqlite3_bind_text(ins, 5, live ? "running" : "finished", -1, SQLITE_STATIC);
    if (live) {
      sqlite3_bind_null(ins, 6);
    } else {
      sqlite3_bind_int(ins, 6, 0);
    }
    sqlite3_step(ins);
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::fprintf(stderr, "built %lld process nodes in %.1f s\n", static_cast<long long>(n - have),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

}  // namespace

int main(int raw_argc, char** raw_argv) {
  // `run_benchmarks` passes Google Benchmark's --benchmark_* flags to every benchmark: ignored.
  std::vector<char*> args;
  for (int i = 0; i < raw_argc; ++i) {
    if (i == 0 || std::string(raw_argv[i]).rfind("--benchmark", 0) != 0) args.push_back(raw_argv[i]);
  }
  const int argc = static_cast<int>(args.size());
  char** argv = args.data();
  const fs::path self = fs::canonical("/proc/self/exe");
  const std::string cli = argc > 1 ? argv[1] : (self.parent_path().parent_path() / "cli" / "tessera").string();
  const fs::path dir = argc > 2 ? fs::path(argv[2]) : fs::path("/tmp/tessera_cli_bench_1M");
  const std::int64_t n = argc > 3 ? std::atoll(argv[3]) : 1000000;
  if (!fs::exists(cli)) {
    std::fprintf(stderr, "no tessera binary at %s: build target tessera_cli or pass its path\n", cli.c_str());
    return 1;
  }
  build_profile(dir, n);
  const std::string p = dir.string();
  (void)run_ms({cli, "--profile", p, "process", "list"});  // warm the page cache
  std::printf("process nodes: %lld count\n", static_cast<long long>(n));
  std::printf("cli version: %.2f ms\n", median_ms({cli, "--version"}, 21));
  std::printf("cli help: %.2f ms\n", median_ms({cli, "--help"}, 11));
  std::printf("cli process list (active): %.2f ms\n", median_ms({cli, "--profile", p, "process", "list"}, 21));
  std::printf("cli process list --all (newest 100): %.2f ms\n", median_ms({cli, "--profile", p, "process", "list", "--all"}, 21));
  std::printf("cli process list --state finished --past-days 1: %.2f ms\n",
              median_ms({cli, "--profile", p, "process", "list", "--state", "finished", "--past-days", "1"}, 21));
  std::printf("cli process list --json: %.2f ms\n", median_ms({cli, "--profile", p, "process", "list", "--json"}, 21));
  return 0;
}
