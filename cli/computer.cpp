// tessera computer setup|list|show|test, tessera code create|list|show
#include <cstdio>

#include <fmt/format.h>

#include <tessera/store/code.hpp>

#include "detail/common.hpp"

namespace tessera::cli {

namespace {

std::vector<computer_record> all_computers(store_reader& r) {
  auto q = r.connection().prepare("SELECT label FROM computer ORDER BY pk");
  std::vector<std::string> labels;
  while (q.step()) labels.emplace_back(q.text(0));
  std::vector<computer_record> out;
  for (const auto& l : labels) out.push_back(r.computer(l));
  return out;
}

nlohmann::json computer_json(const computer_record& c) {
  return {{"pk", c.pk},           {"uuid", c.id.str()},         {"label", c.label},
          {"hostname", c.hostname}, {"description", c.description}, {"transport", c.transport},
          {"scheduler", c.scheduler}, {"workdir", c.workdir},       {"settings", c.settings}};
}

computer_record need_computer(store_reader& r, const std::string& label) {
  if (auto c = r.find_computer(label)) return std::move(*c);
  throw error(fmt::format("no computer labelled '{}': list them with `tessera computer list`", label));
}

struct code_row {
  std::int64_t pk = 0;
  std::string label, type;
  nlohmann::json attributes;
};

std::vector<code_row> all_codes(store_reader& r) {
  auto q = r.connection().prepare(
      "SELECT pk, label, type, attributes FROM node WHERE kind = 0 AND type IN ('core.code.installed', "
      "'core.code.portable') ORDER BY pk");
  std::vector<code_row> out;
  while (q.step()) {
    out.push_back({q.int64(0), q.is_null(1) ? std::string() : std::string(q.text(1)), std::string(q.text(2)),
                   q.is_null(3) ? nlohmann::json::object() : nlohmann::json::parse(q.text(3))});
  }
  return out;
}

void check_not_empty(const std::string& v, const char* option) {
  if (v.empty()) throw error(fmt::format("{} must not be empty", option), exit_usage);
}

}  // namespace

void add_computer_commands(CLI::App& app, globals& g) {
  // ---- computer ----
  auto* comp = app.add_subcommand("computer", "set up and list computers (where calcjobs run)");
  comp->require_subcommand(1);
  auto spec = std::make_shared<computer_spec>();
  auto* setup = comp->add_subcommand("setup", "store a new computer");
  setup->add_option("-L,--label", spec->label, "unique label")->required();
  setup->add_option("-H,--hostname", spec->hostname, "host name")->required();
  setup->add_option("-T,--transport", spec->transport, "transport plugin (core.local, core.ssh)")->required();
  setup->add_option("-S,--scheduler", spec->scheduler, "scheduler plugin (core.direct, core.slurm, core.pbs)")->required();
  setup->add_option("-w,--workdir", spec->workdir, "work directory on the computer (may contain {username})")->required();
  setup->add_option("-D,--description", spec->description, "description");
  setup->callback([&g, spec] {
    check_not_empty(spec->label, "--label");
    auto st = open_store(g);
    computer_record c;
    try {
      c = st->write([&](write_tx& tx) { return tx.add_computer(*spec); });
    } catch (const sqlite_error&) {
      throw;
    } catch (const store_error& e) {
      throw error(fmt::format("{}: choose another label or see `tessera computer list`", e.what()));
    }
    std::printf("stored computer '%s' (pk %lld)\n", c.label.c_str(), static_cast<long long>(c.pk));
  });

  auto* list = comp->add_subcommand("list", "list computers");
  list->callback([&g] {
    auto st = open_store(g);
    auto r = st->read();
    const auto all = all_computers(r);
    if (g.json) {
      auto a = nlohmann::json::array();
      for (const auto& c : all) a.push_back(computer_json(c));
      print_json(a);
      return;
    }
    if (all.empty()) {
      std::printf("no computers: add one with `tessera computer setup`\n");
      return;
    }
    table t({"PK", "LABEL", "HOSTNAME", "TRANSPORT", "SCHEDULER", "WORKDIR"});
    for (const auto& c : all) t.add({std::to_string(c.pk), c.label, c.hostname, c.transport, c.scheduler, c.workdir});
    t.print(g);
  });

  auto label = std::make_shared<std::string>();
  auto* show = comp->add_subcommand("show", "a computer's settings");
  show->add_option("LABEL", *label, "computer label")->required();
  show->callback([&g, label] {
    auto st = open_store(g);
    auto r = st->read();
    const auto c = need_computer(r, *label);
    if (g.json) {
      print_json(computer_json(c));
      return;
    }
    table t({"PROPERTY", "VALUE"});
    t.add({"pk", std::to_string(c.pk)});
    t.add({"uuid", c.id.str()});
    t.add({"label", c.label});
    t.add({"hostname", c.hostname});
    if (!c.description.empty()) t.add({"description", c.description});
    t.add({"transport", c.transport});
    t.add({"scheduler", c.scheduler});
    t.add({"workdir", c.workdir});
    if (!c.settings.empty()) t.add({"settings", c.settings.dump()});
    t.print(g);
  });

  auto* test = comp->add_subcommand("test", "check that the computer can be reached (needs the transport plugins)");
  test->add_option("LABEL", *label, "computer label")->required();
  test->callback([&g, label] {
    auto st = open_store(g);
    auto r = st->read();
    const auto c = need_computer(r, *label);
    throw error(fmt::format("`computer test` is not yet available: it needs the transport plugin '{}' loaded by the "
                            "calcjob layer, which this tessera CLI does not include yet",
                            c.transport));
  });

  // ---- code ----
  auto* code = app.add_subcommand("code", "create and list codes (executables on computers)");
  code->require_subcommand(1);
  struct code_args {
    InstalledCode c;
    std::string label, description;
  };
  auto ca = std::make_shared<code_args>();
  auto* create = code->add_subcommand("create", "store an installed code (an executable already on a computer)");
  create->add_option("-L,--label", ca->label, "code label")->required();
  create->add_option("-Y,--computer", ca->c.computer, "label of the computer it is on")->required();
  create->add_option("-X,--executable", ca->c.filepath_executable, "absolute path of the executable")->required();
  create->add_option("-P,--default-plugin", ca->c.default_calc_job_plugin, "default calcjob plugin");
  create->add_option("--prepend-text", ca->c.prepend_text, "lines run before the executable");
  create->add_option("--append-text", ca->c.append_text, "lines run after the executable");
  create->add_option("-D,--description", ca->description, "description");
  create->callback([&g, ca] {
    check_not_empty(ca->label, "--label");
    auto st = open_store(g);
    {
      auto r = st->read();
      if (find_code(r, ca->label)) {
        throw error(fmt::format("a code labelled '{}' already exists: choose another label", ca->label));
      }
      (void)need_computer(r, ca->c.computer);
    }
    node_ref ref;
    try {
      ref = st->write([&](write_tx& tx) { return add_code(tx, ca->c, ca->label, ca->description); });
    } catch (const sqlite_error&) {
      throw;
    } catch (const store_error& e) {
      throw error(e.what());
    }
    std::printf("stored code '%s' (pk %lld)\n", ca->label.c_str(), static_cast<long long>(ref.pk));
  });

  auto* clist = code->add_subcommand("list", "list codes");
  clist->callback([&g] {
    auto st = open_store(g);
    auto r = st->read();
    const auto all = all_codes(r);
    if (g.json) {
      auto a = nlohmann::json::array();
      for (const auto& c : all) a.push_back({{"pk", c.pk}, {"label", c.label}, {"type", c.type}, {"attributes", c.attributes}});
      print_json(a);
      return;
    }
    if (all.empty()) {
      std::printf("no codes: add one with `tessera code create`\n");
      return;
    }
    table t({"PK", "LABEL", "TYPE", "COMPUTER", "EXECUTABLE"});
    for (const auto& c : all) {
      t.add({std::to_string(c.pk), c.label, c.type, c.attributes.value("computer", std::string("-")),
             c.attributes.value("filepath_executable", std::string("-"))});
    }
    t.print(g);
  });

  auto* cshow = code->add_subcommand("show", "a code's settings");
  cshow->add_option("CODE", *label, "code label or pk")->required();
  cshow->callback([&g, label] {
    auto st = open_store(g);
    auto r = st->read();
    std::optional<std::int64_t> pk = find_code(r, *label);
    if (!pk && !label->empty() && label->find_first_not_of("0123456789") == std::string::npos) pk = std::stoll(*label);
    if (!pk) throw error(fmt::format("no code labelled '{}': list them with `tessera code list`", *label));
    const auto n = need_node(r, *pk);
    if (n.type != "core.code.installed" && n.type != "core.code.portable") {
      throw error(fmt::format("node {} is a {}, not a code: list codes with `tessera code list`", *pk, n.type));
    }
    if (g.json) {
      print_json({{"pk", n.pk}, {"uuid", n.id.str()}, {"label", n.label}, {"type", n.type}, {"description", n.description},
                  {"attributes", n.attributes}});
      return;
    }
    table t({"PROPERTY", "VALUE"});
    t.add({"pk", std::to_string(n.pk)});
    t.add({"uuid", n.id.str()});
    t.add({"label", n.label});
    t.add({"type", n.type});
    if (!n.description.empty()) t.add({"description", n.description});
    for (const auto& [k, v] : n.attributes.items()) {
      if (v.is_string() && v.get<std::string>().empty()) continue;
      t.add({k, v.is_string() ? v.get<std::string>() : v.dump()});
    }
    t.print(g);
  });
}

}  // namespace tessera::cli
