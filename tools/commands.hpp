// storectl's subcommands. Each add_* registers one command (its options, its
// --help text with examples, its callback) on the root app; the callback stores
// the process exit code in the context. main.cpp only wires them.
#pragma once

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "events/expected.hpp"
#include "tools/errc.hpp"
#include "tools/event_filter.hpp"
#include "tools/node_client.hpp"
#include "tools/terminal.hpp"

namespace sn::tools {

/// Shared state of one storectl run.
struct cli_context {
  int exit_code = exit_ok;
  bool no_color = false;     ///< --no-color (global)
  palette out_palette() const { return palette::for_stream(stdout, no_color ? colour_mode::never : colour_mode::auto_detect); }
};

/// Prints "storectl: <message>" on stderr and returns exit_failed.
int report_error(const sn::error& e);

/// --node, defaulting to $STORECTL_NODE, then node_client::default_url.
std::string default_node_url();

/// Adds --type/--origin/--since/--until/--term to `cmd`, bound to `f`.
void add_filter_options(CLI::App& cmd, filter_options& f, bool with_term = true);

void add_status_command(CLI::App& app, cli_context& ctx);
void add_events_command(CLI::App& app, cli_context& ctx);
void add_replay_command(CLI::App& app, cli_context& ctx);
void add_diff_command(CLI::App& app, cli_context& ctx);
void add_audit_command(CLI::App& app, cli_context& ctx);
void add_elections_command(CLI::App& app, cli_context& ctx);
void add_projections_command(CLI::App& app, cli_context& ctx);
void add_export_command(CLI::App& app, cli_context& ctx);
void add_master_command(CLI::App& app, cli_context& ctx);
void add_backup_command(CLI::App& app, cli_context& ctx);
void add_login_command(CLI::App& app, cli_context& ctx);
void add_staff_command(CLI::App& app, cli_context& ctx);
void add_ca_command(CLI::App& app, cli_context& ctx);
void add_devices_command(CLI::App& app, cli_context& ctx);

} // namespace sn::tools
