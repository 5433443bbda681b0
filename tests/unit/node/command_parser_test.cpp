// Unit tests of node/command_parser: bounded JSON parsing, the shaping of a
// command request (path parameter, idempotency key), and every shape check
// of every command (the 400 codes of docs/api.md), without a node.
#include <gtest/gtest.h>

#include <string>

#include "actors/retail/command_codec.hpp"
#include "node/command_parser.hpp"

using namespace sn::node;
using nlohmann::json;
using sn::retail::command_kind;

namespace {

/// parse_command_body with every input field named (the aggregate has four).
sn::node::api_result<command_body> parse(std::string_view body, const char* field = nullptr,
                                         std::string_view value = {}, std::string_view key = {}) {
  return parse_command_body(command_input{body, field, value, key});
}

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

void expect_invalid_body(const std::string& body, const std::string& message_part) {
  auto r = parse(body);
  ASSERT_FALSE(r) << body.substr(0, 80);
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().code, "invalid_body");
  EXPECT_NE(r.error().message.find(message_part), std::string::npos) << r.error().message;
}

}  // namespace

// Proves: the body of issue 16 (100,000 nested arrays inside a field, ~200 KB)
// is refused while parsing, with a message naming the limit; so is every other
// limit, each just past its bound while the bound itself passes.
TEST(command_parser, bodies_beyond_the_limits_are_refused_while_parsing) {
  expect_invalid_body(R"({"lines":)" + nested_arrays(100000) + "}", "deeper than 32");
  const json_limits l;
  // The object itself is level 1: depth_max - 1 arrays inside a field still pass.
  EXPECT_TRUE(parse(R"({"a":)" + nested_arrays(l.depth_max - 1) + "}"));
  expect_invalid_body(R"({"a":)" + nested_arrays(l.depth_max) + "}", "deeper than 32");
  EXPECT_TRUE(parse(R"({"a":")" + std::string(l.string_bytes_max, 'x') + "\"}"));
  expect_invalid_body(R"({"a":")" + std::string(l.string_bytes_max + 1, 'x') + "\"}", "string");
  expect_invalid_body("{\"" + std::string(l.string_bytes_max + 1, 'k') + "\":1}", "string");
  std::string items = "1";
  for (std::size_t i = 1; i < l.array_items_max; ++i) items += ",1";
  EXPECT_TRUE(parse(R"({"a":[)" + items + "]}"));
  expect_invalid_body(R"({"a":[)" + items + ",1]}", "more than 1000 items");
  std::string members;
  for (std::size_t i = 0; i <= l.object_members_max; ++i) members += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":0";
  expect_invalid_body("{" + members + "}", "more than 1000 members");
}

// Proves: what is not a JSON object is refused with invalid_body (the code
// docs/api.md promises for malformed JSON too), naming where it broke.
TEST(command_parser, malformed_and_non_object_bodies_are_invalid_body) {
  expect_invalid_body("{not json", "not valid JSON");
  expect_invalid_body(R"({"a":1} trailing)", "not valid JSON");
  expect_invalid_body(R"({"a":1e999})", "not valid JSON");
  expect_invalid_body("\"\xff\"", "not valid JSON");  // invalid UTF-8
  expect_invalid_body("[1,2]", "must be a JSON object");
  expect_invalid_body("42", "must be a JSON object");
  expect_invalid_body("null", "must be a JSON object");
  expect_invalid_body(" ", "not valid JSON");
}

// Proves: the command gets the body with the path parameter merged over a
// body field of the same name, and the key from the header first, else from
// the body (which never keeps its idempotency_key field).
TEST(command_parser, shapes_the_command) {
  auto empty = parse("");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->body, json::object());
  EXPECT_EQ(empty->idempotency_key, "");

  auto price = parse(R"({"sku":"OTHER","price_cents":480,"idempotency_key":"body-key"})", "sku", "COFFEE");
  ASSERT_TRUE(price);
  EXPECT_EQ(price->body, (json{{"sku", "COFFEE"}, {"price_cents", 480}}));
  EXPECT_EQ(price->idempotency_key, "body-key");

  auto header = parse(R"({"idempotency_key":"body-key"})", nullptr, "", "header-key");
  ASSERT_TRUE(header);
  EXPECT_EQ(header->idempotency_key, "header-key");
  EXPECT_FALSE(header->body.contains("idempotency_key"));

  auto not_a_string = parse(R"({"idempotency_key":7})");
  ASSERT_TRUE(not_a_string);
  EXPECT_EQ(not_a_string->idempotency_key, "");
  EXPECT_FALSE(not_a_string->body.contains("idempotency_key"));
}

