// tessera process list|show|status|report|watch|pause|play|kill
#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include <tessera/engine/control.hpp>
#include <tessera/engine/detail/notifier.hpp>

#include "detail/common.hpp"

namespace tessera::cli {

namespace {

struct list_options {
  bool all = false;
  std::string state;
  int past_days = 0;
  std::int64_t limit = 100;
};

struct process_row {
  std::int64_t pk = 0;
  node_kind kind = node_kind::calc_function;
  std::string type, label;
  timestamp ctime{};
  std::optional<process_state> state;
  std::optional<int> exit_status;
  bool paused = false;
};

nlohmann::json to_json(const process_row& p) {
  return {{"pk", p.pk},
          {"kind", to_string(p.kind)},
          {"type", p.type},
          {"label", p.label},
          {"ctime", format_time(p.ctime)},
          {"state", p.state ? nlohmann::json(to_string(*p.state)) : nlohmann::json()},
          {"exit_status", p.exit_status ? nlohmann::json(*p.exit_status) : nlohmann::json()},
          {"paused", p.paused}};
}

// Cost independent of the number of finished processes: live ones come from the table
// live_process, the others by ctime (partial index node_process_ctime), newest first,
// stopping at the limit.
std::vector<process_row> query_processes(store_reader& r, const list_options& o) {
  std::optional<process_state> st;
  if (!o.state.empty()) {
    try {
      st = process_state_from_string(o.state);
    } catch (const store_error&) {
      throw error(fmt::format("unknown state '{}': use created, running, waiting, finished, excepted or killed", o.state),
                  exit_usage);
    }
  }
  const bool live_only = st ? !is_terminal(*st) : !o.all;
  std::string sql =
      "SELECT n.pk, n.kind, n.type, n.label, n.ctime, n.process_state, n.exit_status, coalesce(pc.paused, 0) FROM ";
  sql += live_only ? "live_process l JOIN node n ON n.pk = l.pk" : "node n";
  sql += " LEFT JOIN process_control pc ON pc.node = n.pk WHERE n.kind > 0";
  if (st) sql += " AND n.process_state = ?1";
  if (o.past_days > 0) sql += " AND n.ctime >= ?2";
  sql += " ORDER BY n.ctime DESC, n.pk DESC LIMIT ?3";
  auto q = r.connection().prepare(sql);
  if (st) q.bind(1, to_string(*st));
  if (o.past_days > 0) {
    const auto since = now_timestamp() - std::chrono::hours(24 * o.past_days);
    q.bind(2, static_cast<std::int64_t>(since.time_since_epoch().count()));
  }
  q.bind(3, o.limit > 0 ? o.limit : std::int64_t{-1});
  std::vector<process_row> out;
  while (q.step()) {
    process_row p;
    p.pk = q.int64(0);
    p.kind = node_kind_from_int(q.int64(1));
    p.type = std::string(q.text(2));
    p.label = q.is_null(3) ? std::string() : std::string(q.text(3));
    p.ctime = timestamp(std::chrono::microseconds(q.int64(4)));
    if (!q.is_null(5)) p.state = process_state_from_string(q.text(5));
    if (!q.is_null(6)) p.exit_status = static_cast<int>(q.int64(6));
    p.paused = q.int64(7) != 0;
    out.push_back(std::move(p));
  }
  return out;
}

std::string exit_text(const std::optional<int>& e) { return e ? std::to_string(*e) : std::string("-"); }

void cmd_list(const globals& g, const list_options& o) {
  auto st = open_store(g);
  auto r = st->read();
  const auto rows = query_processes(r, o);
  if (g.json) {
    auto j = nlohmann::json::array();
    for (const auto& p : rows) j.push_back(to_json(p));
    print_json(j);
    return;
  }
  table t({"PK", "CREATED (UTC)", "KIND", "TYPE", "LABEL", "STATE", "EXIT"});
  for (const auto& p : rows) {
    const auto c = state_colour(p.state, p.exit_status);
    t.add({std::to_string(p.pk), format_time(p.ctime), std::string(to_string(p.kind)), p.type, p.label,
           {state_text(p.state, p.paused), c}, exit_text(p.exit_status)});
  }
  if (t.empty()) {
    std::printf("%s\n", o.all || !o.state.empty() ? "no processes match" : "no active processes (list them all with --all)");
    return;
  }
  t.print(g);
  if (o.limit > 0 && static_cast<std::int64_t>(rows.size()) == o.limit) {
    std::printf("%s\n", paint(g, colour::dim, fmt::format("showing the newest {} (--limit N, 0 for no limit)", o.limit)).c_str());
  }
}

// The call tree below `root` (pre-order, with depths).
struct tree_entry {
  node_record node;
  int depth = 0;
};
std::vector<tree_entry> call_tree(store_reader& r, std::int64_t root) {
  std::vector<tree_entry> out;
  std::function<void(std::int64_t, int)> walk = [&](std::int64_t pk, int depth) {
    out.push_back({r.node(pk), depth});
    for (auto c : r.children(pk)) walk(c, depth + 1);
  };
  walk(root, 0);
  return out;
}

std::string describe_state(const node_record& n, bool paused) {
  std::string s = state_text(n.state, paused);
  if (n.exit_status) s += fmt::format(" [{}]", *n.exit_status);
  if (!n.exit_message.empty()) s += fmt::format(" {}", n.exit_message);
  return s;
}

void cmd_process_show(const globals& g, std::int64_t pk) {
  auto st = open_store(g);
  auto r = st->read();
  auto n = need_process(r, pk);
  const bool paused = r.paused(pk);
  const auto in = r.incoming(pk);
  const auto out = r.outgoing(pk);
  if (g.json) {
    nlohmann::json j = {{"pk", n.pk},       {"uuid", n.id.str()},
                        {"kind", to_string(n.kind)}, {"type", n.type},
                        {"label", n.label}, {"description", n.description},
                        {"ctime", format_time(n.ctime)}, {"mtime", format_time(n.mtime)},
                        {"state", n.state ? nlohmann::json(to_string(*n.state)) : nlohmann::json()},
                        {"exit_status", n.exit_status ? nlohmann::json(*n.exit_status) : nlohmann::json()},
                        {"exit_message", n.exit_message}, {"paused", paused}};
    j["incoming"] = links_json(in, true);
    j["outgoing"] = links_json(out, false);
    print_json(j);
    return;
  }
  table t({"PROPERTY", "VALUE"});
  t.add({"pk", std::to_string(n.pk)});
  t.add({"uuid", n.id.str()});
  t.add({"kind", std::string(to_string(n.kind))});
  t.add({"type", n.type});
  if (!n.label.empty()) t.add({"label", n.label});
  if (!n.description.empty()) t.add({"description", n.description});
  t.add({"ctime", format_time(n.ctime) + " UTC"});
  t.add({"mtime", format_time(n.mtime) + " UTC"});
  t.add({"state", {state_text(n.state, paused), state_colour(n.state, n.exit_status)}});
  t.add({"exit status", exit_text(n.exit_status)});
  if (!n.exit_message.empty()) t.add({"exit message", n.exit_message});
  if (n.origin) t.add({"tessera version", n.origin->tessera_version});
  t.print(g);
  auto section = [&](const char* title, const std::vector<link_record>& v, bool incoming,
                     std::initializer_list<link_type> types) {
    table l({title, "PK", "TYPE", "LINK"});
    for (const auto& e : v) {
      if (std::find(types.begin(), types.end(), e.type) == types.end()) continue;
      const auto other = incoming ? e.input : e.output;
      auto on = r.find_node(other);
      l.add({e.label, std::to_string(other), on ? on->type : std::string("?"), std::string(to_string(e.type))});
    }
    if (!l.empty()) {
      std::printf("\n");
      l.print(g);
    }
  };
  section("INPUTS", in, true, {link_type::input_calc, link_type::input_work});
  section("OUTPUTS", out, false, {link_type::create, link_type::ret});
  section("CALLER", in, true, {link_type::call_calc, link_type::call_work});
  section("CALLED", out, false, {link_type::call_calc, link_type::call_work});
}

void cmd_status(const globals& g, std::int64_t pk) {
  auto st = open_store(g);
  auto r = st->read();
  (void)need_process(r, pk);
  const auto tree = call_tree(r, pk);
  if (g.json) {
    auto a = nlohmann::json::array();
    for (const auto& e : tree) {
      a.push_back({{"pk", e.node.pk}, {"depth", e.depth}, {"type", e.node.type}, {"label", e.node.label},
                   {"state", e.node.state ? nlohmann::json(to_string(*e.node.state)) : nlohmann::json()},
                   {"exit_status", e.node.exit_status ? nlohmann::json(*e.node.exit_status) : nlohmann::json()},
                   {"exit_message", e.node.exit_message}, {"paused", r.paused(e.node.pk)}});
    }
    print_json(a);
    return;
  }
  std::string out;
  for (const auto& e : tree) {
    std::string indent(static_cast<std::size_t>(e.depth) * 4, ' ');
    if (e.depth > 0) indent.replace(indent.size() - 4, 4, "└── ");
    const auto name = e.node.label.empty() || e.node.label == e.node.type ? e.node.type : fmt::format("{} '{}'", e.node.type, e.node.label);
    out += fmt::format("{}{} {} {}\n", indent, e.node.pk, name,
                       paint(g, state_colour(e.node.state, e.node.exit_status), describe_state(e.node, r.paused(e.node.pk))));
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

void cmd_report(const globals& g, std::int64_t pk) {
  auto st = open_store(g);
  auto r = st->read();
  (void)need_process(r, pk);
  struct item {
    log_entry e;
    int depth;
    std::string type;
  };
  std::vector<item> items;
  for (const auto& t : call_tree(r, pk)) {
    for (auto& l : r.logs(t.node.pk)) items.push_back({std::move(l), t.depth, t.node.type});
  }
  std::sort(items.begin(), items.end(), [](const item& a, const item& b) { return a.e.id < b.e.id; });
  if (g.json) {
    auto a = nlohmann::json::array();
    for (const auto& i : items) {
      a.push_back({{"pk", i.e.node}, {"depth", i.depth}, {"time", format_time(i.e.time)},
                   {"level", to_string(i.e.level)}, {"message", i.e.message}});
    }
    print_json(a);
    return;
  }
  if (items.empty()) {
    std::printf("no log messages for process %lld or the processes it called\n", static_cast<long long>(pk));
    return;
  }
  std::string out;
  for (const auto& i : items) {
    const auto lc = i.e.level >= log_level::error ? colour::red : i.e.level >= log_level::warning ? colour::yellow : colour::none;
    out += fmt::format("{}{} [{}|{}|{}]: {}\n", std::string(static_cast<std::size_t>(i.depth) * 4, ' '),
                       format_time(i.e.time), i.e.node, i.type, paint(g, lc, to_string(i.e.level)), i.e.message);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

// Follows the process until it terminates, woken by inotify (see below), with a slow poll
// (--poll, 1 s) as a safety net.
void cmd_watch(const globals& g, std::int64_t pk, double interval) {
  auto st = open_store(g);
  {
    auto r = st->read();
    (void)need_process(r, pk);
  }
  const auto events = engine_detail::events_file(st->profile().directory());
  {
    [[maybe_unused]] auto touch = std::fopen(events.c_str(), "a");
    if (touch) std::fclose(touch);
  }
  // Two sources of wake-ups: the events file (pause/play/kill from any program) and the
  // database's write-ahead log, which every commit of any process appends to (our own open
  // connection keeps it from being removed). Bursts of commits are coalesced (50 ms).
  const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (fd >= 0) {
    (void)::inotify_add_watch(fd, events.c_str(), IN_MODIFY | IN_ATTRIB);
    const auto wal = st->profile().database_path().string() + "-wal";
    (void)::inotify_add_watch(fd, wal.c_str(), IN_MODIFY);
  }
  const bool tty = g.colour;
  std::string last;
  for (;;) {
    std::optional<node_record> root;
    std::int64_t done = 0, total = 0;
    {
      auto r = st->read();
      const auto tree = call_tree(r, pk);
      root = tree.front().node;
      for (std::size_t i = 1; i < tree.size(); ++i) {
        ++total;
        if (tree[i].node.state && is_terminal(*tree[i].node.state)) ++done;
      }
      const auto line = fmt::format("process {} {}: {}, children {}/{} done", pk, root->type,
                                    describe_state(*root, r.paused(pk)), done, total);
      if (line != last) {
        if (tty) {
          std::printf("\r\033[K%s", paint(g, state_colour(root->state, root->exit_status), line).c_str());
        } else {
          std::printf("%s\n", line.c_str());
        }
        std::fflush(stdout);
        last = line;
      }
    }
    if (root->state && is_terminal(*root->state)) break;
    pollfd p{fd, POLLIN, 0};
    const int timeout_ms = static_cast<int>(interval * 1000);
    if (fd >= 0 && ::poll(&p, 1, timeout_ms) > 0) {
      char buf[4096];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
      ::usleep(50000);
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    } else if (fd < 0) {
      ::usleep(static_cast<useconds_t>(timeout_ms) * 1000);
    }
  }
  if (tty) std::printf("\n");
  if (fd >= 0) ::close(fd);
}

enum class action { pause, play, kill };

void cmd_control(const globals& g, action a, const std::vector<std::int64_t>& pks, bool all) {
  if (pks.empty() && !all) throw error("give the pk of at least one process, or --all", exit_usage);
  if (!pks.empty() && all) throw error("give either pks or --all, not both", exit_usage);
  auto st = open_store(g);
  std::vector<std::int64_t> targets = pks;
  if (all) {
    auto r = st->read();
    if (a == action::play) {
      targets = r.paused_processes();
    } else {
      list_options o;
      o.limit = 0;
      for (const auto& p : query_processes(r, o)) {
        if (a == action::pause && p.paused) continue;
        targets.push_back(p.pk);
      }
      std::sort(targets.begin(), targets.end());  // callers before the processes they called
    }
    if (targets.empty()) {
      std::printf("no %s processes\n", a == action::play ? "paused" : "active");
      return;
    }
  }
  int failures = 0;
  std::set<std::int64_t> killed;
  for (auto pk : targets) {
    if (all && killed.contains(pk)) continue;
    try {
      {
        auto r = st->read();
        (void)need_process(r, pk);
      }
      switch (a) {
        case action::pause:
          pause_process(*st, pk);
          std::printf("paused process %lld\n", static_cast<long long>(pk));
          break;
        case action::play:
          play_process(*st, pk);
          std::printf("played process %lld\n", static_cast<long long>(pk));
          break;
        case action::kill: {
          auto k = kill_process(*st, pk);
          killed.insert(k.begin(), k.end());
          if (k.size() > 1) {
            std::printf("killed process %lld and %zu it called\n", static_cast<long long>(pk), k.size() - 1);
          } else {
            std::printf("killed process %lld\n", static_cast<long long>(pk));
          }
          break;
        }
      }
    } catch (const process_control_error& e) {
      std::string m = e.what();
      if (m.find("already terminated") != std::string::npos) m += ": nothing to do";
      std::fflush(stdout);
      std::fprintf(stderr, "error: %s\n", m.c_str());
      ++failures;
    } catch (const error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "error: %s\n", e.what());
      ++failures;
    }
  }
  if (failures && targets.size() == 1) throw error("");  // its line is printed
  if (failures) throw error(fmt::format("{} of {} processes could not be {}", failures, targets.size(),
                                        a == action::pause ? "paused" : a == action::play ? "played" : "killed"));
}

}  // namespace

void add_process_commands(CLI::App& app, globals& g) {
  auto* proc = app.add_subcommand("process", "list, inspect, watch, pause, play and kill processes");
  proc->require_subcommand(1);

  auto lo = std::make_shared<list_options>();
  auto* list = proc->add_subcommand("list", "list processes (default: the active ones, newest first)");
  list->add_flag("-a,--all", lo->all, "all processes, not only the active ones");
  list->add_option("-S,--state", lo->state, "only processes in this state (created, running, waiting, finished, excepted, killed)");
  list->add_option("--past-days", lo->past_days, "only processes created in the past N days")->check(CLI::PositiveNumber);
  list->add_option("-l,--limit", lo->limit, "at most N processes (0: no limit)")->capture_default_str()->check(CLI::NonNegativeNumber);
  list->callback([&g, lo] { cmd_list(g, *lo); });

  auto pk = std::make_shared<std::int64_t>(0);
  auto* show = proc->add_subcommand("show", "a process's properties, inputs, outputs, caller and called processes");
  show->add_option("PK", *pk, "process pk")->required();
  show->callback([&g, pk] { cmd_process_show(g, *pk); });

  auto* status = proc->add_subcommand("status", "the call tree of a process with states and exit codes");
  status->add_option("PK", *pk, "process pk")->required();
  status->callback([&g, pk] { cmd_status(g, *pk); });

  auto* report = proc->add_subcommand("report", "log messages of a process and the ones it called, indented by call depth");
  report->add_option("PK", *pk, "process pk")->required();
  report->callback([&g, pk] { cmd_report(g, *pk); });

  auto interval = std::make_shared<double>(1.0);
  auto* watch = proc->add_subcommand("watch", "follow a process live until it terminates (children done/total)");
  watch->add_option("PK", *pk, "process pk")->required();
  watch->add_option("--poll", *interval, "seconds between safety-net polls (changes arrive as events)")
      ->capture_default_str()->check(CLI::PositiveNumber);
  watch->callback([&g, pk, interval] { cmd_watch(g, *pk, *interval); });

  for (auto [name, a, help] : {std::tuple{"pause", action::pause, "pause processes (they finish their current step)"},
                               std::tuple{"play", action::play, "resume paused processes"},
                               std::tuple{"kill", action::kill, "kill processes and every live process they called"}}) {
    auto pks = std::make_shared<std::vector<std::int64_t>>();
    auto all = std::make_shared<bool>(false);
    auto* c = proc->add_subcommand(name, help);
    c->add_option("PK", *pks, "process pks");
    c->add_flag("-a,--all", *all, a == action::play ? "every paused process" : "every active process");
    c->callback([&g, a = a, pks, all] { cmd_control(g, a, *pks, *all); });
  }
}

}  // namespace tessera::cli
