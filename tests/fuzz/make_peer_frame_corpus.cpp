// Writes the seed corpus of fuzz_peer_frame (tests/fuzz/corpus/peer_frame):
// valid frames of every election and sync message type, on the SUB and on the
// ROUTER, and broken ones: truncated, lying length prefixes (ZMTP size, the
// header's address length, msgpack counts), wrong version and part counts,
// oversized and over-limit bodies. Usage: make_peer_frame_corpus DIR
// (the files are checked in; rerun only when the formats change).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "actors/election/messages.hpp"
#include "actors/sync/messages.hpp"
#include "broker/frame.hpp"

namespace {

const std::string sender = "tcp://127.0.0.1:7000";

/// One ZMTP 3 frame: flags, size (short or long), bytes.
std::string zmtp(const std::string& part, bool more) {
  std::string out;
  const bool long_size = part.size() > 255;
  out.push_back(static_cast<char>((more ? 0x01 : 0) | (long_size ? 0x02 : 0)));
  if (long_size) {
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(part.size()) >> (8 * i)) & 0xff));
  } else {
    out.push_back(static_cast<char>(part.size()));
  }
  return out + part;
}

/// A fuzz input: socket selector byte, then the parts as ZMTP frames.
std::string message(bool router, const std::vector<std::string>& parts) {
  std::string out(1, router ? '\x01' : '\x00');
  for (std::size_t i = 0; i < parts.size(); ++i) out += zmtp(parts[i], i + 1 < parts.size());
  return out;
}

std::string frame(bool router, std::uint8_t type, const std::string& body, const std::string& from = sender) {
  std::vector<std::string> parts;
  if (router) parts.push_back("POS2");
  parts.push_back(sn::broker::encode_header(type, from));
  parts.push_back(body);
  return message(router, parts);
}

