// Device aggregate payloads (the seed's device registration and device_roles).
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"

namespace sn {

/// A device joined the store.
struct device_registered {
  static constexpr event_type type = event_type::device_registered;
  static constexpr std::uint16_t schema = 2;
  std::string device_id;
  std::string name;
  std::int32_t priority = 0;  ///< higher wins elections
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// A device's name or priority changed (takes effect at the next election).
struct device_updated {
  static constexpr event_type type = event_type::device_updated;
  static constexpr std::uint16_t schema = 2;
  std::string device_id;
  std::string name;
  std::int32_t priority = 0;
  bool active = true;
  /// Attribution (issue 10; schema bump, see docs/events.md): the signed-in
  /// staff member whose command wrote this ("" = written before staff
  /// existed, or by the node itself), and who approved it ("" = nobody).
  std::string staff_id;
  std::string approver_id;
};

/// The store's genesis (issue 9): written once, by the device that creates
/// the store (`storenode --create-store`), as its first event of the store.
struct store_created {
  static constexpr event_type type = event_type::store_created;
  static constexpr std::uint16_t schema = 1;
  std::string store_id;  ///< 32 lower-case hex characters (128 random bits), chosen at creation
  std::string name;      ///< the store's name in the chain (config store.id at creation)
};

/// A device became a member of the store: its public keys, so every device
/// knows every key (docs/protocol.md 2.5). Written by the device that created
/// the store (for itself) or by the device that accepted a join code.
struct device_enrolled {
  static constexpr event_type type = event_type::device_enrolled;
  static constexpr std::uint16_t schema = 1;
  std::string device_id;
  std::string signing_key;  ///< Ed25519 public key, 64 lower-case hex characters
  std::string curve_key;    ///< CURVE (X25519) public key, 64 lower-case hex characters
  std::int32_t priority = 0;
  /// Who approved it: the admin (staff id) whose join code the device used;
  /// the enrolling device is the event's origin. "" in the genesis (the
  /// store's creator enrolls itself).
  std::string approved_by;
};

/// A device is no longer a member: its connections are refused from now on.
/// Permanent for that device id (a replaced till enrolls under a new id).
struct device_revoked {
  static constexpr event_type type = event_type::device_revoked;
  static constexpr std::uint16_t schema = 1;
  std::string device_id;
  std::string reason;
  std::string approved_by;  ///< the admin (staff id) who revoked it; the recording device is the event's origin
  /// The revocation point: the highest seq of the revoked device's own events
  /// the recording device held. Its events after this seq are refused; the
  /// ones up to it stay. Defined with the type (schema 1): no build wrote
  /// device.revoked before the field existed, so no upcaster is needed.
  std::uint64_t revoked_after_seq = 0;
};

/// A device replaced its own key pairs (issue 9 "Key rotation"). Written by
/// the device itself (origin == device_id) and signed with its OLD signing
/// key: the origin signature at this event's own seq is the old key's; every
/// later own seq is signed with the new key (docs/protocol.md 1.7). The point
/// is the event's own (origin, seq), so the payload does not repeat it: a
/// second copy could only disagree with it.
struct device_keys_rotated {
  static constexpr event_type type = event_type::device_keys_rotated;
  static constexpr std::uint16_t schema = 1;
  std::string device_id;
  std::string signing_key;  ///< the new Ed25519 public key, 64 lower-case hex characters
  std::string curve_key;    ///< the new CURVE (X25519) public key, 64 lower-case hex characters
  std::string approved_by;  ///< the admin (staff id) who asked for it
};

} // namespace sn
