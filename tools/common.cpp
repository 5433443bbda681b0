#include <cstdlib>

#include "tools/commands.hpp"

namespace sn::tools {

int report_error(const sn::error& e) {
  std::fflush(stdout);
  std::fprintf(stderr, "storectl: %s\n", e.message.c_str());
  return exit_failed;
}

std::string default_node_url() {
  const char* env = std::getenv("STORECTL_NODE");
  return env != nullptr && env[0] != '\0' ? std::string(env) : std::string(node_client::default_url);
}

void add_filter_options(CLI::App& cmd, filter_options& f, bool with_term) {
  cmd.add_option("--type", f.type_glob, "only events whose type matches this glob, e.g. 'sale.*'")
      ->type_name("GLOB");
  cmd.add_option("--origin", f.origin, "only events written by this device")->type_name("ID");
  cmd.add_option("--since", f.since, "only events at or after T (RFC 3339 or relative: -15m, -2h, -1d)")
      ->type_name("T");
  cmd.add_option("--until", f.until, "only events at or before T (RFC 3339 or relative)")->type_name("T");
  if (with_term) cmd.add_option("--term", f.term, "only events written in this master term")->type_name("N");
}

} // namespace sn::tools
