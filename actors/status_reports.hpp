// What the election and sync actors answer about themselves (status_atom,
// master_atom): typed values, rendered as JSON and mapped to HTTP statuses
// by node/ (node/views_json/cluster_json, sync_json) — no JSON text and no
// HTTP status crosses the actors (issue 12, typed edges).
//
// In-process only (registered in atoms.hpp as unsafe message types); free of
// CAF so that node/ can read them without CAF headers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/election/types.hpp"
#include "actors/sync/types.hpp"

namespace sn::actors {

/// GET /v1/cluster: the election state machine's view, and the steady clock
/// (ms) when it was taken (the peers' last_heard_ms are on that clock).
struct election_report {
  election::state_view view;
  std::uint64_t now_ms = 0;
};

/// POST /v1/cluster/master: what the election actor did with a manual
/// override of the master (node/ maps it to 202, 404 or 409).
struct master_override {
  enum class outcome : std::uint8_t { accepted, unknown_device, refused };
  outcome result = outcome::refused;
  std::string device_id;
  std::string message;  ///< why it was refused ("" when accepted)
};

/// One push / pull row of the sync audit (the seed's sync_audit_log).
struct sync_audit_row {
  std::string device_id;  ///< the peer's device id (its address when it was journaled before the id was known)
  std::string operation;  ///< "push" or "pull"
  std::uint64_t count = 0;
  bool ok = true;
  std::string error;  ///< "" when ok
  std::uint64_t time_ms = 0;  ///< wall clock
};

/// GET /v1/sync and /v1/status "sync": the sync state machine's status with
/// peer addresses named by device and every time on the wall clock.
struct sync_report {
  std::string self;           ///< this device
  sync::sync_status status;   ///< its peers' last_seen_ms / last_sync_ms are wall-clock ms (0: never)
  /// This run's last completed round, else the journal's (kept across restarts); wall ms, 0: never.
  std::uint64_t last_sync_ms = 0;
  /// This run's last error, else the journal's; nullopt: none.
  std::optional<std::string> last_error;
  std::uint64_t last_error_ms = 0;  ///< wall ms
  std::optional<std::string> hub_device;           ///< status.hub by device id
  std::optional<std::string> syncing_with_device;  ///< status.syncing_with by device id
  std::vector<std::string> peer_devices;           ///< the device id of each of status.peers (same order)
  std::string skew_warning_peer_device;            ///< status.skew_warning's peer by device id
  std::vector<sync_audit_row> audit;               ///< oldest first
};

}  // namespace sn::actors
