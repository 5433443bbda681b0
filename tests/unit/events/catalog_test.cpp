// The event catalog: names and ids are a bijection; unknown ids are unknown.
#include <gtest/gtest.h>

#include <set>

#include "events/errc.hpp"
#include "events/event_type.hpp"
#include "events/types.hpp"

namespace sn {
namespace {

TEST(catalog, names_and_ids) {
  const std::vector<std::pair<event_type, const char*>> want = {
      {event_type::product_upserted, "product.upserted"}, {event_type::price_changed, "price.changed"},
      {event_type::product_deactivated, "product.deactivated"}, {event_type::stock_received, "stock.received"},
      {event_type::stock_adjusted, "stock.adjusted"}, {event_type::stock_counted, "stock.counted"},
      {event_type::sale_completed, "sale.completed"}, {event_type::sale_returned, "sale.returned"},
      {event_type::sale_voided, "sale.voided"}, {event_type::day_closed, "day.closed"},
      {event_type::device_registered, "device.registered"}, {event_type::device_updated, "device.updated"},
      {event_type::master_changed, "master.changed"}, {event_type::conflict_resolved, "conflict.resolved"},
      {event_type::staff_added, "staff.added"}, {event_type::staff_updated, "staff.updated"},
      {event_type::staff_removed, "staff.removed"}, {event_type::staff_signed_in, "staff.signed_in"},
      {event_type::staff_sign_in_failed, "staff.sign_in_failed"}, {event_type::staff_signed_out, "staff.signed_out"},
      {event_type::store_created, "store.created"}, {event_type::device_enrolled, "device.enrolled"},
      {event_type::device_revoked, "device.revoked"}, {event_type::device_keys_rotated, "device.keys_rotated"},
  };
  for (const auto& [t, name] : want) {
    const auto id = static_cast<std::uint16_t>(t);
    ASSERT_TRUE(event_type_name(id)) << id;
    EXPECT_EQ(*event_type_name(id), name);
    EXPECT_EQ(event_type_from_name(name), t);
    EXPECT_TRUE(is_known_event_type(id));
    // Schema 2 gave sales and returns business_day; attribution (staff_id,
    // approver_id) bumped every type a command writes once more.
    const auto id_block = id / 100;
    const bool gained_business_day = t == event_type::sale_completed || t == event_type::sale_returned;
    // Membership events (402-405, issue 9) were born after attribution: schema 1.
    const bool membership = t == event_type::store_created || t == event_type::device_enrolled ||
                            t == event_type::device_revoked || t == event_type::device_keys_rotated;
    const bool attributed = id_block >= 1 && id_block <= 4 && !membership;
    EXPECT_EQ(current_schema_version(t), 1 + (gained_business_day ? 1 : 0) + (attributed ? 1 : 0)) << name;
  }
  int known = 0;
  for (std::uint32_t id = 0; id <= 0xffff; ++id) known += is_known_event_type(static_cast<std::uint16_t>(id));
  EXPECT_EQ(known, static_cast<int>(want.size()));
  EXPECT_FALSE(event_type_name(0));
  EXPECT_FALSE(event_type_name(999));
  EXPECT_FALSE(event_type_from_name("sale.exploded"));
}

TEST(types, device_ids) {
  EXPECT_TRUE(valid_device_id("POS1"));
  EXPECT_TRUE(valid_device_id("back-office_2.local"));
  EXPECT_TRUE(valid_device_id(std::string(device_id_length_max, 'a')));
  EXPECT_FALSE(valid_device_id(std::string(device_id_length_max + 1, 'a')));
  EXPECT_FALSE(valid_device_id(""));
  EXPECT_FALSE(valid_device_id("POS 1"));
  EXPECT_FALSE(valid_device_id("POS:1"));
  EXPECT_FALSE(valid_device_id(std::string("P\0S", 3)));
}

TEST(types, hex_of_hash) {
  hash256 h{};
  h[0] = 0xab;
  h[31] = 0x01;
  EXPECT_EQ(to_hex(h), "ab" + std::string(60, '0') + "01");
}

TEST(errc, messages_name_the_code) {
  const sn::error e = events::make_error(events::errc::hash_mismatch, "POS1:3");
  EXPECT_STREQ(e.domain, "events");
  EXPECT_EQ(e.code, 5);
  EXPECT_EQ(e.message, "hash_mismatch: POS1:3");
  EXPECT_STREQ(events::to_string(events::errc::truncated), "truncated");
}

} // namespace
} // namespace sn
