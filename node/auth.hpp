// Staff authentication at the HTTP edge (issue 10): sign-in with a PIN,
// the node-local session table, lockouts, approvals. The decisions are the
// pure units of actors/staff/; this class adds the mutex, the clock, the
// randomness and the reads of the staff projection.
//
// Contract
// - Thread-safe: every HTTP worker calls it. A PIN is verified (Argon2id,
//   ~60-80 ms) outside the mutex, so sign-ins do not queue behind each other.
// - A PIN is never stored, logged or returned; only verify_pin sees it.
// - Every sign-in, failed sign-in (after a PIN check; not one refused by a
//   lockout) and sign-out is recorded through `record` as an event
//   (staff.signed_in / staff.sign_in_failed / staff.signed_out).
// - Failed approver PINs count against the approver's lockout like failed
//   sign-ins (an approval is not a way around the lockout).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/projections/staff.hpp"
#include "actors/staff/lockout.hpp"
#include "actors/staff/sessions.hpp"
#include "events/event.hpp"
#include "node/api_error.hpp"

namespace sn::node {

struct auth_options {
  std::uint64_t idle_timeout_ms = 900000;
  staff::lockout_config lockout;
};

/// A signed-in person, as a request sees them.
struct signed_in {
  std::string staff_id;
  std::string name;
  staff::role role = staff::role::cashier;
  std::uint64_t expires_ms = 0;
};

/// A sign-in's answer: the token (shown once) and the session.
struct new_session {
  std::string token;
  signed_in who;
};

/// An approver whose PIN checked out.
struct approver {
  std::string staff_id;
  staff::role role = staff::role::cashier;
};

class auth_service {
 public:
  using credentials_fn = std::function<std::optional<projections::staff::staff_credentials>(const std::string&)>;
  /// Appends drafts (staff.signed_in, ...) as this device's own events.
  using record_fn = std::function<void(std::vector<event>)>;
  using clock_fn = std::function<std::uint64_t()>;  ///< wall ms

  auth_service(auth_options o, credentials_fn credentials, record_fn record, clock_fn clock);

  /// POST /v1/sessions. Refusals: 400 invalid_field (id or PIN malformed),
  /// 401 unauthenticated (unknown id, inactive, wrong PIN: one message for
  /// all, so it does not tell which ids exist), 429 too_many_attempts
  /// (locked: the message says for how long).
  api_result<new_session> sign_in(const std::string& staff_id, const std::string& pin);
  /// The session of an "Authorization: Bearer <token>" header value (the
  /// whole header); 401 unauthenticated when absent, malformed, unknown or
  /// expired. Renews the session.
  api_result<signed_in> authenticate(const std::string& authorization);
  /// DELETE /v1/sessions/current (records staff.signed_out).
  void sign_out(const std::string& authorization);
  /// Checks an approver's PIN. 403 approval_required (unknown, inactive or
  /// wrong PIN), 429 too_many_attempts. The caller checks the role.
  api_result<approver> approve(const std::string& staff_id, const std::string& pin);
  /// Ends the sessions of `staff_id` (removed, deactivated, role changed).
  void end_sessions_of(const std::string& staff_id);

 private:
  /// nullopt: the PIN matched; else the reason for a failure event.
  struct checked {
    std::optional<projections::staff::staff_credentials> who;
    const char* failure = nullptr;  ///< wrong_pin | unknown_staff | inactive
  };
  std::optional<api_error> locked(const std::string& staff_id, std::uint64_t now);
  checked check_pin(const std::string& staff_id, const std::string& pin);
  void note_failure(const std::string& staff_id, const char* reason, std::uint64_t now);

  auth_options options_;
  credentials_fn credentials_;
  record_fn record_;
  clock_fn clock_;
  std::mutex mu_;
  staff::session_table sessions_;
  staff::lockout lockout_;
};

}  // namespace sn::node
