// The keyring: which devices a node trusts to write events, folded from the
// membership events of its log (ARCHITECTURE.md §9, docs/protocol.md §1.7).
//
// Contract
// - observe() takes every event the node holds or is about to append, in any
//   order across origins (seq order within one); only store.created,
//   device.enrolled, device.revoked and device.keys_rotated change it. A membership event counts
//   only when its origin is a member (enrolled, and not revoked at that seq),
//   or when it is the store creator's genesis: store.created, then the
//   creator's device.enrolled for itself with approved_by "" (self-signed).
//   Anything else an unenrolled origin writes is ignored here.
// - The store is the first store.created that counts (or pin_store(), from
//   the node's own metadata): a second store.created of another id is ignored.
// - Key history (key rotation, docs/protocol.md 1.7): a member's keys are
//   ranges (first_seq, key), ascending. device.enrolled sets the first range
//   (from seq 1); device.keys_rotated at seq r, written by the device itself
//   (origin == device_id) within its membership, adds (r + 1, new key): the
//   event at r is still the old key's, every later seq the new key's.
//   A rotation of an origin the keyring does not know yet (a joined device's
//   own rotation, folded before its enrollment reached its log) waits and
//   counts when the enrollment comes, if within the membership.
//   observe() does not check that r was signed by the old key: the gate
//   (decide_run) lets a rotation through only when it was, and the audit
//   checks it in the stored log (rotation_proof_missing).
// - Revocation is sticky: a device once revoked stays revoked; its point is
//   the lowest revoked_after_seq seen.
// - Pure value type; one owner (not thread-safe). Bounded by members_max.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events/event.hpp"
#include "trust/signature.hpp"

namespace sn::trust {

/// Most devices a keyring holds (a store has a few dozen).
inline constexpr std::size_t members_max = 4096;
/// Most key ranges one device's history holds (each rotation is an admin's
/// command; beyond this a rotation is ignored, and the gate refuses what the
/// ignored key signed).
inline constexpr std::size_t key_ranges_max = 1024;

/// A key and the first seq of the device's own events it signs.
struct key_range {
  std::uint64_t first_seq = 1;
  public_key key{};
};

struct member {
  public_key key{};      ///< the newest key (== keys.back().key when has_key)
  bool has_key = false;  ///< false: only a revocation was seen
  std::vector<key_range> keys;  ///< ascending first_seq; keys.front().first_seq == 1
  /// The key that signs the device's event at `seq`; nullptr when none.
  const public_key* key_at(std::uint64_t seq) const noexcept;
  /// The seqs r at which the device rotated (each keys[i].first_seq - 1, i >= 1).
  std::vector<std::uint64_t> rotation_points() const;
  bool revoked = false;
  std::uint64_t revoked_after_seq = 0;  ///< valid when revoked: events above it are refused
  /// True when the device's event at `seq` is within its membership.
  bool may_write(std::uint64_t seq) const noexcept { return has_key && (!revoked || seq <= revoked_after_seq); }
};

/// The new signing key of a well-formed device.keys_rotated written by the
/// device itself (origin == device_id); nullopt for any other event.
std::optional<public_key> rotated_key_of(const event& e);

class keyring {
 public:
  /// The store this node belongs to (its metadata), before any event is seen.
  void pin_store(std::string store_id);
  /// Folds one event (see the contract). Returns true when it changed the keyring.
  bool observe(const event& e);

  const std::string& store_id() const noexcept { return store_id_; }
  const std::string& creator() const noexcept { return creator_; }
  /// The member row of `origin`; nullptr when never enrolled nor revoked.
  const member* find(const std::string& origin) const;
  const std::map<std::string, member>& members() const noexcept { return members_; }

 private:
  bool trusted_writer(const event& e) const;
  /// Adds (from, key) to m's history unless it is no change or out of order.
  static bool rotate(member& m, std::uint64_t from, const public_key& key);

  std::string store_id_;
  std::string creator_;  ///< origin of the store.created that counted ("" when pinned only)
  std::map<std::string, member> members_;
  /// Rotations of origins not enrolled yet (a device's own, folded before its
  /// enrollment arrived), applied when the enrollment comes; <= members_max origins.
  std::map<std::string, std::vector<key_range>> pending_;
};

}  // namespace sn::trust
