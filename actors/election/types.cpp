#include "actors/election/types.hpp"

#include "actors/election/errc.hpp"

namespace sn::election {

const char* to_string(message_type t) noexcept {
  switch (t) {
    case message_type::heartbeat: return "heartbeat";
    case message_type::pre_vote_request: return "pre_vote_request";
    case message_type::pre_vote_reply: return "pre_vote_reply";
    case message_type::vote_request: return "vote_request";
    case message_type::vote_reply: return "vote_reply";
    case message_type::handoff: return "handoff";
    case message_type::handoff_ack: return "handoff_ack";
    case message_type::shutdown_notice: return "shutdown_notice";
    case message_type::master_request: return "master_request";
  }
  return "unknown";
}

const char* to_string(role r) noexcept {
  switch (r) {
    case role::discovery: return "discovery";
    case role::client: return "client";
    case role::pre_candidate: return "pre_candidate";
    case role::candidate: return "candidate";
    case role::master: return "master";
    case role::handing_off: return "handing_off";
    case role::stepping_down: return "stepping_down";
    case role::stopped: return "stopped";
  }
  return "unknown";
}

const char* to_string(role_event e) noexcept {
  switch (e) {
    case role_event::discovery_elapsed: return "discovery_elapsed";
    case role_event::master_found: return "master_found";
    case role_event::master_lost: return "master_lost";
    case role_event::pre_vote_started: return "pre_vote_started";
    case role_event::pre_vote_won: return "pre_vote_won";
    case role_event::transfer_started: return "transfer_started";
    case role_event::round_failed: return "round_failed";
    case role_event::vote_won: return "vote_won";
    case role_event::higher_term_seen: return "higher_term_seen";
    case role_event::split_brain_lost: return "split_brain_lost";
    case role_event::lease_lost: return "lease_lost";
    case role_event::handoff_started: return "handoff_started";
    case role_event::handoff_aborted: return "handoff_aborted";
    case role_event::transfer_vote_given: return "transfer_vote_given";
    case role_event::handoff_done: return "handoff_done";
    case role_event::handoff_expired: return "handoff_expired";
    case role_event::shutdown_done: return "shutdown_done";
  }
  return "unknown";
}

std::optional<role> next_role(role from, role_event ev) noexcept {
  using r = role;
  if (from == r::stopped) return std::nullopt;  // terminal: nothing leaves it
  switch (ev) {
    case role_event::discovery_elapsed:
      if (from == r::discovery) return r::client;
      break;
    case role_event::master_found:
      if (from == r::discovery || from == r::client || from == r::pre_candidate || from == r::candidate ||
          from == r::stepping_down) {
        return r::client;
      }
      break;
    case role_event::master_lost:
      if (from == r::client) return r::client;
      break;
    case role_event::pre_vote_started:
      if (from == r::client) return r::pre_candidate;
      break;
    case role_event::pre_vote_won:
      if (from == r::pre_candidate) return r::candidate;
      break;
    case role_event::transfer_started:
      if (from == r::client) return r::candidate;
      break;
    case role_event::round_failed:
      if (from == r::pre_candidate || from == r::candidate) return r::client;
      break;
    case role_event::vote_won:
      if (from == r::candidate) return r::master;
      break;
    case role_event::higher_term_seen:
      if (from == r::pre_candidate || from == r::candidate || is_master_role(from)) return r::client;
      break;
    case role_event::split_brain_lost:
    case role_event::lease_lost:
      if (is_master_role(from)) return r::client;
      break;
    case role_event::handoff_started:
      if (from == r::master) return r::handing_off;
      break;
    case role_event::handoff_aborted:
      if (from == r::handing_off) return r::master;
      break;
    case role_event::transfer_vote_given:
      if (from == r::handing_off) return r::stepping_down;
      break;
    case role_event::handoff_done:
    case role_event::handoff_expired:
      if (from == r::stepping_down) return r::client;
      break;
    case role_event::shutdown_done:
      return r::stopped;
  }
  return std::nullopt;
}

const char* to_string(change_reason r) noexcept {
  switch (r) {
    case change_reason::startup: return "startup";
    case change_reason::failure: return "failure";
    case change_reason::shutdown: return "shutdown";
    case change_reason::manual: return "manual";
    case change_reason::split_brain: return "split_brain";
    case change_reason::lease_lost: return "lease_lost";
  }
  return "unknown";
}

const char* to_string(quorum_mode q) noexcept {
  switch (q) {
    case quorum_mode::any: return "any";
    case quorum_mode::majority: return "majority";
  }
  return "unknown";
}

namespace {

status out_of_bounds(const char* field, std::uint64_t value, std::uint64_t lo, std::uint64_t hi) {
  return make_error(errc::invalid_config, std::string("election.") + field + " = " + std::to_string(value) +
                                              " is outside " + std::to_string(lo) + ".." + std::to_string(hi));
}

} // namespace

status election_config::validate() const {
  const auto check = [](const char* f, std::uint64_t v, std::uint64_t lo, std::uint64_t hi) -> status {
    if (v < lo || v > hi) return out_of_bounds(f, v, lo, hi);
    return status::ok();
  };
  const std::uint64_t hb = heartbeat_interval_ms;
  if (auto s = check("heartbeat_interval_ms", hb, 10, 10'000); !s) return s;
  if (auto s = check("failure_timeout_ms", failure_timeout_ms, 3 * hb, 600'000); !s) return s;
  if (auto s = check("discovery_ms", discovery_ms, 2 * hb, failure_timeout_ms); !s) return s;
  if (auto s = check("election_round_timeout_ms", election_round_timeout_ms, 10, failure_timeout_ms); !s) return s;
  if (auto s = check("election_jitter_ms", election_jitter_ms, 0, 10'000); !s) return s;
  if (auto s = check("master_lease_ms", master_lease_ms, hb, failure_timeout_ms - hb); !s) return s;
  if (auto s = check("handoff_timeout_ms", handoff_timeout_ms, hb, 600'000); !s) return s;
  if (auto s = check("log_catch_up_ms", log_catch_up_ms, 0, 600'000); !s) return s;
  if (quorum != quorum_mode::any && quorum != quorum_mode::majority) {
    return make_error(errc::invalid_config, "election.quorum must be \"any\" or \"majority\"");
  }
  return status::ok();
}

bool covers(const log_summary& have, const log_summary& need) {
  for (const auto& [origin, seq] : need) {
    if (seq == 0) continue;
    const auto it = have.find(origin);
    if (it == have.end() || it->second < seq) return false;
  }
  return true;
}

} // namespace sn::election
