// sync_fsm: the deterministic sync state machine of ONE node (ARCHITECTURE.md §3, §6).
//
// Contract
// - Pure: no clock, socket, disk, CAF or ZeroMQ. Inputs are messages, append
//   results and the current time (`now_ms`, any monotonic millisecond clock);
//   outputs are messages to send or publish and remote events to append.
// - Not thread-safe: one owner (the sync actor, or the simulation) calls
//   everything. The log_reader must outlive the fsm and reflect every append the
//   shell has reported through on_appended / on_local_appended.
// - Peers are opaque names chosen by the shell (use device ids: they show in
//   status and audit rows). `self` is this node's device id (its events' origin);
//   set_hub(self) makes this node the hub.
// - Every append_events output must be answered, in emission order, by exactly
//   one on_appended (outcomes, same order as its events) or on_append_failed.
//
// Protocol (docs/protocol.md section 3)
// - Live: on_local_appended publishes the node's own new events (batched). A
//   receiver appends the next contiguous seq per origin, holds what is ahead in a
//   bounded buffer (dropping beyond ahead_*_max: catch-up fetches it later) and
//   starts a catch-up round with the sender when it sees a gap.
// - Catch-up (pull, one round at a time): sync_request carries the requester's
//   version vector; the responder answers with its own vector and ONE batch of
//   what the requester lacks (bounded by count and bytes) and a `more` flag; the
//   requester asks for the next batch only after the previous one was appended.
//   A responder that sees the requester holds more than itself starts its own
//   round with the requester, so the side that is behind always pulls.
// - Rounds start: on connect/reconnect of a peer, on set_hub, on a gap, when a
//   request shows we are behind, every sync_interval_ms with the partner (the hub
//   when reachable, else reachable peers in turn) and on sync_now.
// - At most once: an event is sent to the log only if its seq is exactly the next
//   after what the log holds plus what is already on its way to the log.
// - Sync rounds append nothing of their own (audit rows are kept in memory).
// - Clock skew (docs/protocol.md 3.6): an event whose HLC wall time is more
//   than max_skew_ms ahead of `wall_ms` (the receiver's wall clock, an input
//   like now_ms) is refused: not appended, so it never moves the receiver's
//   clock. Its origin is held: the origin's later events are dropped (they
//   could not be appended before it anyway), it is left out of catch-up
//   requests (sync_request's skip list), and it is asked for again once the
//   wall clock reaches the point where the event would be in range, or after
//   a back-off (skew_retry_min_ms doubling to skew_retry_max_ms). The hold
//   ends when the origin's refused seq is appended. Refusals are counted, and
//   status() lists the holds and the one furthest ahead (skew_warning).
// - Origins (docs/protocol.md 3.3): every batch bound for the log passes the
//   origin gate (trust::decide_run) first: each origin's run is appended only
//   up to a seq covered by a valid signature from its enrolled, unrevoked key
//   (signatures come with the message, or were kept from an earlier one:
//   pending_signatures_max per origin). What a later signature may cover
//   waits in the ahead buffer; the rest is refused and counted by reason, and
//   take_refusal_notices() names the first refusal per (peer, reason).
//   The covering signatures are appended with the events and relayed with
//   them. The keyring is the fsm's: the shell seeds it (observe() every
//   membership event of the log, pin_store()) and feeds it this node's own
//   committed events; the fsm adds the remote events it lets through.
//   Responders cut each origin's run at its highest stored signature and
//   send that signature along.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <set>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/sync/log_reader.hpp"
#include "actors/sync/messages.hpp"
#include "actors/sync/types.hpp"
#include "storage/event_log.hpp"  // append_outcome only (enum; no RocksDB, no link)
#include "trust/gate.hpp"
#include "trust/keyring.hpp"

namespace sn::sync {

class sync_fsm {
public:
  /// Requests re-sent after a timeout before a round is given up.
  static constexpr std::uint32_t request_retries_max = 3;
  /// Timeout of a request to a peer with no round-trip sample yet (RFC 6298
  /// 2.1: 1 s until the first measurement), doubled on each re-send, and
  /// never above request_timeout_ms. The first request on a new link is the
  /// one most likely lost (a CURVE handshake the peer refused until it
  /// learned our key), and rounds run one at a time: at request_timeout_ms
  /// it held up every catch-up, the hub's too, for 3 s.
  static constexpr std::uint64_t request_timeout_first_ms = 1000;
  /// Signatures kept per origin for events not received yet (live pieces).
  static constexpr std::size_t pending_signatures_max = 64;
  /// (peer, reason) pairs remembered for refusal notices; beyond, no more notices.
  static constexpr std::size_t refusal_notices_max = 1024;

