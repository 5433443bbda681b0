// Proves the frame header layout of docs/protocol.md section 2 byte for byte,
// and that every malformed shape is classified (never accepted, never a crash).
#include "broker/frame.hpp"

#include <gtest/gtest.h>

using namespace sn::broker;

TEST(frame, header_golden_bytes) {
  // The hex example of docs/protocol.md section 2.
  auto h = encode_header(0x0a, "tcp://127.0.0.1:7000");
  const std::string expected("\x01\x0a\x14tcp://127.0.0.1:7000", 23);
  EXPECT_EQ(h, expected);
}

TEST(frame, header_round_trip) {
  auto bytes = encode_header(200, "tcp://[::1]:9");
  frame_header h;
  ASSERT_EQ(decode_header(bytes, h), header_check::ok);
  EXPECT_EQ(h.version, protocol_version);
  EXPECT_EQ(h.type, 200);
  EXPECT_EQ(h.sender, "tcp://[::1]:9");
}

TEST(frame, malformed_headers_are_rejected) {
  frame_header h;
  EXPECT_EQ(decode_header("", h), header_check::malformed);
  EXPECT_EQ(decode_header(std::string("\x01", 1), h), header_check::malformed);
  EXPECT_EQ(decode_header(std::string("\x01\x05", 2), h), header_check::malformed);
  EXPECT_EQ(decode_header(std::string("\x01\x05\x00", 3), h), header_check::malformed);     // empty sender
  EXPECT_EQ(decode_header(std::string("\x01\x05\x03" "ab", 5), h), header_check::malformed);  // short
  EXPECT_EQ(decode_header(std::string("\x01\x05\x01" "ab", 5), h), header_check::malformed);  // trailing
  EXPECT_EQ(decode_header(std::string("\x01\x05\x02" "a\n", 5), h), header_check::malformed); // control byte
  EXPECT_EQ(decode_header(std::string("\x01\x05\x02" "a ", 5), h), header_check::malformed);  // space
}

TEST(frame, other_versions_are_unknown_not_malformed) {
  frame_header h;
  EXPECT_EQ(decode_header(std::string("\x02\x05\x01" "a", 4), h), header_check::unknown_version);
  EXPECT_EQ(decode_header(std::string("\x00", 1), h), header_check::unknown_version);
}

TEST(frame, addresses_parse_and_derive_pub_port) {
  auto e = parse_address("tcp://127.0.0.1:7000");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "127.0.0.1");
  EXPECT_EQ(e->port, 7000);
  EXPECT_EQ(pub_address(*e), "tcp://127.0.0.1:7001");
  EXPECT_EQ(router_address(*e), "tcp://127.0.0.1:7000");
  auto v6 = parse_address("tcp://[::1]:65534");
  ASSERT_TRUE(v6);
  EXPECT_EQ(pub_address(*v6), "tcp://[::1]:65535");
}

TEST(frame, bad_addresses_are_refused_with_a_reason) {
  for (const char* bad : {"", "udp://1.2.3.4:5", "tcp://host", "tcp://:7000", "tcp://h:0", "tcp://h:65535",
                          "tcp://h:70000", "tcp://h:12x", "tcp://h h:1", "tcp://h:"}) {
    auto e = parse_address(bad);
    ASSERT_FALSE(e) << bad;
    EXPECT_EQ(e.error().code, static_cast<int>(errc::invalid_address)) << bad;
    EXPECT_NE(e.error().message.find("tcp://HOST:PORT"), std::string::npos);
  }
  EXPECT_FALSE(parse_address("tcp://" + std::string(300, 'a') + ":1"));
}
