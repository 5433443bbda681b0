// JSON views: typed payloads by field name, unknown types generically, and
// bytes that are not UTF-8 never make dump() throw.
#include <gtest/gtest.h>

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include "events/json.hpp"
#include "tests/unit/events/samples.hpp"

namespace sn {
namespace {

TEST(json, event_view_has_every_envelope_field) {
  const event e = test::sample_event(test::sample_stock_received(), 3);
  const nlohmann::json j = event_to_json(e);
  EXPECT_EQ(j["origin"], "POS1");
  EXPECT_EQ(j["seq"], 3);
  EXPECT_EQ(j["hlc"], e.hlc.packed());
  EXPECT_EQ(j["time"], "2026-11-25T14:03:07.123Z");
  EXPECT_EQ(j["term"], 7);
  EXPECT_EQ(j["type"], "stock.received");
  EXPECT_EQ(j["type_id"], 200);
  EXPECT_EQ(j["schema"], 2);
  EXPECT_EQ(j["payload"], nlohmann::json::parse(
                              R"({"sku":"SKU-1","qty":24,"supplier_ref":"SUP-77/2026","staff_id":"s1","approver_id":"m1"})"));
  EXPECT_EQ(j["prev_hash"], to_hex(e.prev_hash));
  EXPECT_EQ(j["hash"], to_hex(e.hash));
}

TEST(json, nested_payload_fields) {
  const nlohmann::json j = payload_to_json(test::sample_event(test::sample_sale_completed()));
  EXPECT_EQ(j["receipt"], "POS1-000042");
  EXPECT_EQ(j["lines"][0]["unit_price_cents"], 1299);
  EXPECT_EQ(j["payments"][1]["method"], "cash");
  EXPECT_EQ(j["change_cents"], 55);
  const nlohmann::json m = payload_to_json(test::sample_event(test::sample_master_changed()));
  EXPECT_EQ(m["participants"], nlohmann::json::parse(R"(["POS2","POS3"])"));
}

// An event shows the fields its schema was written with: a schema 1 sale has
// no business_day (not an empty one), a schema 2 sale shows its stamped day.
TEST(json, older_schema_shows_only_its_own_fields) {
  const nlohmann::json v1 = event_to_json(test::schema1_event(test::sample_sale_completed(), 1795615387123ULL));
  EXPECT_EQ(v1["schema"], 1);
  EXPECT_EQ(v1["payload"]["change_cents"], 55);
  EXPECT_FALSE(v1["payload"].contains("business_day")) << v1.dump();
  EXPECT_FALSE(v1["payload"].contains("staff_id")) << v1.dump();
  const nlohmann::json v3 = event_to_json(test::sample_event(test::sample_sale_completed()));
  EXPECT_EQ(v3["schema"], 4);
  EXPECT_EQ(v3["payload"]["payments"][0]["last4"], "4242");
  EXPECT_EQ(v3["payload"]["business_day"], "2026-11-25");
  EXPECT_EQ(v3["payload"]["staff_id"], "c1");
  EXPECT_EQ(v3["payload"]["approver_id"], "s1");
  const nlohmann::json r2 = payload_to_json(test::sample_event(test::sample_sale_returned()));
  EXPECT_EQ(r2["business_day"], "2026-11-25");
  EXPECT_EQ(r2["lines"][0]["tax_cents"], 81);  // nested records keep every field
}

TEST(json, unknown_type_is_rendered_generically) {
  event e = test::sample_event(test::sample_price_changed());
  e.type = 4242;
  msgpack::sbuffer sb;
  msgpack::packer<msgpack::sbuffer> pk(sb);
  pk.pack_array(5);
  pk.pack(std::string("x"));
  pk.pack(-7);
  pk.pack_bin(2);
  pk.pack_bin_body("\x01\x02", 2);
  pk.pack_map(1);
  pk.pack(std::string("k"));
  pk.pack_nil();
  pk.pack(true);
  e.payload.assign(sb.data(), sb.size());
  const nlohmann::json j = event_to_json(e);
  EXPECT_EQ(j["type"], "unknown");
  EXPECT_EQ(j["type_id"], 4242);
  EXPECT_EQ(j["payload"], nlohmann::json::parse(R"(["x",-7,{"$bin":"AQI="},{"k":null},true])"));
}

TEST(json, newer_schema_is_rendered_generically) {
  event e = test::sample_event(test::sample_price_changed());
  e.schema = 3;
  EXPECT_EQ(payload_to_json(e), nlohmann::json::parse(R"(["SKU-1",1349,"m1","a1"])"));
}

// A PIN hash is never rendered: not typed, not at a newer schema (where
// other types go generic), not when the bytes do not decode.
TEST(json, a_pin_hash_is_never_rendered) {
  for (const event& e : {test::sample_event(test::sample_staff_added()), test::sample_event(test::sample_staff_updated())}) {
    const std::string typed = event_to_json(e).dump();
    EXPECT_EQ(typed.find("argon2"), std::string::npos) << typed;
    EXPECT_EQ(typed.find("pin_hash"), std::string::npos) << typed;
    EXPECT_NE(typed.find("\"role\""), std::string::npos) << typed;
    event newer = e;
    newer.schema = 9;
    const std::string n = payload_to_json(newer).dump();
    EXPECT_EQ(n.find("argon2"), std::string::npos) << n;
    event broken = e;
    broken.payload = std::string("\x97\xa2" "c1", 4);  // truncated array
    const std::string b = payload_to_json(broken).dump();
    EXPECT_EQ(b.find("argon2"), std::string::npos) << b;
  }
}

TEST(json, bad_bytes_never_throw_on_dump) {
  event e = test::sample_event(price_changed{std::string("\xff\xfe", 2), 1});
  nlohmann::json j = payload_to_json(e);
  EXPECT_NO_THROW((void)j.dump());
  EXPECT_TRUE(j["sku"].contains("$bin"));
  e.type = 4242;  // generic rendering: a map key that is not UTF-8
  e.payload = std::string("\x81\xa2\xf0\x28\x01", 5);
  j = payload_to_json(e);
  EXPECT_NO_THROW((void)j.dump()) << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  e.payload = "\xc1";  // never-used msgpack byte
  j = payload_to_json(e);
  EXPECT_NO_THROW((void)j.dump());
  EXPECT_TRUE(j.contains("$error"));
}

} // namespace
} // namespace sn
