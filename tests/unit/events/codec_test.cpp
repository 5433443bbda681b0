// Envelope codec: golden bytes, round trips, preservation of unknown types,
// and that hostile bytes give an error value (never a crash or a huge
// allocation).
#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <random>

#include "events/codec.hpp"
#include "events/errc.hpp"
#include "tests/unit/events/samples.hpp"

namespace sn {
namespace {

using events::errc;
using test::hex;
using test::unhex;

int code(errc e) { return static_cast<int>(e); }

// Pins the exact bytes of some event types (docs/protocol.md shows the first
// one byte by byte). A change here is a wire-format break: bump the format or
// schema version instead of editing these literals.
// product.upserted as schema 1 wrote it (before attribution): still decoded.
constexpr const char* golden_product_upserted_schema1 =
    "9a01a4504f53312acf01a213046df30003076401c42d97a5534b552d31af477265656e20746561203530302067ad343030363338"
    "31333333393331cd0513cd02bc05c2c420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fc4204e"
    "16d84bcc020424c823eca6d2d9d8cc0333423afc49c154fd10d95f18f361d8";
// sale.completed as schema 1 wrote it (before business_day): still decoded,
// upcast (tests/unit/events/upcast_test.cpp) and never rewritten.
constexpr const char* golden_sale_completed_schema1 =
    "9a01a4504f53312acf01a213046df3000307cd012c01c45798ab504f53312d3030303034329396a5534b552d3102cd051364cd02"
    "bccca296a5534b552d3201ccfa00cd07d02a96a5534b552d330363000000cd0c4964cccccd0be59292a463617264cd07d092a463"
    "617368cd044c37c420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fc4206d5295a5b7f8cbecb1"
    "6ee62ff1f94505f99069a0d53a7099ea727b7f97f0d3bd";
// Schema 2: business_day "2026-11-25" appended (payload array of 9).
constexpr const char* golden_sale_completed_schema2 =
    "9a01a4504f53312acf01a213046df3000307cd012c02c46299ab504f53312d3030303034329396a5534b552d3102cd051364cd02"
    "bccca296a5534b552d3201ccfa00cd07d02a96a5534b552d330363000000cd0c4964cccccd0be59292a463617264cd07d092a463"
    "617368cd044c37aa323032362d31312d3235c420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "c420fee562121ab082e10b534267d47779b9b553186e527d2f435ff705aa00dc22fe";
// sale.returned schema 2: business_day "2026-11-25" appended (payload array of 6).
constexpr const char* golden_sale_returned_schema2 =
    "9a01a4504f53312acf01a213046df3000307cd012d02c43a96ac504f53322d52303030303037ab504f53312d3030303034329194"
    "a5534b552d3101cd04e151cd04e1a463617368aa323032362d31312d3235c420000102030405060708090a0b0c0d0e0f10111213"
    "1415161718191a1b1c1d1e1fc420eac28448663c43e26ad2ab0a641a2ebe7a7b6988981f52c1a0ed07b42ee8c9cb";

// Schema 2 (product) / 3 (sale, return): staff_id and approver_id appended
// (issue 10; "m1"/"a1" and "c1"/"s1" in these samples).
constexpr const char* golden_product_upserted =
    "9a01a4504f53312acf01a213046df30003076402c43399a5534b552d31af477265656e20746561203530302067ad343030363338"
    "31333333393331cd0513cd02bc05c2a26d31a26131c420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c"
    "1d1e1fc420264c45804fa2a77c0970fade88667a299adca287c743833f2b4bf3b3f93c432c";
// sale.completed schema 3 (before the card fields of payment): still decoded;
// its payments' brand, last4, auth_code and processor_ref read as "".
constexpr const char* golden_sale_completed_schema3 =
    "9a01a4504f53312acf01a213046df3000307cd012c03c4689bab504f53312d3030303034329396a5534b552d3102cd051364cd02"
    "bccca296a5534b552d3201ccfa00cd07d02a96a5534b552d330363000000cd0c4964cccccd0be59292a463617264cd07d092a463"
    "617368cd044c37aa323032362d31312d3235a26331a27331c420000102030405060708090a0b0c0d0e0f10111213141516171819"
    "1a1b1c1d1e1fc420c3d465d85625ef90d67643ca8a02b6bfe11952f123a81c2bff29171a0abf1c45";
// Schema 4: payment is an array of 6 (brand, last4, auth_code, processor_ref).
constexpr const char* golden_sale_completed =
    "9a01a4504f53312acf01a213046df3000307cd012c04c4889bab504f53312d3030303034329396a5534b552d3102cd051364cd02"
    "bccca296a5534b552d3201ccfa00cd07d02a96a5534b552d330363000000cd0c4964cccccd0be59296a463617264cd07d0a47669"
    "7361a434323432a6413142324333aa63685f335071522e373796a463617368cd044ca0a0a0a037aa323032362d31312d3235a263"
    "31a27331c420000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1fc4207f0d198f4f1d8b73808fa305"
    "0a71e4375178e414317bee7c15f0362604518dac";
constexpr const char* golden_sale_returned =
    "9a01a4504f53312acf01a213046df3000307cd012d03c44098ac504f53322d52303030303037ab504f53312d3030303034329194"
    "a5534b552d3101cd04e151cd04e1a463617368aa323032362d31312d3235a26331a27331c420000102030405060708090a0b0c0d"
    "0e0f101112131415161718191a1b1c1d1e1fc4201af78c2b1f38757f77637cae77a58fc840b77347eb7c888a9bd8d9e651492924";

// Bytes of the schemas before attribution still decode, verify and re-encode
// byte for byte; their staff_id and approver_id read as "" (unattributed).
TEST(codec, golden_bytes_before_attribution_still_decode) {
  for (const char* golden : {golden_product_upserted_schema1, golden_sale_completed_schema2, golden_sale_returned_schema2,
                             golden_sale_completed_schema3}) {
    auto d = decode(unhex(golden));
    ASSERT_TRUE(d) << d.error().to_string();
    EXPECT_TRUE(verify_hash(*d));
    EXPECT_EQ(hex(encode(*d)), golden);
  }
  auto d = decode(unhex(golden_sale_completed_schema2));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->schema, 2);
  auto p = payload_of<sale_completed>(*d);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->business_day, "2026-11-25");
  EXPECT_EQ(p->staff_id, "");
  EXPECT_EQ(p->approver_id, "");
  auto d3 = decode(unhex(golden_sale_completed_schema3));
  ASSERT_TRUE(d3);
  EXPECT_EQ(d3->schema, 3);
  auto p3 = payload_of<sale_completed>(*d3);
  ASSERT_TRUE(p3);
  EXPECT_EQ(p3->staff_id, "c1");
  ASSERT_EQ(p3->payments.size(), 2u);
  EXPECT_EQ(p3->payments[0].method, "card");
  EXPECT_EQ(p3->payments[0].brand, "");
  EXPECT_EQ(p3->payments[0].last4, "");
}

