// storectl: the operator's tool (tools/README.md, docs/operations.md).
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "tools/commands.hpp"
#include "tools/completion.hpp"
#include "version/version.hpp"

namespace {

constexpr const char* root_help = R"(storectl: inspect, replay, audit and operate storenode event logs.

Talks to a running node over HTTP (--node URL, default $STORECTL_NODE or
http://127.0.0.1:8080) or opens a data dir read-only (--data DIR), which is
safe while a node runs on it.

Examples:
  storectl status
  storectl events tail --follow --type 'sale.*'
  storectl events show POS1:42 --data /var/lib/storenode
  storectl audit verify --data /var/lib/storenode
  storectl replay --data /var/lib/storenode --until 2026-11-24T18:00:00+01:00 --projection inventory
  storectl backup --data /var/lib/storenode --to /var/backups/storenode/today

Exit codes: 0 ok; 1 a problem was found (tamper, gap, fork, digests differ,
unhealthy node); 2 could not read the data dir, reach the node, or bad usage.
Colour only on a terminal; --no-color or NO_COLOR=1 turn it off.)";

} // namespace

int main(int argc, char** argv) {
  using namespace sn::tools;
  CLI::App app{root_help, "storectl"};
  app.require_subcommand(1);
  app.get_formatter()->column_width(34);
  app.set_help_all_flag("--help-all", "print the help of every command and exit");
  app.set_version_flag("--version", sn::version::version_text("storectl"), "print the version and git commit and exit");
  app.fallthrough();  // --no-color is accepted after the subcommand too
  cli_context ctx;
  app.add_flag("--no-color", ctx.no_color, "no ANSI colour even on a terminal (NO_COLOR=1 does the same)");
  add_status_command(app, ctx);
  add_events_command(app, ctx);
  add_replay_command(app, ctx);
  add_diff_command(app, ctx);
  add_audit_command(app, ctx);
  add_elections_command(app, ctx);
  add_projections_command(app, ctx);
  add_export_command(app, ctx);
  add_master_command(app, ctx);
  add_backup_command(app, ctx);
  add_login_command(app, ctx);
  add_staff_command(app, ctx);
  add_devices_command(app, ctx);
  add_ca_command(app, ctx);
  app.add_option_function<std::string>("--ca", [](const std::string& p) { node_client::set_ca_file(p); },
                                       "the store CA certificate an https:// node is verified against (default "
                                       "$STORENODE_CA, else $XDG_CONFIG_HOME/storenode/ca.crt)")
      ->type_name("FILE");
  // The build writes share/bash-completion/completions/storectl with this (not in --help).
  if (argc == 2 && std::string(argv[1]) == "--print-bash-completion") {
    std::fputs(sn::tools::bash_completion(app, "storectl").c_str(), stdout);
    return exit_ok;
  }
  // A mistyped command gets a clearer message than CLI11's "A subcommand is required".
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--ca") {  // its value is a file, not a command
      ++i;
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;
    try {
      app.get_subcommand(arg);
    } catch (const CLI::OptionNotFound&) {
      std::string names;
      for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) names += " " + sub->get_name();
      std::fprintf(stderr, "storectl: unknown command '%s'; commands:%s (storectl --help)\n", arg.c_str(), names.c_str());
      return exit_failed;
    }
    break;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and usage on stderr
    return exit_failed;
  }
  std::fflush(stdout);
  return ctx.exit_code;
}