// Proves: path parameters and keys arrive URL-decoded (%FF is the byte
// 0xFF) and must be UTF-8: refused rather than replaced (two keys would become
// one) or passed on (serialising them threw on the node's threads).
TEST(command_parser, path_parameters_and_keys_must_be_utf8) {
  auto path = parse("{}", "sku", "A\xff");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().code, "invalid_field");
  auto key = parse("{}", nullptr, "", "k\xc0\xaf");  // overlong '/'
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, "invalid_idempotency_key");
  auto fine = parse("{}", "sku", "Kaffee-\xc3\xa4-\xf0\x9f\x98\x80", "cl\xc3\xa9");
  ASSERT_TRUE(fine);
  EXPECT_NO_THROW((void)fine->body.dump());
}

namespace {

struct bad_shape {
  const char* name;
  command_kind kind;
  json body;
  const char* code;
};

json line(const char* sku, json qty) { return json{{"sku", sku}, {"qty", qty}}; }
json pay(const char* m, json amount) { return json{{"method", m}, {"amount_cents", amount}}; }

}  // namespace

// Proves: every shape error a command can have is refused here with 400 and
// its documented code (these were the command handler's checks before
// commands were typed; the codes and messages are unchanged).
TEST(command_parser, every_shape_error_is_400_with_its_code) {
  const std::vector<bad_shape> cases = {
      {"body not an object", command_kind::upsert_product, json::array(), "invalid_body"},
      {"missing sku", command_kind::upsert_product, {{"name", "x"}, {"price_cents", 1}}, "missing_field"},
      {"null sku", command_kind::upsert_product, {{"sku", nullptr}, {"name", "x"}, {"price_cents", 1}}, "missing_field"},
      {"sku wrong type", command_kind::upsert_product, {{"sku", 5}, {"name", "x"}, {"price_cents", 1}}, "wrong_type"},
      {"sku with slash", command_kind::upsert_product, {{"sku", "a/b"}, {"name", "x"}, {"price_cents", 1}}, "invalid_field"},
      {"sku with space", command_kind::upsert_product, {{"sku", "a b"}, {"name", "x"}, {"price_cents", 1}}, "invalid_field"},
      {"sku too long", command_kind::upsert_product, {{"sku", std::string(65, 'x')}, {"name", "x"}, {"price_cents", 1}}, "invalid_field"},
      {"empty name", command_kind::upsert_product, {{"sku", "B"}, {"name", ""}, {"price_cents", 1}}, "invalid_field"},
      {"price float", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", 1.5}}, "wrong_type"},
      {"price negative", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", -1}}, "invalid_price"},
      {"price string", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", "1"}}, "wrong_type"},
      {"tax rate out of range", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", 1}, {"tax_rate_bp", 10001}}, "invalid_field"},
      {"active not bool", command_kind::upsert_product, {{"sku", "B"}, {"name", "b"}, {"price_cents", 1}, {"active", 1}}, "wrong_type"},
      {"price missing", command_kind::change_price, {{"sku", "A"}}, "missing_field"},
      {"deactivate no sku", command_kind::deactivate_product, json::object(), "missing_field"},
      {"receive zero", command_kind::receive_stock, {{"sku", "A"}, {"qty", 0}}, "invalid_qty"},
      {"receive negative", command_kind::receive_stock, {{"sku", "A"}, {"qty", -3}}, "invalid_qty"},
      {"receive huge", command_kind::receive_stock, {{"sku", "A"}, {"qty", 18446744073709551615ULL}}, "invalid_qty"},
      {"adjust zero", command_kind::adjust_stock, {{"sku", "A"}, {"delta", 0}, {"reason", "damage"}}, "invalid_qty"},
      {"adjust bad reason", command_kind::adjust_stock, {{"sku", "A"}, {"delta", -1}, {"reason", "lost"}}, "invalid_field"},
      {"adjust no reason", command_kind::adjust_stock, {{"sku", "A"}, {"delta", -1}}, "missing_field"},
      {"count negative", command_kind::count_stock, {{"sku", "A"}, {"counted_qty", -1}}, "invalid_qty"},
      {"sale no lines", command_kind::complete_sale, {{"payments", {pay("cash", 1)}}}, "missing_field"},
      {"sale empty lines", command_kind::complete_sale, {{"lines", json::array()}, {"payments", {pay("cash", 1)}}}, "invalid_field"},
      {"sale lines not array", command_kind::complete_sale, {{"lines", "A"}, {"payments", {pay("cash", 1)}}}, "wrong_type"},
      {"sale line not object", command_kind::complete_sale, {{"lines", {1}}, {"payments", {pay("cash", 1)}}}, "wrong_type"},
      {"sale qty zero", command_kind::complete_sale, {{"lines", {line("A", 0)}}, {"payments", {pay("cash", 100)}}}, "invalid_qty"},
      {"sale qty negative", command_kind::complete_sale, {{"lines", {line("A", -1)}}, {"payments", {pay("cash", 100)}}}, "invalid_qty"},
      {"sale qty string", command_kind::complete_sale, {{"lines", {line("A", "1")}}, {"payments", {pay("cash", 100)}}}, "wrong_type"},
      {"sale negative discount", command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 1}, {"discount_cents", -1}}}}, {"payments", {pay("cash", 100)}}}, "invalid_discount"},
      {"sale negative unit price", command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 1}, {"unit_price_cents", -1}}}}, {"payments", {pay("cash", 100)}}}, "invalid_price"},
      {"sale empty payments", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", json::array()}}, "invalid_field"},
      {"sale bad method", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", {pay("bitcoin", 100)}}}, "invalid_field"},
      {"sale zero payment", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", {pay("cash", 0)}}}, "invalid_amount"},
      {"sale payment not object", command_kind::complete_sale, {{"lines", {line("A", 1)}}, {"payments", {7}}}, "wrong_type"},
      {"return no receipt", command_kind::return_sale, {{"lines", {line("A", 1)}}}, "missing_field"},
      {"return qty zero", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("A", 0)}}}, "invalid_qty"},
      {"return bad method", command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {line("A", 1)}}, {"method", "iou"}}, "invalid_field"},
      {"void no receipt", command_kind::void_sale, json::object(), "missing_field"},
      {"close bad day", command_kind::close_day, {{"day", "2026-02-30"}}, "invalid_day"},
      {"close day too long", command_kind::close_day, {{"day", "2026-02-300000"}}, "invalid_field"},
      {"close day wrong type", command_kind::close_day, {{"day", 20261125}}, "wrong_type"},
      {"device bad id", command_kind::register_device, {{"device_id", "bad id!"}}, "invalid_device_id"},
      {"device priority negative", command_kind::register_device, {{"device_id", "POS9"}, {"priority", -1}}, "invalid_field"},
      {"update no id", command_kind::update_device, {{"name", "x"}}, "missing_field"},
      {"update active not bool", command_kind::update_device, {{"device_id", "POS1"}, {"active", "yes"}}, "wrong_type"},
      {"unknown kind", static_cast<command_kind>(99), json::object(), "unknown_command"},
  };
  for (const bad_shape& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = read_command(c.kind, c.body);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().code, c.code) << r.error().message;
    EXPECT_FALSE(r.error().message.empty());
  }
}