TEST(codec, golden_bytes_product_upserted) {
  const event e = test::sample_event(test::sample_product_upserted());
  EXPECT_EQ(hex(encode(e)), golden_product_upserted);
  auto d = decode(unhex(golden_product_upserted));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(*d, e);
  EXPECT_TRUE(verify_hash(*d));
}

TEST(codec, golden_bytes_sale_completed) {
  const event e = test::sample_event(test::sample_sale_completed());
  EXPECT_EQ(hex(encode(e)), golden_sale_completed);
  auto d = decode(unhex(golden_sale_completed));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(*d, e);
  EXPECT_TRUE(verify_hash(*d));
}

TEST(codec, golden_bytes_sale_returned) {
  const event e = test::sample_event(test::sample_sale_returned());
  EXPECT_EQ(hex(encode(e)), golden_sale_returned);
  auto d = decode(unhex(golden_sale_returned));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(*d, e);
  EXPECT_EQ(d->schema, 3);
  EXPECT_TRUE(verify_hash(*d));
}

// The schema 1 bytes still decode, verify and re-encode byte for byte; their
// payload is what test::schema1_payload makes (so the upcaster tests feed it
// real schema 1 bytes) and decodes with an empty business_day.
TEST(codec, golden_bytes_sale_completed_schema1_still_decode) {
  auto d = decode(unhex(golden_sale_completed_schema1));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->schema, 1);
  EXPECT_TRUE(verify_hash(*d));
  EXPECT_EQ(hex(encode(*d)), golden_sale_completed_schema1);
  EXPECT_EQ(d->payload, test::schema1_payload(test::sample_sale_completed()));
  auto p = payload_of<sale_completed>(*d);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->business_day, "");
  EXPECT_EQ(p->receipt, "POS1-000042");
  EXPECT_EQ(p->change_cents, 55);
}

