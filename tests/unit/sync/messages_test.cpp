// What it proves: every sync body round-trips; anything else (random bytes,
// another version, wrong shapes, trailing bytes, oversized) is an error value
// with the right code, never a crash or an exception.
#include <gtest/gtest.h>

#include <random>

#include "actors/sync/errc.hpp"
#include "actors/sync/messages.hpp"

namespace {

using namespace sn::sync;

TEST(sync_messages, live_events_round_trip) {
  const std::vector<std::string> events = {"a", std::string("b\0c", 3), "ddd", "e"};
  auto body = encode_live_events(events, 1, 2);
  auto d = decode_live_events(body);
  ASSERT_TRUE(d) << d.error().to_string();
  ASSERT_EQ(d->events.size(), 2u);
  EXPECT_EQ(d->events[0], std::string_view("b\0c", 3));
  EXPECT_EQ(d->events[1], "ddd");
}

TEST(sync_messages, request_round_trip) {
  sync_request_body r;
  r.request_id = 77;
  r.versions = {{"POS1", 10}, {"POS2", 0}, {"PC", 1ull << 40}};
  r.count_max = 1000;
  r.bytes_max = 1 << 20;
  auto d = decode_sync_request(encode_sync_request(r));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->request_id, 77u);
  EXPECT_EQ(d->versions, r.versions);
  EXPECT_EQ(d->count_max, 1000u);
  EXPECT_EQ(d->bytes_max, 1u << 20);
}

TEST(sync_messages, request_skip_list_round_trips_and_is_optional) {
  sync_request_body r;
  r.request_id = 5;
  r.count_max = 10;
  r.bytes_max = 4096;
  r.skip = {"POS9", "X.Y-1"};
  auto d = decode_sync_request(encode_sync_request(r));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->skip, r.skip);
  // Without origins to skip the body is the 5-element request of older builds.
  r.skip.clear();
  const std::string plain = encode_sync_request(r);
  EXPECT_EQ(static_cast<unsigned char>(plain[0]), 0x95u);
  d = decode_sync_request(plain);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->skip.empty());
  // A skip entry that is not a device id is malformed.
  r.skip = {"not a device id!"};
  EXPECT_FALSE(decode_sync_request(encode_sync_request(r)));
}

TEST(sync_messages, reply_round_trip) {
  const version_vector v = {{"A", 3}};
  const std::string body = encode_sync_reply(5, v, true, {"x", "yy"});  // decoded events view into it
  auto d = decode_sync_reply(body);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->request_id, 5u);
  EXPECT_EQ(d->versions, v);
  EXPECT_TRUE(d->more);
  ASSERT_EQ(d->events.size(), 2u);
  EXPECT_EQ(d->events[1], "yy");
}

// Pins the bytes of the example in docs/protocol.md section 3.1.
TEST(sync_messages, request_golden_bytes) {
  sync_request_body r;
  r.request_id = 7;
  r.versions = {{"POS1", 42}};
  r.count_max = 1000;
  r.bytes_max = 1048576;
  const std::string want("\x95\x01\x07\x81\xa4POS1\x2a\xcd\x03\xe8\xce\x00\x10\x00\x00", 18);
  EXPECT_EQ(encode_sync_request(r), want);
}

TEST(sync_messages, other_version_is_unsupported) {
  // [2, []] : a live_events body of protocol version 2.
  const std::string body = "\x92\x02\x90";
  auto d = decode_live_events(body);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, static_cast<int>(errc::unsupported_version));
}

TEST(sync_messages, wrong_shapes_are_malformed) {
  const std::string cases[] = {
      std::string(),                      // empty
      "\x01",                             // not an array
      "\x91\x01",                         // too few elements
      "\x92\x01\x01",                     // events not an array
      "\x92\x01\x91\x01",                 // event not a bin
      std::string("\x92\x01\x90\x00", 4), // trailing byte
      "\x92\x01\x91",                     // truncated
      "\x92\xa1x\x90",                    // version not an integer
  };
  for (const auto& c : cases) {
    auto d = decode_live_events(c);
    EXPECT_FALSE(d) << "case of " << c.size() << " bytes";
  }
  // request: bad origin in the version vector, count_max 0
  sync_request_body r;
  r.request_id = 1;
  r.versions = {{"bad origin!", 1}};
  r.count_max = 1;
  r.bytes_max = 1;
  EXPECT_FALSE(decode_sync_request(encode_sync_request(r)));
  r.versions = {};
  r.count_max = 0;
  EXPECT_FALSE(decode_sync_request(encode_sync_request(r)));
  // reply: `more` not a boolean
  std::string rep = encode_sync_reply(1, {}, false, {});
  rep[rep.size() - 2] = '\x01';
  EXPECT_FALSE(decode_sync_reply(rep));
}

