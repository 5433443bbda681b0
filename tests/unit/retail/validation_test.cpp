// Every validation error: the status, the stable code, and that nothing was
// decided (no drafts, state unchanged).
#include <gtest/gtest.h>

#include "tests/unit/retail/retail_support.hpp"

namespace sn::retail::test {
namespace {

using nlohmann::json;

struct bad_case {
  const char* name;
  command_kind kind;
  json body;
  int status;
  const char* code;
};

class validation : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(t.run(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 100}}).http_status, 201);
    ASSERT_EQ(t.run(command_kind::upsert_product, {{"sku", "OFF"}, {"name", "Off"}, {"price_cents", 100}, {"active", false}})
                  .http_status,
              201);
    ASSERT_EQ(t.run(command_kind::receive_stock, {{"sku", "A"}, {"qty", 5}}).http_status, 201);
    ASSERT_EQ(t.run(command_kind::complete_sale,
                    {{"lines", {{{"sku", "A"}, {"qty", 2}}}}, {"payments", {{{"method", "card"}, {"amount_cents", 200}}}}})
                  .http_status,
              201);
    ASSERT_EQ(t.run(command_kind::register_device, {{"device_id", "POS1"}, {"name", "Till 1"}, {"priority", 10}}).http_status,
              201);
  }
  till t{"POS1"};
};

json line(const char* sku, json qty) { return json{{"sku", sku}, {"qty", qty}}; }
json pay(const char* m, json amount) { return json{{"method", m}, {"amount_cents", amount}}; }

TEST_F(validation, every_error_is_clear_and_decides_nothing) {
  const std::vector<bad_case> cases = {
      {"body not an object", command_kind::upsert_product, json::array(), 400, "invalid_body"},
      {"missing sku", command_kind::upsert_product, {{"name", "x"}, {"price_cents", 1}}, 400, "missing_field"},
      {"sku wrong type", command_kind::upsert_product, {{"sku", 5}, {"name", "x"}, {"price_cents", 1}}, 400, "wrong_type"},
      {"sku with slash", command_kind::upsert_product, {{"sku", "a/b"}, {"name", "x"}, {"price_cents", 1}}, 400, "invalid_field"},
      {"sku too long", command_kind::upsert_product, {{"sku", std::string(65, 'x')}, {"name", "x"}, {"price_cents", 1}}, 400, "invalid_field"},
      {"empty name", command_kind::upsert_product, {{"sku", "B"}, {"name", ""}, {"price_cents", 1}}, 400, "invalid_field"},
      {"price float", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", 1.5}}, 400, "wrong_type"},
      {"price negative", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", -1}}, 400, "invalid_price"},
      {"price string", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", "1"}}, 400, "wrong_type"},
      {"tax rate out of range", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", 1}, {"tax_rate_bp", 10001}}, 400, "invalid_field"},
      {"active not bool", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", 1}, {"active", 1}}, 400, "wrong_type"},
      {"price of unknown sku", command_kind::change_price, {{"sku", "NOPE"}, {"price_cents", 1}}, 404, "unknown_sku"},
      {"price missing", command_kind::change_price, {{"sku", "A"}}, 400, "missing_field"},
      {"deactivate unknown", command_kind::deactivate_product, {{"sku", "NOPE"}}, 404, "unknown_sku"},
      {"receive unknown sku", command_kind::receive_stock, {{"sku", "NOPE"}, {"qty", 1}}, 404, "unknown_sku"},
      {"receive zero", command_kind::receive_stock, {{"sku", "A"}, {"qty", 0}}, 400, "invalid_qty"},
      {"receive negative", command_kind::receive_stock, {{"sku", "A"}, {"qty", -3}}, 400, "invalid_qty"},
      {"receive huge", command_kind::receive_stock, {{"sku", "A"}, {"qty", 18446744073709551615ULL}}, 400, "invalid_qty"},
      {"adjust zero", command_kind::adjust_stock, {{"sku", "A"}, {"delta", 0}, {"reason", "damage"}}, 400, "invalid_qty"},
      {"adjust bad reason", command_kind::adjust_stock, {{"sku", "A"}, {"delta", -1}, {"reason", "lost"}}, 400, "invalid_field"},
      {"adjust no reason", command_kind::adjust_stock, {{"sku", "A"}, {"delta", -1}}, 400, "missing_field"},
      {"count negative", command_kind::count_stock, {{"sku", "A"}, {"counted_qty", -1}}, 400, "invalid_qty"},
      {"count unknown", command_kind::count_stock, {{"sku", "NOPE"}, {"counted_qty", 1}}, 404, "unknown_sku"},
      {"sale no lines", command_kind::complete_sale, {{"payments", {pay("cash", 1)}}}, 400, "missing_field"},
      {"sale empty lines", command_kind::complete_sale, {{"lines", json::array()}, {"payments", {pay("cash", 1)}}}, 400, "invalid_field"},
      {"sale lines not array", command_kind::complete_sale, {{"lines", "A"}, {"payments", {pay("cash", 1)}}}, 400, "wrong_type"},
      {"sale line not object", command_kind::complete_sale, {{"lines", {1}}, {"payments", {pay("cash", 1)}}}, 400, "wrong_type"},
      {"sale unknown sku", command_kind::complete_sale, {{"lines", {line("NOPE", 1)}}, {"payments", {pay("cash", 100)}}}, 404, "unknown_sku"},
      {"sale inactive", command_kind::complete_sale, {{"lines", {line("OFF", 1)}}, {"payments", {pay("cash", 100)}}}, 409, "product_inactive"},
      {"sale qty zero", command_kind::complete_sale, {{"lines", {line("A", 0)}}, {"payments", {pay("cash", 100)}}}, 400, "invalid_qty"},
      {"sale qty negative", command_kind::complete_sale, {{"lines", {line("A", -1)}}, {"payments", {pay("cash", 100)}}}, 400, "invalid_qty"},
      {"sale qty string", command_kind::complete_sale, {{"lines", {line("A", "1")}}, {"payments", {pay("cash", 100)}}}, 400, "wrong_type"},
      {"sale underpaid", command_kind::complete_sale, {{"lines", {line("A", 2)}}, {"payments", {pay("cash", 150)}}}, 400, "payments_insufficient"},
      {"sale no payments", command_kind::complete_sale, {{"lines", {line("A", 1)}}}, 400, "missing_field"},
      {"sale bad method", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", {pay("bitcoin", 100)}}}, 400, "invalid_field"},
      {"sale zero payment", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", {pay("cash", 0)}}}, 400, "invalid_amount"},
      {"sale card overpay", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", {pay("card", 150)}}}, 400, "overpayment_not_cash"},
      {"sale discount too big", command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 1}, {"discount_cents", 101}}}}, {"payments", {pay("cash", 100)}}}, 400, "invalid_discount"},
      {"return unknown receipt", command_kind::return_sale, {{"receipt", "POS1-999999"}, {"lines", {line("A", 1)}}}, 404, "unknown_receipt"},
      {"return no receipt", command_kind::return_sale, {{"lines", {line("A", 1)}}}, 400, "missing_field"},
      {"return over sold", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("A", 3)}}}, 409, "return_exceeds_sold"},
      {"return over sold in two lines", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("A", 2), line("A", 1)}}}, 409, "return_exceeds_sold"},
      {"return sku not in sale", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("OFF", 1)}}}, 400, "sku_not_in_sale"},
      {"return qty zero", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("A", 0)}}}, 400, "invalid_qty"},
      {"return bad method", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("A", 1)}}, {"method", "iou"}}, 400, "invalid_field"},
      {"void unknown", command_kind::void_sale, {{"receipt", "X-1"}}, 404, "unknown_receipt"},
      {"void no receipt", command_kind::void_sale, json::object(), 400, "missing_field"},
      {"close bad day", command_kind::close_day, {{"day", "2026-02-30"}}, 400, "invalid_day"},
      {"close day wrong type", command_kind::close_day, {{"day", 20261125}}, 400, "wrong_type"},
      {"device bad id", command_kind::register_device, {{"device_id", "bad id!"}}, 400, "invalid_device_id"},
      {"device exists", command_kind::register_device, {{"device_id", "POS1"}}, 409, "device_exists"},
      {"device priority negative", command_kind::register_device, {{"device_id", "POS9"}, {"priority", -1}}, 400, "invalid_field"},
      {"update unknown device", command_kind::update_device, {{"device_id", "POS7"}, {"name", "x"}}, 404, "unknown_device"},
  };
  const auto before = t.handler.state().digests();
  const auto next_seq = t.next_seq;
  for (const bad_case& c : cases) {
    SCOPED_TRACE(c.name);
    command_reply r = t.run(c.kind, c.body, std::string("k-") + c.name);
    EXPECT_EQ(r.http_status, c.status) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], c.code) << r.body.dump();
    EXPECT_TRUE(r.body["error"]["message"].is_string());
    EXPECT_FALSE(r.body["error"]["message"].get<std::string>().empty());
    EXPECT_TRUE(r.drafts.empty());
    EXPECT_FALSE(r.idempotency_record.has_value());
  }
  EXPECT_EQ(t.handler.state().digests(), before);
  EXPECT_EQ(t.next_seq, next_seq);
}