TEST(codec, envelope_round_trip_extreme_values) {
  event e;
  e.origin = device_id{std::string(device_id_length_max, 'x')};
  e.seq = origin_seq{~0ULL};
  e.hlc = hlc_timestamp{~0ULL};
  e.term = term_id{0};
  e.type = 0xffff;
  e.schema = 0;
  e.payload = std::string(70000, '\x01');  // bin32 header
  e.prev_hash.fill(0xab);
  seal(e);
  const std::string b = encode(e);
  auto d = decode(b);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(*d, e);
  EXPECT_EQ(encode(*d), b);
}

TEST(codec, encode_appends) {
  const event e = test::sample_event(test::sample_price_changed());
  std::string out = "prefix";
  encode(e, out);
  EXPECT_EQ(out, "prefix" + encode(e));
}

TEST(codec, unknown_type_round_trips_byte_identical) {
  event e = test::sample_event(test::sample_price_changed());
  e.type = 9999;  // not in this build's catalog
  // A payload that is not even an array: the envelope must not care.
  msgpack::sbuffer sb;
  msgpack::packer<msgpack::sbuffer> pk(sb);
  pk.pack_map(2);
  pk.pack(std::string("k"));
  pk.pack(1.5);
  pk.pack(std::string("bin"));
  pk.pack_bin(3);
  pk.pack_bin_body("\x00\x01\x02", 3);
  e.payload.assign(sb.data(), sb.size());
  seal(e);
  const std::string bytes = encode(e);
  auto d = decode(bytes);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(encode(*d), bytes);
  EXPECT_TRUE(verify_hash(*d));
}

TEST(codec, newer_schema_round_trips_byte_identical) {
  event e = test::sample_event(test::sample_sale_completed());
  e.schema = 9;
  e.payload += "\xa5" "extra";  // a field a newer writer appended (array length aside)
  seal(e);
  const std::string bytes = encode(e);
  auto d = decode(bytes);
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->payload, e.payload);
  EXPECT_EQ(encode(*d), bytes);
}

TEST(codec, truncated_at_every_offset_is_an_error) {
  const std::string bytes = encode(test::sample_event(test::sample_sale_completed()));
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto d = decode(std::string_view(bytes.data(), n));
    ASSERT_FALSE(d) << "prefix of " << n << " bytes decoded";
    // A cut inside a value is "truncated"; an array header whose count is
    // more than the rest of the input could hold is refused up front.
    EXPECT_TRUE(d.error().code == code(errc::truncated) || d.error().code == code(errc::too_large))
        << "prefix " << n << ": " << d.error().to_string();
  }
}

TEST(codec, trailing_bytes_are_rejected) {
  const std::string bytes = encode(test::sample_event(test::sample_price_changed())) + '\0';
  auto d = decode(bytes);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::malformed));
}