// Proves: a valid body becomes the typed command with the defaults that need
// no state resolved, and the ones that need state left absent.
TEST(command_parser, builds_typed_commands_with_stateless_defaults) {
  auto up = read_command(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 5}});
  ASSERT_TRUE(up);
  const auto& p = std::get<sn::retail::upsert_product>(*up);
  EXPECT_EQ(p.barcode, "");
  EXPECT_EQ(p.tax_rate_bp, 0);
  EXPECT_TRUE(p.active);
  auto s = read_command(command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 2}}}}, {"ignored", 1}});
  ASSERT_TRUE(s);
  const auto& sale = std::get<sn::retail::complete_sale>(*s);
  ASSERT_EQ(sale.lines.size(), 1u);
  EXPECT_FALSE(sale.lines[0].unit_price_cents.has_value());
  EXPECT_FALSE(sale.payments.has_value()) << "absent payments are the handler's to judge";
  auto reg = read_command(command_kind::register_device, {{"device_id", "POS2"}});
  ASSERT_TRUE(reg);
  EXPECT_EQ(std::get<sn::retail::register_device>(*reg).name, "POS2");
  auto upd = read_command(command_kind::update_device, {{"device_id", "POS2"}, {"priority", 5}});
  ASSERT_TRUE(upd);
  const auto& u = std::get<sn::retail::update_device>(*upd);
  EXPECT_FALSE(u.name.has_value());
  EXPECT_EQ(u.priority, 5);
  EXPECT_FALSE(u.active.has_value());
  auto day = read_command(command_kind::close_day, {{"day", ""}});
  ASSERT_TRUE(day);
  EXPECT_FALSE(std::get<sn::retail::close_day>(*day).day.has_value());
}

// Proves: parse_command checks the key's length and merges the path parameter
// before reading the fields; an idempotency_key body field is not part of
// the command (two bodies differing only there give equal commands).
TEST(command_parser, parse_command_shapes_then_reads) {
  auto tooLong = parse_command(command_kind::void_sale, {"{}", "receipt", "R-1", std::string(256, 'k')});
  ASSERT_FALSE(tooLong);
  EXPECT_EQ(tooLong.error().code, "invalid_idempotency_key");
  auto a = parse_command(command_kind::change_price, {R"({"sku":"X","price_cents":480})", "sku", "COFFEE", "k"});
  auto b = parse_command(command_kind::change_price,
                         {R"({"price_cents":480,"idempotency_key":"other"})", "sku", "COFFEE", "k"});
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_EQ(std::get<sn::retail::change_price>(a->command).sku, "COFFEE");
  EXPECT_EQ(sn::retail::encode_command(a->command), sn::retail::encode_command(b->command));
  EXPECT_EQ(a->idempotency_key, "k");
}
