// The election state machine of ONE node (ARCHITECTURE.md §3, §6; protocol in
// docs/protocol.md section 4; design notes in actors/election/README.md).
//
// Contract:
// - Pure and deterministic: inputs are messages, the current time (now_ms, a
//   MONOTONIC clock of this node; a value lower than an earlier one is treated
//   as no time passing), the log summary and operator requests; the only
//   randomness is the RNG seeded at construction (election jitter). It never
//   reads a clock, a socket or a disk.
// - Every call returns the outputs to carry out IN ORDER. When a persist_state
//   is present it is first: make it durable before sending anything after it
//   (votes and terms are persisted before they are used). A non-empty result
//   ends with exactly one set_timer: call on_tick at that time.
// - After construction call on_tick(now) once (it publishes the first heartbeat
//   and sets the first timer).
// - Not thread-safe: owned by one actor.
// - Programmer errors (invalid config, invalid self id) are assertions; wire
//   errors are dropped and counted (status().counters), never fatal.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "actors/election/errc.hpp"
#include "actors/election/messages.hpp"
#include "actors/election/types.hpp"

namespace sn::election {

class election_fsm {
public:
  /// self: this device's id; priority: higher wins elections; boot_id: unique
  /// per process start (e.g. random hex); address: this node's bind address as
  /// carried in heartbeats; cfg: validated store-wide settings; p: the persisted
  /// state read back from disk (all zero on first start); rng_seed: seeds the
  /// election jitter; now_ms: the monotonic clock now.
  election_fsm(std::string self, std::int32_t priority, std::string boot_id, std::string address,
               election_config cfg, persisted p, std::uint64_t rng_seed, std::uint64_t now_ms);

  /// A frame from the broker. `address`: the sender's address as the transport
  /// gives it (replies go there). Malformed bodies are dropped and counted.
  std::vector<output> on_message(const std::string& address, std::uint8_t type, std::string_view body,
                                 std::uint64_t now_ms);

  /// Timers: call at (or soon after) the last set_timer's deadline.
  std::vector<output> on_tick(std::uint64_t now_ms);

  /// Graceful shutdown (SIGTERM). A master names the best live client as
  /// successor, waits until its log summary covers ours, hands over and outputs
  /// shutdown_ready once the successor acts as master, or after
  /// handoff_timeout_ms at the latest. Any other role outputs shutdown_ready at
  /// once. Either way a shutdown_notice is published (peers fail us at once)
  /// and the fsm enters `stopped`.
  std::vector<output> request_shutdown(std::uint64_t now_ms);

  /// Manual override: hand the master role to `device` the same safe way
  /// (reason manual). On the master: starts the hand-off. On a client: forwards
  /// the request to the live master. Errors: unknown_device, not_live,
  /// no_master, busy (hand-off in progress), stopped.
  [[nodiscard]] sn::expected<std::vector<output>> request_master(const std::string& device, std::uint64_t now_ms);

  /// New priority; carried by the next heartbeat, effective at the next election.
  void set_priority(std::int32_t p) noexcept { priority_ = p; }
  /// This node's HTTP API URL, carried in heartbeats (for operator tools).
  void set_http(std::string url) { http_ = std::move(url); }

  /// The log's version vector changed (call after appends, at least every
  /// heartbeat interval while it changes). May let a pending hand-off proceed.
  std::vector<output> set_log_summary(log_summary s, std::uint64_t now_ms);

  /// majority mode: the store's registered devices (from device_registered
  /// events / config). The quorum is a majority of these plus every device
  /// heard since start. Feed it before the first election: a node that knew
  /// only itself would count a quorum of one.
  void set_members(const std::vector<std::string>& devices);

  state_view status() const;
  /// The master this node follows, itself when master; nullopt when none is known.
  std::optional<std::string> master() const;
  /// The followed master's address ("" when none or self).
  std::string master_address() const;
  /// Peer addresses learned from other devices' heartbeats (their live peers):
  /// the shell connects the transport to them, so a device that names one
  /// peer joins the whole store.
  const std::set<std::string>& learned_addresses() const noexcept { return learned_addresses_; }
  role current_role() const noexcept { return role_; }
  std::uint64_t term() const noexcept { return p_.term; }
  const persisted& persisted_state() const noexcept { return p_; }
  const election_counters& counters() const noexcept { return counters_; }

private:
  struct peer_info {
    std::string address;
    std::string http;
    std::string boot_id;
    std::int32_t priority = 0;
    role peer_role = role::discovery;
    std::uint64_t term = 0;
    std::string master;
    log_summary summary;
    std::uint64_t last_heard_ms = 0;
    bool heard = false;
    bool shut_down = false;
    std::string down_boot;            ///< incarnation that announced shutdown
    std::uint64_t lease_until_ms = 0; ///< majority: our lease from this peer (our clock)
  };

  // --- call framing ---
  void begin(std::uint64_t now_ms);
  std::vector<output> finish();
  void run_due();
  bool change_role(role_event ev);
  void emit(output o) { out_.push_back(std::move(o)); }
  void send(const std::string& device, election_message m);
  election_message make(message_type t) const;
  void publish_heartbeat();

