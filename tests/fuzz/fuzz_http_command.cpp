// Fuzz body for the HTTP command path of node/: the input is a request body
// (and, after its last newline, a path parameter and an Idempotency-Key) given to
// parse_command for every command kind, whose typed command then goes to the
// retail command handler the way the command actor hands it on, and whose
// outcome is rendered the way the HTTP route answers it.
// The same bytes also go to the request-head parser (node/http_framing).
// Properties checked beyond "no crash":
//  - parse_json_bounded accepts only what nlohmann's own parser accepts, and
//    gives the same value; what it accepts is within json_limits;
//  - a shaped body is an object without "idempotency_key" that serialises
//    and parses back to itself;
//  - a typed command's canonical bytes decode back to the same bytes;
//  - the handler never throws, never gives events with a refusal, and the
//    rendered reply is 200/201/400/404/409 with a body that is JSON;
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

#include "actors/retail/command_codec.hpp"
#include "actors/retail/command_handler.hpp"
#include "tests/support/memory_decision.hpp"
#include "node/command_parser.hpp"
#include "node/command_reply.hpp"
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
  // The handler over its own projections in memory; accepted drafts are
  // committed and folded at once, as the node's log writer and projection
  // actor would.
  sn::test::memory_node node{sn::device_id{"FUZZ"}};
  sn::retail::command_handler handler{sn::retail::store_settings{}, sn::device_id{"FUZZ"}, node.source()};
  std::uint64_t wall_ms = wall_ms_start;
  std::uint64_t inputs = 0;
  std::uint64_t seq = 0;

  sn::retail::command_outcome run(const sn::retail::command& c, const std::string& key) {
    wall_ms += 1000;
    auto out = handler.handle(c, key, {sn::device_id{"FUZZ"}, wall_ms, sn::term_id{1}});
    if (out.is_accepted()) {
      for (sn::event e : std::get<sn::retail::accepted>(out.decision).events) {
        e.seq = sn::origin_seq{++seq};
        handler.committed_own(e.seq.value(), node.append(e));
      }
    }
    return out;
  }
  void setup(command_kind k, const json& body) {
    auto c = sn::node::read_command(k, body);
    if (!c || !run(*c, "").is_accepted()) std::abort();
  }

  /// A catalog and one sale, so that sales, returns and voids can be accepted.
  shop() {
    setup(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 100}});
    setup(command_kind::upsert_product, {{"sku", "B"}, {"name", "B"}, {"price_cents", 250}, {"tax_rate_bp", 2000}});
    setup(command_kind::receive_stock, {{"sku", "A"}, {"qty", 1000}});
    setup(command_kind::complete_sale,
          {{"lines", {{{"sku", "A"}, {"qty", 2}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 500}}}}});
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
    const sn::node::command_input in{body, r.path_field, r.path_field ? path_value : "", key};
    auto shaped = sn::node::parse_command_body(in);
    if (shaped) {
      if (!shaped->body.is_object() || shaped->body.contains("idempotency_key"))
        fail("command body is not a clean object", input);
      std::string text;
      try {
        text = shaped->body.dump();
      } catch (const std::exception&) {
        fail("shaped command body does not serialise", input);
      }
      if (json::parse(text, nullptr, false) != shaped->body) fail("command body does not survive dump and parse", input);
    }
    auto cmd = sn::node::parse_command(r.kind, in);
    if (!cmd) {
      if (cmd.error().status != 400) fail("parse_command refused with a status other than 400", input);
      continue;
    }
    if (sn::retail::kind_of(cmd->command) != r.kind) fail("parsed command of another kind", input);
    const std::string bytes = sn::retail::encode_command(cmd->command);
    auto back = sn::retail::decode_command(bytes);
    if (!back || sn::retail::encode_command(*back) != bytes) fail("command bytes do not decode to themselves", input);
    sn::node::http_reply reply;
    try {
      sn::retail::command_outcome out = s.run(cmd->command, cmd->idempotency_key);
      if (!out.is_accepted() && out.idempotency_record) fail("a refused command has an idempotency record", input);
      if (out.is_accepted()) {
        reply = sn::node::render(std::get<sn::retail::accepted>(out.decision).result);
      } else {
        reply = sn::node::render(std::get<sn::retail::rejected>(out.decision));
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "exception: %s\n", e.what());
      fail("command handler or rendering threw", input);
    }
    const int st = reply.status;
    if (st != 200 && st != 201 && st != 400 && st != 404 && st != 409)
      fail("reply has an undocumented status", input);
    if (json::parse(reply.body, nullptr, false).is_discarded()) fail("reply body is not JSON", input);
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
