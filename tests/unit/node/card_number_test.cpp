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

// A card payment's receipt fields (issue 10 item 9): brand (known, any
// case, stored lower case; or short free text), last4 exactly 4 digits, auth
// code and processor reference in their forms; on a cash payment they are
// refused; each is optional.
TEST(card_number, card_payments_carry_brand_last4_auth_code_and_reference_validated) {
  const auto sale = [](const std::string& payment) {
    return sn::node::parse_command(sn::retail::command_kind::complete_sale,
                                   {R"({"lines":[{"sku":"A","qty":1}],"payments":[)" + payment + "]}", nullptr, "", ""});
  };
  auto ok = sale(R"({"method":"card","amount_cents":100,"brand":"VISA","last4":"4242","auth_code":"A1B2C3","processor_ref":"ch_3PqR.77"})");
  ASSERT_TRUE(ok) << ok.error().message;
  const auto& c = std::get<sn::retail::complete_sale>(ok->command);
  ASSERT_EQ(c.payments->size(), 1u);
  EXPECT_EQ(c.payments->at(0).brand, "visa");
  EXPECT_EQ(c.payments->at(0).last4, "4242");
  EXPECT_EQ(c.payments->at(0).auth_code, "A1B2C3");
  EXPECT_EQ(c.payments->at(0).processor_ref, "ch_3PqR.77");
  EXPECT_TRUE(sale(R"({"method":"card","amount_cents":100})"));                             // none given
  EXPECT_TRUE(sale(R"({"method":"card","amount_cents":100,"brand":"Girocard"})"));          // free short text
  EXPECT_EQ(std::get<sn::retail::complete_sale>(sale(R"({"method":"card","amount_cents":100,"brand":"Girocard"})")->command)
                .payments->at(0)
                .brand,
            "Girocard");
  for (const char* bad : {
           R"({"method":"card","amount_cents":100,"last4":"424"})",
           R"({"method":"card","amount_cents":100,"last4":"42424"})",
           R"({"method":"card","amount_cents":100,"last4":"42a2"})",
           R"({"method":"card","amount_cents":100,"brand":"visa<script>"})",
           R"({"method":"card","amount_cents":100,"brand":"a brand name far too long"})",
           R"({"method":"card","amount_cents":100,"auth_code":"12 34"})",
           R"({"method":"card","amount_cents":100,"processor_ref":"a/b"})",
           R"({"method":"cash","amount_cents":100,"last4":"4242"})",
       }) {
    auto r = sale(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, "invalid_field") << bad;
  }
  auto wrong = sale(R"({"method":"card","amount_cents":100,"last4":4242})");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, "wrong_type");
  // The number itself, in any field: refused before anything else.
  auto pan = sale(R"({"method":"card","amount_cents":100,"processor_ref":"4111111111111111"})");
  ASSERT_FALSE(pan);
  EXPECT_EQ(pan.error().code, "card_number_refused");
}

}  // namespace
