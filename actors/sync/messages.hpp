// Encoding of the sync message bodies (docs/protocol.md section 3). Pure.
//
// Every body is one msgpack array whose first element is protocol_version:
//   live_events  (10): [1, events: array of bin]
//   sync_request (11): [1, request_id: uint, versions: map str->uint, count_max: uint, bytes_max: uint,
//                       skip: array of str (optional; origins to leave out of the reply)]
//   sync_reply   (12): [1, request_id: uint, versions: map str->uint, more: bool, events: array of bin]
// Each bin is one event's envelope bytes exactly as sn::encode wrote them.
// Decoders accept longer arrays (fields appended by a compatible newer build are
// ignored), never throw, and bound what they allocate by the input size.
// Decoded events are string_views INTO the body: keep the body alive while using them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/sync/types.hpp"
#include "events/expected.hpp"
#include "trust/signature.hpp"

namespace sn::sync {

/// Signatures travel as an array of [origin:str, seq:uint, signature:bin(64)]
/// (docs/protocol.md 3.3), at most message_events_max of them.
using signature_list = std::vector<trust::origin_signature>;

struct live_events_body {
  std::vector<std::string_view> events;
  /// Origin signatures covering these events (optional 3rd element; absent = none).
  signature_list signatures;
};

struct sync_request_body {
  std::uint64_t request_id = 0;  ///< echoed in the reply; matches reply to round
  version_vector versions;       ///< requester's heads (held or being appended)
  std::uint64_t count_max = 0;   ///< most events the requester wants in the reply (>= 1)
  std::uint64_t bytes_max = 0;   ///< most event bytes it wants (a single larger event is still sent)
  /// Origins the requester cannot take now (held for clock skew): the
  /// responder leaves them out. Optional 6th element; absent = none. At most origins_max.
  std::vector<std::string> skip;
};

struct sync_reply_body {
  std::uint64_t request_id = 0;
  version_vector versions;  ///< responder's durable heads when it answered
  bool more = false;        ///< responder holds more the requester lacks: ask again
  std::vector<std::string_view> events;
  /// Origin signatures covering these events (optional 6th element; absent = none).
  signature_list signatures;
};

/// Encodes events[first, first+count) as a live_events body.
std::string encode_live_events(const std::vector<std::string>& events, std::size_t first, std::size_t count,
                               const signature_list& signatures = {});
std::string encode_sync_request(const sync_request_body& b);
std::string encode_sync_reply(std::uint64_t request_id, const version_vector& versions, bool more,
                              const std::vector<std::string>& events, const signature_list& signatures = {});

[[nodiscard]] expected<live_events_body> decode_live_events(std::string_view body);
[[nodiscard]] expected<sync_request_body> decode_sync_request(std::string_view body);
[[nodiscard]] expected<sync_reply_body> decode_sync_reply(std::string_view body);

} // namespace sn::sync
