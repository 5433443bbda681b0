// Rebuilding the projections from a data dir's log, read-only, into a
// scratch state (scratch_state.hpp: a temporary RocksDB folded through the
// node's projection set): the state of `storectl replay`, of a data dir side
// of `storectl diff` and of `elections`/`audit log --data`; never the node's
// live projection state. Views are rendered with the node's own JSON
// (node/views_json), page by page.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "events/expected.hpp"
#include "events/time_zone.hpp"
#include "storage/event_log.hpp"
#include "tools/scratch_state.hpp"

namespace sn::tools {

struct replay_options {
  std::optional<std::uint64_t> until_ms;        ///< only events with HLC wall time <= this
  std::optional<std::uint64_t> until_position;  ///< only events at positions <= this
  /// Only these event type ids (empty: all). elections/audit --data use it to
  /// skip the bulk (their projection ignores every other type).
  std::vector<std::uint16_t> only_types;
  /// Called every progress_interval_events events with (scanned, total).
  std::function<void(std::uint64_t, std::uint64_t)> on_progress;
};

/// Events between two on_progress calls: the progress bar costs one call per batch.
constexpr std::uint64_t progress_interval_events = 4096;
/// Events folded between two writes of the scratch state (one RocksDB batch
/// each): bounds the set's pending rows, amortises the write.
constexpr std::uint64_t fold_batch_events = 16384;

struct replay_result {
  std::uint64_t scanned = 0;          ///< log entries read
  std::uint64_t folded = 0;           ///< events handed to the projection set
  std::uint64_t last_position = 0;    ///< highest position read
  std::uint64_t skipped_unknown = 0;  ///< folded events of a type this build does not know
  std::uint64_t parked = 0;           ///< folded events some projection parked
  double seconds = 0;
};

/// Scans the log from position 1 and folds it into `state` (fresh). An error
/// when an entry does not decode (the log is damaged: run audit verify), the
/// read or the scratch write fails, or a signal interrupts it.
expected<replay_result> replay_log(const storage::event_log& log, const replay_options& o, scratch_state& state);

/// A data dir's log (open read-only) folded into its scratch state.
struct replayed_dir {
  std::unique_ptr<storage::event_log> log;
  std::unique_ptr<scratch_state> state;
  replay_result result;
};

/// Opens `dir` (open_data_dir), creates the scratch state (refused inside
/// `dir`: a replay never writes a data dir) and folds the log into it.
expected<replayed_dir> replay_data_dir(const std::string& dir, const replay_options& o,
                                       const scratch_state::options& so);

/// True when `child` is `parent` or lies inside it (paths resolved).
bool path_inside(const std::string& child, const std::string& parent);

/// The store's zone for the days of schema 1 sales and returns (newer ones
/// carry their day): --time-zone NAME from the system tzdata, the deprecated
/// --utc-offset MIN, else UTC. errc::usage for an unknown name.
expected<sn::time_zone> store_zone(const std::string& name, std::int32_t utc_offset_minutes);

/// The projections of this build, in the set's order.
const std::vector<std::string>& projection_names();
/// The same, comma-separated (help and error messages).
std::string projection_name_list();
bool known_projection(const std::string& name);

/// Writes projection `name`'s whole view as JSON (the node's shapes: GET
/// /v1/products, /v1/inventory, /v1/sales, /v1/reports/daily, /v1/devices,
/// /v1/elections, /v1/audit, every page: the list holds every item, count is
/// the whole list's, next_cursor null), streaming the list page by page so a
/// large view is never whole in memory. indent < 0: compact, else pretty.
status write_view(std::FILE* out, const projections::row_reader& rows, const std::string& name, int indent);

/// Calls fn with each item of projection `name`'s list view (node JSON),
/// page by page; fn returns false to stop. Lists only (not daily).
void for_each_list_item(const projections::row_reader& rows, const std::string& name,
                        const std::function<bool(const nlohmann::json&)>& fn);

} // namespace sn::tools
