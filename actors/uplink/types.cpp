#include "actors/uplink/types.hpp"

#include <charconv>

#include "events/types.hpp"

namespace sn::uplink {

namespace {
constexpr const char* prefix = "storenode.";
constexpr const char* middle = ".events.";
constexpr std::size_t store_id_max = 64;

sn::error subject_error(std::string msg) { return sn::error{"uplink", 1, std::move(msg)}; }
} // namespace

bool valid_store_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > store_id_max) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string subject_of(std::string_view store, std::string_view origin) {
  std::string s(prefix);
  s.append(store).append(middle).append(origin);
  return s;
}

std::string store_subjects(std::string_view store) { return subject_of(store, "*"); }

std::string message_id(std::string_view store, std::string_view origin, std::uint64_t seq) {
  std::string s(store);
  s.append(":").append(origin).append(":").append(std::to_string(seq));
  return s;
}

std::string default_stream(std::string_view store) { return "storenode_" + std::string(store); }

expected<subject_parts> parse_subject(std::string_view subject) {
  const std::string_view p(prefix);
  if (subject.substr(0, p.size()) != p) return subject_error("subject does not start with storenode.");
  const auto rest = subject.substr(p.size());
  const auto mid = rest.find(middle);
  if (mid == std::string_view::npos) return subject_error("subject is not storenode.<store>.events.<origin>");
  subject_parts parts{std::string(rest.substr(0, mid)), std::string(rest.substr(mid + std::string_view(middle).size()))};
  if (!valid_store_id(parts.store)) return subject_error("subject names an invalid store id");
  if (!sn::valid_device_id(parts.origin)) return subject_error("subject names an invalid origin");
  return parts;
}

status uplink_config::validate() const {
  auto bad = [](std::string m) { return status(sn::error{"uplink", 2, std::move(m)}); };
  if (in_flight_max < 1 || in_flight_max > 65536) return bad("in_flight_max must be in [1, 65536]");
  if (batch_events_max < 1 || batch_events_max > in_flight_max) return bad("batch_events_max must be in [1, in_flight_max]");
  if (retry_ms < 10 || retry_ms > 600000) return bad("retry_ms must be in [10, 600000]");
  if (ack_timeout_ms < 100 || ack_timeout_ms > 600000) return bad("ack_timeout_ms must be in [100, 600000]");
  return status::ok();
}

const char* to_string(publish_error e) noexcept {
  switch (e) {
    case publish_error::wrong_last_sequence: return "wrong_last_sequence";
    case publish_error::timeout: return "timeout";
    case publish_error::not_connected: return "not_connected";
    case publish_error::other: return "other";
  }
  return "unknown";
}

const char* to_string(uplink_state s) noexcept {
  switch (s) {
    case uplink_state::standby: return "standby";
    case uplink_state::resyncing: return "resyncing";
    case uplink_state::streaming: return "streaming";
    case uplink_state::backoff: return "backoff";
  }
  return "unknown";
}

} // namespace sn::uplink
