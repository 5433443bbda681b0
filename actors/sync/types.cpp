#include "actors/sync/types.hpp"

#include "actors/sync/errc.hpp"

namespace sn::sync {

const char* to_string(message_type t) noexcept {
  switch (t) {
    case message_type::live_events: return "live_events";
    case message_type::sync_request: return "sync_request";
    case message_type::sync_reply: return "sync_reply";
  }
  return "unknown";
}

const char* to_string(sync_state s) noexcept {
  switch (s) {
    case sync_state::synced: return "synced";
    case sync_state::pending: return "pending";
    case sync_state::offline: return "offline";
    case sync_state::error: return "error";
    case sync_state::standalone: return "standalone";
  }
  return "unknown";
}

const char* to_string(audit_operation o) noexcept {
  switch (o) {
    case audit_operation::push: return "push";
    case audit_operation::pull: return "pull";
  }
  return "unknown";
}

namespace {
template <class T>
bool in_range(T v, T lo, T hi) {
  return v >= lo && v <= hi;
}
status out_of_range(const char* field, std::uint64_t v, std::uint64_t lo, std::uint64_t hi) {
  return make_error(errc::invalid_config, std::string("sync.") + field + " = " + std::to_string(v) + " not in [" +
                                              std::to_string(lo) + ", " + std::to_string(hi) + "]");
}
} // namespace

status sync_config::validate() const {
  struct rule {
    const char* name;
    std::uint64_t value, lo, hi;
  };
  const rule rules[] = {
      {"tick_interval_ms", tick_interval_ms, 10, 1000},
      {"sync_interval_ms", sync_interval_ms, 50, 600000},
      {"request_timeout_ms", request_timeout_ms, 50, 600000},
      {"request_timeout_min_ms", request_timeout_min_ms, 10, request_timeout_ms},
      {"peer_timeout_ms", peer_timeout_ms, 50, 600000},
      {"gap_retry_ms", gap_retry_ms, 10, 60000},
      {"batch_events_max", batch_events_max, 1, message_events_max},
      {"batch_bytes_max", batch_bytes_max, 1024, message_bytes_max / 2},
      {"live_batch_events_max", live_batch_events_max, 1, message_events_max},
      {"live_batch_bytes_max", live_batch_bytes_max, 1024, message_bytes_max / 2},
      {"ahead_events_max", ahead_events_max, 1, 1000000},
      {"ahead_bytes_max", ahead_bytes_max, 1024, std::uint64_t{1} << 30},
      {"audit_entries_max", audit_entries_max, 1, 100000},
      {"peers_max", peers_max, 1, 1024},
      {"max_skew_ms", max_skew_ms, 10, 604800000},
      {"skew_retry_min_ms", skew_retry_min_ms, 10, 600000},
      {"skew_retry_max_ms", skew_retry_max_ms, skew_retry_min_ms, 3600000},
  };
  for (const rule& r : rules) {
    if (!in_range(r.value, r.lo, r.hi)) return out_of_range(r.name, r.value, r.lo, r.hi);
  }
  return status::ok();
}

} // namespace sn::sync
