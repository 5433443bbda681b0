// Vocabulary of the sync protocol (docs/protocol.md section 3): message types,
// the protocol version, configuration, the fsm's outputs, status and audit rows.
// Pure: no CAF, no ZeroMQ, no RocksDB.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "events/codec.hpp"
#include "events/event.hpp"
#include "events/expected.hpp"
#include "trust/signature.hpp"

namespace sn::sync {

/// Version of the sync message bodies. A body whose first element differs is
/// dropped and counted (unsupported_version). Bump on any incompatible change;
/// compatible additions append elements at the end of a body's array.
inline constexpr std::uint8_t protocol_version = 1;

/// The broker's message_type byte for sync messages. Values 10..29 belong to
/// sync (election uses 1..9). Never reuse a value.
enum class message_type : std::uint8_t {
  live_events = 10,   ///< publish: events the sender just appended (own, or relayed by the hub)
  sync_request = 11,  ///< direct: "here is my version vector, send me what I lack (bounded)"
  sync_reply = 12,    ///< direct: the responder's version vector + one bounded batch + more flag
};
inline constexpr std::uint8_t message_type_first = 10;
inline constexpr std::uint8_t message_type_last = 29;
/// True for 10..29: the range the broker should route to the sync actor.
constexpr bool is_sync_message_type(std::uint8_t t) noexcept {
  return t >= message_type_first && t <= message_type_last;
}
const char* to_string(message_type t) noexcept;

/// origin -> highest contiguous seq held (same shape as storage::version_vector).
using version_vector = std::map<std::string, std::uint64_t>;

// --- hard bounds of the wire format (not configurable: both sides must agree) --

/// Largest sync body accepted or produced. The broker's per-socket maximum
/// message size must be at least this plus its header.
inline constexpr std::size_t message_bytes_max = 4u << 20;
/// Most events one body may carry.
inline constexpr std::size_t message_events_max = 10000;
/// Most origins one version vector may carry.
inline constexpr std::size_t origins_max = 4096;

/// Configuration of one node's sync. Every field: unit suffix, default, bounds
/// (checked by validate()).
struct sync_config {
  /// How often the shell calls on_tick. Default 100 ms; 10..1000.
  std::uint64_t tick_interval_ms = 100;
  /// Period of the version-vector exchange with the sync partner. Default 1000 ms; 50..600000.
  std::uint64_t sync_interval_ms = 1000;
  /// A sync_request unanswered for 4 x the peer's smoothed round trip, within
  /// [request_timeout_min_ms, request_timeout_ms] (before the first sample:
  /// sync_fsm::request_timeout_first_ms doubled per re-send, at most this), is sent again; after sync_fsm::request_retries_max such retries
  /// the round fails. Default 3000 ms; 50..600000.
  std::uint64_t request_timeout_ms = 3000;
  /// Floor of the adaptive request timeout. Default 250 ms; 10..request_timeout_ms.
  std::uint64_t request_timeout_min_ms = 250;
  /// A peer not seen (peer_seen or any message) for this long is unreachable. Default 3000 ms; 50..600000.
  std::uint64_t peer_timeout_ms = 3000;
  /// Least time between two catch-up requests caused by a gap in live events. Default 250 ms; 10..60000.
  std::uint64_t gap_retry_ms = 250;
  /// Most events in one catch-up batch (asked for and served). Default 1000; 1..message_events_max.
  std::size_t batch_events_max = 1000;
  /// Most event bytes in one catch-up batch (a single larger event still travels,
  /// alone). Default 1 MiB; 1024..message_bytes_max/2.
  std::size_t batch_bytes_max = 1u << 20;
  /// Most events in one live_events message (larger appends are split). Default 1000; 1..message_events_max.
  std::size_t live_batch_events_max = 1000;
  /// Most event bytes in one live_events message (a single larger event still
  /// travels, alone). Default 1 MiB; 1024..message_bytes_max/2.
  std::size_t live_batch_bytes_max = 1u << 20;
  /// Most events held ahead of a gap (beyond the next contiguous seq). Default 10000; 1..1000000.
  std::size_t ahead_events_max = 10000;
  /// Most bytes held ahead of a gap. Default 16 MiB; 1024..1 GiB.
  std::size_t ahead_bytes_max = 16u << 20;
  /// Most rows kept in the in-memory push/pull audit log. Default 256; 1..100000.
  std::size_t audit_entries_max = 256;
  /// Most peers tracked; further peers are ignored (counted). Default 64; 1..1024.
  std::size_t peers_max = 64;
  /// When this node is the hub, republish live events received from others so
  /// clients that cannot see each other still get them live. Default true.
  bool hub_relays_live = true;
  /// The max-offset rule (docs/protocol.md 3.6): an event whose HLC wall time
  /// is more than this ahead of the receiver's wall clock is not appended (nor
  /// its origin's later events: chains are contiguous) and is asked for again
  /// once it would be in range. clock.max_skew_ms. Default 60000 ms; 10..604800000.
  std::uint64_t max_skew_ms = 60000;
  /// An origin held for clock skew is left out of catch-up requests for this
  /// long after a refusal, doubling on each further refusal up to
  /// skew_retry_max_ms, unless the wall clock reaches the point where the held
  /// event is in range first. Default 1000 ms; 10..600000.
  std::uint64_t skew_retry_min_ms = 1000;
  /// Ceiling of that back-off. Default 30000 ms; skew_retry_min_ms..3600000.
  std::uint64_t skew_retry_max_ms = 30000;
  /// Test harnesses only (unit tests and simulations of unsigned stores):
  /// accept, unsigned, the events of origins no enrollment names. The node
  /// always sets false (every device joins by enrollment, docs/protocol.md
  /// 3.3); there is no setting for it. Enrolled and revoked origins are
  /// checked whatever this says; this node's own origin is never taken from a peer.
  bool admit_unenrolled = true;

