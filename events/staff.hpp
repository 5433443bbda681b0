// Staff aggregate payloads (ARCHITECTURE.md §9 "Staff"): who may work the
// store's devices, with which role, and every sign-in, sign-in failure and
// sign-out.
//
// Secrets: `pin_hash` is an Argon2id string (libsodium crypto_pwhash_str:
// algorithm, parameters, per-staff random salt and hash). It replicates with
// the log so that any device can sign anyone in while offline; it is never
// rendered (events/json.cpp leaves it out, and renders these types typed even
// at a newer schema so that no generic rendering can show it), never held by
// a query result, never logged. The PIN itself is in no event.
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// A person may now sign in (or, for an id removed before, again).
struct staff_added {
  static constexpr event_type type = event_type::staff_added;
  static constexpr std::uint16_t schema = 1;
  static constexpr bool holds_secret = true;
  std::string id;        ///< the staff id (1..64 of [A-Za-z0-9_.-])
  std::string name;      ///< display name
  std::string role;      ///< cashier | supervisor | manager | admin
  std::string pin_hash;  ///< Argon2id string of the PIN (never shown)
  bool active = true;    ///< may sign in
  std::string staff_id;     ///< who added them ("" = the node itself: bootstrap)
  std::string approver_id;  ///< who approved it ("" = none)
};

/// A person's name, role or active flag (one register) and/or PIN changed.
struct staff_updated {
  static constexpr event_type type = event_type::staff_updated;
  static constexpr std::uint16_t schema = 1;
  static constexpr bool holds_secret = true;
  std::string id;
  std::string name;
  std::string role;
  std::string pin_hash;  ///< "" = PIN unchanged; else the new PIN's Argon2id string
  bool active = true;
  std::string staff_id;
  std::string approver_id;
};

/// A person may no longer sign in; their history keeps their id.
struct staff_removed {
  static constexpr event_type type = event_type::staff_removed;
  static constexpr std::uint16_t schema = 1;
  std::string id;
  std::string staff_id;
  std::string approver_id;
};

/// A person signed in on the writing device (the event's origin).
struct staff_signed_in {
  static constexpr event_type type = event_type::staff_signed_in;
  static constexpr std::uint16_t schema = 1;
  std::string staff_id;
  std::string role;  ///< the role the session holds
};

/// A sign-in was refused after its PIN was checked (or the id was unknown or
/// inactive). Attempts refused by a lockout are not recorded: the lockout
/// bounds how many of these one device writes.
struct staff_sign_in_failed {
  static constexpr event_type type = event_type::staff_sign_in_failed;
  static constexpr std::uint16_t schema = 1;
  std::string staff_id;  ///< as typed (may name nobody)
  std::string reason;    ///< wrong_pin | unknown_staff | inactive
};

/// A person signed out (DELETE /v1/sessions/current).
struct staff_signed_out {
  static constexpr event_type type = event_type::staff_signed_out;
  static constexpr std::uint16_t schema = 1;
  std::string staff_id;
};

}  // namespace sn
