// actors/staff units and the staff projection, without a node: what each
// guarantees (sessions hashed, idle expiry; lockouts that double; PINs only
// as Argon2id; the projection's registers and that no query holds a hash).
#include <gtest/gtest.h>

#include "actors/projections/memory_rows.hpp"
#include "actors/projections/staff.hpp"
#include "actors/staff/lockout.hpp"
#include "actors/staff/pin.hpp"
#include "actors/staff/sessions.hpp"
#include "events/payload_codec.hpp"

namespace {

using namespace sn;

staff::token tok(std::uint8_t b) {
  staff::token t{};
  t.fill(b);
  return t;
}

TEST(sessions, a_session_lives_while_used_and_ends_idle_or_closed) {
  staff::session_table t(1000);
  t.open(tok(1), "c1", "Cash", staff::role::cashier, 10'000);
  ASSERT_TRUE(t.use(tok(1), 10'999));           // renewed: now ends at 11'999
  EXPECT_TRUE(t.use(tok(1), 11'998));
  EXPECT_FALSE(t.use(tok(2), 11'998));          // unknown token
  EXPECT_FALSE(t.use(tok(1), 12'998));          // idle for the whole timeout
  EXPECT_EQ(t.size(), 0u);
  t.open(tok(3), "m1", "Mgr", staff::role::manager, 0);
  EXPECT_TRUE(t.close(tok(3)));
  EXPECT_FALSE(t.use(tok(3), 1));
  t.open(tok(4), "c1", "Cash", staff::role::cashier, 0);
  t.open(tok(5), "c1", "Cash", staff::role::cashier, 0);
  EXPECT_EQ(t.close_staff("c1"), 2u);
}

TEST(sessions, tokens_are_32_hex_digits_and_nothing_else_parses) {
  const auto t = tok(0xab);
  const std::string text = staff::session_table::to_text(t);
  EXPECT_EQ(text, "abababababababababababababababab");
  EXPECT_EQ(staff::session_table::from_text(text), t);
  EXPECT_FALSE(staff::session_table::from_text(text.substr(1)));
  EXPECT_FALSE(staff::session_table::from_text("ABABABABABABABABABABABABABABABAB"));
  EXPECT_FALSE(staff::session_table::from_text(std::string(32, 'g')));
}

TEST(lockout, five_failures_in_the_window_lock_and_each_repeat_doubles) {
  staff::lockout l({5, 60'000, 60'000, 3'600'000});
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(l.fail("staff:c1", 1000 + i));
  EXPECT_FALSE(l.locked_for("staff:c1", 1004));
  EXPECT_EQ(l.fail("staff:c1", 1004), 60'000u);
  EXPECT_EQ(l.locked_for("staff:c1", 1005), 59'999u);
  EXPECT_FALSE(l.locked_for("staff:c1", 61'004));
  for (int i = 0; i < 4; ++i) l.fail("staff:c1", 70'000 + i);
  EXPECT_EQ(l.fail("staff:c1", 70'004), 120'000u);   // doubled
  for (int i = 0; i < 5; ++i) l.fail("staff:c1", 200'000 + i);
  EXPECT_EQ(l.locked_for("staff:c1", 200'004), 240'000u);  // doubled again
  l.succeed("staff:c1");
  EXPECT_FALSE(l.locked_for("staff:c1", 200'005));
  for (int i = 0; i < 4; ++i) l.fail("staff:c1", 300'000 + i);
  EXPECT_EQ(l.fail("staff:c1", 300'004), 60'000u);    // back to the first length
}

TEST(lockout, failures_outside_the_window_do_not_count) {
  staff::lockout l({5, 60'000, 60'000, 3'600'000});
  for (int i = 0; i < 4; ++i) l.fail("device", i * 1000);
  EXPECT_FALSE(l.fail("device", 70'000));  // the first four fell out of the window
  EXPECT_FALSE(l.locked_for("device", 70'001));
}

TEST(pin, only_4_to_8_digits_and_only_argon2id_strings_with_fresh_salts) {
  EXPECT_TRUE(staff::valid_pin("1234"));
  EXPECT_TRUE(staff::valid_pin("12345678"));
  EXPECT_FALSE(staff::valid_pin("123"));
  EXPECT_FALSE(staff::valid_pin("123456789"));
  EXPECT_FALSE(staff::valid_pin("12a4"));
  const staff::pin_cost cheap{1, 8192};  // the test's speed; the default is checked by bench figures
  const auto a = staff::hash_pin("2468", cheap), b = staff::hash_pin("2468", cheap);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0u);
  EXPECT_NE(*a, *b);  // per-hash random salt
  EXPECT_EQ(a->find("2468"), std::string::npos);
  EXPECT_TRUE(staff::verify_pin(*a, "2468"));
  EXPECT_FALSE(staff::verify_pin(*a, "2469"));
  EXPECT_FALSE(staff::verify_pin("", "2468"));
  EXPECT_FALSE(staff::verify_pin("$argon2i$nonsense", "2468"));
}

// ---- the staff projection ----

struct fold {
  projections::memory_rows rows;
  projections::staff_projection p;
  retail::store_settings settings;
  std::uint64_t seq = 0;

  template <class P>
  void apply(const P& payload, std::uint64_t hlc, const std::string& origin = "POS1") {
    event e = make_event(device_id{origin}, origin_seq{++seq}, hlc_timestamp{hlc}, term_id{1}, payload);
    projections::payload v = payload;
    projections::fold_context ctx{settings, nullptr};
    EXPECT_EQ(p.apply(projections::folded_event{e, v}, rows, ctx), nullptr);
  }
};

TEST(staff_projection, registers_are_last_writer_wins_and_the_pin_is_its_own) {
  fold f;
  f.apply(staff_added{"c1", "Cash", "cashier", "$argon2id$A", true, "admin", ""}, 100);
  // A PIN change on one till (earlier) and a later name change without a PIN
  // on another both survive: the PIN is its own register.
  f.apply(staff_updated{"c1", "Cash", "cashier", "$argon2id$B", true, "m1", ""}, 200);
  f.apply(staff_updated{"c1", "Cashier One", "supervisor", "", true, "m1", ""}, 300, "POS2");
  auto c = projections::staff::credentials_of(f.rows, "c1");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->pin_hash, "$argon2id$B");
  EXPECT_EQ(c->name, "Cashier One");
  EXPECT_EQ(c->role, "supervisor");
  // An older profile write loses.
  f.apply(staff_updated{"c1", "Old", "cashier", "", true, "m1", ""}, 150, "POS3");
  EXPECT_EQ(projections::staff::find(f.rows, "c1")->name, "Cashier One");
  f.apply(staff_signed_in{"c1", "supervisor"}, 400, "POS2");
  auto info = projections::staff::find(f.rows, "c1");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->last_sign_in_device, "POS2");
  EXPECT_TRUE(info->pin_set);
  EXPECT_EQ(projections::staff::count(f.rows), 1u);
  f.apply(staff_removed{"c1", "m1", ""}, 500);
  EXPECT_FALSE(projections::staff::find(f.rows, "c1"));
  EXPECT_TRUE(projections::staff::credentials_of(f.rows, "c1")->removed);
  EXPECT_EQ(projections::staff::count(f.rows), 0u);
  EXPECT_TRUE(projections::staff::list(f.rows, {}).items.empty());
}

TEST(staff_projection, rows_do_not_depend_on_the_order_origins_interleave) {
  fold a, b;
  const staff_added add{"m1", "Mgr", "manager", "$argon2id$X", true, "", ""};
  const staff_updated up{"m1", "Manager", "manager", "$argon2id$Y", false, "admin", ""};
  a.apply(add, 100, "POS1");
  a.apply(up, 200, "POS2");
  b.seq = 1;
  b.apply(up, 200, "POS2");
  b.seq = 0;
  b.apply(add, 100, "POS1");
  EXPECT_EQ(a.rows.get(projections::staff::staff_key("m1")), b.rows.get(projections::staff::staff_key("m1")));
}

}  // namespace
