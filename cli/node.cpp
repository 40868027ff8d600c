// tessera node show|attributes|graph
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "detail/common.hpp"

namespace tessera::cli {

namespace {

nlohmann::json node_json(const node_record& n) {
  nlohmann::json j = {{"pk", n.pk},       {"uuid", n.id.str()},   {"kind", to_string(n.kind)},
                      {"type", n.type},   {"label", n.label},     {"description", n.description},
                      {"ctime", format_time(n.ctime)}, {"mtime", format_time(n.mtime)},
                      {"hash", n.hash ? nlohmann::json(n.hash->hex()) : nlohmann::json()}};
  if (is_process(n.kind)) {
    j["state"] = n.state ? nlohmann::json(to_string(*n.state)) : nlohmann::json();
    j["exit_status"] = n.exit_status ? nlohmann::json(*n.exit_status) : nlohmann::json();
    j["exit_message"] = n.exit_message;
  }
  return j;
}

void cmd_show(const globals& g, std::int64_t pk) {
  auto st = open_store(g);
  auto r = st->read();
  const auto n = need_node(r, pk);
  const auto in = r.incoming(pk);
  const auto out = r.outgoing(pk);
  if (g.json) {
    auto j = node_json(n);
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
  if (n.hash) t.add({"hash", n.hash->hex()});
  if (is_process(n.kind)) {
    t.add({"state", {state_text(n.state), state_colour(n.state, n.exit_status)}});
    t.add({"exit status", n.exit_status ? std::to_string(*n.exit_status) : std::string("-")});
  } else if (!n.attributes.is_object() || n.attributes.size() <= 3) {
    t.add({"value", n.attributes.dump()});
  }
  t.print(g);
  for (auto [title, v, incoming] : {std::tuple{"INCOMING", &in, true}, std::tuple{"OUTGOING", &out, false}}) {
    if (v->empty()) continue;
    table l({title, "PK", "NODE", "LINK"});
    for (const auto& e : *v) {
      const auto other = incoming ? e.input : e.output;
      auto on = r.find_node(other);
      l.add({e.label, std::to_string(other), on ? on->type : std::string("?"), std::string(to_string(e.type))});
    }
    std::printf("\n");
    l.print(g);
  }
}

void cmd_attributes(const globals& g, std::int64_t pk) {
  auto st = open_store(g);
  auto r = st->read();
  print_json(need_node(r, pk).attributes);
}

std::optional<std::string> find_in_path(const std::string& exe) {
  const char* path = std::getenv("PATH");
  if (!path) return std::nullopt;
  std::string p = path;
  std::size_t start = 0;
  while (start <= p.size()) {
    const auto end = p.find(':', start);
    const auto dir = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty()) {
      const auto f = dir + "/" + exe;
      if (::access(f.c_str(), X_OK) == 0) return f;
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string make_dot(store_reader& r, std::int64_t root, int ancestors, int descendants) {
  // Breadth-first over all link types, backwards up to `ancestors` steps, forwards up to `descendants`.
  std::set<std::int64_t> nodes{root};
  std::set<std::tuple<std::int64_t, std::int64_t, int, std::string>> edges;
  for (int dir = 0; dir < 2; ++dir) {
    const int limit = dir == 0 ? ancestors : descendants;
    std::deque<std::pair<std::int64_t, int>> q{{root, 0}};
    std::set<std::int64_t> seen{root};
    while (!q.empty()) {
      auto [pk, d] = q.front();
      q.pop_front();
      if (d >= limit) continue;
      for (const auto& l : dir == 0 ? r.incoming(pk) : r.outgoing(pk)) {
        const auto other = dir == 0 ? l.input : l.output;
        edges.insert({l.input, l.output, static_cast<int>(l.type), l.label});
        nodes.insert(other);
        if (seen.insert(other).second) q.push_back({other, d + 1});
      }
    }
  }
  std::string out = "digraph provenance {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n";
  for (auto pk : nodes) {
    auto n = r.node(pk);
    std::string label = fmt::format("{} {}", to_string(n.kind), n.pk);
    label += "\\n" + dot_escape(n.type);
    if (!n.label.empty()) label += "\\n" + dot_escape(n.label);
    std::string style;
    if (is_process(n.kind)) {
      if (n.state) label += fmt::format("\\n{}", to_string(*n.state));
      if (n.exit_status) label += fmt::format(" [{}]", *n.exit_status);
      style = is_workflow(n.kind) ? "shape=rectangle, style=filled, fillcolor=\"#e38851\""
                                  : "shape=rectangle, style=filled, fillcolor=\"#de707f\"";
    } else {
      if (n.attributes.is_object() && n.attributes.contains("value")) {
        label += "\\nvalue: " + dot_escape(n.attributes["value"].dump());
      }
      style = "shape=ellipse, style=filled, fillcolor=\"#8cd499\"";
    }
    if (pk == root) style += ", penwidth=3";
    out += fmt::format("  n{} [label=\"{}\", {}];\n", pk, label, style);
  }
  for (const auto& [in, o, t, label] : edges) {
    const auto lt = link_type_from_int(t);
    const bool call = lt == link_type::call_calc || lt == link_type::call_work;
    out += fmt::format("  n{} -> n{} [label=\"{}\\n{}\"{}];\n", in, o, to_string(lt), dot_escape(label),
                       call ? ", style=dashed" : "");
  }
  out += "}\n";
  return out;
}

struct graph_options {
  std::int64_t pk = 0;
  int ancestors = 1;
  int descendants = 1;
  std::string format = "dot";
  std::string output;
};

void cmd_graph(const globals& g, const graph_options& o) {
  std::optional<std::string> dot_exe;
  if (o.format != "dot") {
    dot_exe = find_in_path("dot");
    if (!dot_exe) {
      throw error(fmt::format("cannot write {}: Graphviz's `dot` is not on PATH: install Graphviz (apt install graphviz), "
                              "or use --format dot and render it elsewhere",
                              o.format));
    }
  }
  std::string text;
  {
    auto st = open_store(g);
    auto r = st->read();
    (void)need_node(r, o.pk);
    text = make_dot(r, o.pk, o.ancestors, o.descendants);
  }
  if (o.format == "dot" && (o.output.empty() || o.output == "-")) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    return;
  }
  const auto file = o.output.empty() ? fmt::format("{}.{}", o.pk, o.format) : o.output;
  if (o.format == "dot") {
    std::ofstream f(file);
    f << text;
    if (!f) throw error(fmt::format("cannot write {}", file));
  } else {
    const auto tmp = file + ".dot.tmp";
    {
      std::ofstream f(tmp);
      f << text;
      if (!f) throw error(fmt::format("cannot write {}", tmp));
    }
    const pid_t child = ::fork();
    if (child == 0) {
      const auto fmt_arg = "-T" + o.format;
      const auto out_arg = "-o" + file;
      ::execl(dot_exe->c_str(), "dot", fmt_arg.c_str(), out_arg.c_str(), tmp.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::remove(tmp.c_str());
      throw error(fmt::format("Graphviz's dot ({}) failed to render {}: try --format dot", *dot_exe, file));
    }
    std::remove(tmp.c_str());
  }
  std::printf("wrote %s\n", file.c_str());
}

}  // namespace

void add_node_commands(CLI::App& app, globals& g) {
  auto* node = app.add_subcommand("node", "inspect nodes and their provenance graph");
  node->require_subcommand(1);
  auto pk = std::make_shared<std::int64_t>(0);
  auto* show = node->add_subcommand("show", "a node's properties and links");
  show->add_option("PK", *pk, "node pk")->required();
  show->callback([&g, pk] { cmd_show(g, *pk); });
  auto* attrs = node->add_subcommand("attributes", "a node's attributes as JSON");
  attrs->add_option("PK", *pk, "node pk")->required();
  attrs->callback([&g, pk] { cmd_attributes(g, *pk); });

  auto go = std::make_shared<graph_options>();
  auto* graph = node->add_subcommand("graph", "the provenance graph around a node (dot, or svg/png through Graphviz)");
  graph->add_option("PK", go->pk, "node pk")->required();
  graph->add_option("--ancestors", go->ancestors, "steps backwards")->capture_default_str()->check(CLI::NonNegativeNumber);
  graph->add_option("--descendants", go->descendants, "steps forwards")->capture_default_str()->check(CLI::NonNegativeNumber);
  graph->add_option("-f,--format", go->format, "dot, svg or png")->capture_default_str()->check(CLI::IsMember({"dot", "svg", "png"}));
  graph->add_option("-o,--output", go->output, "output file (default: stdout for dot, PK.svg / PK.png otherwise)");
  graph->callback([&g, go] { cmd_graph(g, *go); });
}

}  // namespace tessera::cli
