// The origin gate (ARCHITECTURE.md §9 "Origins", docs/protocol.md §3.3): how
// much of another origin's chain a receiver may append.
//
// Contract
// - decide_run() gets ONE origin's contiguous run of events (ascending seq,
//   the first being the next seq the receiver lacks) and the signatures
//   offered for that origin (with the message, or kept from earlier ones).
//   It answers the highest seq the receiver may append: the highest seq of
//   the run carrying a valid signature from the origin's enrolled key (that
//   signature vouches for every earlier event through the hash chain),
//   capped at the origin's revocation point.
// - The key: the keyring's; for an origin the keyring does not know, the one
//   its own genesis in this run enrolls (store.created, then device.enrolled
//   of itself with approved_by "": self-signed by the creator), when the run
//   founds the keyring's store (or the keyring has none yet).
// - Refused (counted by the caller, dropped): events of this node's own
//   origin; of an origin with no key (unless policy.admit_unenrolled: then
//   the whole run is accepted unsigned); above the revocation point; of a run
//   with no valid signature at all (bad_signature when one was offered and
//   failed, else unsigned); of a run whose events do not hash-chain into the
//   signed one (broken_chain: the signature vouches only for its own chain). Waiting (held, not counted): events above
//   a valid signature and within the membership, or a run with no signature inside it but one offered for a later seq:
//   a later signature may cover them.
// - Key rotation (docs/protocol.md 1.7): a signature at seq s is checked with
//   the key valid at s (keyring history, plus the device.keys_rotated events
//   of this run). A rotation at r inside the accepted part needs the OLD
//   key's signature at exactly r among the offered ones: one that fails
//   refuses r and everything after it (bad_signature; the rotation is never
//   folded); one that is missing makes r and the rest wait.
// - Cost: signatures are tried from the highest seq down and the first valid
//   one ends the search: one verification per (origin, batch) when honest.
// - Pure; no allocation beyond the result and a keyring copy for an unknown origin.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/event.hpp"
#include "trust/keyring.hpp"
#include "trust/signature.hpp"

namespace sn::trust {

/// Why events of a run may not be appended. Values are stable (metrics labels).
enum class verdict : std::uint8_t {
  accepted = 0,         ///< nothing refused
  own_origin = 1,       ///< this node's own origin, from a peer
  unknown_origin = 2,   ///< no enrolled key for the origin
  revoked = 3,          ///< above the origin's revocation point
  bad_signature = 4,    ///< signatures offered, none valid
  unsigned_events = 5,  ///< no signature offered for the run
  broken_chain = 6,     ///< the run does not hash-chain into its signed event (a forged event inside)
};
inline constexpr std::size_t verdict_count = 7;
/// Metric label: "own_origin", "unknown_origin", "revoked", "bad_signature", "unsigned", "broken_chain".
const char* to_string(verdict v) noexcept;

struct gate_policy {
  /// Accept events of origins the keyring has no key for, unsigned (test
  /// harnesses of unsigned stores only; the node never sets it). Enrolled
  /// origins are checked whatever this says.
  bool admit_unenrolled = false;
};

struct run_decision {
  std::uint64_t accept_to = 0;               ///< highest seq that may be appended (first seq - 1: none)
  verdict reason = verdict::accepted;        ///< why the events above accept_to may not be
  std::uint64_t refused = 0;                 ///< events above accept_to refused for `reason`
  std::uint64_t waiting = 0;                 ///< events above accept_to that a later signature may cover
  std::optional<origin_signature> covering;  ///< the valid signature at accept_to (store it with them)
  /// The old keys' signatures of the key rotations below accept_to (store
  /// them too: a relay passes them on, the audit checks them).
  std::vector<origin_signature> proofs;
  std::uint32_t verifications = 0;           ///< signatures checked
};

/// See the contract. `run` non-empty, one origin, contiguous ascending seqs.
/// `later`: the signatures whose seq above the run may make it wait (those
/// of the message that brought it: the pieces of one split batch carry
/// them); nullptr: `offered`.
run_decision decide_run(const keyring& k, std::string_view self, const std::vector<const event*>& run,
                        const std::vector<origin_signature>& offered, const gate_policy& policy,
                        const std::vector<origin_signature>* later = nullptr);

}  // namespace sn::trust
