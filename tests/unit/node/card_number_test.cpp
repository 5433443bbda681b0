// The card-number refusal (PCI DSS 3.4): what counts as a card number in a
// command body, and that parse_command answers 400 card_number_refused
// without quoting the number.
#include <gtest/gtest.h>

#include "node/command_parser.hpp"

namespace {

using nlohmann::json;
using sn::node::find_card_number;
using sn::node::luhn_valid;

TEST(card_number, luhn) {
  EXPECT_TRUE(luhn_valid("4111111111111111"));
  EXPECT_TRUE(luhn_valid("378282246310005"));     // Amex test number, 15 digits
  EXPECT_FALSE(luhn_valid("4111111111111112"));   // check digit off by one
  EXPECT_FALSE(luhn_valid("411111111111"));       // 12 digits: too short
  EXPECT_FALSE(luhn_valid("41111111111111111111"));  // 20 digits: too long
}

TEST(card_number, found_anywhere_in_strings_and_numbers_grouped_or_not) {
  EXPECT_TRUE(find_card_number(json{{"note", "4111 1111 1111 1111"}}));
  EXPECT_TRUE(find_card_number(json{{"note", "card 4111-1111-1111-1111 ok"}}));
  EXPECT_TRUE(find_card_number(json{{"lines", {{{"sku", "x"}, {"ref", 4111111111111111}}}}}));
  EXPECT_TRUE(find_card_number(json{{"a", {{"b", {{"c", "5555555555554444"}}}}}}));
  EXPECT_FALSE(find_card_number(json{{"note", "4111111111111112"}}));
  EXPECT_FALSE(find_card_number(json{{"receipt", "POS1-000042"}, {"qty", 3}}));
  EXPECT_FALSE(find_card_number(json{{"note", "4111  1111 1111 1111"}}));  // two spaces split the groups
  EXPECT_FALSE(find_card_number(json{{"ref", "41111111111111111111111"}}));  // one run longer than any card
}

TEST(card_number, a_valid_gtin_barcode_is_exempt_a_card_in_barcode_is_not) {
  // 4006381333924 is a valid EAN-13 that also passes Luhn.
  ASSERT_TRUE(luhn_valid("4006381333924"));
  EXPECT_FALSE(find_card_number(json{{"barcode", "4006381333924"}}));
  EXPECT_TRUE(find_card_number(json{{"barcode", "4111111111111111"}}));  // not a GTIN-16
  EXPECT_TRUE(find_card_number(json{{"name", "4006381333924"}}));        // the exemption is only for barcode
}

TEST(card_number, parse_command_refuses_without_quoting_the_number) {
  const std::string body = R"({"lines":[{"sku":"A","qty":1}],"payments":[{"method":"card","amount_cents":100}],"pan":"4111111111111111"})";
  auto r = sn::node::parse_command(sn::retail::command_kind::complete_sale, {body, nullptr, "", ""});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().code, "card_number_refused");
  EXPECT_EQ(r.error().message.find("4111"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("pan"), std::string::npos);
}

}  // namespace
