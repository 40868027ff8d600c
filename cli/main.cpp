// tessera: the command-line tool. `tessera --help` lists the commands.
//
// Profile: --profile DIR, else $TESSERA_PROFILE, else the directory named in
// $XDG_CONFIG_HOME/tessera/default-profile (~/.config/tessera/default-profile), which
// `tessera init` writes. Exit statuses: 0 ok, 1 a command failed, 2 usage error,
// 3 the database is locked by another process.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include <tessera/version.hpp>

#include "detail/common.hpp"

int main(int argc, char** argv) {
  // --version answers before anything else is set up.
  if (argc == 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0)) {
    std::printf("tessera %.*s\n", static_cast<int>(tessera::version.size()), tessera::version.data());
    return 0;
  }
  using namespace tessera::cli;
  globals g;
  g.colour = ::isatty(STDOUT_FILENO) != 0 && std::getenv("NO_COLOR") == nullptr;

  CLI::App app("tessera: typed durable workflows with provenance", "tessera");
  app.set_version_flag("-V,--version", std::string(tessera::version));
  app.add_option("-p,--profile", g.profile, "profile directory (default: $TESSERA_PROFILE, then the default profile)");
  app.add_flag("--json", g.json, "print JSON instead of tables (every listing)");
  app.require_subcommand(1);
  app.fallthrough();
  app.footer("Exit status: 0 ok, 1 a command failed, 2 usage error, 3 database locked by another process.");

  add_profile_commands(app, g);
  add_process_commands(app, g);
  add_node_commands(app, g);
  add_computer_commands(app, g);
  add_storage_commands(app, g);
  add_plugin_commands(app, g);
  add_daemon_commands(app, g);
  add_calcjob_commands(app, g);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A mistyped command name: say which, and what the choices are.
    CLI::App* at = &app;
    std::string path = "tessera";
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "-p" || a == "--profile") {
        ++i;
        continue;
      }
      if (a.empty() || a[0] == '-') continue;
      CLI::App* sub = nullptr;
      for (auto* c : at->get_subcommands([](CLI::App*) { return true; })) {
        if (c->get_name() == a) sub = c;
      }
      if (sub) {
        at = sub;
        path += " " + a;
        continue;
      }
      if (at->get_require_subcommand_min() > 0) {
        std::string names;
        for (auto* c : at->get_subcommands([](CLI::App*) { return true; })) names += (names.empty() ? "" : ", ") + c->get_name();
        std::fprintf(stderr, "error: unknown command '%s' for `%s` (one of: %s)\n", a.c_str(), path.c_str(), names.c_str());
        return exit_usage;
      }
      break;
    }
    std::fprintf(stderr, "error: %s (see `tessera --help`, or `--help` after the command)\n", e.what());
    return exit_usage;
  } catch (const tessera::store_error&) {
    try {
      rethrow_store_error(resolve_profile(g));
    } catch (const error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "error: %s\n", e.what());
      return e.status();
    }
  } catch (const error& e) {
    std::fflush(stdout);
    if (*e.what()) std::fprintf(stderr, "error: %s\n", e.what());
    return e.status();
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "error: %s\n", e.what());
    return exit_failure;
  }
  return 0;
}