TEST(codec, random_garbage_never_crashes_and_accepted_input_is_canonical) {
  const auto seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const std::string valid = encode(test::sample_event(test::sample_sale_completed()));
  int accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string b;
    if (i % 2 == 0) {  // pure noise of random length
      b.resize(rng() % 300);
      for (auto& c : b) c = static_cast<char>(rng());
    } else {  // a valid event with a few bytes overwritten: reaches deeper code
      b = valid;
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<char>(rng());
    }
    auto d = decode(b);
    if (d) {
      ++accepted;
      // Whatever decodes must re-encode to exactly the input.
      ASSERT_EQ(hex(encode(*d)), hex(b)) << "input " << i;
    }
  }
  RecordProperty("accepted", accepted);
}

TEST(codec, huge_length_prefixes_are_errors_not_allocations) {
  const std::vector<std::string> inputs = {
      std::string("\xdd\xff\x00\x00\x00", 5),  // array32 of ~4 billion elements
      std::string("\xdd\xff\xff\xff\xff", 5),
      std::string("\xdc\xff\xff", 3),          // array16 of 65535
      std::string("\xdf\xff\xff\xff\xff", 5),  // map32
      std::string("\xdb\xff\xff\xff\xff", 5),  // str32
      std::string("\xc6\xff\xff\xff\xff", 5),  // bin32
      std::string("\xc9\xff\xff\xff\xff\x01", 6),  // ext32
  };
  for (const auto& in : inputs) {
    auto d = decode(in);
    ASSERT_FALSE(d) << hex(in);
    EXPECT_TRUE(d.error().code == code(errc::too_large) || d.error().code == code(errc::truncated) ||
                d.error().code == code(errc::malformed))
        << hex(in) << ": " << d.error().to_string();
  }
  // Inside a valid envelope prefix: the payload bin claims 4 GiB.
  std::string b = unhex("9a01a4504f53312a0101010101");
  b += std::string("\xc6\xff\xff\xff\xff", 5);
  b += std::string(100, '\0');
  auto d = decode(b);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::truncated)) << d.error().to_string();
}

TEST(codec, oversized_input_is_too_large) {
  event e = test::sample_event(test::sample_price_changed());
  e.payload = std::string(event_bytes_max, 'x');
  seal(e);
  auto d = decode(encode(e));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::too_large));
}

TEST(codec, depth_bomb_is_an_error) {
  const std::string bomb(200000, '\x91');  // [[[[...
  auto d = decode(bomb);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::too_large)) << d.error().to_string();
  std::string closed = bomb + '\x01';  // complete value, still too deep
  d = decode(closed);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::too_large)) << d.error().to_string();
}

TEST(codec, format_version_other_than_1_is_unsupported) {
  std::string b = encode(test::sample_event(test::sample_price_changed()));
  b[1] = 0x02;
  auto d = decode(b);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::unsupported_format));
  // A future format with another element count is still reported by version.
  d = decode(unhex("9302a0c0"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::unsupported_format));
}

// Builds an envelope from 10 individually packed elements.
std::string envelope_with(const std::vector<std::string>& elems) {
  std::string b(1, static_cast<char>(0x90 | elems.size()));
  for (const auto& x : elems) b += x;
  return b;
}

std::vector<std::string> valid_elems() {
  const std::string h(32, '\x11');
  return {unhex("01"), unhex("a4504f5331"), unhex("01"), unhex("02"), unhex("03"), unhex("cd012c"), unhex("01"),
          unhex("c40190"), unhex("c420") + h, unhex("c420") + h};
}

