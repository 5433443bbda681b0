// Unit tests of node/command_parser: bounded JSON parsing and the shaping of
// a command request (path parameter, idempotency key), without a node.
#include <gtest/gtest.h>

#include <string>

#include "node/command_parser.hpp"

using namespace sn::node;
using nlohmann::json;

namespace {

/// parse_command with every input field named (the aggregate has four).
sn::node::api_result<parsed_command> parse(std::string_view body, const char* field = nullptr,
                                           std::string_view value = {}, std::string_view key = {}) {
  return parse_command(command_input{body, field, value, key});
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
