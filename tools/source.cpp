#include "tools/source.hpp"

#include "tools/commands.hpp"
#include "tools/data_dir.hpp"

namespace sn::tools {

void add_source_options(CLI::App& cmd, source_options& s) {
  cmd.add_option("--node", s.node, "a running node's HTTP address (default $STORECTL_NODE or http://127.0.0.1:8080)")
      ->type_name("URL");
  cmd.add_option("--data", s.data, "read a data dir directly (read-only; safe while its node runs)")
      ->type_name("DIR");
}

expected<opened_source> open_source(const source_options& s, const event_filter& filter) {
  opened_source o;
  if (!s.data.empty() && !s.node.empty()) {
    return make_error(errc::usage, "give either --node or --data, not both");
  }
  if (!s.data.empty()) {
    auto log = open_data_dir(s.data);
    if (!log) return log.error();
    o.log = std::move(*log);
    o.reader = make_log_reader(*o.log, filter);
    return o;
  }
  auto node = node_client::make(s.node.empty() ? default_node_url() : s.node);
  if (!node) return node.error();
  o.node = *node;
  o.reader = make_node_reader(*node, filter);
  return o;
}

} // namespace sn::tools
