// The HTTP API did not change when commands became typed: for every command
// kind, the JSON node/command_reply renders from the typed result equals the
// JSON the command handler answered before (the views' JSON of the same row
// for products, sales and devices, which is what it returned; the literal
// objects it built for the others), with the same status. Also: a result
// read back from its idempotency record renders the same bytes, and every
// errc has a documented status and code.
#include <gtest/gtest.h>

#include "actors/retail/command_codec.hpp"
#include "actors/retail/command_handler.hpp"
#include "actors/retail/business_day.hpp"
#include "node/command_errors.hpp"
#include "node/command_parser.hpp"
#include "node/command_reply.hpp"
#include "tests/support/memory_decision.hpp"
#include "tests/support/reference_views/views.hpp"

using namespace sn;
using namespace sn::node;
using nlohmann::json;
using retail::command_kind;

namespace {

constexpr std::uint64_t morning_ms = 1795680000000ULL;  // 2026-11-26 05:20 UTC

// A node in memory: the handler over its own projections, and the reference
// model (retail::views, whose JSON the replies were) fed the same events.
struct shop {
  const retail::store_settings settings{time_zone::fixed(60)};
  sn::test::memory_node node{device_id{"POS1"}, settings};
  retail::command_handler handler{settings, device_id{"POS1"}, node.source()};
  retail::views views{settings};
  std::uint64_t seq = 0;
  std::uint64_t wall_ms = morning_ms;
  std::vector<std::string> encoded;  ///< each accepted result's record bytes

  /// Parses `body` as the HTTP route would, decides it, renders the reply.
  http_reply run(command_kind kind, const json& body, const std::string& key = "") {
    wall_ms += 1000;
    auto cmd = read_command(kind, body);
    EXPECT_TRUE(cmd) << (cmd ? "" : cmd.error().message);
    if (!cmd) return {};
    auto out = handler.handle(*cmd, key, {device_id{"POS1"}, wall_ms, term_id{1}});
    if (out.is_accepted()) {
      for (event e : std::get<retail::accepted>(out.decision).events) {  // committed as the log writer would
        e.seq = origin_seq{++seq};
        handler.committed_own(e.seq.value(), node.append(e));
        views.apply(e);
      }
      return render(std::variant<retail::command_result, retail::rejected>(std::get<retail::accepted>(out.decision).result));
    }
    return render(std::variant<retail::command_result, retail::rejected>(std::get<retail::rejected>(out.decision)));
  }
  const retail::views& v() const { return views; }
};

json parsed(const http_reply& r) { return json::parse(r.body); }

}  // namespace