TEST_F(validation, overlong_idempotency_key_is_rejected) {
  command_reply r = t.run(command_kind::receive_stock, {{"sku", "A"}, {"qty", 1}}, std::string(256, 'k'));
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.body["error"]["code"], "invalid_idempotency_key");
  EXPECT_TRUE(r.drafts.empty());
}

TEST_F(validation, a_zero_total_sale_needs_no_payment_and_cash_gives_change) {
  command_reply free = t.run(command_kind::complete_sale,
                             {{"lines", {{{"sku", "A"}, {"qty", 1}, {"discount_cents", 100}}}}});
  EXPECT_EQ(free.http_status, 201) << free.body.dump();
  EXPECT_EQ(free.body["total_cents"], 0);
  command_reply split = t.run(command_kind::complete_sale,
                              {{"lines", {line("A", 2)}}, {"payments", {pay("card", 150), pay("cash", 100)}}});
  EXPECT_EQ(split.http_status, 201) << split.body.dump();
  EXPECT_EQ(split.body["change_cents"], 50);
}

TEST_F(validation, device_update_is_partial_and_roles_follow_elections) {
  command_reply r = t.run(command_kind::update_device, {{"device_id", "POS1"}, {"priority", 50}});
  ASSERT_EQ(r.http_status, 200) << r.body.dump();
  EXPECT_EQ(r.body["name"], "Till 1");
  EXPECT_EQ(r.body["priority"], 50);
  EXPECT_EQ(r.body["role"], "client");
  EXPECT_TRUE(r.body["registered"].get<bool>());
}

} // namespace
} // namespace sn::retail::test
