// Fuzz body for the peer frame decoder (docs/protocol.md 2.2, 2.3, 3, 4): the
// bytes a node's ROUTER or SUB receives, from the ZeroMQ parts up to the
// election and sync body decoders, plus the peer table that learns senders.
//
// Input layout: byte 0 selects the socket (bit 0: ROUTER, which sees a
// routing-id part first; else SUB); the rest is a sequence of ZMTP 3 frames as
// on the wire: flags (0x01 MORE, 0x02 LONG), size (1 byte, or 8 bytes big
// endian when LONG), then the bytes. A size beyond the input ends the message
// (truncated); a part beyond ZMQ_MAXMSGSIZE (2 x body_bytes_max) is refused
// as libzmq refuses it. Bytes that are not a complete ZMTP message are read as
// one header followed by its body, so that broken framing still exercises the
// decoders. Properties checked beyond "no crash":
//  - the part-count rule and check_frame agree with a plain reading of the spec;
//  - an accepted header re-encodes to exactly its bytes and names a printable sender;
//  - a body an election or sync decoder accepts re-encodes to bytes that decode
//    to the same encoding (stable), and decoded events point inside the body;
//  - the peer table never holds more candidates than probation_max, and never
//    delivers a sender it has not proven.
// Built as a libFuzzer target with clang, or driven by fuzz_driver.cpp; both
// start from the checked-in corpus (tests/fuzz/corpus/peer_frame).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "actors/election/messages.hpp"
#include "actors/sync/messages.hpp"
#include "broker/frame.hpp"
#include "broker/peer_table.hpp"

namespace {

/// Body bound of the fuzzed receiver (small, so over-limit inputs fit the
/// drivers' 4 KiB inputs).
constexpr std::size_t body_bytes_max = 1024;
constexpr std::size_t part_bytes_max = 2 * body_bytes_max;  // ZMQ_MAXMSGSIZE
constexpr std::size_t parts_max = 8;
constexpr std::uint8_t flag_more = 0x01, flag_long = 0x02;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_peer_frame: property violated: %s\n", what);
  std::abort();
}

/// Splits ZMTP frames into the parts of one message; false if the input ends
/// inside a frame or a part is over the limit (libzmq drops the connection).
bool split_parts(std::string_view in, std::vector<std::string_view>& parts) {
  while (!in.empty()) {
    const auto flags = static_cast<std::uint8_t>(in[0]);
    in.remove_prefix(1);
    std::uint64_t size = 0;
    const std::size_t size_bytes = (flags & flag_long) ? 8 : 1;
    if (in.size() < size_bytes) return false;
    for (std::size_t i = 0; i < size_bytes; ++i) size = (size << 8) | static_cast<std::uint8_t>(in[i]);
    in.remove_prefix(size_bytes);
    if (size > part_bytes_max) return false;
    if (size > in.size()) return false;
    if (parts.size() < parts_max) parts.push_back(in.substr(0, size));
    in.remove_prefix(size);
    if ((flags & flag_more) == 0) return true;
  }
  return false;  // MORE set on the last frame: the message never completes
}

void check_election_body(std::uint8_t type, std::string_view body) {
  auto m = sn::election::decode(type, body);
  if (!m) return;
  const auto once = sn::election::encode(*m);
  auto again = sn::election::decode(type, once);
  if (!again) fail("an accepted election body does not decode after re-encoding");
  if (sn::election::encode(*again) != once) fail("election re-encoding is not stable");
}

void check_sync_body(std::uint8_t type, std::string_view body) {
  auto inside = [&](std::string_view v) {
    return v.empty() || (v.data() >= body.data() && v.data() + v.size() <= body.data() + body.size());
  };
  auto owned = [](const std::vector<std::string_view>& v) { return std::vector<std::string>(v.begin(), v.end()); };
  switch (type) {
    case 10: {
      auto m = sn::sync::decode_live_events(body);
      if (!m) return;
      for (auto e : m->events)
        if (!inside(e)) fail("a live event points outside its body");
      const auto events = owned(m->events);
      const auto once = sn::sync::encode_live_events(events, 0, events.size());  // the views below point into it
      auto again = sn::sync::decode_live_events(once);
      if (!again || owned(again->events) != events) fail("live_events re-encoding is not stable");
      break;
    }
    case 11: {
      auto m = sn::sync::decode_sync_request(body);
      if (!m) return;
      const auto once = sn::sync::encode_sync_request(*m);
      auto again = sn::sync::decode_sync_request(once);
      if (!again || sn::sync::encode_sync_request(*again) != once) fail("sync_request re-encoding is not stable");
      break;
    }
    case 12: {
      auto m = sn::sync::decode_sync_reply(body);
      if (!m) return;
      for (auto e : m->events)
        if (!inside(e)) fail("a reply event points outside its body");
      const auto events = owned(m->events);
      const auto once = sn::sync::encode_sync_reply(m->request_id, m->versions, m->more, events);
      auto again = sn::sync::decode_sync_reply(once);
      if (!again || owned(again->events) != events || again->versions != m->versions)
        fail("sync_reply re-encoding is not stable");
      break;
    }
    default:
      break;  // 13..29: reserved, counted unknown_type by the node
  }
}

