// tessera calcjob inputls|inputcat|outputls|outputcat|remotecat: the files of a calcjob, as
// AiiDA's `verdi calcjob`. Inputs are the files prepare() wrote, stored when the upload
// completed (attribute raw_input, objects in the file repository); outputs are the
// `retrieved` FolderData; remotecat reads the remote working directory through the
// computer's transport plugin.
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include <fmt/format.h>

#include <tessera/calcjob/computer_settings.hpp>
#include <tessera/calcjob/transport.hpp>
#include <tessera/data/folder.hpp>
#include <tessera/data/remote.hpp>
#include <tessera/plugin/registry.hpp>

#include "detail/common.hpp"

namespace tessera::cli {

namespace {

struct args {
  std::int64_t pk = 0;
  std::string path;
};

// The calcjob's state in words, for "not yet" errors: process state and calcjob stage.
std::string state_words(const node_record& n) {
  std::string s = n.state ? std::string(to_string(*n.state)) : std::string("unknown");
  if (const auto it = n.attributes.find("calc_job_state"); it != n.attributes.end() && it->is_string()) {
    s += fmt::format(", calcjob stage {}", it->get<std::string>());
  }
  return s;
}

node_record need_calcjob(store_reader& r, std::int64_t pk) {
  auto n = need_node(r, pk);
  if (n.kind != node_kind::calc_job) {
    throw error(fmt::format("node {} is a {} ({}), not a calcjob: list processes with `tessera process list --all`", pk,
                            to_string(n.kind), n.type));
  }
  return n;
}

// The calcjob's output `label` (remote_folder, retrieved), if it has been created.
std::optional<any_data> output_of(store_reader& r, std::int64_t pk, std::string_view label) {
  for (const auto& l : r.outgoing(pk, link_type::create)) {
    if (l.label == label) return r.load_any(l.output);
  }
  return std::nullopt;
}

FolderData need_inputs(const node_record& n) {
  const auto it = n.attributes.find("raw_input");
  if (it == n.attributes.end()) {
    throw error(fmt::format("calcjob {} has no stored input files (state: {}): they are stored when its upload completes",
                            n.pk, state_words(n)));
  }
  return data_traits<FolderData>::deserialize(*it);
}

FolderData need_retrieved(store_reader& r, const node_record& n) {
  if (auto v = output_of(r, n.pk, "retrieved")) return v->get<FolderData>();
  throw error(fmt::format("calcjob {} has no retrieved output yet (state: {})", n.pk, state_words(n)));
}

std::string names_of(const std::vector<std::string>& names) {
  return names.empty() ? std::string("it is empty") : fmt::format("it has: {}", fmt::join(names, ", "));
}

// The entries directly under `dir` ("" = the top): files, and folders with a trailing '/'.
struct entry {
  std::string name;
  bool folder = false;
  std::uint64_t size = 0;
};
std::vector<entry> entries_under(const FolderData& f, const std::string& dir) {
  std::map<std::string, entry> out;
  const std::string prefix = dir.empty() ? std::string() : dir + "/";
  for (const auto& [rel, obj] : f.files) {
    if (!rel.starts_with(prefix)) continue;
    const auto rest = rel.substr(prefix.size());
    if (const auto slash = rest.find('/'); slash != std::string::npos) {
      const auto name = rest.substr(0, slash);
      out.try_emplace(name, entry{name, true, 0});
    } else {
      out.emplace(rest, entry{rest, false, obj.size});
    }
  }
  std::vector<entry> v;
  for (auto& [k, e] : out) v.push_back(std::move(e));
  return v;
}

std::vector<std::string> top_names(const FolderData& f) {
  std::vector<std::string> names;
  for (const auto& e : entries_under(f, "")) names.push_back(e.folder ? e.name + "/" : e.name);
  return names;
}

std::string trimmed(std::string p) {
  while (!p.empty() && p.back() == '/') p.pop_back();
  return p;
}

// `what` is "input files" or "retrieved files", for messages.
void list_folder(const globals& g, const node_record& n, const FolderData& f, std::string path, const char* what) {
  path = trimmed(std::move(path));
  std::vector<entry> rows;
  if (const auto it = f.files.find(path); !path.empty() && it != f.files.end()) {
    rows.push_back({path, false, it->second.size});  // a file: list just it
  } else {
    rows = entries_under(f, path);
    if (!path.empty() && rows.empty()) {
      throw error(fmt::format("calcjob {}: no file or folder '{}' among its {}: {}", n.pk, path, what, names_of(top_names(f))));
    }
  }
  if (g.json) {
    auto a = nlohmann::json::array();
    for (const auto& e : rows) {
      a.push_back({{"name", e.name}, {"type", e.folder ? "folder" : "file"},
                   {"size", e.folder ? nlohmann::json() : nlohmann::json(e.size)}});
    }
    print_json(a);
    return;
  }
  if (rows.empty()) {
    std::printf("calcjob %lld has no %s\n", static_cast<long long>(n.pk), what);
    return;
  }
  table t({"NAME", "SIZE"});
  for (const auto& e : rows) {
    t.add({e.folder ? e.name + "/" : e.name, e.folder ? std::string("-") : std::to_string(e.size)});
  }
  t.print(g);
}

// PATH, or the calcjob's default file (attribute `default_key`), which must be in `f`.
void cat_folder(store& st, const node_record& n, const FolderData& f, std::string path, const char* default_key,
                const char* what) {
  if (path.empty()) {
    const auto it = n.attributes.find(default_key);
    if (it == n.attributes.end() || !it->is_string()) {
      throw error(fmt::format("calcjob {} names no default file ({}): give a PATH; {}", n.pk, default_key,
                              names_of(top_names(f))),
                  exit_usage);
    }
    path = it->get<std::string>();
  }
  const auto it = f.files.find(path);
  if (it == f.files.end()) {
    const bool folder = !entries_under(f, trimmed(path)).empty();
    throw error(fmt::format("calcjob {}: {} among its {}: {}", n.pk,
                            folder ? fmt::format("'{}' is a folder (list it with ls)", path)
                                   : fmt::format("no file '{}'", path),
                            what, names_of(top_names(f))));
  }
  const auto bytes = st.files().read(it->second.object);
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
}

void cmd_remotecat(const globals& g, const args& a) {
  if (!is_safe_relative_path(a.path)) {
    throw error(fmt::format("'{}' is not a relative path inside the working directory", a.path), exit_usage);
  }
  auto st = open_store(g);
  std::string computer, dir;
  computer_record c;
  {
    auto r = st->read();
    const auto n = need_calcjob(r, a.pk);
    if (auto v = output_of(r, a.pk, "remote_folder")) {
      const auto rd = v->get<RemoteData>();
      computer = rd.computer;
      dir = rd.remote_path;
    }
    if (dir.empty()) {
      throw error(fmt::format("calcjob {} has no remote working directory yet (state: {})", a.pk, state_words(n)));
    }
    auto found = r.find_computer(computer);
    if (!found) throw error(fmt::format("calcjob {} ran on computer '{}', which is not in this profile", a.pk, computer));
    c = std::move(*found);
  }
  std::string content;
  // Outside the try: an exception thrown by the plugin must be handled while its library is
  // still loaded (its type's code is there).
  std::optional<plugin::registry> reg;
  std::shared_ptr<calcjob::transport> t;
  try {
    const auto settings = calcjob::computer_settings::of(c);
    reg.emplace(plugin_directories());
    t = reg->make_transport(c.transport, settings.transport);
    t->open();
    const auto full = calcjob::transport::join(dir, a.path);
    if (!t->path_exists(full) || t->is_dir(full)) {
      const bool dir_exists = t->path_exists(dir);
      const bool folder = t->path_exists(full);
      const auto names = dir_exists ? t->listdir(dir) : std::vector<std::string>{};
      t->close();
      throw error(fmt::format("calcjob {}: {} in the remote working directory {} on computer '{}': {}", a.pk,
                              folder ? fmt::format("'{}' is a folder", a.path) : fmt::format("no file '{}'", a.path), dir,
                              computer, dir_exists ? names_of(names) : "the folder no longer exists"));
    }
    content = t->read_file(full);
    t->close();
  } catch (const error&) {
    throw;
  } catch (const std::exception& e) {
    throw error(fmt::format("cannot read '{}' of calcjob {} on computer '{}' (transport {}): {}", a.path, a.pk, computer,
                            c.transport, e.what()));
  }
  std::fwrite(content.data(), 1, content.size(), stdout);
}

}  // namespace

void add_calcjob_commands(CLI::App& app, globals& g) {
  auto* cj = app.add_subcommand("calcjob", "the files of a calcjob: its inputs, retrieved outputs and remote folder");
  cj->require_subcommand(1);
  auto a = std::make_shared<args>();

  auto* inputls = cj->add_subcommand("inputls", "list the input files the calcjob's prepare() wrote");
  inputls->add_option("PK", a->pk, "calcjob pk")->required();
  inputls->add_option("PATH", a->path, "a folder (or file) among them");
  inputls->callback([&g, a] {
    auto st = open_store(g);
    auto r = st->read();
    const auto n = need_calcjob(r, a->pk);
    list_folder(g, n, need_inputs(n), a->path, "input files");
  });

  auto* inputcat = cj->add_subcommand("inputcat", "print an input file (default: the job's input file, its stdin)");
  inputcat->add_option("PK", a->pk, "calcjob pk")->required();
  inputcat->add_option("PATH", a->path, "relative path of the file");
  inputcat->callback([&g, a] {
    auto st = open_store(g);
    node_record n;
    FolderData f;
    {
      auto r = st->read();
      n = need_calcjob(r, a->pk);
      f = need_inputs(n);
    }
    cat_folder(*st, n, f, a->path, "input_filename", "input files");
  });

  auto* outputls = cj->add_subcommand("outputls", "list the files retrieved after the job (output `retrieved`)");
  outputls->add_option("PK", a->pk, "calcjob pk")->required();
  outputls->add_option("PATH", a->path, "a folder (or file) among them");
  outputls->callback([&g, a] {
    auto st = open_store(g);
    auto r = st->read();
    const auto n = need_calcjob(r, a->pk);
    list_folder(g, n, need_retrieved(r, n), a->path, "retrieved files");
  });

  auto* outputcat = cj->add_subcommand("outputcat", "print a retrieved file (default: the job's output file, its stdout)");
  outputcat->add_option("PK", a->pk, "calcjob pk")->required();
  outputcat->add_option("PATH", a->path, "relative path of the file");
  outputcat->callback([&g, a] {
    auto st = open_store(g);
    node_record n;
    FolderData f;
    {
      auto r = st->read();
      n = need_calcjob(r, a->pk);
      f = need_retrieved(r, n);
    }
    cat_folder(*st, n, f, a->path, "output_filename", "retrieved files");
  });

  auto* remotecat = cj->add_subcommand("remotecat", "print a file of the remote working directory (through the transport)");
  remotecat->add_option("PK", a->pk, "calcjob pk")->required();
  remotecat->add_option("PATH", a->path, "path relative to the working directory")->required();
  remotecat->callback([&g, a] { cmd_remotecat(g, *a); });
}

}  // namespace tessera::cli