  // --- views ---
  bool alive(const std::string& device) const;
  bool alive(const peer_info& p) const;
  std::string best_live() const;
  std::optional<std::string> live_master_peer() const;
  /// Devices following `master` as this node hears them (live peers whose
  /// heartbeats name it, this node when it follows it), the master included.
  std::size_t group_of(const std::string& master) const;
  /// The heal order of a master (group, term, priority, id): when two masters
  /// see each other, the smaller steps down; a client follows the greater.
  std::tuple<std::size_t, std::uint64_t, std::int32_t, std::string> heal_key(const std::string& master) const;
  bool no_live_master() const;
  bool lacks_failed_origin(const std::string& candidate, const log_summary& theirs) const;
  bool can_vote_for(const std::string& candidate, const election_message& m) const;
  std::size_t quorum_needed(std::size_t live_peers) const;
  bool lease_ok() const;
  std::uint64_t next_deadline() const;

  // --- message handlers ---
  void adopt_term(std::uint64_t term);
  void on_heartbeat(peer_info& p, const election_message& m);
  void on_pre_vote_request(const election_message& m);
  void on_pre_vote_reply(const election_message& m);
  void on_vote_request(const election_message& m);
  void on_vote_reply(const election_message& m);
  void on_handoff(const election_message& m);
  void on_handoff_ack(const election_message& m);
  void on_shutdown_notice(peer_info& p, const election_message& m);
  void on_master_request(const election_message& m);

  // --- steps ---
  void follow(const std::string& device, std::uint64_t stamp);
  void unfollow(bool left_by_shutdown);
  void step_down(role_event ev, const std::string& winner);
  /// The split_brain master_changed this node writes as the loser to `winner`.
  sn::master_changed split_brain_record(const std::string& winner) const;
  void start_pre_vote();
  void start_vote(bool transfer, const std::string& from_master, change_reason reason);
  void check_round();
  void win();
  void fail_round();
  void start_handoff(const std::string& target, change_reason reason);
  void send_handoff();
  void handoff_failed();
  void finish_shutdown(bool handed_off, const std::string& successor);
  void try_pending_transfer();
  void maybe_stand();

  // identity and config
  std::string self_;
  std::int32_t priority_;
  std::string boot_id_;
  std::string address_;
  election_config cfg_;
  persisted p_;
  std::uint64_t persisted_term_ = 0;  ///< term at the end of the last call (SN_ASSERT: never lower)
  std::mt19937_64 rng_;

  // call state
  std::uint64_t now_ = 0;
  std::vector<output> out_;
  bool persist_dirty_ = false;
  bool heartbeat_now_ = false;

  role role_ = role::discovery;
  std::uint64_t boot_ms_ = 0;
  std::uint64_t discovery_until_ms_ = 0;
  std::uint64_t next_heartbeat_ms_ = 0;
  std::map<std::string, peer_info> peers_;
  std::set<std::string> members_;
  log_summary summary_;

  // following
  std::string master_;                 ///< followed master ("" none); self when master
  std::uint64_t master_stamp_ = 0;     ///< newest heartbeat stamp of master_ (its clock)
  bool master_contact_valid_ = false;
  std::uint64_t master_contact_ms_ = 0;///< last heartbeat of the followed master (our clock)
  std::uint64_t voted_at_ms_ = 0;      ///< when we last voted (for anyone, self included)
  std::uint64_t vote_contact_ms_ = 0;  ///< majority: last vote granted to another, or boot
  std::string last_known_master_;      ///< for master_changed.previous_master
  bool last_master_left_by_shutdown_ = false;
  bool deposed_unrecorded_ = false;    ///< stepped down for a higher term, winner unknown yet
  bool last_lost_lease_ = false;       ///< our own mastership ended by lease loss (reason of a re-win)
  std::uint64_t lead_term_ = 0;        ///< the term we lead (valid in master roles)

  // election round
  std::uint64_t round_term_ = 0;
  std::uint64_t round_stamp_ = 0;
  std::uint64_t round_deadline_ms_ = 0;
  std::size_t round_needed_ = 1;
  std::size_t round_voters_ = 0;       ///< voters asked, self included
  bool round_transfer_ = false;
  std::string round_from_master_;
  change_reason round_reason_ = change_reason::failure;
  std::set<std::string> grants_;
  std::set<std::string> refusals_;
  bool round_outranked_ = false;       ///< a refusal carried a term >= round_term_
  std::uint64_t next_attempt_ms_ = 0;

  // hand-off, master side
  std::string handoff_target_;
  change_reason handoff_reason_ = change_reason::manual;
  std::uint64_t handoff_deadline_ms_ = 0;
  std::uint64_t handoff_next_send_ms_ = 0;
  bool shutting_down_ = false;

  // hand-off, successor side
  bool pending_ = false;
  std::string pending_from_;
  std::uint64_t pending_term_ = 0;
  change_reason pending_reason_ = change_reason::manual;
  log_summary pending_summary_;
  std::uint64_t pending_until_ms_ = 0;

  election_counters counters_;
  std::set<std::string> learned_addresses_;  ///< <= known_peers_max
  std::string http_;
};

} // namespace sn::election
