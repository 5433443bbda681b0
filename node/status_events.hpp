// The node status kinds of the SSE stream (docs/api.md "Named event kinds"):
// what is not in the event log but a front end must show at once —
// `role.changed`, `device.online`, `device.offline`, `sync.status`. A stream
// takes a snapshot of the election's and sync's status every
// `status_poll_interval` and sends what changed since its previous one.
//
// Pure: JSON in, JSON out, no clock, no actor (unit-tested in
// tests/unit/node/status_events_test.cpp). Thread: the caller's.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sn::node {

/// How often a stream looks at the node's status: notices reach the console
/// within this plus the delivery time (issue 11 asks for under a second).
constexpr auto status_poll_interval = std::chrono::milliseconds(250);

/// Names of the kinds, as sent in the SSE `event:` field.
inline constexpr const char* kind_role_changed = "role.changed";
inline constexpr const char* kind_device_online = "device.online";
inline constexpr const char* kind_device_offline = "device.offline";
inline constexpr const char* kind_sync_status = "sync.status";

/// True for a kind above (not a log event type).
bool is_status_kind(const std::string& kind);

/// What a stream remembers of the node's status.
struct status_snapshot {
  std::string device_id;
  std::string role;
  std::optional<std::string> master;
  std::uint64_t term = 0;
  std::map<std::string, bool> peers_alive;  ///< device id -> alive
  std::map<std::string, std::int64_t> peers_last_seen_ms_ago;
  std::string sync_status;  ///< synced, pending, offline, error, standalone
  std::uint64_t pending_changes = 0;
  std::uint64_t last_sync_ms = 0;
  std::optional<std::string> last_error;
};

/// From the election's status JSON (`cluster`, empty without election) and
/// the sync actor's (`sync`, empty without sync).
status_snapshot snapshot_of(const std::string& device_id, const nlohmann::json& cluster, const nlohmann::json& sync);

struct status_change {
  std::string kind;
  nlohmann::json data;
};

/// What changed from `before` to `now`; with no `before` (a stream's first
/// look) the current `role.changed` and `sync.status`, so a client starts
/// from the truth. Order: role, devices (by id), sync.
std::vector<status_change> status_changes(const std::optional<status_snapshot>& before, const status_snapshot& now);

}  // namespace sn::node
