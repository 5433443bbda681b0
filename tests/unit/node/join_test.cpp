// The pure parts of enrollment (node/join_codes, node/join_protocol,
// node/membership): code format and key derivation, one-time use, expiry,
// rate limits, the sealed exchange (a wrong code opens nothing), and which
// keys the ZAP handler admits after enrollments and revocations.
#include <gtest/gtest.h>

#include "node/join_codes.hpp"
#include "node/join_protocol.hpp"
#include "node/membership.hpp"

namespace sn::node {
namespace {

constexpr std::uint64_t t0 = 1'800'000'000'000;
const std::string hex_a(64, 'a');
const std::string hex_b(64, 'b');
const std::string hex_c(64, 'c');

TEST(join_code, format_and_forgiving_typing) {
  const auto code = random_join_code();
  ASSERT_EQ(code.size(), 14u);  // XXXX-XXXX-XXXX
  EXPECT_EQ(code[4], '-');
  EXPECT_EQ(code[9], '-');
  auto canon = normalize_join_code(code);
  ASSERT_TRUE(canon);
  EXPECT_EQ(canon->size(), join_code_symbols);
  EXPECT_EQ(normalize_join_code("abcd efgh jkmn"), std::optional<std::string>("ABCDEFGHJKMN"));
  EXPECT_EQ(normalize_join_code("o1LI-0000-0000"), std::optional<std::string>("011100000000"));
  EXPECT_FALSE(normalize_join_code("ABCD-EFGH-JKM"));     // too short
  EXPECT_FALSE(normalize_join_code("ABCD-EFGH-JKMNP"));   // too long
  EXPECT_FALSE(normalize_join_code("ABCD-EFGH-JKMU"));    // U is not in the alphabet
  EXPECT_NE(random_join_code(), random_join_code());
}

TEST(join_code, key_depends_on_code_and_device) {
  auto k1 = derive_join_key("ABCD-EFGH-JKMN", "POS2");
  auto k2 = derive_join_key("abcdefghjkmn", "POS2");
  auto k3 = derive_join_key("ABCD-EFGH-JKMP", "POS2");
  auto k4 = derive_join_key("ABCD-EFGH-JKMN", "POS3");
  ASSERT_TRUE(k1 && k2 && k3 && k4);
  EXPECT_EQ(*k1, *k2);
  EXPECT_NE(*k1, *k3);
  EXPECT_NE(*k1, *k4);
  EXPECT_FALSE(derive_join_key("nope", "POS2"));
}

TEST(join_codes, one_time_and_expiry) {
  join_code_options o;
  o.ttl_ms = 1000;
  join_codes codes(o);
  auto c = codes.issue("POS2", 7, "admin", t0);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->expires_at_ms, t0 + 1000);
  code_terms terms;
  ASSERT_EQ(codes.check("POS2", t0 + 10, &terms), join_refusal::none);
  EXPECT_EQ(terms.priority, 7);
  EXPECT_EQ(terms.approved_by, "admin");
  EXPECT_EQ(terms.key, *derive_join_key(c->code, "POS2"));  // only the derived key is kept
  codes.consume("POS2", t0 + 20);
  EXPECT_EQ(codes.check("POS2", t0 + 30, nullptr), join_refusal::used);
  EXPECT_EQ(codes.check("POS3", t0 + 30, nullptr), join_refusal::no_code);