TEST(sync_messages, huge_length_prefixes_do_not_allocate) {
  // array32 claiming 4 billion events; map32 claiming 4 billion origins.
  const std::string a = std::string("\x92\x01\xdd\xff\xff\xff\xff", 7);
  EXPECT_FALSE(decode_live_events(a));
  const std::string m = std::string("\x95\x01\x01\xdf\xff\xff\xff\xff", 8);
  EXPECT_FALSE(decode_sync_request(m));
  const std::string too_big(message_bytes_max + 1, '\x90');
  auto d = decode_live_events(too_big);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, static_cast<int>(errc::too_large));
}

TEST(sync_messages, random_bytes_never_crash) {
  const std::uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  std::string valid = encode_sync_reply(9, {{"A", 1}, {"B", 2}}, true, {"abc", "defg"});
  for (int i = 0; i < 20000; ++i) {
    std::string b;
    if (i % 2 == 0) {
      b.resize(rng() % 64);
      for (auto& ch : b) ch = static_cast<char>(rng());
    } else {
      b = valid;  // mutate a valid body: flips, truncation
      b[rng() % b.size()] = static_cast<char>(rng());
      if (rng() % 3 == 0) b.resize(rng() % b.size());
    }
    (void)decode_live_events(b);
    (void)decode_sync_request(b);
    (void)decode_sync_reply(b);
  }
  SUCCEED();
}

TEST(sync_messages, config_bounds_are_checked) {
  sync_config c;
  EXPECT_TRUE(c.validate());
  c.batch_events_max = 0;
  auto st = c.validate();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("batch_events_max"), std::string::npos);
  c = sync_config{};
  c.sync_interval_ms = 10;
  EXPECT_FALSE(c.validate());
}

} // namespace

namespace {

// Proves: live_events and sync_reply carry origin signatures as an optional
// trailing element (docs/protocol.md 3.1): they round-trip, a body without
// them keeps its earlier shape (2 and 5 elements), and a malformed signature
// (wrong size, bad origin, seq 0) makes the body malformed.
TEST(sync_messages, signatures_ride_as_an_optional_trailing_element) {
  using namespace sn::sync;
  sn::trust::origin_signature s{"POS1", 42, {}};
  for (std::size_t i = 0; i < s.sig.size(); ++i) s.sig[i] = static_cast<std::uint8_t>(i);
  const std::vector<std::string> events{"ev-bytes"};

  auto live = decode_live_events(encode_live_events(events, 0, 1, {s}));
  ASSERT_TRUE(live);
  ASSERT_EQ(live->signatures.size(), 1u);
  EXPECT_EQ(live->signatures[0], s);
  auto reply = decode_sync_reply(encode_sync_reply(3, {{"POS1", 42}}, true, events, {s}));
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->signatures.size(), 1u);
  EXPECT_EQ(reply->signatures[0], s);

  const std::string plain_live = encode_live_events(events, 0, 1);
  EXPECT_EQ(static_cast<unsigned char>(plain_live[0]), 0x92u);  // array(2), as before signatures
  const std::string plain_reply = encode_sync_reply(3, {}, false, events);
  EXPECT_EQ(static_cast<unsigned char>(plain_reply[0]), 0x95u);  // array(5)
  ASSERT_TRUE(decode_live_events(plain_live));
  EXPECT_TRUE(decode_live_events(plain_live)->signatures.empty());

  // A 63-byte signature: malformed.
  std::string bad = encode_live_events(events, 0, 1, {s});
  const auto at = bad.find(std::string("\xc4\x40", 2));  // bin8 of 64
  ASSERT_NE(at, std::string::npos);
  bad[at + 1] = 0x3f;
  bad.erase(at + 2, 1);
  EXPECT_FALSE(decode_live_events(bad));
  sn::trust::origin_signature zero = s;
  zero.seq = 0;
  EXPECT_FALSE(decode_live_events(encode_live_events(events, 0, 1, {zero})));
}

}  // namespace
