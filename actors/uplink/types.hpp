// Vocabulary of the uplink (ARCHITECTURE.md §10, docs/protocol.md §7): the
// subject and message-id rules, the configuration, the stream position a
// resync finds, and the outputs of the pure core. Pure: no CAF, no NATS, no
// RocksDB, no clock.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "events/expected.hpp"

namespace sn::uplink {

/// Subject of one origin's events: "storenode.<store>.events.<origin>".
std::string subject_of(std::string_view store, std::string_view origin);
/// Every origin subject of a store: "storenode.<store>.events.*".
std::string store_subjects(std::string_view store);
/// Message id (Nats-Msg-Id) of one event: "<store>:<origin>:<seq>".
std::string message_id(std::string_view store, std::string_view origin, std::uint64_t seq);
/// The default stream of a store: "storenode_<store>".
std::string default_stream(std::string_view store);

/// The (store, origin) a subject names; error unless it is exactly
/// storenode.<store>.events.<origin> with a valid store id and device id.
struct subject_parts {
  std::string store;
  std::string origin;
};
expected<subject_parts> parse_subject(std::string_view subject);

/// A store id is a subject token and part of a stream name: 1..64 characters
/// of [A-Za-z0-9_-] (no '.', which would split the subject).
bool valid_store_id(std::string_view id) noexcept;

/// Header names (docs/protocol.md §7.2).
inline constexpr const char* header_msg_id = "Nats-Msg-Id";
inline constexpr const char* header_expected_last_subject_seq = "Nats-Expected-Last-Subject-Sequence";

/// JetStream's error code for a failed Nats-Expected-Last-* check.
inline constexpr int js_wrong_last_sequence = 10071;

/// Configuration of the core. Every field: unit, default, bounds (validate()).
struct uplink_config {
  /// Events published and not yet acknowledged, over all origins. Default 4096; 1..65536.
  std::uint64_t in_flight_max = 4096;
  /// Most events in one publish_range output. Default 512; 1..in_flight_max.
  std::uint64_t batch_events_max = 512;
  /// Wait before asking the stream again after a failed resync or a publish
  /// error other than a fence (connection lost, timeout). Default 1000 ms; 10..600000.
  std::uint64_t retry_ms = 1000;
  /// The oldest unacknowledged publish older than this starts a resync
  /// (a safety net: the adapter times acks out itself). Default 10000 ms; 100..600000.
  std::uint64_t ack_timeout_ms = 10000;
  status validate() const;
};

/// What the stream holds of one origin.
struct stream_origin {
  std::uint64_t seq = 0;          ///< highest origin seq stored on the origin's subject (0: none)
  std::uint64_t subject_seq = 0;  ///< the stream sequence of that message (0: none)
};

/// What a resync found: the stream's last sequence and, per origin subject,
/// its last genuine message. Origins absent hold nothing.
struct stream_position {
  std::uint64_t last_seq = 0;
  std::map<std::string, stream_origin> origins;
};

// --- outputs, carried out in order -------------------------------------------

/// Ask the stream where it stands; answer with on_resync(generation, ...) or
/// on_resync_failed(generation, ...).
struct resync_request {
  std::uint64_t generation = 0;
};

/// Publish events first_seq .. first_seq+count-1 of `origin` (bytes from the
/// log), in this order, after every earlier publish_range. Message i (0-based)
/// carries Nats-Expected-Last-Subject-Sequence = expected_for(i) and
/// Nats-Msg-Id = message_id(store, origin, first_seq + i). Report each outcome
/// with on_ack / on_publish_failed and this generation.
struct publish_range {
  std::uint64_t generation = 0;
  std::string origin;
  std::uint64_t first_seq = 0;
  std::uint64_t count = 0;
  std::uint64_t expected_subject_seq = 0;  ///< the subject's last stream sequence before message 0
  std::uint64_t first_stream_seq = 0;      ///< the stream sequence message 0 will get (this uplink is the stream's only writer)
  std::uint64_t expected_for(std::uint64_t i) const noexcept {
    return i == 0 ? expected_subject_seq : first_stream_seq + i - 1;
  }
};

/// Call on_tick at deadline_ms (replaces the previous timer).
struct set_timer {
  std::uint64_t deadline_ms = 0;
};

using output = std::variant<resync_request, publish_range, set_timer>;

/// Why a publish failed.
enum class publish_error : std::uint8_t {
  wrong_last_sequence = 1,  ///< the fence refused it: another writer moved the subject
  timeout = 2,              ///< no ack in time
  not_connected = 3,        ///< the connection is down or closed
  other = 4,                ///< any other server or client error
};
const char* to_string(publish_error e) noexcept;

/// Where the core stands.
enum class uplink_state : std::uint8_t {
  standby = 0,    ///< not the master: publishes nothing
  resyncing = 1,  ///< asked the stream where it stands
  streaming = 2,  ///< publishing from the log
  backoff = 3,    ///< waiting retry_ms after a failure
};
const char* to_string(uplink_state s) noexcept;

struct uplink_counters {
  std::uint64_t published = 0;        ///< events handed to the adapter
  std::uint64_t acked = 0;            ///< events the stream acknowledged as new
  std::uint64_t duplicates = 0;       ///< acks saying the stream already held the event
  std::uint64_t fenced = 0;           ///< publishes refused by the expected-sequence fence
  std::uint64_t publish_errors = 0;   ///< other publish failures (timeout, connection)
  std::uint64_t resyncs = 0;          ///< resync requests
  std::uint64_t resync_failures = 0;
  std::uint64_t stale_reports = 0;    ///< acks/errors of an older generation, ignored
};

struct uplink_status {
  uplink_state state = uplink_state::standby;
  std::uint64_t generation = 0;
  std::uint64_t lag_events = 0;   ///< events of the log the stream is not known to hold
  std::uint64_t in_flight = 0;
  std::uint64_t last_ack_ms = 0;  ///< the core's clock at the last ack; 0 never
  std::string last_error;
  std::map<std::string, std::uint64_t> acked;  ///< origin -> highest seq the stream is known to hold
  uplink_counters counters;
};

} // namespace sn::uplink