  ASSERT_TRUE(codes.issue("POS4", 0, "admin", t0));
  EXPECT_EQ(codes.check("POS4", t0 + 1000, nullptr), join_refusal::expired);
  EXPECT_EQ(codes.check("POS4", t0 + 1999, nullptr), join_refusal::expired);  // still known: the joiner hears why
  EXPECT_EQ(codes.check("POS4", t0 + 2000, nullptr), join_refusal::no_code);  // forgotten after twice the lifetime
}

TEST(join_codes, wrong_proofs_burn_a_code_and_attempts_are_rate_limited) {
  join_code_options o;
  o.failures_per_code_max = 3;
  o.attempts_per_minute_max = 10;
  join_codes codes(o);
  ASSERT_TRUE(codes.issue("POS2", 0, "admin", t0));
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(codes.check("POS2", t0, nullptr), join_refusal::none);
    codes.wrong_proof("POS2");
  }
  EXPECT_EQ(codes.check("POS2", t0, nullptr), join_refusal::burned);
  ASSERT_TRUE(codes.issue("POS2", 0, "admin", t0));  // a new code replaces the burned one
  EXPECT_EQ(codes.check("POS2", t0, nullptr), join_refusal::none);
  for (int i = 0; i < 5; ++i) (void)codes.check("X", t0, nullptr);
  EXPECT_EQ(codes.check("POS2", t0, nullptr), join_refusal::rate_limited);  // 10 attempts in this minute
  EXPECT_EQ(codes.check("POS2", t0 + 60'000, nullptr), join_refusal::none);  // a minute later
}

TEST(join_protocol, sealed_round_trip_and_wrong_code) {
  const auto key = *derive_join_key("ABCD-EFGH-JKMN", "POS2");
  const auto wrong = *derive_join_key("ABCD-EFGH-JKMP", "POS2");
  const std::string bytes = seal_join_request({"POS2", hex_a, hex_b, "csr"}, key);
  EXPECT_EQ(bytes.find("ABCD"), std::string::npos);  // the code never travels
  auto env = read_join_request(bytes);
  ASSERT_TRUE(env);
  EXPECT_EQ(env->device_id, "POS2");
  EXPECT_FALSE(open_join_request(*env, wrong));
  auto req = open_join_request(*env, key);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->curve_key, hex_b);
  EXPECT_EQ(req->tls_request, "csr");
  auto forged = *env;
  forged.device_id = "POS3";  // the envelope must name the device inside the box
  EXPECT_FALSE(open_join_request(forged, key));
  EXPECT_FALSE(read_join_request("garbage"));

  join_grant g{std::string(32, 'f'), "BO", {{"BO", hex_a, hex_b, 100, "tcp://10.0.0.1:7000"}, {"POS2", hex_a, hex_c, -1, ""}}, ""};
  const std::string reply = seal_join_grant(g, key);
  auto ok = open_join_reply(reply, key);
  ASSERT_EQ(ok.refusal, join_refusal::none);
  ASSERT_TRUE(ok.grant);
  ASSERT_EQ(ok.grant->members.size(), 2u);
  EXPECT_EQ(ok.grant->members[0].address, "tcp://10.0.0.1:7000");
  EXPECT_EQ(ok.grant->members[1].priority, -1);
  EXPECT_EQ(open_join_reply(reply, wrong).refusal, join_refusal::malformed);  // a grant only the code holder reads

  auto no = open_join_reply(encode_join_refusal(join_refusal::expired, advice(join_refusal::expired)), key);
  EXPECT_EQ(no.refusal, join_refusal::expired);
  EXPECT_NE(no.message.find("expired"), std::string::npos);
}

TEST(membership, admits_enrolled_unrevoked_keys_and_revocation_sticks) {
  membership m;
  EXPECT_TRUE(m.enrolled({"BO", hex_a, hex_a, 100, ""}));
  EXPECT_TRUE(m.enrolled({"POS2", hex_b, hex_b, 10, ""}));
  EXPECT_FALSE(m.enrolled({"BAD", "xyz", hex_c, 0, ""}));  // not a key: ignored
  EXPECT_EQ(m.admitted_z85().size(), 2u);
  const auto pos2 = *m.curve_z85_of("POS2");
  EXPECT_EQ(pos2.size(), 40u);
  m.revoked("POS2");
  EXPECT_FALSE(m.is_member("POS2"));
  EXPECT_FALSE(m.curve_z85_of("POS2"));
  EXPECT_TRUE(m.enrolled({"POS2", hex_b, hex_b, 10, ""}));  // enrolled again after the revocation arrived
  EXPECT_FALSE(m.is_member("POS2"));                         // revocation is sticky for the id
  const auto keys = m.admitted_z85();
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_NE(keys[0], pos2);
  m.revoked("CAM9");  // a revocation of an id never enrolled: it cannot enroll later
  EXPECT_TRUE(m.enrolled({"CAM9", hex_c, hex_c, 0, ""}));
  EXPECT_FALSE(m.is_member("CAM9"));
}

}  // namespace
}  // namespace sn::node