  /// `cfg` must pass validate() (asserted).
  sync_fsm(std::string self, sync_config cfg, const log_reader& log);

  // --- inputs ------------------------------------------------------------------

  /// This node's own events, just made durable (encoded bytes, seq order):
  /// published live in batches of at most live_batch_*_max.
  /// `signatures`: the writer's signatures of those events (published with them).
  std::vector<output> on_local_appended(const std::vector<std::string>& encoded_events, std::uint64_t now_ms,
                                        const signature_list& signatures = {});
  /// A membership event the log holds (seed at start-up, own commits); other types are ignored.
  void observe(const sn::event& e) {
    if (keyring_.observe(e)) unknown_skips_.clear();
  }
  /// The store this node belongs to (its metadata), before any event.
  void pin_store(std::string store_id) { keyring_.pin_store(std::move(store_id)); }
  const trust::keyring& keyring() const noexcept { return keyring_; }
  /// Refusals by the origin gate not yet taken, the first per (peer, reason).
  std::vector<refusal_notice> take_refusal_notices() { return std::exchange(notices_, {}); }
  /// A message from `peer` (type: the broker's message_type byte). Malformed,
  /// unknown-version and unknown-type bodies are counted and dropped.
  /// `wall_ms`: the wall clock (ms since the Unix epoch) now: the clock-skew bound's reference.
  std::vector<output> on_message(const std::string& peer, std::uint8_t type, std::string_view body,
                                 std::uint64_t now_ms, std::uint64_t wall_ms);
  /// Result of the oldest unanswered append_events: one outcome per event.
  std::vector<output> on_appended(const std::vector<storage::append_outcome>& outcomes, std::uint64_t now_ms);
  /// The oldest unanswered append_events failed as a whole (nothing stored).
  std::vector<output> on_append_failed(const std::string& reason, std::uint64_t now_ms);
  /// Call every tick_interval_ms: reachability, timeouts, periodic and gap
  /// rounds, skew holds whose event came in range (wall_ms as in on_message).
  std::vector<output> on_tick(std::uint64_t now_ms, std::uint64_t wall_ms);
  /// POST /v1/sync/now: start a round with the partner at once (unless one runs).
  std::vector<output> sync_now(std::uint64_t now_ms);
  /// The master (from election); nullopt = none known; == self: this node is hub.
  /// A new hub gets a round on the next tick.
  void set_hub(std::optional<std::string> hub);
  /// The peer is alive (heartbeat). A peer becoming reachable gets a round on the
  /// next tick (version vectors are exchanged on connect and reconnect).
  void peer_seen(const std::string& peer, std::uint64_t now_ms);
  /// The peer is gone (transport says so); a round with it fails.
  void peer_lost(const std::string& peer);

  // --- queries -------------------------------------------------------------------