/// A receiver's peer table, kept across inputs (bounded by its own limits).
sn::broker::peer_table& table() {
  static sn::broker::peer_table t("tcp://127.0.0.1:7000");
  return t;
}

void check_table(std::string_view sender, std::uint8_t source_byte, bool router, std::uint64_t now) {
  auto& t = table();
  const std::string source = "id:" + std::to_string(source_byte % 32);
  const std::string s(sender);
  const bool proven_before = t.state_of(s) == sn::broker::peer_state::proven;
  const auto v = router ? t.on_direct(s, source, true, now) : t.on_published(s, s, now);
  if (router && v == sn::broker::verdict::deliver && !proven_before) fail("an unproven sender was delivered");
  if (source_byte & 0x80) t.on_dial_failed(s);
  t.expire(now);
  if (t.size().probation > t.limits().probation_max) fail("probation above probation_max");
  (void)t.take_added();
  (void)t.take_removed();
}

}  // namespace

// For fuzz_driver.cpp: the seeds are the checked-in corpus (FUZZ_CORPUS_DIR);
// the dictionary holds the tokens a frame is made of.
std::vector<std::string> fuzz_seed_corpus() { return {}; }

std::vector<std::string> fuzz_dictionary() {
  return {
      sn::broker::encode_header(1, "tcp://127.0.0.1:7000"),   // a heartbeat header
      sn::broker::encode_header(11, "tcp://127.0.0.1:7000"),  // a sync_request header
      "tcp://127.0.0.1:7000",
      "tcp://[::1]:7000",
      "tcp://pos2.local:7000",
      std::string("\x01\x17", 2),
      std::string("\x02\x00\x00\x00\x00\x00\x00\x10\x00", 9),  // ZMTP sizes
      std::string("\x9a\x01\xa4POS1", 7),
      std::string("\xdd\xff\xff\xff\xff", 5),  // msgpack heads
      std::string("\xc4\x20", 2),
      std::string("\xcf\x00\x00\x00\x00\x00\x00\x00\x01", 9),
  };
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::uint64_t clock_ms = 0;
  clock_ms += 37;
  if (size == 0) return 0;
  const bool router = (data[0] & 1) != 0;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string_view> parts;
  std::string_view header, body;
  if (split_parts(wire, parts)) {
    const std::size_t expected = router ? sn::broker::frame_parts_router : sn::broker::frame_parts;
    if (parts.size() != expected) return 0;  // dropped_malformed
    header = parts[expected - 2];
    body = parts[expected - 1];
  } else {
    // Not a complete ZMTP message (libzmq would wait or drop it). So that
    // mutations that break the framing still reach the decoders, read the
    // bytes as [header][body] with the header as long as its own N byte says.
    const std::size_t n = wire.size() >= 3 ? 3 + static_cast<std::uint8_t>(wire[2]) : wire.size();
    header = wire.substr(0, std::min(n, wire.size()));
    body = wire.substr(header.size());
  }

  sn::broker::frame_header h;
  const auto verdict = sn::broker::check_frame(header, body.size(), body_bytes_max, h);
  // The spec, read plainly: version first, then the layout, then the body size.
  const bool version_ok = !header.empty() && static_cast<std::uint8_t>(header[0]) == sn::broker::protocol_version;
  const bool layout_ok =
      header.size() >= 3 && header[2] != 0 && header.size() == std::size_t{3} + static_cast<std::uint8_t>(header[2]);
  if (!header.empty() && !version_ok && verdict != sn::broker::frame_check::unknown_version)
    fail("a wrong version was not reported");
  if (header.empty() && verdict != sn::broker::frame_check::malformed) fail("an empty header was not malformed");
  if (version_ok && !layout_ok && verdict != sn::broker::frame_check::malformed) fail("a bad layout was accepted");
  if (verdict != sn::broker::frame_check::ok) return 0;
  if (body.size() > body_bytes_max) fail("an oversized body was accepted");
  if (sn::broker::encode_header(h.type, h.sender) != header) fail("an accepted header does not re-encode identically");
  for (unsigned char c : h.sender)
    if (c < 0x21 || c > 0x7e) fail("an accepted sender has a non-printable byte");
  (void)sn::broker::parse_address(h.sender);

  check_table(h.sender, body.empty() ? 0 : static_cast<std::uint8_t>(body[0]), router, clock_ms);
  if (h.type >= 1 && h.type <= 9) check_election_body(h.type, body);
  if (h.type >= 10 && h.type <= 29) check_sync_body(h.type, body);
  return 0;
}