  /// Ok, or an error naming the first field out of bounds.
  [[nodiscard]] status validate() const;
};

// --- outputs -------------------------------------------------------------------

/// Send `body` to one peer (broker: direct, DEALER->ROUTER).
struct send_message {
  std::string peer;
  message_type type{};
  std::string body;
};
/// Publish `body` to every peer (broker: PUB).
struct publish_message {
  message_type type{};
  std::string body;
};
/// Append these remote events to the log, in this order, as one batch
/// (storage::event_log::append). For each origin they are contiguous and start
/// at the origin's next seq as the fsm believes it. The shell must call
/// on_appended (or on_append_failed) exactly once per append_events, in the
/// order they were emitted.
struct append_events {
  std::vector<sn::event> events;
  /// The covering origin signatures the gate verified: append them with the
  /// events (storage append_options::signatures), in the same write.
  std::vector<trust::origin_signature> signatures;
};
using output = std::variant<send_message, publish_message, append_events>;

// --- status, counters, audit -----------------------------------------------------

/// The seed's sync_state.status.
enum class sync_state : std::uint8_t {
  synced = 0,   ///< reachable, nothing pending, nothing known to be missing
  pending = 1,  ///< own events no other device is known to hold yet, or catching up
  offline = 2,  ///< no peer reachable
  error = 3,    ///< the last round failed (timeout, refused events); see last_error
  /// The store's only device: its keyring holds no other enrolled, unrevoked
  /// device and no peer was ever heard, so there is nothing to sync with
  /// (its own events are still counted pending: no other device holds them).
  standalone = 4,
};
const char* to_string(sync_state s) noexcept;

/// Monotonic counters since the fsm was built (exported to /metrics).
struct sync_counters {
  std::uint64_t rounds_started = 0;         ///< catch-up rounds begun (periodic, connect, gap, behind, sync_now)
  std::uint64_t rounds_completed = 0;       ///< rounds that ended with the partner reporting nothing more
  std::uint64_t rounds_failed = 0;          ///< rounds ended by timeout, lost peer, refusal or append failure
  std::uint64_t requests_sent = 0;          ///< sync_request messages sent
  std::uint64_t request_retries = 0;        ///< of which re-sent after a timeout
  std::uint64_t requests_served = 0;        ///< sync_request messages answered
  std::uint64_t replies_received = 0;       ///< sync_reply messages matching the round in progress
  std::uint64_t replies_stale = 0;          ///< sync_reply for an older round (its events are still used)
  std::uint64_t batches_sent = 0;           ///< sync_reply messages carrying at least one event
  std::uint64_t batches_received = 0;       ///< sync_reply messages received carrying at least one event
  std::uint64_t events_sent = 0;            ///< events sent in sync_reply messages
  std::uint64_t live_messages_published = 0;///< live_events messages published
  std::uint64_t events_published = 0;       ///< events in live_events messages published (own + relayed)
  std::uint64_t events_relayed = 0;         ///< of which relayed by the hub
  std::uint64_t live_messages_received = 0; ///< live_events messages received
  std::uint64_t events_received = 0;        ///< remote events the log reported appended
  std::uint64_t duplicates = 0;             ///< events dropped because held or already on the way to the log
  std::uint64_t duplicates_refused = 0;     ///< events the log itself reported duplicate
  std::uint64_t refused_gap = 0;            ///< events the log refused: gap
  std::uint64_t refused_fork = 0;           ///< events the log refused: fork
  std::uint64_t refused_bad_hash = 0;       ///< events the log refused: bad hash / chain
  std::uint64_t refused_other = 0;          ///< events the log refused: too large, invalid
  std::uint64_t refused_own_origin = 0;     ///< events under this node's own origin from a peer: never appended
  std::uint64_t append_failures = 0;        ///< whole appends that failed (I/O): events dropped, caught up later
  std::uint64_t ahead_buffered = 0;         ///< events put in the ahead-of-gap buffer
  std::uint64_t ahead_dropped = 0;          ///< events dropped because the ahead buffer was full
  std::uint64_t gap_requests = 0;           ///< rounds started because of a gap
  std::uint64_t malformed = 0;              ///< bodies (or events inside bodies) that did not decode
  std::uint64_t unsupported_version = 0;    ///< bodies with another protocol_version
  std::uint64_t unknown_type = 0;           ///< message types in 10..29 this build does not know
  std::uint64_t peers_ignored = 0;          ///< messages from peers beyond peers_max
  std::uint64_t refused_clock_skew = 0;     ///< events refused: HLC more than max_skew_ms ahead of our wall clock
  std::uint64_t skew_waiting = 0;           ///< later events of an origin held for skew, dropped (asked for again later)
  std::uint64_t refused_unknown_origin = 0; ///< events of an origin with no enrolled signing key
  std::uint64_t refused_revoked = 0;        ///< events above their origin's revocation point
  std::uint64_t refused_bad_signature = 0;  ///< events whose offered signatures were all invalid
  std::uint64_t refused_unsigned = 0;       ///< events of an enrolled origin with no signature covering them
  std::uint64_t refused_broken_chain = 0;   ///< runs that do not hash-chain into their signed event
  std::uint64_t awaiting_signature = 0;     ///< events above their run's signature, held for a later one
  std::uint64_t signatures_verified = 0;    ///< Ed25519 verifications made (one per origin and batch when honest)
};

/// A refusal by the origin gate, reported once per (peer, reason) for the log.
struct refusal_notice {
  std::string peer;
  std::string origin;
  std::uint64_t seq = 0;     ///< first refused seq
  std::uint64_t count = 0;   ///< events refused in that run
  std::string reason;        ///< trust::to_string(verdict)
};

/// An origin whose next event was refused for clock skew: it and the
/// origin's later events wait until it is in range (docs/protocol.md 3.6).
struct skew_hold_status {
  std::string origin;
  std::string peer;                   ///< who sent the refused event last
  std::uint64_t seq = 0;              ///< the refused event
  std::uint64_t ahead_ms = 0;         ///< its HLC minus our wall clock, at the last refusal
  std::uint64_t since_wall_ms = 0;    ///< wall clock at the first refusal
  std::uint64_t in_range_wall_ms = 0; ///< wall clock from which it would be in range
  std::uint64_t refused = 0;          ///< refusals of this origin since the hold began
};

/// What this node knows of one peer.
struct peer_status {
  std::string peer;
  bool reachable = false;
  bool is_hub = false;
  std::uint64_t last_seen_ms = 0;   ///< 0: never
  std::uint64_t last_sync_ms = 0;   ///< last completed round with it; 0: never
  version_vector versions;          ///< its vector as last reported to us
  std::uint64_t events_sent = 0;    ///< events we sent it in sync replies
  std::uint64_t events_received = 0;///< events from it the log appended
};

/// The node's sync state (the seed's sync_state, plus what an operator needs).
struct sync_status {
  sync_state state = sync_state::offline;
  std::uint64_t pending_changes = 0;  ///< own events no other device is known to hold (whatever the role)
  std::uint64_t last_sync_ms = 0;     ///< last completed round (any partner); 0: never
  std::string last_error;             ///< empty: none since start
  std::uint64_t last_error_ms = 0;
  std::optional<std::string> hub;     ///< the hub as set by set_hub
  bool is_hub = false;
  std::optional<std::string> syncing_with;  ///< round in progress with this peer
  std::size_t ahead_events = 0;       ///< held ahead of a gap (<= ahead_events_max)
  std::size_t ahead_bytes = 0;        ///< (<= ahead_bytes_max)
  std::size_t appends_in_flight = 0;  ///< append_events not yet answered
  version_vector versions;            ///< this node's log
  std::vector<peer_status> peers;     ///< sorted by name
  sync_counters counters;
  std::uint64_t max_skew_ms = 0;      ///< the configured bound
  std::vector<skew_hold_status> skew_holds;  ///< origins held for clock skew, by origin
  /// The hold furthest ahead: "this device's wall clock is behind its peers'"
  /// (or that peer's clock is ahead); nullopt when nothing is held.
  std::optional<skew_hold_status> skew_warning;
};

/// The seed's sync_audit_log rows push / pull (conflict_resolution rows are
/// events, recorded by the hub). Kept in memory only: recording them as events
/// would replicate on every round (the feedback loop ARCHITECTURE.md §6 forbids).
enum class audit_operation : std::uint8_t { push = 0, pull = 1 };
const char* to_string(audit_operation o) noexcept;

struct audit_entry {
  std::string peer;
  audit_operation operation = audit_operation::push;
  std::uint64_t count = 0;    ///< events sent (push) or appended (pull) in one batch
  std::uint64_t time_ms = 0;  ///< the `now_ms` the fsm was given
  bool ok = true;             ///< false: a round with this peer failed (error says why)
  std::string error;
};

} // namespace sn::sync