sn::election::election_message head(sn::election::message_type t) {
  sn::election::election_message m;
  m.type = t;
  m.from = "POS1";
  m.boot_id = "0123456789abcdef";
  m.term = 3;
  m.priority = 30;
  m.summary = {{"POS1", 12}, {"BO", 40}};
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  int n = 0;
  auto write = [&](const std::string& name, const std::string& bytes) {
    char prefix[8];
    std::snprintf(prefix, sizeof prefix, "%02d-", n++);
    std::ofstream(dir / (prefix + name + ".bin"), std::ios::binary) << bytes;
  };
  using sn::election::message_type;

  // Valid election messages: heartbeat and shutdown_notice are published, the rest direct.
  auto hb = head(message_type::heartbeat);
  hb.sender_role = sn::election::role::master;
  hb.master = "POS1";
  hb.address = sender;
  hb.stamp = 123456;
  hb.known_peers = {"tcp://127.0.0.1:7100", "tcp://pos2.local:7000"};
  hb.http = "http://127.0.0.1:8080";
  write("heartbeat", frame(false, 1, sn::election::encode(hb)));
  auto hb_old = hb;  // without the optional trailing elements
  hb_old.known_peers.clear();
  hb_old.http.clear();
  write("heartbeat-short", frame(false, 1, sn::election::encode(hb_old)));
  auto pv = head(message_type::pre_vote_request);
  pv.proposed_term = 4;
  write("pre-vote-request", frame(true, 2, sn::election::encode(pv)));
  auto pr = head(message_type::pre_vote_reply);
  pr.proposed_term = 4;
  pr.granted = true;
  write("pre-vote-reply", frame(true, 3, sn::election::encode(pr)));
  auto vr = head(message_type::vote_request);
  vr.stamp = 99;
  vr.reason = sn::election::change_reason::failure;
  write("vote-request", frame(true, 4, sn::election::encode(vr)));
  auto vp = head(message_type::vote_reply);
  vp.granted = true;
  vp.stamp = 99;
  write("vote-reply", frame(true, 5, sn::election::encode(vp)));
  auto ho = head(message_type::handoff);
  ho.reason = sn::election::change_reason::shutdown;
  write("handoff", frame(true, 6, sn::election::encode(ho)));
  auto ha = head(message_type::handoff_ack);
  ha.status = sn::election::handoff_status::accepted;
  write("handoff-ack", frame(true, 7, sn::election::encode(ha)));
  write("shutdown-notice", frame(false, 8, sn::election::encode(head(message_type::shutdown_notice))));
  auto mr = head(message_type::master_request);
  mr.target = "POS2";
  write("master-request", frame(true, 9, sn::election::encode(mr)));

  // Valid sync messages (events are opaque bins at this layer).
  const std::vector<std::string> events = {std::string("\x9a\x01\xa4POS1\x01", 8), std::string(40, 'e')};
  write("live-events", frame(false, 10, sn::sync::encode_live_events(events, 0, events.size())));
  write("live-events-empty", frame(false, 10, sn::sync::encode_live_events({}, 0, 0)));
  sn::sync::sync_request_body rq;
  rq.request_id = 7;
  rq.versions = {{"POS1", 42}, {"BO", 1}};
  rq.count_max = 1000;
  rq.bytes_max = 1 << 20;
  write("sync-request", frame(true, 11, sn::sync::encode_sync_request(rq)));
  write("sync-reply", frame(true, 12, sn::sync::encode_sync_reply(7, rq.versions, true, events)));
  write("reserved-sync-type", frame(true, 20, "\x91\x01"));
  write("unknown-type", frame(true, 200, "\x91\x01"));

  // Broken frames.
  const auto valid = frame(true, 11, sn::sync::encode_sync_request(rq));
  write("truncated-in-body", valid.substr(0, valid.size() - 5));
  write("truncated-in-size", valid.substr(0, 2));
  write("more-without-next-part", message(false, {sn::broker::encode_header(10, sender)}).replace(1, 1, "\x01"));
  std::string lying_zmtp = message(false, {sn::broker::encode_header(10, sender), "\x91\x01"});
  lying_zmtp.replace(1 + 2 + sn::broker::encode_header(10, sender).size(), 2,
                     std::string("\x02\x7f\xff\xff\xff\xff\xff\xff\xff", 9));
  write("lying-zmtp-long-size", lying_zmtp);
  std::string lying_n = sn::broker::encode_header(10, sender);
  lying_n[2] = static_cast<char>(200);
  write("lying-address-length-long", message(false, {lying_n, "\x91\x01"}));
  lying_n[2] = static_cast<char>(5);
  write("lying-address-length-short", message(false, {lying_n, "\x91\x01"}));
  write("address-length-zero", message(false, {std::string("\x01\x0a\x00", 3), "\x91\x01"}));
  write("header-too-short", message(false, {"\x01", "\x91\x01"}));
  write("unknown-version", message(false, {std::string("\x02\x0a\x03xyz", 6), "\x91\x01"}));
  write("non-printable-sender", message(false, {sn::broker::encode_header(10, std::string("tcp://\x01\x7f", 8)), "x"}));
  write("one-part", message(false, {"\x91\x01"}));
  write("three-parts-on-sub", message(false, {sn::broker::encode_header(10, sender), "a", "b"}));
  write("two-parts-on-router", message(true, {sn::broker::encode_header(10, sender), "a"}));
  write("oversized-body", frame(false, 10, std::string(1025, 'x')));   // fuzz_peer_frame's body_bytes_max is 1024
  write("over-limit-part", frame(false, 10, std::string(2049, 'y')));  // over ZMQ_MAXMSGSIZE = 2 x 1024
  write("msgpack-array-claims-4G", frame(false, 10, std::string("\xdd\xff\xff\xff\xff", 5)));
  write("msgpack-map-claims-4G", frame(true, 11, std::string("\x95\x01\x07\xdf\xff\xff\xff\xff", 8)));
  write("msgpack-bin-lies", frame(false, 10,
                                  std::string("\x92\x01\x91\xc6\x7f\xff\xff\xff"
                                              "abc",
                                              11)));
  write("msgpack-deep-nesting", frame(true, 1, std::string(64, '\x91')));
  write("election-wrong-version", frame(false, 1,
                                        std::string("\x94\x02\xa4POS1\xa1"
                                                    "b\x03",
                                                    10)));
  write("election-bad-device-id", frame(true, 2,
                                        std::string("\x97\x01\xa3P S\xa1"
                                                    "b\x03\x04\x1e\x80",
                                                    12)));
  write("sync-trailing-bytes", frame(true, 11, sn::sync::encode_sync_request(rq) + "\xc0"));
  write("empty-body", frame(true, 12, ""));
  write("sender-hostname", frame(true, 11, sn::sync::encode_sync_request(rq), "tcp://pos2.store.local:7000"));
  write("sender-ipv6", frame(false, 1, sn::election::encode(hb), "tcp://[::1]:7000"));
  write("sender-not-an-address", frame(true, 11, sn::sync::encode_sync_request(rq), "hello"));
  std::printf("%d seeds in %s\n", n, dir.c_str());
  return 0;
}