  bool is_hub() const noexcept { return hub_ && *hub_ == self_; }
  const std::optional<std::string>& hub() const noexcept { return hub_; }
  const std::string& self() const noexcept { return self_; }
  sync_status status() const;
  /// Recent push/pull rows, oldest first (at most audit_entries_max).
  std::vector<audit_entry> audit_log() const;
  /// Rows audit_log() has ever held (the sync actor journals the new ones).
  std::uint64_t audit_total() const noexcept { return audit_total_; }
  const sync_counters& counters() const noexcept { return counters_; }
  /// Origins held for clock skew (status().skew_holds, without the rest of status()).
  std::vector<skew_hold_status> skew_holds() const;
  const sync_config& config() const noexcept { return cfg_; }
  /// Cheap views of the bounded buffers (the simulation checks them after every input).
  std::size_t ahead_events() const noexcept { return ahead_events_; }
  std::size_t ahead_bytes() const noexcept { return ahead_bytes_; }
  std::size_t appends_in_flight() const noexcept { return inflight_.size(); }
  /// Own events no other device is known to hold: by a sync reply (durable) or a peer's sync request (held or being appended).
  std::uint64_t pending_changes() const { return pending_changes(log_.versions()); }

private:
  struct peer_info {
    bool reachable = false;
    bool lost = false;
    std::uint64_t last_seen_ms = 0;
    bool seen = false;
    std::uint64_t last_sync_ms = 0;
    version_vector versions;
    std::uint64_t events_sent = 0;
    std::uint64_t events_received = 0;
    std::uint64_t srtt_ms = 0;  ///< smoothed request->reply time; 0: no sample yet
  };
  struct ahead_entry {
    sn::event ev;
    std::size_t bytes = 0;
    std::string source;
    bool live = false;
  };
  struct inflight_ref {
    std::string origin;
    std::uint64_t seq = 0;
    std::string source;
    std::string relay_bytes;  ///< non-empty: publish once appended (hub relay)
    std::size_t bytes = 0;    ///< encoded size (back to the ahead buffer when it waits for a signature)
    bool live = false;
  };
  struct inflight_batch {
    std::vector<inflight_ref> refs;
    std::uint64_t pull_request_id = 0;  ///< != 0: carries a batch of that round's reply
    signature_list signatures;          ///< covering signatures (relayed with the events)
  };
  enum class pull_phase : std::uint8_t { idle, awaiting_reply, awaiting_append };
  struct pull_state {
    pull_phase phase = pull_phase::idle;
    std::string peer;
    std::uint64_t request_id = 0;
    std::uint64_t sent_ms = 0;
    bool more = false;
    bool refused = false;
    std::uint32_t retries = 0;  ///< timeouts of the current batch's request so far
  };

  struct skew_hold {
    std::uint64_t seq = 0;
    std::uint64_t in_range_wall_ms = 0;
    std::uint64_t retry_ms = 0;    ///< now_ms from which the origin is asked for again
    std::uint64_t backoff_ms = 0;
    std::string peer;
    std::uint64_t ahead_ms = 0;
    std::uint64_t since_wall_ms = 0;
    std::uint64_t refused = 0;
  };

  struct incoming {
    sn::event ev;
    std::size_t bytes = 0;
    std::string_view raw;
  };

  peer_info* touch_peer(const std::string& peer, std::uint64_t now_ms);
  void mark_seen(peer_info& p, const std::string& name, std::uint64_t now_ms);
  bool reachable(const std::string& peer) const;
  /// True while this device is its store's only one (sync_state::standalone):
  /// enrolled itself, no other enrolled and unrevoked device in the keyring,
  /// no peer ever heard.
  bool store_of_one() const;
  /// 4 x smoothed round trip to `peer`, within [request_timeout_min_ms,
  /// request_timeout_ms]; without a sample request_timeout_first_ms doubled
  /// per re-send of the request in flight (`retries`), within the same ceiling.
  std::uint64_t request_timeout(const std::string& peer, std::uint32_t retries) const;
  std::optional<std::string> choose_partner();
  void enqueue_round(const std::string& peer, bool front);

  void handle_live(const std::string& peer, std::string_view body, std::uint64_t now_ms, std::vector<output>& out);
  void handle_request(const std::string& peer, std::string_view body, std::uint64_t now_ms, std::vector<output>& out);
  void handle_reply(const std::string& peer, std::string_view body, std::uint64_t now_ms, std::vector<output>& out);

  std::vector<incoming> decode_events(const std::vector<std::string_view>& raw);
  /// Routes events to the log (next contiguous), the ahead buffer or the bin.
  /// Emits at most one append_events; returns true when it did. Sets gap when an
  /// event had to wait for a gap.
  bool ingest(const std::string& source, std::vector<incoming>& events, bool live, std::uint64_t pull_request_id,
              std::uint64_t now_ms, bool& gap, std::vector<output>& out, const signature_list& signatures);
  /// True while `origin` waits for a refused event: its later events are
  /// dropped and it is left out of requests.
  bool skew_held(const std::string& origin, std::uint64_t now_ms) const;
  /// Records the refusal of origin:seq (HLC wall time `hlc_wall_ms`) sent by
  /// `source`; `head`: the origin's seq held or on its way to the log.
  void refuse_skewed(const std::string& origin, std::uint64_t seq, std::uint64_t head, std::uint64_t hlc_wall_ms,
                     const std::string& source, std::uint64_t now_ms);
  skew_hold_status hold_status(const std::string& origin, const skew_hold& h) const;
  /// Moves now-contiguous ahead entries into `batch`; drops those already held.
  void drain_ahead(const version_vector& log_heads, append_events& batch, inflight_batch& meta);
  /// The origin gate over a batch about to go to the log (see the contract):
  /// keeps what is covered, sends what may be covered later back to the ahead
  /// buffer, counts the rest; sets the covering signatures.
  /// `message`: the signatures of the message that brought the batch;
  /// nullptr for a drain after an append (then nothing is refused for want of
  /// a signature: it waits for the message that brings one).
  /// Refusals are counted against each event's own source (meta.refs).
  void gate(append_events& batch, inflight_batch& meta, std::uint64_t now_ms, const signature_list* message);
  void keep_signatures(const signature_list& sigs);
  void count_refusal(const std::string& source, const std::string& origin, std::uint64_t seq,
                     const trust::run_decision& d, std::uint64_t now_ms);
  /// Emits `batch` (after the gate) when anything is left; true when it did.
  bool emit(append_events& batch, inflight_batch& meta, std::uint64_t now_ms, std::vector<output>& out,
            const signature_list* message);
  std::uint64_t effective_head(const version_vector& log_heads, const std::string& origin) const;
  version_vector effective_heads() const;
  void recompute_inflight_heads();

