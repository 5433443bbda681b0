// The keyring: which devices a node trusts to write events, folded from the
// membership events of its log (ARCHITECTURE.md §9, docs/protocol.md §1.7).
//
// Contract
// - observe() takes every event the node holds or is about to append, in any
//   order across origins (seq order within one); only store.created,
//   device.enrolled and device.revoked change it. A membership event counts
//   only when its origin is a member (enrolled, and not revoked at that seq),
//   or when it is the store creator's genesis: store.created, then the
//   creator's device.enrolled for itself with approved_by "" (self-signed).
//   Anything else an unenrolled origin writes is ignored here.
// - The store is the first store.created that counts (or pin_store(), from
//   the node's own metadata): a second store.created of another id is ignored.
// - Revocation is sticky: a device once revoked stays revoked; its point is
//   the lowest revoked_after_seq seen.
// - Pure value type; one owner (not thread-safe). Bounded by members_max.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "events/event.hpp"
#include "trust/signature.hpp"

namespace sn::trust {

/// Most devices a keyring holds (a store has a few dozen).
inline constexpr std::size_t members_max = 4096;

struct member {
  public_key key{};
  bool has_key = false;  ///< false: only a revocation was seen
  bool revoked = false;
  std::uint64_t revoked_after_seq = 0;  ///< valid when revoked: events above it are refused
  /// True when the device's event at `seq` is within its membership.
  bool may_write(std::uint64_t seq) const noexcept { return has_key && (!revoked || seq <= revoked_after_seq); }
};

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

  std::string store_id_;
  std::string creator_;  ///< origin of the store.created that counted ("" when pinned only)
  std::map<std::string, member> members_;
};

}  // namespace sn::trust
