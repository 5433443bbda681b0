// The HTTP API's queries (docs/api.md): each reads one projection's rows
// straight from RocksDB on the calling HTTP thread — no actor hop — and
// renders the typed result as JSON (node/views_json). Pure of httplib and CAF:
// routes hand in the path parameter and a query-parameter lookup.
//
// Every query first waits until its projection has folded everything the log
// held when it started (fold_progress: read your writes, bounded wait), then
// reads through one RocksDB snapshot, so a reply never mixes two fold batches.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "node/api_error.hpp"

namespace sn::storage {
class event_log;
class projection_store;
}  // namespace sn::storage
namespace sn::actors {
class fold_progress;
}
namespace sn::projections::staff {
struct staff_credentials;
}

namespace sn::node {

/// A query parameter by name (nullopt: absent or empty).
using param_lookup = std::function<std::optional<std::string>(const char* name)>;

class query_service {
 public:
  query_service(const storage::projection_store& rows, actors::fold_progress& progress, const storage::event_log& log);

  api_result<nlohmann::json> products(const param_lookup& q) const;
  api_result<nlohmann::json> product(const std::string& sku) const;
  /// low=true|1: only items at or below their low-stock threshold.
  api_result<nlohmann::json> inventory(const param_lookup& q) const;
  api_result<nlohmann::json> inventory_item(const std::string& sku) const;
  /// day, device, staff (who rang it; with day, not with device), limit, cursor.
  api_result<nlohmann::json> sales(const param_lookup& q) const;
  api_result<nlohmann::json> sale(const std::string& receipt) const;
  /// day (default: the newest with figures), device.
  api_result<nlohmann::json> daily_report(const param_lookup& q) const;
  api_result<nlohmann::json> devices(const param_lookup& q) const;
  api_result<nlohmann::json> device(const std::string& id) const;
  api_result<nlohmann::json> elections(const param_lookup& q) const;
  /// limit, cursor: staff not removed, by id (no PIN hash: staff_info has none).
  api_result<nlohmann::json> staff_list(const param_lookup& q) const;
  api_result<nlohmann::json> staff_member(const std::string& id) const;
  /// device, op, since, until (ms since the epoch), limit, cursor: the
  /// conflict resolutions (the sync rows are added by the route).
  api_result<nlohmann::json> audit(const param_lookup& q) const;
  /// The statuses an audit row has: "resolved" (a conflict resolution),
  /// "ok" and "failed" (a sync round's push or pull).
  static bool audit_status_known(std::string_view status);

  /// {"projections": {name: digest hex}, "positions": {name: position}}:
  /// O(1) per projection (its stored total).
  nlohmann::json digests() const;
  /// One projection's 256 bucket digests (storectl diff descends into the
  /// buckets that differ between two nodes).
  api_result<nlohmann::json> buckets(const std::string& projection) const;
  /// The rows of one bucket: key (hex) and BLAKE2b-256 of the value (hex),
  /// in key order, paged (limit, cursor). Walks the projection's rows (an
  /// operator's tool, not a hot path).
  api_result<nlohmann::json> bucket_rows(const std::string& projection, const std::string& bucket,
                                         const param_lookup& q) const;

  /// The sign-in and approval check's read of one person (holds the PIN
  /// hash: node/auth.cpp is its only caller; nothing renders it). Fenced
  /// like every query, so a person added a moment ago can sign in.
  std::optional<projections::staff::staff_credentials> staff_credentials(const std::string& id) const;
  /// People listed (not removed): the admin bootstrap runs only at 0.
  std::size_t staff_count() const;

 private:
  /// Names the staff (and approver) of the writes a conflict row judged:
  /// staff_id / approver_id of the winner, loser_staff_id /
  /// loser_approver_id of the loser (null: unattributed or not held here).
  void with_attribution(nlohmann::json& row) const;

  struct reader;
  /// Waits for projection `name` to catch up with the log, then pins a snapshot.
  std::unique_ptr<reader> read(std::string_view name) const;

  const storage::projection_store& rows_;
  actors::fold_progress& progress_;
  const storage::event_log& log_;
};

} // namespace sn::node
