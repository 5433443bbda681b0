// Typed payloads: every struct of the catalog round-trips through its
// positional msgpack array; older and newer schemas are read; bad payloads
// are errors.
#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <algorithm>

#include "events/errc.hpp"
#include "events/json.hpp"
#include "tests/unit/events/samples.hpp"

#include <nlohmann/json.hpp>

namespace sn {
namespace {

using events::errc;
using test::hex;
using test::unhex;

int code(errc e) { return static_cast<int>(e); }

// Round trip through the full path (make_event, seal, encode, decode,
// payload_of). Equality is checked on the JSON view, which lists every field
// by name, and on the re-encoded bytes.
template <class P>
void check_round_trip(const P& p) {
  SCOPED_TRACE(std::string(*event_type_name(static_cast<std::uint16_t>(P::type))));
  const event e = test::sample_event(p);
  EXPECT_EQ(e.type, static_cast<std::uint16_t>(P::type));
  EXPECT_EQ(e.schema, P::schema);
  auto d = decode(encode(e));
  ASSERT_TRUE(d) << d.error().to_string();
  auto back = payload_of<P>(*d);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(encode_payload(*back), e.payload);
  // The JSON view must show no default-valued field: the sample sets them
  // all, so a default here means a field was lost on the way.
  const nlohmann::json j = payload_to_json(*d);
  const P def{};
  EXPECT_NE(j, payload_to_json(test::sample_event(def))) << j.dump();
  for (const auto& [k, v] : j.items()) {
    EXPECT_FALSE(v == 0 || v == "" || (v.is_array() && v.empty())) << k << " looks like a default in " << j.dump();
  }
}

TEST(payload, every_type_round_trips) {
  std::apply([](const auto&... p) { (check_round_trip(p), ...); }, test::all_samples());
}

TEST(payload, sale_completed_fields_survive) {
  const sale_completed s = test::sample_sale_completed();
  auto d = decode_payload<sale_completed>(encode_payload(s));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->receipt, "POS1-000042");
  ASSERT_EQ(d->lines.size(), 3u);
  EXPECT_EQ(d->lines[0].sku, "SKU-1");
  EXPECT_EQ(d->lines[0].qty, 2);
  EXPECT_EQ(d->lines[0].unit_price_cents, 1299);
  EXPECT_EQ(d->lines[0].discount_cents, 100);
  EXPECT_EQ(d->lines[0].tax_rate_bp, 700);
  EXPECT_EQ(d->lines[0].tax_cents, 162);
  EXPECT_EQ(d->lines[2].qty, 3);
  EXPECT_EQ(d->gross_cents, 3145);
  EXPECT_EQ(d->discount_cents, 100);
  EXPECT_EQ(d->tax_cents, 204);
  EXPECT_EQ(d->total_cents, 3045);
  ASSERT_EQ(d->payments.size(), 2u);
  EXPECT_EQ(d->payments[1].method, "cash");
  EXPECT_EQ(d->payments[1].amount_cents, 1100);
  EXPECT_EQ(d->change_cents, 55);
}

TEST(payload, integer_extremes_round_trip) {
  stock_adjusted a{"S", std::numeric_limits<std::int64_t>::min(), "other", ""};
  auto d = decode_payload<stock_adjusted>(encode_payload(a));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->delta, std::numeric_limits<std::int64_t>::min());
  a.delta = std::numeric_limits<std::int64_t>::max();
  d = decode_payload<stock_adjusted>(encode_payload(a));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->delta, std::numeric_limits<std::int64_t>::max());
  master_changed m{"", "POS1", ~0ULL, "startup", {}};
  auto md = decode_payload<master_changed>(encode_payload(m));
  ASSERT_TRUE(md);
  EXPECT_EQ(md->term, ~0ULL);
}

TEST(payload, positional_wire_form_is_pinned) {
  // price.changed ["SKU-1", 1349]: a 2-element array, shortest integers.
  // price.changed ["SKU-1", 1349, staff_id, approver_id] (schema 2).
  EXPECT_EQ(hex(encode_payload(price_changed{"SKU-1", 1349, "c1", ""})), "94a5534b552d31cd0545a26331a0");
  EXPECT_EQ(hex(encode_payload(stock_adjusted{"A", -3, "damage", "", "", ""})), "96a141fda664616d616765a0a0a0");
  EXPECT_EQ(hex(encode_payload(device_updated{"P", "", 1, false, "", ""})), "96a150a001c2a0a0");
}