// Proves: status and JSON of every command kind's reply are the old ones.
TEST(command_reply, every_kind_answers_the_json_it_answered_before) {
  shop s;
  auto r = s.run(command_kind::upsert_product,
                 {{"sku", "COFFEE"}, {"name", "Coffee"}, {"price_cents", 450}, {"tax_rate_bp", 2000}, {"barcode", "40"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(parsed(r), *s.v().product("COFFEE"));
  r = s.run(command_kind::upsert_product, {{"sku", "COFFEE"}, {"name", "Kaffee"}, {"price_cents", 460}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parsed(r), *s.v().product("COFFEE"));
  EXPECT_EQ(r.body, s.v().product("COFFEE")->dump()) << "same bytes, not only the same value";
  (void)s.run(command_kind::upsert_product, {{"sku", "TEA"}, {"name", "Tea"}, {"price_cents", 300}, {"tax_rate_bp", 1000}});

  r = s.run(command_kind::change_price, {{"sku", "COFFEE"}, {"price_cents", 480}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parsed(r), (json{{"sku", "COFFEE"}, {"price_cents", 480}, {"previous_price_cents", 460}}));

  r = s.run(command_kind::receive_stock, {{"sku", "COFFEE"}, {"qty", 20}, {"supplier_ref", "PO-1"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(parsed(r), (json{{"sku", "COFFEE"}, {"qty", 20}, {"supplier_ref", "PO-1"}, {"on_hand", 20}}));
  r = s.run(command_kind::adjust_stock, {{"sku", "COFFEE"}, {"delta", -2}, {"reason", "damage"}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(parsed(r), (json{{"sku", "COFFEE"}, {"delta", -2}, {"reason", "damage"}, {"note", ""}, {"on_hand", 18}}));
  r = s.run(command_kind::count_stock, {{"sku", "COFFEE"}, {"counted_qty", 17}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(parsed(r),
            (json{{"sku", "COFFEE"}, {"counted_qty", 17}, {"expected_qty", 18}, {"adjustment", -1}, {"on_hand", 17}}));

  r = s.run(command_kind::complete_sale,
            {{"lines", {{{"sku", "COFFEE"}, {"qty", 2}}, {{"sku", "TEA"}, {"qty", 1}, {"discount_cents", 50}}}},
             {"payments", {{{"method", "card"}, {"amount_cents", 500}}, {{"method", "cash"}, {"amount_cents", 1000}}}}});
  EXPECT_EQ(r.status, 201);
  json sale = *s.v().sale("POS1-000001");
  sale["paid_cents"] = 1500;
  sale.erase("staff_id");  // the reply's sale has no staff_id: it is the signed-in person (docs/api.md)
  EXPECT_EQ(parsed(r), sale);
  (void)s.run(command_kind::complete_sale,
              {{"lines", {{{"sku", "TEA"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 300}}}}});

  r = s.run(command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {{{"sku", "COFFEE"}, {"qty", 1}}}}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(parsed(r), (json{{"return_id", "POS1-R000001"},
                             {"receipt", "POS1-000001"},
                             {"lines", {{{"sku", "COFFEE"}, {"qty", 1}, {"refund_cents", 480}, {"tax_cents", 0}}}},  // the second upsert set tax 0
                             {"refund_cents", 480},
                             {"method", "cash"},
                             {"day", "2026-11-26"}}));

  r = s.run(command_kind::void_sale, {{"receipt", "POS1-000002"}, {"reason", "wrong"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parsed(r), (json{{"receipt", "POS1-000002"}, {"voided", true}, {"reason", "wrong"}}));

  r = s.run(command_kind::close_day, json::object());
  EXPECT_EQ(r.status, 201);
  const json fig = s.v().daily_report(std::string("2026-11-26"), std::string("POS1"));
  json z{{"day", "2026-11-26"}, {"device", "POS1"}};
  for (const char* k : {"gross_cents", "discounts_cents", "tax_cents", "returns_cents", "net_cents", "by_method",
                        "transactions"}) {
    z[k] = fig[k];
  }
  EXPECT_EQ(parsed(r), z);

  // The device replies are the device as it was (created_at / updated_at
  // came later and only GET shows them: the reply's record format is kept).
  const auto device_as_before = [&](const char* id) {
    json d = *s.v().device(id);
    d.erase("created_at");
    d.erase("updated_at");
    return d;
  };
  r = s.run(command_kind::register_device, {{"device_id", "POS2"}, {"name", "Till 2"}, {"priority", 20}});
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(parsed(r), device_as_before("POS2"));
  r = s.run(command_kind::update_device, {{"device_id", "POS2"}, {"priority", 5}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parsed(r), device_as_before("POS2"));
  r = s.run(command_kind::register_device, {{"device_id", "POS1"}});
  EXPECT_EQ(parsed(r), device_as_before("POS1")) << "a device with events: last_event_time is set";

  r = s.run(command_kind::deactivate_product, {{"sku", "TEA"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parsed(r), *s.v().product("TEA"));
}

// Proves: refusals answer the old status, code and message.
TEST(command_reply, refusals_answer_the_old_error_bodies) {
  shop s;
  auto r = s.run(command_kind::change_price, {{"sku", "NOPE"}, {"price_cents", 1}});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parsed(r), (json{{"error", {{"code", "unknown_sku"}, {"message", "unknown sku 'NOPE'"}}}}));
  (void)s.run(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 100}});
  r = s.run(command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 1}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parsed(r), (json{{"error", {{"code", "missing_field"}, {"message", "field 'payments' is required"}}}}));
  r = s.run(command_kind::receive_stock, {{"sku", "A"}, {"qty", 1}}, "k");
  EXPECT_EQ(r.status, 201);
  r = s.run(command_kind::receive_stock, {{"sku", "A"}, {"qty", 2}}, "k");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(parsed(r)["error"]["code"], "idempotency_key_reused");
}

// Proves: an idempotent retry (result read back from its msgpack record)
// answers byte-identical JSON and status, for every kind of result.
TEST(command_reply, a_replayed_result_renders_the_same_bytes) {
  shop s;
  const std::vector<std::pair<command_kind, json>> cmds = {
      {command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 100}}},
      {command_kind::change_price, {{"sku", "A"}, {"price_cents", 120}}},
      {command_kind::receive_stock, {{"sku", "A"}, {"qty", 9}}},
      {command_kind::adjust_stock, {{"sku", "A"}, {"delta", 1}, {"reason", "other"}, {"note", "n"}}},
      {command_kind::count_stock, {{"sku", "A"}, {"counted_qty", 8}}},
      {command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 2}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 500}}}}}},
      {command_kind::complete_sale, {{"lines", {{{"sku", "A"}, {"qty", 1}}}}, {"payments", {{{"method", "card"}, {"amount_cents", 120}}}}}},
      {command_kind::return_sale, {{"receipt", "POS1-000001"}, {"lines", {{{"sku", "A"}, {"qty", 1}}}}, {"method", "card"}}},
      {command_kind::void_sale, {{"receipt", "POS1-000002"}}},
      {command_kind::close_day, {{"day", "2026-11-26"}}},
      {command_kind::register_device, {{"device_id", "POS2"}}},
      {command_kind::update_device, {{"device_id", "POS2"}, {"active", false}}},
      {command_kind::deactivate_product, {{"sku", "A"}}},
  };
  int n = 0;
  for (const auto& [kind, body] : cmds) {
    SCOPED_TRACE(retail::to_string(kind));
    const std::string key = "key-" + std::to_string(n++);
    const http_reply first = s.run(kind, body, key);
    ASSERT_LT(first.status, 300) << first.body;
    const http_reply again = s.run(kind, body, key);
    EXPECT_EQ(again.status, first.status);
    EXPECT_EQ(again.body, first.body);
  }
}

// Proves (issue 10): an accepted reply names who its events name; a retry
// by someone else echoes the first run's staff and approver (kept in the
// format 2 record); a format 1 record (written before records kept them)
// still answers its result, with staff_id null; staff replies keep their own
// staff_id (the person managed).
TEST(command_reply, replies_echo_attribution_and_old_records_still_answer) {
  shop s;
  ASSERT_EQ(s.run(command_kind::upsert_product, {{"sku", "A"}, {"name", "A"}, {"price_cents", 100}}).status, 201);
  const auto cmd = read_command(command_kind::receive_stock, {{"sku", "A"}, {"qty", 3}});
  ASSERT_TRUE(cmd);
  retail::command_context anna{device_id{"POS1"}, morning_ms + 60000, term_id{1}};
  anna.staff_id = "anna";
  anna.approver_id = "sam";
  auto first = s.handler.handle(*cmd, "k1", anna);
  ASSERT_TRUE(first.is_accepted());
  const auto& ok = std::get<retail::accepted>(first.decision);
  EXPECT_EQ(ok.staff_id, "anna");
  EXPECT_EQ(ok.events.size(), 1u);
  const json reply = parsed(render(ok.result, attribution{ok.staff_id, ok.approver_id}));
  EXPECT_EQ(reply["staff_id"], "anna");
  EXPECT_EQ(reply["approver_id"], "sam");
  EXPECT_EQ(reply["qty"], 3);
  ASSERT_TRUE(first.idempotency_record);
  auto rec = retail::decode_record(first.idempotency_record->second);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->staff_id, "anna");
  EXPECT_EQ(rec->approver_id, "sam");
  // The retry comes from ben: the reply is the first run's.
  retail::command_context ben = anna;
  ben.staff_id = "ben";
  ben.approver_id.clear();
  auto again = s.handler.handle(*cmd, "k1", ben);
  ASSERT_TRUE(again.is_replay());
  const auto& re = std::get<retail::accepted>(again.decision);
  EXPECT_EQ(render(re.result, attribution{re.staff_id, re.approver_id}).body,
            render(ok.result, attribution{ok.staff_id, ok.approver_id}).body);
  // A format 1 record: [1, fingerprint, [kind, result]].
  const auto print = retail::fingerprint(*cmd);
  std::string old = "\x93\x01\xc4\x20";
  old.append(reinterpret_cast<const char*>(print.data()), print.size());
  old += retail::encode_result(ok.result);
  s.node.store_record("old-key", old);  // as an earlier build stored it
  auto replay = s.handler.handle(*cmd, "old-key", ben);
  ASSERT_TRUE(replay.is_replay());
  const auto& r1 = std::get<retail::accepted>(replay.decision);
  EXPECT_EQ(r1.staff_id, "");
  const json old_reply = parsed(render(r1.result, attribution{r1.staff_id, r1.approver_id}));
  EXPECT_TRUE(old_reply["staff_id"].is_null());
  EXPECT_EQ(old_reply["qty"], 3);
  // A staff command's staff_id is its subject, not who ran it.
  retail::add_staff add;
  add.staff_id = "cleo";
  add.name = "Cleo";
  add.role = "cashier";
  add.pin_hash = "$argon2id$x";
  auto added = s.handler.handle(add, "", anna);
  ASSERT_TRUE(added.is_accepted());
  const json staff_reply =
      parsed(render(std::get<retail::accepted>(added.decision).result, attribution{"anna", "sam"}));
  EXPECT_EQ(staff_reply["staff_id"], "cleo");
  EXPECT_FALSE(staff_reply.contains("approver_id"));
}

// Proves: the canonical bytes of a command decode back to it, and differ
// when any field differs (absent optional vs given default included).
TEST(command_reply, command_bytes_are_canonical) {
  const auto a = read_command(command_kind::update_device, {{"device_id", "P"}, {"priority", 0}});
  const auto b = read_command(command_kind::update_device, {{"device_id", "P"}});
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_NE(retail::encode_command(*a), retail::encode_command(*b));
  auto back = retail::decode_command(retail::encode_command(*a));
  ASSERT_TRUE(back);
  EXPECT_EQ(retail::encode_command(*back), retail::encode_command(*a));
  EXPECT_FALSE(retail::decode_command("\x92\x63\x90"));  // kind 99
  EXPECT_FALSE(retail::decode_record("{\"status\":201}"));
  EXPECT_EQ(retail::classify_record("{\"status\":201}"), retail::record_format::legacy_json);
}

// Proves: every errc (of the core and of the command actor) has a row with a
// 4xx/5xx status and a code (the table and docs/api.md are compared by
// error_codes_test).
TEST(command_reply, every_errc_has_a_status_and_code) {
  for (std::uint8_t e = 1; e <= retail::command_errc_max; ++e) {
    const http_code h = http_code_of(static_cast<retail::command_errc>(e));
    EXPECT_GE(h.status, 400) << int(e);
    EXPECT_STRNE(h.code, "internal") << int(e);
  }
  for (std::uint8_t e = 1; e <= actors::command_errc_max; ++e) {
    const http_code h = http_code_of(static_cast<actors::command_errc>(e));
    EXPECT_EQ(h.status, 503) << int(e);
    EXPECT_STRNE(h.code, "internal") << int(e);
  }
  EXPECT_EQ(http_code_of(retail::command_errc::payments_required).code, std::string("missing_field"));
}
