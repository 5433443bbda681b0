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
#include "actors/sync/sync_journal.hpp"
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

/// GET /v1/sync and /v1/status "sync": the sync state machine's status as
/// people read it — peers, hub, partner and clock-skew peer named by device
/// id, every time on the wall clock (0: never), the last round and error
/// this run's or else the journal's (kept across restarts) — and the push /
/// pull audit rows.
struct sync_report {
  std::string self;                       ///< this device
  sync::sync_status status;               ///< as above; each peer's `peer` stays its address
  std::vector<std::string> peer_devices;  ///< the device id of each of status.peers (same order)
  std::vector<sync::journal_row> audit;   ///< oldest first (the seed's sync_audit_log)
};

}  // namespace sn::actors
