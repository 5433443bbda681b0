// Vocabulary of the election protocol (docs/protocol.md section 4): message
// types, roles and role events, configuration, persisted state, the fsm's
// outputs and its status. Pure: no CAF, no ZeroMQ, no RocksDB, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "events/election.hpp"
#include "events/expected.hpp"

namespace sn::election {

/// Version of the election message bodies (first element of every body). A
/// body with another version is dropped and counted. Compatible additions
/// append elements at the end of a body's array; anything else bumps this.
inline constexpr std::uint8_t protocol_version = 1;

/// The broker's message_type byte for election messages. Values 1..9 belong to
/// the election (sync uses 10..29). Never reuse a value.
enum class message_type : std::uint8_t {
  heartbeat = 1,         ///< publish, every heartbeat_interval_ms: who I am, what I believe
  pre_vote_request = 2,  ///< direct: "would you vote for me at term T?" (changes nothing at the voter)
  pre_vote_reply = 3,    ///< direct: granted or not, with the voter's term
  vote_request = 4,      ///< direct: "vote for me at term T" (the voter persists its vote)
  vote_reply = 5,        ///< direct: granted or not, echoing the request's stamp (lease)
  handoff = 6,           ///< direct, master -> successor: "take over once you hold all I hold"
  handoff_ack = 7,       ///< direct, successor -> master: accepted / not_synced / refused
  shutdown_notice = 8,   ///< publish: "I am leaving": peers fail the sender at once
  master_request = 9,    ///< direct, any node -> master: manual override "hand the role to X"
};
inline constexpr std::uint8_t message_type_first = 1;
inline constexpr std::uint8_t message_type_last = 9;
/// True for 1..9: the range the broker should route to the election actor.
constexpr bool is_election_message_type(std::uint8_t t) noexcept {
  return t >= message_type_first && t <= message_type_last;
}
const char* to_string(message_type t) noexcept;

/// Role of one node (Binary Star style: an explicit state, changed only through
/// next_role()). Values are carried in heartbeats: never reuse one.
enum class role : std::uint8_t {
  discovery = 0,      ///< just started: listening for a live master for discovery_ms
  client = 1,         ///< follows a master, or (master() empty) waits for one to be elected
  pre_candidate = 2,  ///< asking for pre-votes at term+1 (nothing persisted yet)
  candidate = 3,      ///< stands at a persisted term, collecting votes
  master = 4,         ///< the store's master (sync hub)
  handing_off = 5,    ///< still master; waiting for the successor to hold every event and take over
  stepping_down = 6,  ///< gave its vote to the successor: no longer master, waiting to see it act
  stopped = 7,        ///< shut down (shutdown_ready was output); ignores everything
};
const char* to_string(role r) noexcept;
/// True for the roles that act as master (master, handing_off).
constexpr bool is_master_role(role r) noexcept { return r == role::master || r == role::handing_off; }

/// What makes a role change. next_role() maps (role, role_event) to the new
/// role, or nullopt for an illegal transition (rejected and counted).
enum class role_event : std::uint8_t {
  discovery_elapsed = 0,  ///< discovery -> client
  master_found = 1,       ///< discovery/client/pre_candidate/candidate/stepping_down -> client (following it)
  master_lost = 2,        ///< client -> client (the followed master failed or left)
  pre_vote_started = 3,   ///< client -> pre_candidate
  pre_vote_won = 4,       ///< pre_candidate -> candidate
  transfer_started = 5,   ///< client -> candidate (the master handed over to us: no pre-vote)
  round_failed = 6,       ///< pre_candidate/candidate -> client
  vote_won = 7,           ///< candidate -> master
  higher_term_seen = 8,   ///< pre_candidate/candidate/master/handing_off -> client
  split_brain_lost = 9,   ///< master/handing_off -> client (a better master is live)
  lease_lost = 10,        ///< master/handing_off -> client (majority mode: quorum silent)
  handoff_started = 11,   ///< master -> handing_off
  handoff_aborted = 12,   ///< handing_off -> master (refused or timed out before our vote)
  transfer_vote_given = 13,  ///< handing_off -> stepping_down
  handoff_done = 14,      ///< stepping_down -> client (manual: the successor acts as master)
  handoff_expired = 15,   ///< stepping_down -> client (manual: successor not seen in time)
  shutdown_done = 16,     ///< any role but stopped -> stopped
};
const char* to_string(role_event e) noexcept;
/// The transition table. nullopt: illegal (e.g. vote_won while master: two actives).
std::optional<role> next_role(role from, role_event ev) noexcept;

/// Why the master changed (the master_changed event's reason string).
/// lease_lost: a majority-mode master whose lease ran out won again (never on
/// the wire: hand-off messages carry manual or shutdown only).
enum class change_reason : std::uint8_t {
  startup = 0,
  failure = 1,
  shutdown = 2,
  manual = 3,
  split_brain = 4,
  lease_lost = 5,
};
const char* to_string(change_reason r) noexcept;

/// default (any): elect with the votes of a majority of the live devices a
/// candidate sees (a lone survivor elects itself; a partition may give each
/// side a master, healed by the split-brain rule). majority: elect only with a
/// majority of the store's known devices; never two masters at once.
enum class quorum_mode : std::uint8_t { any = 0, majority = 1 };
const char* to_string(quorum_mode q) noexcept;

/// Store-wide election settings (must match on every device). Every field:
/// unit suffix, description, default, bounds (checked by validate()).
struct election_config {
  /// Period of heartbeats (and of the fsm's housekeeping). Default 100 ms; 10..10000.
  std::uint64_t heartbeat_interval_ms = 100;
  /// A peer silent this long is failed; a master silent this long is replaced.
  /// Default 600 ms (6 heartbeats: an idle loopback store never loses 6 in a
  /// row); 3*heartbeat_interval_ms..600000.
  std::uint64_t failure_timeout_ms = 600;
  /// At start-up, listen this long for a live master before standing.
  /// Default 300 ms (3 heartbeats); 2*heartbeat_interval_ms..failure_timeout_ms.
  std::uint64_t discovery_ms = 300;
  /// A pre-vote or vote round that has not reached quorum by then has failed.
  /// Default 150 ms; 10..failure_timeout_ms.
  std::uint64_t election_round_timeout_ms = 150;
  /// After a failed round, wait a uniform random 0..election_jitter_ms (seeded
  /// RNG) before standing again, so that two nodes with different views do not
  /// keep splitting the vote. Default 100 ms; 0..10000.
  std::uint64_t election_jitter_ms = 100;
  /// majority mode: the master keeps its role only while a majority echoed one
  /// of its heartbeats (or votes) less than this long ago, by its own clock.
  /// Must stay below failure_timeout_ms, the silence after which a voter may
  /// vote again (the margin absorbs timer lateness and clock-rate drift).
  /// Default 400 ms; heartbeat_interval_ms..failure_timeout_ms-heartbeat_interval_ms.
  std::uint64_t master_lease_ms = 400;
  /// Bound of a graceful hand-off (shutdown or manual override): past it a
  /// shutting-down master reports shutdown_ready anyway and a manual hand-off
  /// is abandoned. Default 2000 ms; heartbeat_interval_ms..600000.
  std::uint64_t handoff_timeout_ms = 2000;
  /// After the master is lost, voters refuse for this long a candidate that
  /// lacks events of a failed origin which they hold (sync catches it up); past
  /// it they vote anyway (the events are not lost: the voter still holds them).
  /// Default 1000 ms; 0..600000.
  std::uint64_t log_catch_up_ms = 1000;
  /// Default quorum_mode::any (two devices are enough).
  quorum_mode quorum = quorum_mode::any;

