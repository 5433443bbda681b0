// Fuzz body for the HTTP command path of node/: the input is a request body
// (and, after its last newline, a path parameter and an Idempotency-Key) given to
// parse_command, whose command then goes to the retail command handler for
// every command kind, the way the HTTP route hands it to the command actor.
// The same bytes also go to the request-head parser (node/http_framing).
// Properties checked beyond "no crash":
//  - parse_json_bounded accepts only what nlohmann's own parser accepts, and
//    gives the same value; what it accepts is within json_limits;
//  - an accepted command is an object without "idempotency_key" that
//    serialises and parses back to itself (the command actor re-parses it);
//  - the handler answers every command with 200/201/400/404/409 and a body
//    that serialises, and never throws;
//  - a head the framing parser accepts has a known method and version, and a
//    chunked body it calls complete ends inside the input.
// Built as a libFuzzer target with clang, or driven by fuzz_driver.cpp.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/retail/command_handler.hpp"
#include "node/command_parser.hpp"
#include "node/http_framing.hpp"

namespace {

using nlohmann::json;
using sn::retail::command_kind;

/// Inputs one handler sees before a fresh one replaces it (accepted commands grow its state).
constexpr std::uint64_t inputs_per_handler_max = 2048;
constexpr std::uint64_t wall_ms_start = 1795600000000ULL;  // 2026-11-26

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "fuzz_http_command: property violated: %s\ninput (%zu bytes): %.*s\n", what, input.size(),
               static_cast<int>(std::min<std::size_t>(input.size(), 512)), input.data());
  std::abort();
}

/// Depth of nested arrays/objects, without recursion.
std::size_t depth_of(const json& root) {
  std::size_t deepest = 0;
  std::vector<std::pair<const json*, std::size_t>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [v, d] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    deepest = std::max(deepest, d);
    for (const auto& child : *v) stack.emplace_back(&child, d + 1);
  }
  return deepest;
}

struct shop {
  sn::retail::command_handler handler{sn::retail::store_settings{}};
  std::uint64_t wall_ms = wall_ms_start;
  std::uint64_t inputs = 0;

  sn::retail::command_reply run(command_kind k, const json& body, const std::string& key) {
    wall_ms += 1000;
    return handler.handle(k, body, key, {sn::device_id{"FUZZ"}, wall_ms, sn::term_id{1}});
  }

  /// A catalog and one sale, so that sales, returns and voids can be accepted.
  shop() {
    (void)run(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 100}}, "");
    (void)run(command_kind::upsert_product, {{"sku", "B"}, {"name", "B"}, {"price_cents", 250}, {"tax_rate_bp", 2000}},
              "");
    (void)run(command_kind::receive_stock, {{"sku", "A"}, {"qty", 1000}}, "");
    (void)run(command_kind::complete_sale,
              {{"lines", {{{"sku", "A"}, {"qty", 2}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 500}}}}},
              "");
  }
};

std::unique_ptr<shop> current_shop;

shop& the_shop() {
  if (!current_shop || ++current_shop->inputs > inputs_per_handler_max) current_shop = std::make_unique<shop>();
  return *current_shop;
}

struct route {
  command_kind kind;
  const char* path_field;
};

constexpr route routes[] = {
    {command_kind::upsert_product, nullptr},   {command_kind::change_price, "sku"},
    {command_kind::deactivate_product, "sku"}, {command_kind::receive_stock, nullptr},
    {command_kind::adjust_stock, nullptr},     {command_kind::count_stock, nullptr},
    {command_kind::complete_sale, nullptr},    {command_kind::return_sale, nullptr},
    {command_kind::void_sale, "receipt"},      {command_kind::close_day, nullptr},
    {command_kind::register_device, nullptr},  {command_kind::update_device, "device_id"},
};

