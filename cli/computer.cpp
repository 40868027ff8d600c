// tessera computer setup|list|show|test, tessera code create|list|show
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include <tessera/calcjob/computer_settings.hpp>
#include <tessera/plugin/registry.hpp>
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

// AiiDA's `verdi computer test`: open a connection with the computer's transport plugin,
// run a command, create, write, read back and remove a file in its work directory, and load
// its scheduler plugin. One line per check; the first failure is the error (exit 1), naming
// the check, the computer and what the plugin said.
void test_computer(const globals& g, const computer_record& c) {
  std::string workdir = c.workdir;
  if (auto at = workdir.find("{username}"); at != std::string::npos) {
    const auto& ts = c.settings.contains("transport") ? c.settings["transport"] : nlohmann::json::object();
    const char* env_user = std::getenv("USER");
    workdir.replace(at, 10, ts.contains("username") && ts["username"].is_string() ? ts["username"].get<std::string>()
                                                                                   : std::string(env_user ? env_user : ""));
  }
  nlohmann::json checks = nlohmann::json::array();
  auto pass = [&](std::string what, std::string detail) {
    if (!g.json) std::printf("  %-58s ok%s\n", what.c_str(), detail.empty() ? "" : ("  (" + detail + ")").c_str());
    checks.push_back({{"check", std::move(what)}, {"ok", true}, {"detail", std::move(detail)}});
  };
  if (!g.json) {
    std::printf("testing computer '%s' (transport %s, scheduler %s, work directory %s)\n", c.label.c_str(),
                c.transport.c_str(), c.scheduler.c_str(), workdir.c_str());
  }
  // The registry outlives every object its plugins made (their code is in its libraries).
  std::optional<plugin::registry> reg;
  std::shared_ptr<calcjob::transport> t;
  std::string step = "reading the computer's settings";
  try {
    const auto settings = calcjob::computer_settings::of(c);
    step = fmt::format("loading the transport plugin '{}'", c.transport);
    reg.emplace(plugin_directories());
    t = reg->make_transport(c.transport, settings.transport);
    step = fmt::format("opening a connection to {}", c.hostname);
    const auto t0 = std::chrono::steady_clock::now();
    t->open();
    pass(step, fmt::format("{:.1f} ms", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count()));
    step = "running a command (echo)";
    const auto res = t->exec_command("echo tessera-computer-test");
    if (res.exit_status != 0 || res.stdout_text.find("tessera-computer-test") == std::string::npos) {
      throw std::runtime_error(fmt::format("exit status {}, stdout '{}', stderr '{}'", res.exit_status, res.stdout_text, res.stderr_text));
    }
    pass(step, "");
    if (workdir.empty() || workdir.front() != '/') throw std::runtime_error(fmt::format("work directory '{}' is not absolute", workdir));
    step = fmt::format("creating, writing, reading and removing a file in {}", workdir);
    t->makedirs(workdir);
    const auto file = calcjob::transport::join(workdir, fmt::format(".tessera-computer-test-{}", ::getpid()));
    const std::string content = "tessera computer test\n";
    t->write_file(file, content);
    const auto back = t->read_file(file);
    t->remove(file);
    if (back != content) throw std::runtime_error(fmt::format("read back {} bytes that differ from the {} written", back.size(), content.size()));
    pass("a file written, read back and removed in the work directory", "");
    t->close();
    step = fmt::format("loading the scheduler plugin '{}'", c.scheduler);
    (void)reg->make_scheduler(c.scheduler, settings.scheduler);
    pass(step, "");
  } catch (const std::exception& e) {
    if (t) {
      try {
        t->close();
      } catch (...) {
      }
    }
    throw error(fmt::format("computer '{}' failed the test: {}: {}", c.label, step, e.what()));
  }
  if (g.json) {
    print_json({{"computer", c.label}, {"ok", true}, {"checks", checks}});
  } else {
    std::printf("all %zu checks passed\n", checks.size());
  }
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
  setup->add_option("-S,--scheduler", spec->scheduler, "scheduler plugin (core.direct, core.slurm, core.pbs, core.sge)")->required();
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
    computer_record c;
    {
      auto r = st->read();
      c = need_computer(r, *label);
    }
    test_computer(g, c);
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