  /// Ok, or an error naming the first field out of bounds.
  [[nodiscard]] status validate() const;
};

/// The state the shell must make durable (RocksDB node metadata) whenever a
/// persist_state output says so, BEFORE carrying out the outputs after it.
struct persisted {
  std::uint64_t term = 0;        ///< highest term seen; never goes down
  std::string voted_for;         ///< "" when no vote in voted_term
  std::uint64_t voted_term = 0;  ///< the term of voted_for; at most one vote per term
  friend bool operator==(const persisted& a, const persisted& b) {
    return a.term == b.term && a.voted_for == b.voted_for && a.voted_term == b.voted_term;
  }
};

/// A node's log summary: origin -> highest contiguous seq held (the storage
/// version vector, same shape as sync::version_vector).
using log_summary = std::map<std::string, std::uint64_t>;
/// True when `have` holds every event `need` does (have[o] >= need[o] for all o).
bool covers(const log_summary& have, const log_summary& need);

// --- wire bounds (not configurable: every device must agree) -------------------

/// Largest election body accepted or produced.
inline constexpr std::size_t message_bytes_max = 256u << 10;
/// Most origins a log summary may carry.
inline constexpr std::size_t summary_origins_max = 4096;
/// Most participants in one message.
inline constexpr std::size_t participants_max = 256;
/// Most peers tracked; messages from further devices are dropped and counted.
inline constexpr std::size_t peers_max = 256;
/// Longest boot id / address carried.
inline constexpr std::size_t text_bytes_max = 255;

// --- outputs ----------------------------------------------------------------------

/// Make `state` durable now (fsync); the outputs after it depend on it.
struct persist_state {
  persisted state;
};
/// Publish to every peer (broker PUB).
struct publish_message {
  message_type type{};
  std::string body;
};
/// Send to one peer (broker direct). `address` is where the device was last heard from.
struct send_message {
  std::string device;
  std::string address;
  message_type type{};
  std::string body;
};
/// This node's role, term or followed master changed (for logs, status, SSE).
struct role_changed {
  role from = role::discovery;
  role to = role::discovery;
  role_event cause = role_event::discovery_elapsed;
  std::uint64_t term = 0;
  std::string master;  ///< "" when none known
};
/// Append this master_changed event to the log (this node writes it: it is the
/// new master, or the master stepping down after a split brain).
struct append_master_changed {
  sn::master_changed payload;
};
/// request_shutdown is complete: the process may exit. handed_off: a successor
/// acts as master (successor names it); false: no successor took over in time
/// (or this node was not master).
struct shutdown_ready {
  bool handed_off = false;
  std::string successor;
};
/// Call on_tick at (or soon after) deadline_ms. Replaces any earlier timer.
/// Every non-empty call result ends with exactly one set_timer (none once stopped).
struct set_timer {
  std::uint64_t deadline_ms = 0;
};
using output = std::variant<persist_state, publish_message, send_message, role_changed, append_master_changed,
                            shutdown_ready, set_timer>;

// --- status -----------------------------------------------------------------------

/// Monotonic counters since the fsm was built (exported to /metrics).
struct election_counters {
  std::uint64_t messages_received = 0;    ///< bodies accepted
  std::uint64_t malformed = 0;            ///< bodies that did not decode, or whose sender is invalid
  std::uint64_t unsupported_version = 0;  ///< bodies with another protocol_version
  std::uint64_t unknown_type = 0;         ///< message types in 1..9 this build does not know
  std::uint64_t stale_incarnation = 0;    ///< messages from a peer's incarnation that announced shutdown
  std::uint64_t peers_ignored = 0;        ///< messages from devices beyond peers_max
  std::uint64_t illegal_transitions = 0;  ///< role changes next_role() refused
  std::uint64_t pre_votes_started = 0;
  std::uint64_t elections_started = 0;    ///< vote rounds (incl. transfers)
  std::uint64_t elections_won = 0;
  std::uint64_t votes_granted = 0;
  std::uint64_t pre_votes_granted = 0;
  std::uint64_t split_brain_step_downs = 0;
  std::uint64_t lease_step_downs = 0;
  std::uint64_t higher_term_step_downs = 0;
  std::uint64_t handoffs_started = 0;
  std::uint64_t handoffs_completed = 0;   ///< the successor was seen acting as master
  std::uint64_t handoffs_failed = 0;      ///< refused or timed out
};

/// What this node knows of one peer.
struct peer_view {
  std::string device;
  std::string address;
  std::string http;          ///< its HTTP API URL, from its heartbeats ("" unknown)
  std::string boot_id;
  std::int32_t priority = 0;
  role peer_role = role::discovery;
  std::uint64_t term = 0;
  std::string master;        ///< the master it believes in
  log_summary summary;
  std::uint64_t last_heard_ms = 0;
  bool alive = false;        ///< heard within failure_timeout_ms and not shut down
  bool shut_down = false;    ///< sent shutdown_notice (until a new boot id is heard)
};

struct state_view {
  std::string self;
  std::int32_t priority = 0;
  role current_role = role::discovery;
  std::uint64_t term = 0;
  std::optional<std::string> master;  ///< followed master, or self when master
  std::string voted_for;
  std::uint64_t voted_term = 0;
  quorum_mode quorum = quorum_mode::any;
  std::vector<peer_view> peers;       ///< sorted by device id
  election_counters counters;
};

} // namespace sn::election
