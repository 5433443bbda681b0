// Where a command reads from: a running node (--node URL) or a data dir
// (--data DIR, opened read-only). Exactly one; the node is the default.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "events/expected.hpp"
#include "storage/event_log.hpp"
#include "tools/event_filter.hpp"
#include "tools/event_reader.hpp"
#include "tools/node_client.hpp"

namespace sn::tools {

struct source_options {
  std::string node;  ///< --node URL ("" = default_node_url() unless --data)
  std::string data;  ///< --data DIR
};

void add_source_options(CLI::App& cmd, source_options& s);

struct opened_source {
  std::unique_ptr<storage::event_log> log;  ///< set for --data
  std::optional<node_client> node;          ///< set otherwise
  std::unique_ptr<event_reader> reader;
};

/// Opens the source; `filter` is applied by its reader.
expected<opened_source> open_source(const source_options& s, const event_filter& filter);

} // namespace sn::tools