TEST(codec, wrong_element_types_are_malformed) {
  ASSERT_TRUE(decode(envelope_with(valid_elems())));
  const std::vector<std::pair<int, std::string>> bad = {
      {1, unhex("c404504f5331")},  // origin as bin
      {2, unhex("ff")},            // seq negative
      {3, unhex("a131")},          // hlc as str
      {4, unhex("c0")},            // term nil
      {5, unhex("ce00010000")},    // type > 65535
      {6, unhex("c3")},            // schema bool
      {7, unhex("a190")},          // payload as str
      {8, unhex("c41f") + std::string(31, '\0')},  // prev_hash 31 bytes
      {9, unhex("c421") + std::string(33, '\0')},  // hash 33 bytes
      {9, unhex("c0")},
  };
  for (const auto& [i, x] : bad) {
    auto el = valid_elems();
    el[i] = x;
    auto d = decode(envelope_with(el));
    ASSERT_FALSE(d) << "element " << i << " = " << hex(x);
    EXPECT_EQ(d.error().code, code(errc::malformed)) << d.error().to_string();
  }
  auto nine = valid_elems();
  nine.pop_back();
  EXPECT_FALSE(decode(envelope_with(nine)));
  EXPECT_FALSE(decode(unhex("a3616263")));  // not an array
  EXPECT_FALSE(decode(unhex("90")));        // empty array
}

TEST(codec, invalid_origin_is_rejected) {
  auto el = valid_elems();
  el[1] = unhex("a0");  // ""
  auto d = decode(envelope_with(el));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::invalid));
  el[1] = unhex("a3613a62");  // "a:b"
  EXPECT_FALSE(decode(envelope_with(el)));
}

TEST(codec, non_shortest_integers_are_rejected) {
  {  // type 300 as int16 (d1): as long as uint16 (cd), still not canonical
    auto el = valid_elems();
    el[5] = unhex("d1012c");
    auto d = decode(envelope_with(el));
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, code(errc::malformed));
  }
  auto el = valid_elems();
  el[2] = unhex("cf0000000000000001");  // seq 1 as uint64
  auto d = decode(envelope_with(el));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::malformed));
  el = valid_elems();
  el[1] = unhex("d904504f5331");  // short origin as str8
  EXPECT_FALSE(decode(envelope_with(el)));
  std::string b = envelope_with(valid_elems());
  b.replace(0, 1, unhex("dc000a"));  // array16 header
  EXPECT_FALSE(decode(b));
}

TEST(codec, hash_verifies_and_detects_tampering_at_every_byte) {
  const event e = test::sample_event(test::sample_sale_completed());
  ASSERT_TRUE(verify_hash(e));
  const std::string bytes = encode(e);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string t = bytes;
      t[i] = static_cast<char>(t[i] ^ mask);
      auto d = decode(t);
      if (d) {
        const status s = verify_hash(*d);
        ASSERT_FALSE(s) << "byte " << i << " ^ " << int(mask) << " went unnoticed";
        EXPECT_EQ(s.error().code, code(errc::hash_mismatch));
      }
    }
  }
}

TEST(codec, hash_covers_every_field_but_itself) {
  const event base = test::sample_event(test::sample_price_changed());
  auto changed = [&](auto mutate) {
    event e = base;
    mutate(e);
    return compute_hash(e) != compute_hash(base);
  };
  EXPECT_TRUE(changed([](event& e) { e.origin = device_id{"POS2"}; }));
  EXPECT_TRUE(changed([](event& e) { e.seq = origin_seq{43}; }));
  EXPECT_TRUE(changed([](event& e) { e.hlc = hlc_timestamp{e.hlc.packed() + 1}; }));
  EXPECT_TRUE(changed([](event& e) { e.term = term_id{8}; }));
  EXPECT_TRUE(changed([](event& e) { e.type = 102; }));
  EXPECT_TRUE(changed([](event& e) { e.schema = 3; }));
  EXPECT_TRUE(changed([](event& e) { e.payload += '\0'; }));
  EXPECT_TRUE(changed([](event& e) { e.prev_hash[31] ^= 1; }));
  EXPECT_FALSE(changed([](event& e) { e.hash[0] ^= 1; }));
}

TEST(codec, event_ref_names_origin_and_seq) {
  EXPECT_EQ(event_ref(test::sample_event(test::sample_price_changed(), 42)), "POS1:42");
}

} // namespace
} // namespace sn
