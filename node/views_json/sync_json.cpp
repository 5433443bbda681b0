#include "node/views_json/sync_json.hpp"

#include "events/hlc.hpp"

namespace sn::node {

using json = nlohmann::json;

json sync_json(const actors::sync_report& r) {
  const auto& s = r.status;
  json j;
  j["status"] = sync::to_string(s.state);
  j["pending_changes"] = s.pending_changes;
  j["last_sync_ms"] = s.last_sync_ms;
  j["last_error"] = s.last_error.empty() ? json(nullptr) : json(s.last_error);
  j["last_error_ms"] = s.last_error_ms;
  j["hub"] = s.hub ? json(*s.hub) : json(nullptr);
  j["is_hub"] = s.is_hub;
  j["syncing_with"] = s.syncing_with ? json(*s.syncing_with) : json(nullptr);
  j["ahead_events"] = s.ahead_events;
  j["appends_in_flight"] = s.appends_in_flight;
  const auto& c = s.counters;
  j["counters"] = json{{"rounds_started", c.rounds_started},   {"rounds_completed", c.rounds_completed},
                       {"rounds_failed", c.rounds_failed},     {"events_sent", c.events_sent},
                       {"events_received", c.events_received}, {"events_published", c.events_published},
                       {"duplicates", c.duplicates},           {"refused_gap", c.refused_gap},
                       {"refused_fork", c.refused_fork},       {"refused_bad_hash", c.refused_bad_hash},
                       {"refused_own_origin", c.refused_own_origin}, {"gap_requests", c.gap_requests},
                       {"malformed", c.malformed},             {"ahead_dropped", c.ahead_dropped},
                       {"refused_clock_skew", c.refused_clock_skew}, {"skew_waiting", c.skew_waiting},
                       {"refused_unknown_origin", c.refused_unknown_origin}, {"refused_revoked", c.refused_revoked},
                       {"refused_bad_signature", c.refused_bad_signature}, {"refused_unsigned", c.refused_unsigned}, {"refused_broken_chain", c.refused_broken_chain},
                       {"awaiting_signature", c.awaiting_signature}, {"signatures_verified", c.signatures_verified}};
  // The seed's sync_state rows: this device first, then every peer.
  json devices = json::array();
  devices.push_back({{"device_id", r.self},
                     {"status", sync::to_string(s.state)},
                     {"last_sync_ms", j["last_sync_ms"]},
                     {"pending_changes", s.pending_changes},
                     {"last_error", j["last_error"]}});
  for (std::size_t i = 0; i < s.peers.size(); ++i) {
    const auto& p = s.peers[i];
    devices.push_back({{"device_id", i < r.peer_devices.size() ? r.peer_devices[i] : p.peer},
                       {"address", p.peer},
                       {"status", p.reachable ? "reachable" : "offline"},
                       {"is_hub", p.is_hub},
                       {"last_seen_ms", p.last_seen_ms},
                       {"last_sync_ms", p.last_sync_ms},
                       {"version_vector", p.versions},
                       {"events_sent", p.events_sent},
                       {"events_received", p.events_received}});
  }
  j["devices"] = std::move(devices);
  json audit = json::array();
  for (const auto& a : r.audit) {
    audit.push_back({{"device_id", a.peer},  // journaled before the peer's id was known: its address
                     {"operation", a.operation},
                     {"count", a.count},
                     {"result", a.ok ? "ok" : "failed"},
                     {"error", a.error.empty() ? json(nullptr) : json(a.error)},
                     {"time_ms", a.time_ms}});
  }
  j["audit"] = std::move(audit);
  // The max-offset rule (docs/api.md, /v1/status "clock"): the hold furthest ahead.
  json warning = nullptr;
  if (s.skew_warning) {
    const auto& w = *s.skew_warning;
    warning = json{{"peer", w.peer},
                   {"origin", w.origin},
                   {"seq", w.seq},
                   {"ahead_ms", w.ahead_ms},
                   {"since", hlc_timestamp::from_parts(w.since_wall_ms, 0).to_rfc3339()},
                   {"since_ms", w.since_wall_ms},
                   {"in_range_at", hlc_timestamp::from_parts(w.in_range_wall_ms, 0).to_rfc3339()},
                   {"held_origins", s.skew_holds.size()}};
  }
  j["clock"] = json{{"max_skew_ms", s.max_skew_ms}, {"skew_warning", warning}};
  return j;
}

}  // namespace sn::node
