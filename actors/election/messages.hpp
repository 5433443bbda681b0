// Election message bodies (docs/protocol.md section 4). Each body is one
// msgpack array: a common head [version, from, boot_id, term] followed by the
// fields of its type, in the order documented below. Decoding is bounded and
// never throws: anything that is not exactly a well-formed body of the given
// type is an error (the fsm drops and counts it). Longer arrays are accepted
// (a newer minor version appended fields); shorter ones are malformed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/election/errc.hpp"
#include "actors/election/types.hpp"

namespace sn::election {

/// Status carried by handoff_ack.
enum class handoff_status : std::uint8_t {
  accepted = 0,    ///< the successor holds every event of the master and now stands (transfer vote)
  not_synced = 1,  ///< the successor still lacks events; it will stand by itself once synced
  refused = 2,     ///< the successor does not follow the sender at that term
};

/// One decoded body. Only the fields of its type are meaningful; the others
/// keep their defaults. Field order on the wire, after the common head:
///  heartbeat:        priority, role, master, summary, address, stamp, echo_master, echo_term, echo_stamp
///  pre_vote_request: proposed_term, priority, summary
///  pre_vote_reply:   proposed_term, granted
///  vote_request:     priority, summary, stamp, transfer, from_master, reason
///  vote_reply:       granted, stamp (the request's, echoed)
///  handoff:          reason, summary (the master's)
///  handoff_ack:      status, summary (the successor's)
///  shutdown_notice:  (nothing more)
///  master_request:   target
struct election_message {
  message_type type = message_type::heartbeat;
  // common head
  std::string from;          ///< sender's device id (valid_device_id)
  std::string boot_id;       ///< sender's incarnation (random per start)
  std::uint64_t term = 0;    ///< sender's current term (vote_request: the term it stands for)
  // per type
  std::int32_t priority = 0;
  role sender_role = role::discovery;
  std::string master;        ///< heartbeat: the master the sender believes in ("" none)
  log_summary summary;
  std::string address;       ///< heartbeat: sender's bind address
  std::uint64_t stamp = 0;   ///< sender's clock (heartbeat, vote_request) or the echoed request stamp (vote_reply)
  std::string echo_master;   ///< heartbeat: the master whose stamp is echoed ("" none)
  std::uint64_t echo_term = 0;
  std::uint64_t echo_stamp = 0;  ///< heartbeat: newest stamp received from echo_master
  std::uint64_t proposed_term = 0;
  bool granted = false;
  bool transfer = false;     ///< vote_request: hand-off election (no pre-vote, no live-master check for from_master)
  std::string from_master;   ///< vote_request with transfer: the master handing over
  change_reason reason = change_reason::failure;
  handoff_status status = handoff_status::refused;
  std::string target;        ///< master_request: device to hand the role to
  /// heartbeat (optional trailing element, added compatibly): bind addresses of
  /// the live peers the sender hears, so a device that names one peer learns
  /// the whole store. At most known_peers_max.
  std::vector<std::string> known_peers;
  /// heartbeat (optional element after known_peers): the sender's HTTP API
  /// URL, so operator tools can reach every device from any one.
  std::string http;
};

/// Most addresses a heartbeat carries in known_peers.
inline constexpr std::size_t known_peers_max = 64;

/// Encodes `m` as the body of m.type.
std::string encode(const election_message& m);

/// Decodes a body of type `type` (1..9). Errors: malformed (shape, bounds,
/// invalid device id, unknown enum value), unsupported_version.
[[nodiscard]] sn::expected<election_message> decode(std::uint8_t type, std::string_view body);

} // namespace sn::election
