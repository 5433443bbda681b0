// Every refusal that needs state: the errc, a message, and that nothing was
// decided (no events, state unchanged). The refusals of a command's shape
// (types, required fields, ranges) are node/command_parser's:
// tests/unit/node/command_parser_test.cpp.
#include <gtest/gtest.h>

#include "tests/unit/retail/retail_support.hpp"

namespace sn::retail::test {
namespace {

struct bad_case {
  const char* name;
  command cmd;
  command_errc errc;
};

class validation : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(t.run(product("A", "A", 100)).is_accepted());
    ASSERT_TRUE(t.run(product("OFF", "Off", 100, 0, 0, false)).is_accepted());
    ASSERT_TRUE(t.run(receive_stock{"A", 5, ""}).is_accepted());
    ASSERT_TRUE(t.run(sale({line("A", 2)}, {{pay("card", 200)}})).is_accepted());
    ASSERT_TRUE(t.run(register_device{"POS1", "Till 1", 10}).is_accepted());
  }
  till t{"POS1"};
};

TEST_F(validation, every_refusal_is_clear_and_decides_nothing) {
  const std::vector<bad_case> cases = {
      {"price of unknown sku", change_price{"NOPE", 1}, command_errc::unknown_sku},
      {"deactivate unknown", deactivate_product{"NOPE"}, command_errc::unknown_sku},
      {"receive unknown sku", receive_stock{"NOPE", 1, ""}, command_errc::unknown_sku},
      {"adjust unknown sku", adjust_stock{"NOPE", 1, "other", ""}, command_errc::unknown_sku},
      {"count unknown", count_stock{"NOPE", 1}, command_errc::unknown_sku},
      {"sale unknown sku", sale({line("NOPE", 1)}, {{pay("cash", 100)}}), command_errc::unknown_sku},
      {"sale inactive", sale({line("OFF", 1)}, {{pay("cash", 100)}}), command_errc::product_inactive},
      {"sale underpaid", sale({line("A", 2)}, {{pay("cash", 150)}}), command_errc::payments_insufficient},
      {"sale no payments", sale({line("A", 1)}, std::nullopt), command_errc::payments_required},
      {"sale card overpay", sale({line("A", 1)}, {{pay("card", 150)}}), command_errc::overpayment_not_cash},
      {"sale discount too big", sale({line("A", 1, std::nullopt, 101)}, {{pay("cash", 100)}}),
       command_errc::invalid_discount},
      {"discount beyond an explicit price", sale({line("A", 2, 10, 21)}, {{pay("cash", 100)}}),
       command_errc::invalid_discount},
      {"return unknown receipt", give_back("POS1-999999", {{"A", 1}}), command_errc::unknown_receipt},
      {"return over sold", give_back("POS1-000001", {{"A", 3}}), command_errc::return_exceeds_sold},
      {"return over sold in two lines", give_back("POS1-000001", {{"A", 2}, {"A", 1}}),
       command_errc::return_exceeds_sold},
      {"return sku not in sale", give_back("POS1-000001", {{"OFF", 1}}), command_errc::sku_not_in_sale},
      {"return sku never seen", give_back("POS1-000001", {{"ZZZ", 1}}), command_errc::sku_not_in_sale},
      {"void unknown", void_sale{"X-1", ""}, command_errc::unknown_receipt},
      {"device exists", register_device{"POS1", "POS1", 0}, command_errc::device_exists},
      {"update unknown device", update_device{"POS7", std::string("x"), std::nullopt, std::nullopt},
       command_errc::unknown_device},
  };
  const auto before = t.state.digests();
  const auto next_seq = t.next_seq;
  for (const bad_case& c : cases) {
    SCOPED_TRACE(c.name);
    command_outcome r = t.run(c.cmd, std::string("k-") + c.name);
    ASSERT_FALSE(r.is_accepted());
    EXPECT_EQ(std::get<rejected>(r.decision).errc, c.errc) << std::get<rejected>(r.decision).message;
    EXPECT_FALSE(std::get<rejected>(r.decision).message.empty());
    EXPECT_FALSE(r.idempotency_record.has_value());
  }
  EXPECT_EQ(t.state.digests(), before);
  EXPECT_EQ(t.next_seq, next_seq);
}

TEST_F(validation, overlong_idempotency_key_is_rejected) {
  command_outcome r = t.run(receive_stock{"A", 1, ""}, std::string(256, 'k'));
  EXPECT_EQ(errc_of(r), command_errc::invalid_idempotency_key);
}

TEST_F(validation, a_zero_total_sale_needs_no_payment_and_cash_gives_change) {
  command_outcome free = t.run(sale({line("A", 1, std::nullopt, 100)}, std::nullopt));
  EXPECT_EQ(result_of<complete_sale_result>(free).sale.total_cents, 0);
  command_outcome split = t.run(sale({line("A", 2)}, {{pay("card", 150), pay("cash", 100)}}));
  EXPECT_EQ(result_of<complete_sale_result>(split).sale.change_cents, 50);
  EXPECT_EQ(result_of<complete_sale_result>(split).paid_cents, 250);
}

TEST_F(validation, device_update_is_partial_and_roles_follow_elections) {
  command_outcome r = t.run(update_device{"POS1", std::nullopt, 50, std::nullopt});
  const device_row& d = result_of<update_device_result>(r).device;
  EXPECT_EQ(d.name, "Till 1");
  EXPECT_EQ(d.priority, 50);
  EXPECT_FALSE(d.master);
  EXPECT_TRUE(d.registered);
  EXPECT_TRUE(d.active);
}

} // namespace
} // namespace sn::retail::test
