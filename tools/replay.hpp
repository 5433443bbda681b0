// Rebuilding the retail projections from a log, read-only, into memory (the
// scratch state of `storectl replay` and `storectl diff`): never the node's
// live projection state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "actors/retail/views.hpp"
#include "events/expected.hpp"
#include "storage/event_log.hpp"

namespace sn::tools {

struct replay_options {
  std::optional<std::uint64_t> until_ms;        ///< only events with HLC wall time <= this
  std::optional<std::uint64_t> until_position;  ///< only events at positions <= this
  retail::store_settings settings;              ///< must match the store's (its zone: days of schema 1 sales)
  /// Only these event type ids (empty: all). diff/elections use it to skip the bulk.
  std::vector<std::uint16_t> only_types;
  /// Called every progress_interval_events events with (scanned, total).
  std::function<void(std::uint64_t, std::uint64_t)> on_progress;
};

/// Events between two on_progress calls: the progress bar costs one call per batch.
constexpr std::uint64_t progress_interval_events = 4096;

struct replay_result {
  std::unique_ptr<retail::views> views;
  std::uint64_t scanned = 0;        ///< log entries read
  std::uint64_t folded = 0;         ///< events handed to views::apply
  std::uint64_t last_position = 0;  ///< highest position read
  double seconds = 0;
};

/// Scans the log from position 1 and folds it. An error when an entry does
/// not decode (the log is damaged: run audit verify) or the read fails.
expected<replay_result> replay_log(const storage::event_log& log, const replay_options& o);

/// One projection as JSON, by name (catalog, inventory, sales, daily, devices,
/// elections, audit); nullopt for an unknown name.
std::optional<nlohmann::json> projection_view(const retail::views& v, const std::string& name);

/// The names projection_view knows, comma-separated (for error messages).
std::string projection_name_list();

} // namespace sn::tools
