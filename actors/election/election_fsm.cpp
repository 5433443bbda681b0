#include "actors/election/election_fsm.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <tuple>

#include "events/assert.hpp"
#include "events/types.hpp"

namespace sn::election {
namespace {

constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

// (priority, device id) order: the greater is the better candidate. Ties in
// priority go to the greater device id, so that the split-brain rule "lower
// term, then lower priority, then (lower) device id steps down" and the
// election rule agree on who is better.
bool better(std::int32_t pa, const std::string& a, std::int32_t pb, const std::string& b) {
  return std::tie(pa, a) > std::tie(pb, b);
}

} // namespace

election_fsm::election_fsm(std::string self, std::int32_t priority, std::string boot_id, std::string address,
                           election_config cfg, persisted p, std::uint64_t rng_seed, std::uint64_t now_ms)
    : self_(std::move(self)),
      priority_(priority),
      boot_id_(std::move(boot_id)),
      address_(std::move(address)),
      cfg_(cfg),
      p_(std::move(p)),
      rng_(rng_seed),
      now_(now_ms),
      boot_ms_(now_ms),
      discovery_until_ms_(now_ms + cfg.discovery_ms),
      next_heartbeat_ms_(now_ms) {
  SN_ASSERT(valid_device_id(self_), "election_fsm: a valid self device id");
  SN_ASSERT(cfg_.validate().is_ok(), "election_fsm: a validated config");
  persisted_term_ = p_.term;
  members_.insert(self_);
  // majority mode: we may have promised a master (by echoing its heartbeat or
  // by a vote) just before a crash and forgotten it. Treat the boot as such a
  // promise, so we vote for nobody before failure_timeout_ms has passed.
  vote_contact_ms_ = now_ms;
}

// --- call framing -------------------------------------------------------------------

void election_fsm::begin(std::uint64_t now_ms) {
  // The fsm runs at least every heartbeat interval (next_deadline()). A longer
  // gap means this process did not run (SIGSTOP, VM pause, starved): that
  // silence was ours, not the peers', whose queued heartbeats come next.
  // Counting it would make a woken client see every peer failed, win a lone
  // pre-vote and depose a live master.
  if (now_ms > now_ + 2 * cfg_.heartbeat_interval_ms) {
    const std::uint64_t ours = now_ms - now_ - cfg_.heartbeat_interval_ms;
    for (auto& [id, p] : peers_) p.last_heard_ms += ours;
    master_contact_ms_ += ours;
  }
  now_ = std::max(now_, now_ms);
  out_.clear();
  persist_dirty_ = false;
  heartbeat_now_ = false;
}

std::vector<output> election_fsm::finish() {
  // Safety net: a master's term is the term it won. Having persisted a higher
  // one (any message can carry it) means another election happened: step down.
  if (is_master_role(role_) && p_.term != lead_term_) step_down(role_event::higher_term_seen, "");
  if (role_ != role::stopped && (heartbeat_now_ || now_ >= next_heartbeat_ms_)) publish_heartbeat();
  SN_ASSERT(p_.term >= persisted_term_, "term monotonicity");
  SN_ASSERT(p_.voted_term <= p_.term, "a vote is never for a term above our own");
  persisted_term_ = p_.term;
  std::vector<output> result;
  result.reserve(out_.size() + 2);
  if (persist_dirty_) result.emplace_back(persist_state{p_});  // first: later outputs depend on it
  for (auto& o : out_) result.push_back(std::move(o));
  out_.clear();
  if (role_ != role::stopped) result.emplace_back(set_timer{next_deadline()});
  return result;
}

bool election_fsm::change_role(role_event ev) {
  const auto next = next_role(role_, ev);
  if (!next) {
    ++counters_.illegal_transitions;
    return false;
  }
  role_changed rc;
  rc.from = role_;
  rc.to = *next;
  rc.cause = ev;
  role_ = *next;
  rc.term = p_.term;
  rc.master = master().value_or("");
  emit(rc);
  heartbeat_now_ = true;  // tell peers at once
  return true;
}

election_message election_fsm::make(message_type t) const {
  election_message m;
  m.type = t;
  m.from = self_;
  m.boot_id = boot_id_;
  m.term = p_.term;
  return m;
}

void election_fsm::send(const std::string& device, election_message m) {
  const auto it = peers_.find(device);
  if (it == peers_.end() || it->second.address.empty()) return;
  emit(send_message{device, it->second.address, m.type, encode(m)});
}

void election_fsm::publish_heartbeat() {
  auto m = make(message_type::heartbeat);
  m.priority = priority_;
  m.sender_role = role_;
  m.master = is_master_role(role_) ? self_ : (role_ == role::stepping_down ? std::string() : master_);
  m.summary = summary_;
  m.address = address_;
  m.http = http_;
  m.stamp = now_;
  for (const auto& [device, p] : peers_) {
    if (alive(p) && !p.address.empty() && m.known_peers.size() < known_peers_max) m.known_peers.push_back(p.address);
  }
  if (!master_.empty() && !is_master_role(role_) && role_ != role::stepping_down) {
    m.echo_master = master_;
    const auto it = peers_.find(master_);
    m.echo_term = it != peers_.end() ? it->second.term : p_.term;
    m.echo_stamp = master_stamp_;
  }
  emit(publish_message{message_type::heartbeat, encode(m)});
  next_heartbeat_ms_ = now_ + cfg_.heartbeat_interval_ms;
  heartbeat_now_ = false;
}

// --- views ----------------------------------------------------------------------------

bool election_fsm::alive(const peer_info& p) const {
  return p.heard && !p.shut_down && p.peer_role != role::stopped && now_ - p.last_heard_ms < cfg_.failure_timeout_ms;
}

bool election_fsm::alive(const std::string& device) const {
  const auto it = peers_.find(device);
  return it != peers_.end() && alive(it->second);
}

std::string election_fsm::best_live() const {
  std::string best = self_;
  std::int32_t best_priority = priority_;
  for (const auto& [id, p] : peers_) {
    if (alive(p) && better(p.priority, id, best_priority, best)) {
      best = id;
      best_priority = p.priority;
    }
  }
  return best;
}

std::optional<std::string> election_fsm::live_master_peer() const {
  std::optional<std::string> best;
  for (const auto& [id, p] : peers_) {
    if (!alive(p) || !is_master_role(p.peer_role)) continue;
    if (!best || heal_key(id) > heal_key(*best)) best = id;
  }
  return best;
}

std::size_t election_fsm::group_of(const std::string& master) const {
  std::size_t n = 1;  // the master itself
  for (const auto& [id, p] : peers_) {
    if (id != master && alive(p) && !is_master_role(p.peer_role) && p.master == master) ++n;
  }
  if (master != self_ && master_ == master && !is_master_role(role_)) ++n;  // we follow it
  return n;
}

std::tuple<std::size_t, std::uint64_t, std::int32_t, std::string> election_fsm::heal_key(
    const std::string& master) const {
  if (master == self_) return {group_of(self_), lead_term_, priority_, self_};
  const auto it = peers_.find(master);
  if (it == peers_.end()) return {0, 0, 0, master};
  return {group_of(master), it->second.term, it->second.priority, master};
}

bool election_fsm::no_live_master() const {
  if (is_master_role(role_) || live_master_peer()) return false;
  if (master_contact_valid_ && now_ < master_contact_ms_ + cfg_.failure_timeout_ms) return false;
  if (cfg_.quorum == quorum_mode::majority && now_ < vote_contact_ms_ + cfg_.failure_timeout_ms) return false;
  return true;
}

// The log rule (README "Votes and logs"): every origin keeps its own events and
// sync merges them, so electing a node that lacks events loses nothing by
// itself. The events at risk are those of origins that are no longer live:
// only survivors hold them. For log_catch_up_ms after the master was lost we
// refuse a candidate lacking such events that we hold, so that the hub is
// complete; past that window we vote anyway, so elections never stall on
// incomparable logs or on a sync that cannot run.
bool election_fsm::lacks_failed_origin(const std::string& candidate, const log_summary& theirs) const {
  const std::uint64_t lost_at =
      std::max(boot_ms_, master_contact_valid_ ? master_contact_ms_ + cfg_.failure_timeout_ms : 0);
  if (now_ >= lost_at + cfg_.log_catch_up_ms) return false;
  for (const auto& [origin, seq] : summary_) {
    if (origin == self_ || origin == candidate || alive(origin)) continue;
    const auto it = theirs.find(origin);
    if (it == theirs.end() || it->second < seq) return true;
  }
  return false;
}

bool election_fsm::can_vote_for(const std::string& candidate, const election_message& m) const {
  if (role_ == role::stopped) return false;
  if (m.transfer) {
    // The master asked `candidate` to take over: the master itself votes only
    // for the successor it chose; others only if they follow that master.
    if (is_master_role(role_)) {
      return role_ == role::handing_off && candidate == handoff_target_ && m.from_master == self_;
    }
    const auto lm = live_master_peer();
    if (lm && *lm != m.from_master) return false;
    if (!master_.empty() && master_ != m.from_master) return false;
    return true;
  }
  if (role_ == role::stepping_down || !no_live_master()) return false;
  if (best_live() != candidate) return false;
  return !lacks_failed_origin(candidate, m.summary);
}

std::size_t election_fsm::quorum_needed(std::size_t live_peers) const {
  if (cfg_.quorum == quorum_mode::majority) return members_.size() / 2 + 1;
  return (live_peers + 1) / 2 + 1;
}

bool election_fsm::lease_ok() const {
  if (cfg_.quorum != quorum_mode::majority) return true;
  std::size_t n = 1;  // self
  for (const auto& [id, p] : peers_) {
    if (members_.count(id) && p.lease_until_ms > now_) ++n;
  }
  return n >= quorum_needed(0);
}

std::uint64_t election_fsm::next_deadline() const {
  std::uint64_t d = next_heartbeat_ms_;
  const auto consider = [&](std::uint64_t t) {
    if (t > now_ && t < d) d = t;
  };
  if (role_ == role::discovery) consider(discovery_until_ms_);
  if (role_ == role::pre_candidate || role_ == role::candidate) consider(round_deadline_ms_);
  if (role_ == role::handing_off) {
    consider(handoff_deadline_ms_);
    consider(handoff_next_send_ms_);
  }
  if (role_ == role::stepping_down) consider(handoff_deadline_ms_);
  if (pending_) consider(pending_until_ms_);
  if (role_ == role::client) {
    if (master_contact_valid_) consider(master_contact_ms_ + cfg_.failure_timeout_ms);
    if (cfg_.quorum == quorum_mode::majority) consider(vote_contact_ms_ + cfg_.failure_timeout_ms);
    consider(next_attempt_ms_);
    for (const auto& [id, p] : peers_) {
      if (alive(p)) consider(p.last_heard_ms + cfg_.failure_timeout_ms);
    }
  }
  if (is_master_role(role_) && cfg_.quorum == quorum_mode::majority) {
    for (const auto& [id, p] : peers_) consider(p.lease_until_ms);
  }
  return d;
}


// --- public inputs ------------------------------------------------------------------------

std::vector<output> election_fsm::on_message(const std::string& address, std::uint8_t type, std::string_view body,
                                             std::uint64_t now_ms) {
  if (role_ == role::stopped) return {};
  begin(now_ms);
  auto decoded = decode(type, body);
  if (!decoded) {
    if (decoded.error().code == static_cast<int>(errc::unsupported_version)) {
      ++counters_.unsupported_version;
    } else {
      ++counters_.malformed;
    }
    return finish();
  }
  const election_message& m = *decoded;
  if (m.from == self_) return finish();  // our own publish, looped back
  auto it = peers_.find(m.from);
  if (it == peers_.end()) {
    if (peers_.size() >= peers_max) {
      ++counters_.peers_ignored;
      return finish();
    }
    it = peers_.emplace(m.from, peer_info{}).first;
  }
  peer_info& p = it->second;
  if (p.shut_down && m.boot_id == p.down_boot) {  // late frame of an incarnation that left
    ++counters_.stale_incarnation;
    return finish();
  }
  if (p.boot_id != m.boot_id) {  // first contact or a restart: forget the old incarnation
    p.boot_id = m.boot_id;
    p.shut_down = false;
    p.lease_until_ms = 0;
  }
  ++counters_.messages_received;
  p.heard = true;
  p.last_heard_ms = now_;
  if (!address.empty()) {
    p.address = address;
  } else if (m.type == message_type::heartbeat && !m.address.empty()) {
    p.address = m.address;
  }
  members_.insert(m.from);

  // Terms move only with elections (issue 16): no message raises our term by
  // itself. A term is adopted when we grant a vote for it (on_vote_request),
  // when we follow a master of it (follow), or, one step at a time, when a
  // round of ours was refused by a higher term (fail_round).
  switch (m.type) {
    case message_type::heartbeat: on_heartbeat(p, m); break;
    case message_type::pre_vote_request: on_pre_vote_request(m); break;
    case message_type::pre_vote_reply: on_pre_vote_reply(m); break;
    case message_type::vote_request: on_vote_request(m); break;
    case message_type::vote_reply: on_vote_reply(m); break;
    case message_type::handoff: on_handoff(m); break;
    case message_type::handoff_ack: on_handoff_ack(m); break;
    case message_type::shutdown_notice: on_shutdown_notice(p, m); break;
    case message_type::master_request: on_master_request(m); break;
  }
  run_due();
  return finish();
}

std::vector<output> election_fsm::on_tick(std::uint64_t now_ms) {
  if (role_ == role::stopped) return {};
  begin(now_ms);
  run_due();
  return finish();
}

// Everything that is due by the clock. Runs on every input, not only on ticks:
// a node that receives a message just before each deadline (the next timer is
// recomputed on every call) would otherwise never check its lease, and a
// majority-mode master cut off from its quorum would stay master.
void election_fsm::run_due() {
  if (role_ == role::discovery && now_ >= discovery_until_ms_) change_role(role_event::discovery_elapsed);
  if (role_ == role::client && !master_.empty() && !alive(master_)) unfollow(false);
  if ((role_ == role::pre_candidate || role_ == role::candidate) && now_ >= round_deadline_ms_) fail_round();
  if (is_master_role(role_) && !lease_ok()) {
    ++counters_.lease_step_downs;
    step_down(role_event::lease_lost, "");
  }
  if (role_ == role::handing_off) {
    if (now_ >= handoff_deadline_ms_) {
      handoff_failed();
    } else if (now_ >= handoff_next_send_ms_) {
      send_handoff();
    }
  } else if (role_ == role::stepping_down && now_ >= handoff_deadline_ms_) {
    ++counters_.handoffs_failed;
    if (shutting_down_) {
      finish_shutdown(false, "");
    } else {
      change_role(role_event::handoff_expired);
    }
  }
  if (pending_ && now_ >= pending_until_ms_) pending_ = false;
  try_pending_transfer();
  maybe_stand();
}

std::vector<output> election_fsm::request_shutdown(std::uint64_t now_ms) {
  if (role_ == role::stopped) return {};
  begin(now_ms);
  shutting_down_ = true;
  if (role_ == role::master) {
    // The best live client: it will be the best candidate once we are gone.
    std::string target;
    std::int32_t target_priority = 0;
    for (const auto& [id, p] : peers_) {
      if (!alive(p) || p.peer_role == role::discovery) continue;
      if (target.empty() || better(p.priority, id, target_priority, target)) {
        target = id;
        target_priority = p.priority;
      }
    }
    if (target.empty()) {
      finish_shutdown(false, "");
    } else {
      start_handoff(target, change_reason::shutdown);
    }
  } else if (role_ == role::handing_off || role_ == role::stepping_down) {
    // A manual hand-off is under way: let it finish as a shutdown, bounded anew.
    handoff_reason_ = change_reason::shutdown;
    handoff_deadline_ms_ = now_ + cfg_.handoff_timeout_ms;
  } else {
    finish_shutdown(false, "");
  }
  return finish();
}

sn::expected<std::vector<output>> election_fsm::request_master(const std::string& device, std::uint64_t now_ms) {
  if (role_ == role::stopped) return make_error(errc::stopped, "this node has shut down");
  if (role_ == role::handing_off || role_ == role::stepping_down) {
    return make_error(errc::busy, "a hand-off to " + handoff_target_ + " is in progress");
  }
  begin(now_ms);
  if (device != self_) {
    if (!peers_.count(device)) return make_error(errc::unknown_device, "device " + device + " was never heard of");
    if (!alive(device)) return make_error(errc::not_live, "device " + device + " is not live");
  }
  if (role_ == role::master) {
    if (device != self_) start_handoff(device, change_reason::manual);
    return finish();
  }
  if (master_.empty() || !alive(master_)) return make_error(errc::no_master, "no live master to ask");
  auto m = make(message_type::master_request);
  m.target = device;
  send(master_, std::move(m));
  return finish();
}

std::vector<output> election_fsm::set_log_summary(log_summary s, std::uint64_t now_ms) {
  if (role_ == role::stopped) return {};
  begin(now_ms);
  summary_ = std::move(s);
  try_pending_transfer();
  return finish();
}

void election_fsm::set_members(const std::vector<std::string>& devices) {
  for (const auto& d : devices) {
    if (valid_device_id(d)) members_.insert(d);
  }
}

std::optional<std::string> election_fsm::master() const {
  if (is_master_role(role_)) return self_;
  if (master_.empty()) return std::nullopt;
  return master_;
}

std::string election_fsm::master_address() const {
  if (master_.empty() || is_master_role(role_)) return {};
  const auto it = peers_.find(master_);
  return it == peers_.end() ? std::string() : it->second.address;
}

state_view election_fsm::status() const {
  state_view v;
  v.self = self_;
  v.priority = priority_;
  v.current_role = role_;
  v.term = p_.term;
  v.master = master();
  v.voted_for = p_.voted_for;
  v.voted_term = p_.voted_term;
  v.quorum = cfg_.quorum;
  for (const auto& [id, p] : peers_) {
    peer_view pv;
    pv.device = id;
    pv.address = p.address;
    pv.http = p.http;
    pv.boot_id = p.boot_id;
    pv.priority = p.priority;
    pv.peer_role = p.peer_role;
    pv.term = p.term;
    pv.master = p.master;
    pv.summary = p.summary;
    pv.last_heard_ms = p.last_heard_ms;
    pv.alive = alive(p);
    pv.shut_down = p.shut_down;
    v.peers.push_back(std::move(pv));
  }
  v.counters = counters_;
  return v;
}

// --- message handlers -----------------------------------------------------------------------

// Adopts a higher term (persisted before anything that depends on it). Called
// only where an election stands behind the term: a vote we grant, a master we
// follow, a round of ours refused by a higher term.
void election_fsm::adopt_term(std::uint64_t term) {
  if (term <= p_.term) return;
  p_.term = term;
  persist_dirty_ = true;
}

void election_fsm::on_heartbeat(peer_info& p, const election_message& m) {
  for (const auto& a : m.known_peers) {
    if (a != address_ && learned_addresses_.size() < known_peers_max) learned_addresses_.insert(a);
  }
  if (!m.http.empty()) p.http = m.http;
  p.priority = m.priority;
  p.peer_role = m.sender_role;
  p.term = m.term;  // as claimed: shown in status, ordered by heal_key, never adopted from here
  p.master = m.master;
  p.summary = m.summary;

  if (is_master_role(role_) && cfg_.quorum == quorum_mode::majority && m.echo_master == self_ &&
      m.echo_term == lead_term_) {
    p.lease_until_ms = std::max(p.lease_until_ms, m.echo_stamp + cfg_.master_lease_ms);
  }

  const bool sender_is_master = is_master_role(m.sender_role);
  if (m.from == master_ && !is_master_role(role_)) {
    if (sender_is_master) {
      master_contact_valid_ = true;
      master_contact_ms_ = now_;
      master_stamp_ = std::max(master_stamp_, m.stamp);
      adopt_term(m.term);  // the master we follow won a newer term
    } else {
      unfollow(false);  // it stepped down (hand-off, split brain, lease)
    }
  }

  if (sender_is_master) {
    if (is_master_role(role_)) {
      // Split brain: two masters see each other. The one more of the store
      // follows keeps the role (then higher term, priority, device id): a
      // device that was merely cut off never deposes the master the rest of
      // the store followed.
      if (heal_key(m.from) > heal_key(self_)) {
        ++counters_.split_brain_step_downs;
        step_down(role_event::split_brain_lost, m.from);
        follow(m.from, m.stamp);
      }
    } else if (role_ == role::stepping_down) {
      if (m.from == handoff_target_) {
        ++counters_.handoffs_completed;
        if (shutting_down_) {
          finish_shutdown(true, m.from);
        } else {
          master_ = m.from;
          master_stamp_ = 0;  // stamps are per master clock: never echo another master's
          change_role(role_event::handoff_done);
          follow(m.from, m.stamp);
        }
      }
    } else if (m.term < p_.voted_term && now_ < voted_at_ms_ + cfg_.failure_timeout_ms) {
      // We just voted in a later term than this master's (for ourselves or
      // another): that election decides, not a master it is replacing (one
      // handing over, or the one whose loss started it). Past the timeout a
      // lower-term master may be followed again (a heal's winner can have a
      // lower term than some of the devices that now follow it).
    } else if (master_ != m.from) {
      const bool replace = master_.empty() || !alive(master_) || heal_key(m.from) > heal_key(master_);
      if (replace) follow(m.from, m.stamp);
    } else if (role_ != role::client) {
      follow(m.from, m.stamp);
    }
  }

  // Master side of a hand-off: the successor's summary may now cover ours.
  if (role_ == role::handing_off && m.from == handoff_target_ && covers(m.summary, summary_)) send_handoff();
}

void election_fsm::on_pre_vote_request(const election_message& m) {
  auto reply = make(message_type::pre_vote_reply);
  reply.proposed_term = m.proposed_term;
  reply.granted = m.proposed_term > p_.term && can_vote_for(m.from, m);
  if (reply.granted) ++counters_.pre_votes_granted;
  send(m.from, std::move(reply));
}

void election_fsm::on_pre_vote_reply(const election_message& m) {
  if (role_ != role::pre_candidate || m.proposed_term != round_term_) return;
  if (!m.granted && m.term >= round_term_) round_outranked_ = true;
  (m.granted ? grants_ : refusals_).insert(m.from);
  check_round();
}

void election_fsm::on_vote_request(const election_message& m) {
  auto reply = make(message_type::vote_reply);
  reply.stamp = m.stamp;
  bool grant = false;
  if (m.term < p_.term) {
    // stale round
  } else if (p_.voted_term == m.term) {
    grant = p_.voted_for == m.from;  // a duplicate request: same answer
  } else if (can_vote_for(m.from, m)) {
    // The only way another node's term becomes ours: we vote in its election.
    // A refused request (a live master, a better candidate, a liar) moves nothing.
    if (m.term > p_.term) {
      adopt_term(m.term);
      if (role_ == role::pre_candidate || role_ == role::candidate) {
        change_role(role_event::higher_term_seen);
        next_attempt_ms_ = now_;
      } else if (!master_.empty() && role_ == role::client) {
        unfollow(false);  // our master's term is over (a hand-off we take part in)
      }
    }
    grant = true;
    p_.voted_for = m.from;
    p_.voted_term = m.term;
    voted_at_ms_ = now_;
    persist_dirty_ = true;
    ++counters_.votes_granted;
    if (m.transfer && role_ == role::handing_off) {
      change_role(role_event::transfer_vote_given);  // no longer master from here on
    }
    // majority mode: a vote is a promise like an echoed heartbeat (the
    // candidate's lease counts on it): no other vote for failure_timeout_ms.
    if (cfg_.quorum == quorum_mode::majority) vote_contact_ms_ = now_;
  }
  reply.granted = grant;
  reply.term = p_.term;  // after any adoption above
  send(m.from, std::move(reply));
}

void election_fsm::on_vote_reply(const election_message& m) {
  if (role_ != role::candidate || m.stamp != round_stamp_) return;
  // Voters adopt our term only when they grant; a refusal carries the voter's own term.
  if (m.granted && m.term == round_term_) {
    grants_.insert(m.from);
  } else if (!m.granted) {
    if (m.term > round_term_) round_outranked_ = true;
    refusals_.insert(m.from);
  }
  check_round();
}

void election_fsm::on_handoff(const election_message& m) {
  auto ack = make(message_type::handoff_ack);
  if (role_ == role::candidate && round_transfer_ && round_from_master_ == m.from) {
    ack.status = handoff_status::accepted;  // duplicate: already standing
  } else if (role_ != role::client || master_ != m.from) {
    ack.status = handoff_status::refused;
  } else if (covers(summary_, m.summary)) {
    ack.status = handoff_status::accepted;
    pending_ = false;
    start_vote(true, m.from, m.reason);
  } else {
    ack.status = handoff_status::not_synced;
    // The master re-sends its hand-off every heartbeat until its own bound
    // (handoff_timeout_ms from its first send): the window here starts with
    // the first one we got, not the latest, so it does not outlast the
    // master's by more than one message's way.
    const bool resent = pending_ && pending_from_ == m.from && pending_term_ == m.term;
    if (!resent) pending_until_ms_ = now_ + cfg_.handoff_timeout_ms;
    pending_ = true;
    pending_from_ = m.from;
    pending_term_ = m.term;
    pending_reason_ = m.reason;
    pending_summary_ = m.summary;
  }
  ack.summary = summary_;
  send(m.from, std::move(ack));
}

void election_fsm::on_handoff_ack(const election_message& m) {
  if (role_ != role::handing_off || m.from != handoff_target_) return;
  if (m.status == handoff_status::refused) handoff_failed();
}

void election_fsm::on_shutdown_notice(peer_info& p, const election_message& m) {
  p.shut_down = true;
  p.down_boot = m.boot_id;
  p.lease_until_ms = 0;
  if (m.from == master_ && !is_master_role(role_)) {
    // It stopped being master before saying so: no need to wait for silence.
    master_contact_valid_ = false;
    unfollow(true);
  }
}

void election_fsm::on_master_request(const election_message& m) {
  if (role_ != role::master || m.target == self_) return;
  if (alive(m.target)) start_handoff(m.target, change_reason::manual);
}

// --- steps ---------------------------------------------------------------------------------

void election_fsm::follow(const std::string& device, std::uint64_t stamp) {
  const bool changed = master_ != device;
  if (role_ == role::pre_candidate || role_ == role::candidate || role_ == role::discovery) {
    master_ = device;
    change_role(role_event::master_found);
  } else if (role_ == role::client && changed) {
    master_ = device;
    change_role(role_event::master_found);
  } else if (role_ != role::client) {
    return;  // masters, stepping_down: handled by their own rules
  }
  if (changed) master_stamp_ = 0;
  master_ = device;
  if (const auto it = peers_.find(device); it != peers_.end()) adopt_term(it->second.term);
  last_lost_lease_ = false;
  master_stamp_ = std::max(master_stamp_, stamp);
  master_contact_valid_ = true;
  master_contact_ms_ = now_;
  last_known_master_ = device;
  last_master_left_by_shutdown_ = false;
  pending_ = pending_ && pending_from_ == device;
  if (deposed_unrecorded_ && device != self_) {
    deposed_unrecorded_ = false;
    ++counters_.split_brain_step_downs;
    emit(append_master_changed{split_brain_record(device)});
  }
}

void election_fsm::unfollow(bool left_by_shutdown) {
  if (master_.empty() || role_ != role::client) {
    if (role_ != role::client) master_.clear();
    return;
  }
  last_known_master_ = master_;
  last_master_left_by_shutdown_ = left_by_shutdown;
  master_.clear();
  change_role(role_event::master_lost);
}

sn::master_changed election_fsm::split_brain_record(const std::string& winner) const {
  sn::master_changed mc;
  mc.previous_master = self_;
  mc.new_master = winner;
  const auto it = peers_.find(winner);
  // The term the winner leads (a heal's winner may hold a lower term than the
  // loser: the record names the winner's, never one it did not hold).
  mc.term = it != peers_.end() ? it->second.term : p_.term;
  mc.reason = to_string(change_reason::split_brain);
  mc.participants = {std::min(self_, winner), std::max(self_, winner)};
  return mc;
}

void election_fsm::step_down(role_event ev, const std::string& winner) {
  const bool was_handing_off = role_ == role::handing_off;
  master_.clear();
  if (!change_role(ev)) return;
  // Deposed by a higher term before its master is known (e.g. a vote request
  // queued while this process was stopped): still a split brain, recorded
  // once we follow the winner (follow()).
  deposed_unrecorded_ = ev == role_event::higher_term_seen && !was_handing_off;
  last_lost_lease_ = ev == role_event::lease_lost;
  if (ev == role_event::split_brain_lost) emit(append_master_changed{split_brain_record(winner)});
  last_known_master_ = winner.empty() ? self_ : winner;
  last_master_left_by_shutdown_ = false;
  if (was_handing_off) {
    ++counters_.handoffs_failed;
    if (shutting_down_) finish_shutdown(false, "");
  }
}

void election_fsm::maybe_stand() {
  if (role_ != role::client || !master_.empty() || pending_ || now_ < next_attempt_ms_) return;
  if (!no_live_master() || best_live() != self_) return;
  start_pre_vote();
}

void election_fsm::start_pre_vote() {
  if (!change_role(role_event::pre_vote_started)) return;
  ++counters_.pre_votes_started;
  round_term_ = p_.term + 1;
  round_outranked_ = false;
  round_transfer_ = false;
  round_from_master_.clear();
  grants_ = {self_};
  refusals_.clear();
  round_deadline_ms_ = now_ + cfg_.election_round_timeout_ms;
  std::size_t asked = 0;
  auto m = make(message_type::pre_vote_request);
  m.proposed_term = round_term_;
  m.priority = priority_;
  m.summary = summary_;
  for (const auto& [id, p] : peers_) {
    if (!alive(p)) continue;
    ++asked;
    send(id, m);
  }
  round_voters_ = asked + 1;
  round_needed_ = quorum_needed(asked);
  check_round();
}

void election_fsm::start_vote(bool transfer, const std::string& from_master, change_reason reason) {
  if (!change_role(transfer ? role_event::transfer_started : role_event::pre_vote_won)) return;
  ++counters_.elections_started;
  p_.term += 1;
  p_.voted_for = self_;
  p_.voted_term = p_.term;
  voted_at_ms_ = now_;
  persist_dirty_ = true;  // before the requests that use it (finish() puts it first)
  round_term_ = p_.term;
  round_outranked_ = false;
  round_stamp_ = now_;
  round_transfer_ = transfer;
  round_from_master_ = from_master;
  round_reason_ = reason;
  grants_ = {self_};
  refusals_.clear();
  round_deadline_ms_ = now_ + cfg_.election_round_timeout_ms;
  auto m = make(message_type::vote_request);
  m.priority = priority_;
  m.summary = summary_;
  m.stamp = round_stamp_;
  m.transfer = transfer;
  m.from_master = from_master;
  m.reason = reason;
  std::size_t asked = 0;
  for (const auto& [id, p] : peers_) {
    if (!alive(p)) continue;
    ++asked;
    send(id, m);
  }
  round_voters_ = asked + 1;
  round_needed_ = quorum_needed(asked);
  check_round();
}

void election_fsm::check_round() {
  const bool need_master = round_transfer_ && role_ == role::candidate;
  const bool have_all = grants_.size() >= round_needed_ && (!need_master || grants_.count(round_from_master_));
  if (have_all) {
    if (role_ == role::pre_candidate) {
      start_vote(false, "", change_reason::failure);
    } else if (role_ == role::candidate) {
      win();
    }
    return;
  }
  const bool master_refused = need_master && refusals_.count(round_from_master_);
  const bool hopeless = refusals_.size() + round_needed_ > round_voters_;
  if (master_refused || hopeless) fail_round();
}

void election_fsm::win() {
  // A master that re-elects itself names itself as the previous master.
  const std::string previous = last_known_master_;
  master_.clear();
  if (!change_role(role_event::vote_won)) return;
  ++counters_.elections_won;
  lead_term_ = p_.term;
  for (const auto& g : grants_) {
    if (g == self_) continue;
    auto& p = peers_[g];
    p.lease_until_ms = std::max(p.lease_until_ms, round_stamp_ + cfg_.master_lease_ms);
  }
  change_reason reason = change_reason::startup;
  if (round_transfer_) {
    reason = round_reason_;
  } else if (last_known_master_ == self_ && last_lost_lease_) {
    reason = change_reason::lease_lost;
  } else if (!last_known_master_.empty()) {
    reason = last_master_left_by_shutdown_ ? change_reason::shutdown : change_reason::failure;
  }
  sn::master_changed mc;
  mc.previous_master = round_transfer_ ? round_from_master_ : previous;
  mc.new_master = self_;
  mc.term = p_.term;
  mc.reason = to_string(reason);
  mc.participants.assign(grants_.begin(), grants_.end());
  emit(append_master_changed{std::move(mc)});
  last_known_master_ = self_;
  last_master_left_by_shutdown_ = false;
  last_lost_lease_ = false;
  deposed_unrecorded_ = false;
  pending_ = false;
}

void election_fsm::fail_round() {
  if (!change_role(role_event::round_failed)) return;
  // Refused by a later term: stand higher next time. By one term, or, when
  // more devices are live than this round needed, up to the term that would
  // have let it win: the k-th smallest term the live devices announce, k the
  // votes needed besides ours. A lone peer lying about its term cannot lift
  // ours past an honest device's: its claim is picked only when its vote was
  // needed, and then we jump by one. A device that missed many elections
  // catches up in one round.
  if (round_outranked_) {
    std::vector<std::uint64_t> terms;
    for (const auto& [id, p] : peers_) {
      if (alive(p)) terms.push_back(p.term);
    }
    std::sort(terms.begin(), terms.end());
    const std::size_t k = round_needed_ > 0 ? round_needed_ - 1 : 0;
    std::uint64_t target = round_term_;
    if (k >= 1 && terms.size() > k) target = std::max(target, terms[k - 1]);
    adopt_term(target);
  }
  round_outranked_ = false;
  const std::uint64_t jitter = cfg_.election_jitter_ms == 0 ? 0 : rng_() % (cfg_.election_jitter_ms + 1);
  next_attempt_ms_ = now_ + jitter;
}

void election_fsm::start_handoff(const std::string& target, change_reason reason) {
  if (!change_role(role_event::handoff_started)) return;
  ++counters_.handoffs_started;
  handoff_target_ = target;
  handoff_reason_ = reason;
  handoff_deadline_ms_ = now_ + cfg_.handoff_timeout_ms;
  send_handoff();
}

void election_fsm::send_handoff() {
  auto m = make(message_type::handoff);
  m.reason = handoff_reason_;
  m.summary = summary_;
  send(handoff_target_, std::move(m));
  handoff_next_send_ms_ = now_ + cfg_.heartbeat_interval_ms;
}

// Refused, or the bound passed before we gave the successor our vote: we are
// still master, so a manual hand-off simply stays with us.
void election_fsm::handoff_failed() {
  ++counters_.handoffs_failed;
  if (shutting_down_) {
    finish_shutdown(false, "");
  } else {
    change_role(role_event::handoff_aborted);
  }
}

void election_fsm::finish_shutdown(bool handed_off, const std::string& successor) {
  emit(publish_message{message_type::shutdown_notice, encode(make(message_type::shutdown_notice))});
  master_.clear();
  change_role(role_event::shutdown_done);
  emit(shutdown_ready{handed_off, successor});
}

void election_fsm::try_pending_transfer() {
  if (!pending_) return;
  const auto it = peers_.find(pending_from_);
  if (role_ != role::client || master_ != pending_from_ || it == peers_.end() || it->second.term != pending_term_) {
    pending_ = false;
    return;
  }
  if (!covers(summary_, pending_summary_)) return;
  // Stand only while the master still hands over: its heartbeat says so (it
  // publishes one at once when it gives up). A master that gave up refuses a
  // transfer vote, and a round it refuses has already lifted the voters that
  // granted it to a term no master holds (they then follow the old master at
  // the lower term, and the override is lost). Wait for the next heartbeat
  // otherwise: one from before the hand-off may still be the newest.
  if (it->second.peer_role != role::handing_off) return;
  pending_ = false;
  start_vote(true, pending_from_, pending_reason_);
  auto ack = make(message_type::handoff_ack);
  ack.status = handoff_status::accepted;
  ack.summary = summary_;
  send(pending_from_, std::move(ack));
}

} // namespace sn::election
