// The store's membership as the peer port admits it (docs/protocol.md 2.5):
// a fold of device.enrolled and device.revoked, pure. The node seeds it from
// the devices projection's rows at start (and, on a device that just joined,
// from the join grant), feeds it every committed membership event, and hands
// admitted() to the transport's ZAP handler after each change.
//
// Rules: a device is admitted while it has enrolled keys and was never
// revoked; revocation is sticky for the device id whatever order the events
// arrive in (like the devices projection). The newest enrollment of an id
// wins by (HLC, origin) there; here a later fold of the same id replaces its
// keys. A device.keys_rotated (key rotation, written by the device itself and
// let in by the origin gate only when its old key signed it) replaces the
// member's keys: the old CURVE key is no longer admitted, the new one is.
// Not thread-safe: the node guards it with a mutex.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "node/join_protocol.hpp"

namespace sn::node {

class membership {
public:
  /// Folds an enrollment. False: a key is not 64 hex characters (ignored).
  bool enrolled(const member_keys& m);
  void revoked(const std::string& device_id);
  /// Folds a key rotation of an enrolled member. False: not enrolled (or
  /// revoked), or a key is not 64 hex characters (ignored).
  bool rotated(const std::string& device_id, const std::string& signing_key, const std::string& curve_key);
  /// Where a member is dialled (a join grant's address), keeping its keys.
  void note_address(const std::string& device_id, const std::string& address);

  bool is_member(const std::string& device_id) const;
  bool is_revoked(const std::string& device_id) const { return revoked_.count(device_id) != 0; }
  /// Every admitted member (enrolled, not revoked), by device id.
  std::vector<member_keys> members() const;
  /// The admitted members' CURVE keys, Z85 (what the ZAP handler admits).
  std::vector<std::string> admitted_z85() const;
  /// The Z85 CURVE key of an admitted member.
  std::optional<std::string> curve_z85_of(const std::string& device_id) const;

private:
  std::map<std::string, member_keys> enrolled_;
  std::set<std::string> revoked_;
};

/// 32 bytes of 64 hex characters, or nullopt.
std::optional<std::vector<std::uint8_t>> key_from_hex(const std::string& hex);

}  // namespace sn::node