void check_bounded_parse(std::string_view input) {
  auto bounded = sn::node::parse_json_bounded(input);
  const json plain = json::parse(input.begin(), input.end(), nullptr, /*allow_exceptions=*/false);
  if (!bounded) {
    if (bounded.error().code != "invalid_body" || bounded.error().status != 400)
      fail("refusal is not 400 invalid_body", input);
    return;
  }
  if (plain.is_discarded()) fail("bounded parse accepted what nlohmann refuses", input);
  if (*bounded != plain) fail("bounded parse gave another value than nlohmann", input);
  if (depth_of(*bounded) > sn::node::json_limits{}.depth_max) fail("accepted value deeper than depth_max", input);
}

void check_commands(std::string_view input) {
  // Input layout: BODY [ "\n" PATH_VALUE [ "\t" IDEMPOTENCY_KEY ] ], split at
  // the last newline, so that path parameters and keys get bytes that a JSON
  // body could never hold (httplib URL-decodes them: %FF is the byte 0xFF).
  const auto nl = input.rfind('\n');
  const std::string_view body = nl == std::string_view::npos ? input : input.substr(0, nl);
  const std::string_view extras = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
  const auto tab = extras.find('\t');
  const std::string_view path_value = extras.substr(0, tab);
  const std::string_view key = tab == std::string_view::npos ? std::string_view() : extras.substr(tab + 1);
  shop& s = the_shop();
  for (const route& r : routes) {
    auto cmd = sn::node::parse_command({body, r.path_field, r.path_field ? path_value : "", key});
    if (!cmd) {
      if (cmd.error().status != 400) fail("parse_command refused with a status other than 400", input);
      continue;
    }
    if (!cmd->body.is_object() || cmd->body.contains("idempotency_key"))
      fail("command body is not a clean object", input);
    std::string text;
    try {
      text = cmd->body.dump();
    } catch (const std::exception&) {
      fail("accepted command does not serialise", input);
    }
    if (json::parse(text, nullptr, false) != cmd->body) fail("command does not survive dump and parse", input);
    sn::retail::command_reply reply;
    try {
      reply = s.run(r.kind, cmd->body, cmd->idempotency_key);
      (void)reply.body.dump();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception: %s\n", e.what());
      fail("command handler threw", input);
    }
    const int st = reply.http_status;
    if (st != 200 && st != 201 && st != 400 && st != 404 && st != 409)
      fail("handler answered an undocumented status", input);
    if (st >= 400 && !reply.drafts.empty()) fail("a refused command has drafts", input);
  }
}

void check_framing(std::string_view input) {
  const std::size_t end = sn::node::find_head_end(input);
  if (end != std::string_view::npos) {
    if (end > input.size()) fail("head end past the input", input);
    auto head = sn::node::parse_request_head(input.substr(0, end));
    if (head && head->version != "HTTP/1.1" && head->version != "HTTP/1.0") fail("accepted an unknown version", input);
  }
  std::size_t body_end = 0;
  if (sn::node::scan_chunked_body(input, body_end) == sn::node::chunked_scan::complete && body_end > input.size()) {
    fail("chunked body ends past the input", input);
  }
}

}  // namespace

// Seeds for fuzz_driver.cpp come from tests/fuzz/corpus/http_command (FUZZ_CORPUS_DIR).
std::vector<std::string> fuzz_seed_corpus() { return {}; }

std::vector<std::string> fuzz_dictionary() {
  // clang-format off
  return {
      "{", "}", "[", "]", ",", ":", "\"", "null", "true", "false",                       // JSON structure
      "-0", "0.5", "1e308", "1e999", "-9223372036854775809", "18446744073709551616",     // numbers at the edges
      "\"\\u0000\"", "\"\\ud800\"", "\xff", "\xc0\xaf",                                  // strings and bytes
      "\"sku\":", "\"qty\":", "\"lines\":", "\"payments\":", "\"idempotency_key\":",     // command fields
      "\n", "\t", "\n\xff\t", "\nA%FF\t",                                                 // path parameter and key
      "\r\n", "\r\n\r\n", "Content-Length: ", "Transfer-Encoding: chunked", "0\r\n\r\n",  // request heads
  };
  // clang-format on
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_bounded_parse(input);
  check_commands(input);
  check_framing(input);
  return 0;
}