TEST(payload, newer_schema_extra_fields_are_ignored) {
  msgpack::sbuffer sb;
  msgpack::packer<msgpack::sbuffer> pk(sb);
  pk.pack_array(6);
  pk.pack(std::string("SKU-9"));
  pk.pack(500);
  pk.pack(std::string("c1"));
  pk.pack(std::string(""));
  pk.pack(std::string("a field from the future"));
  pk.pack_map(0);
  auto d = decode_payload<price_changed>(std::string_view(sb.data(), sb.size()));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->sku, "SKU-9");
  EXPECT_EQ(d->price_cents, 500);
  EXPECT_EQ(d->staff_id, "c1");
}

TEST(payload, older_schema_missing_fields_keep_defaults) {
  // product.upserted with only sku and name.
  auto d = decode_payload<product_upserted>(unhex("92a141a3546561"));
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_EQ(d->sku, "A");
  EXPECT_EQ(d->name, "Tea");
  EXPECT_EQ(d->price_cents, 0);
  EXPECT_TRUE(d->active);
}

TEST(payload, wrong_field_types_are_malformed) {
  const std::vector<std::string> bad = {
      "92a141a3313030",        // price_cents as str
      "9201cd0100",            // sku as int
      "92a141cf8000000000000000",  // price_cents > int64 max
      "81a141a142",            // a map, not an array
      "a141",                  // a str
  };
  for (const auto& h : bad) {
    auto d = decode_payload<price_changed>(unhex(h));
    ASSERT_FALSE(d) << h;
    EXPECT_EQ(d.error().code, code(errc::malformed)) << h << ": " << d.error().to_string();
  }
  // int32 range: device priority 2^31.
  auto dr = decode_payload<device_registered>(unhex("93a150a0ce80000000"));
  ASSERT_FALSE(dr);
  // A sale line that is not an array.
  auto sc = decode_payload<sale_completed>(unhex("92a15291a141"));
  ASSERT_FALSE(sc);
  EXPECT_EQ(sc.error().code, code(errc::malformed));
}

TEST(payload, truncated_and_trailing_payloads_are_errors) {
  const std::string p = encode_payload(test::sample_sale_completed());
  for (std::size_t n = 0; n < p.size(); ++n) {
    auto d = decode_payload<sale_completed>(std::string_view(p.data(), n));
    ASSERT_FALSE(d) << n;
    EXPECT_TRUE(d.error().code == code(errc::truncated) || d.error().code == code(errc::too_large)) << n;
  }
  auto d = decode_payload<sale_completed>(p + "\xc0");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::malformed));
}

TEST(payload, depth_bomb_and_huge_prefixes_are_errors) {
  std::string bomb(100000, '\x91');
  bomb += '\x01';
  auto d = decode_payload<sale_completed>(bomb);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, code(errc::too_large));
  // payload_depth_max levels are fine.
  std::string ok(payload_depth_max, '\x91');
  ok += '\x01';
  auto j = decode_payload<product_deactivated>(ok);
  EXPECT_FALSE(j);  // wrong shape, but reported as such, not as depth
  EXPECT_EQ(j.error().code, code(errc::malformed));
  for (const char* h : {"dd ff000000", "dcffff", "dfffffffff", "9182dbffffffff"}) {
    std::string s = h;
    s.erase(std::remove(s.begin(), s.end(), ' '), s.end());
    auto x = decode_payload<sale_completed>(unhex(s));
    ASSERT_FALSE(x) << h;
  }
}

TEST(payload, payload_of_checks_the_type) {
  const event e = test::sample_event(test::sample_price_changed());
  auto p = payload_of<stock_received>(e);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, code(errc::wrong_type));
  EXPECT_TRUE(payload_of<price_changed>(e));
}

} // namespace
} // namespace sn