  void start_next_round(std::uint64_t now_ms, std::vector<output>& out);
  void send_request(const std::string& peer, std::uint64_t now_ms, std::vector<output>& out);
  void finish_batch(std::uint64_t now_ms, std::vector<output>& out);
  void complete_round(std::uint64_t now_ms);
  void fail_round(const std::string& why, std::uint64_t now_ms);
  void set_error(std::string why, std::uint64_t now_ms);
  void maybe_request_gap(std::uint64_t now_ms, std::vector<output>& out);
  void publish_live(const std::vector<std::string>& encoded, const signature_list& signatures, std::vector<output>& out);
  void audit(const std::string& peer, audit_operation op, std::uint64_t count, std::uint64_t now_ms);
  std::uint64_t pending_changes(const version_vector& log_heads) const;

  std::string self_;
  sync_config cfg_;
  const log_reader& log_;
  std::optional<std::string> hub_;
  std::uint64_t held_elsewhere_seq_ = 0;  ///< highest own seq a peer reported (its sync replies and requests)

  std::map<std::string, peer_info> peers_;
  std::deque<std::string> round_queue_;  ///< peers owed a round; <= peers_max, no repeats
  std::size_t rr_cursor_ = 0;            ///< round-robin over reachable peers when no hub
  std::uint64_t next_round_ms_ = 0;
  pull_state pull_;
  std::uint64_t next_request_id_ = 1;

  std::map<std::string, std::map<std::uint64_t, ahead_entry>> ahead_;
  std::size_t ahead_events_ = 0;
  std::size_t ahead_bytes_ = 0;
  std::string gap_source_;
  std::uint64_t last_gap_request_ms_ = 0;
  bool gap_requested_ever_ = false;

  std::deque<inflight_batch> inflight_;
  std::map<std::string, std::uint64_t> inflight_head_;  ///< origin -> highest seq on its way to the log

  bool error_active_ = false;
  std::string last_error_;
  std::uint64_t last_error_ms_ = 0;
  std::uint64_t last_sync_ms_ = 0;
  sync_counters counters_;
  std::deque<audit_entry> audit_;
  std::uint64_t audit_total_ = 0;

  std::uint64_t wall_ms_ = 0;  ///< the last wall clock given (on_message, on_tick)
  std::map<std::string, skew_hold> skew_holds_;  ///< origin -> hold; <= origins_max
  std::vector<std::string> request_skip_;       ///< skip list of the request in flight
  /// Origins whose events were refused as unknown_origin -> when: left out
  /// of requests (the skip list) until the keyring changes or
  /// unknown_origin_retry_ms pass, so that a reply full of an origin this
  /// node cannot check yet does not starve the origins that would enroll it
  /// (a device joining a store with history). <= origins_max.
  std::map<std::string, std::uint64_t> unknown_skips_;
  static constexpr std::uint64_t unknown_origin_retry_ms = 30'000;

  trust::keyring keyring_;
  /// origin -> seq -> signature offered but not used yet; <= pending_signatures_max per origin.
  std::map<std::string, std::map<std::uint64_t, trust::origin_signature>> pending_sigs_;
  std::vector<refusal_notice> notices_;
  std::set<std::pair<std::string, std::string>> noticed_;  ///< (peer, reason) already reported
};

} // namespace sn::sync
