// storectl's pieces in-process: time parsing, filters, CSV quoting, the SSE
// parser and the one-line event format.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"
#include "tools/event_filter.hpp"
#include "tools/event_format.hpp"
#include "tools/exporter.hpp"
#include "tools/node_client.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;
constexpr std::uint64_t now = 1'795'478'400'000ull + 12 * 3'600'000ull;  // 2026-11-24T12:00:00Z

// Proves: RFC 3339 with Z, fractions and offsets, a bare date, and relative
// times all give the right epoch milliseconds.
TEST(time_spec, accepts_rfc3339_and_relative) {
  EXPECT_EQ(*parse_time("2026-11-24T12:00:00Z", 0), now);
  EXPECT_EQ(*parse_time("2026-11-24T13:00:00+01:00", 0), now);
  EXPECT_EQ(*parse_time("2026-11-24T11:30:00-00:30", 0), now);
  EXPECT_EQ(*parse_time("2026-11-24T12:00:00.250Z", 0), now + 250);
  EXPECT_EQ(*parse_time("2026-11-24", 0), now - 12 * 3'600'000ull);
  EXPECT_EQ(*parse_time("-15m", now), now - 15 * 60'000);
  EXPECT_EQ(*parse_time("-2h30m", now), now - 150 * 60'000);
  EXPECT_EQ(*parse_time("-1d", now), now - 86'400'000);
  EXPECT_EQ(*parse_time("-500ms", now), now - 500);
  EXPECT_EQ(*parse_time("now", now), now);
  EXPECT_EQ(format_time(now), "2026-11-24T12:00:00.000Z");
}

// Proves: malformed times are errors whose message shows the accepted forms.
TEST(time_spec, rejects_garbage_with_a_helpful_message) {
  for (const char* bad : {"", "yesterday", "-15", "-15x", "2026-13-01", "2026-11-24T12:00:00", "2026-11-24T25:00:00Z",
                          "15m", "2026-11-24T12:00Z"}) {
    auto t = parse_time(bad, now);
    ASSERT_FALSE(t) << bad;
    EXPECT_NE(t.error().message.find("RFC 3339"), std::string::npos) << t.error().message;
  }
}

event sample_sale(std::uint64_t at_ms, std::uint64_t term) {
  sale_completed s;
  s.receipt = "POS1-000042";
  s.lines.push_back(sale_line{"SKU-A", 2, 250, 0, 2000, 83});
  s.total_cents = 500;
  s.gross_cents = 500;
  s.payments.push_back(payment{"card", 500});
  return make_event(device_id{"POS1"}, origin_seq{42}, hlc_timestamp::from_parts(at_ms, 0), term_id{term}, s);
}

// Proves: each filter option selects by its field, on events and on their
// JSON form alike, and a bad option value is a usage error naming it.
TEST(event_filter, selects_by_type_origin_time_and_term) {
  const event e = sample_sale(now, 3);
  const json j = event_json(e, 7);
  auto match = [&](filter_options o) {
    auto f = event_filter::make(o, now);
    EXPECT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->matches(e), f->matches(j));
    return f->matches(e);
  };
  EXPECT_TRUE(match({}));
  EXPECT_TRUE(match({"sale.*", "", "", "", std::nullopt}));
  EXPECT_FALSE(match({"stock.*", "", "", "", std::nullopt}));
  EXPECT_TRUE(match({"sale.completed", "POS1", "", "", std::nullopt}));
  EXPECT_FALSE(match({"", "POS2", "", "", std::nullopt}));
  EXPECT_TRUE(match({"", "", "-1h", "now", std::nullopt}));
  EXPECT_FALSE(match({"", "", "-1h", "-30m", std::nullopt}));
  EXPECT_TRUE(match({"", "", "", "", 3}));
  EXPECT_FALSE(match({"", "", "", "", 4}));

  auto bad_type = event_filter::make({"sael.*", "", "", "", std::nullopt}, now);
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.error().message.find("--type 'sael.*' matches no event type"), std::string::npos);
  EXPECT_NE(bad_type.error().message.find("sale.completed"), std::string::npos);
  auto bad_origin = event_filter::make({"", "POS 1", "", "", std::nullopt}, now);
  ASSERT_FALSE(bad_origin);
  EXPECT_NE(bad_origin.error().message.find("--origin"), std::string::npos);
  auto bad_since = event_filter::make({"", "", "last tuesday", "", std::nullopt}, now);
  ASSERT_FALSE(bad_since);
  EXPECT_NE(bad_since.error().message.find("--since"), std::string::npos);
  auto inverted = event_filter::make({"", "", "-1h", "-2h", std::nullopt}, now);
  EXPECT_FALSE(inverted);
}

// Proves: an event type this build does not know is selected by "unknown".
TEST(event_filter, unknown_types_match_unknown) {
  event e = sample_sale(now, 1);
  e.type = 9999;
  auto f = event_filter::make({"unknown", "", "", "", std::nullopt}, now);
  ASSERT_TRUE(f);
  EXPECT_TRUE(f->matches(e));
  auto g = event_filter::make({"sale.*", "", "", "", std::nullopt}, now);
  EXPECT_FALSE(g->matches(e));
}

// Proves: the human line is aligned (fixed columns) and summarises the payload.
TEST(event_format, one_aligned_line_with_a_summary) {
  const json j = event_json(sample_sale(now, 3), 7);
  const std::string line = format_event_line(j, palette{});
  EXPECT_EQ(line.substr(0, 8), "       7");
  EXPECT_NE(line.find("2026-11-24T12:00:00.000Z"), std::string::npos);
  EXPECT_NE(line.find("POS1:42"), std::string::npos);
  EXPECT_NE(line.find("sale.completed"), std::string::npos);
  EXPECT_NE(line.find("receipt=POS1-000042 lines=1 items=2 total=5.00 paid=card:5.00"), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos);
  stock_adjusted a{"SKU-B", -1, "damage", ""};
  const json k = event_json(make_event(device_id{"BO"}, origin_seq{9}, hlc_timestamp::from_parts(now, 0), term_id{1}, a), 123);
  const std::string line2 = format_event_line(k, palette{});
  // Columns line up whatever the values' widths.
  EXPECT_EQ(line.find("sale.completed"), line2.find("stock.adjusted"));
  EXPECT_NE(line2.find("sku=SKU-B delta=-1 reason=damage"), std::string::npos) << line2;
}

// Proves: the data-dir path's summaries (from typed payloads) are exactly the
// node path's (from event JSON) for every type of the catalog, an unknown type
// and an undecodable payload, and both lines are identical; an attributed
// event ends with "staff=ID approver=ID", an unattributed one with neither.
TEST(event_format, typed_and_json_summaries_agree_for_every_type) {
  std::vector<event> evs;
  auto add = [&](const auto& p) {
    evs.push_back(make_event(device_id{"BO"}, origin_seq{evs.size() + 1}, hlc_timestamp::from_parts(now, 3), term_id{2}, p));
  };
  add(product_upserted{"SKU-A", "Apple, \"juice\"", "400", 199, 550, 3, false});
  add(price_changed{"SKU-A", -5});
  add(product_deactivated{"SKU-A"});
  add(stock_received{"SKU-A", 10, ""});
  add(stock_adjusted{"SKU-A", -2, "theft", "n"});
  add(stock_counted{"SKU-A", 7, 9});
  sale_completed s;
  s.receipt = "POS1-1";
  s.lines = {sale_line{"SKU-A", 2, 250, 0, 2000, 83}, sale_line{"SKU-B", 1, 99, 0, 0, 0}};
  s.total_cents = 599;
  s.payments = {payment{"cash", 500}, payment{"card", 99}};
  add(s);
  s.staff_id = "anna";  // attributed and approved (issue 10): "... staff=anna approver=m1"
  s.approver_id = "m1";
  add(s);
  sale_voided v{"POS1-1", "x"};
  v.staff_id = "s1";
  add(v);
  add(sale_completed{});
  add(sale_returned{"POS1-R1", "POS1-1", {return_line{"SKU-A", 1, 250, 41}}, 250, "cash", "2026-11-24"});
  add(sale_voided{"POS1-1", "wrong till"});
  add(day_closed{"2026-11-24", 1, 2, 3, 4, 5, {method_total{"cash", 5}}, 6});
  add(device_registered{"POS9", "Till 9", 10});
  add(device_updated{"POS9", "Till nine", 11, false});
  add(master_changed{"", "BO", 4, "manual", {"BO"}});
  add(master_changed{"POS1", "BO", 5, "failure", {}});
  add(conflict_resolved{"product.price", "SKU-A", "BO:4", "POS1:9", "lww_hlc_origin", "1", "2"});
  event unknown = evs.back();
  unknown.type = 4242;
  evs.push_back(unknown);
  event garbage = evs[0];
  garbage.payload = std::string("\x93\x01", 2);  // truncated array: does not decode as the type
  evs.push_back(garbage);
  event big = evs[0];
  big.type = 4243;
  big.payload = encode_payload(product_upserted{std::string(300, 'x'), "", "", 0, 0, 0, true});
  evs.push_back(big);
  for (const auto& e : evs) {
    const json j = event_json(e, 9);
    EXPECT_EQ(summarise_event(e), summarise_payload(j)) << "type " << e.type;
    EXPECT_EQ(format_event_line(e, 9, palette{}), format_event_line(j, palette{})) << "type " << e.type;
  }
  EXPECT_EQ(summarise_event(evs[7]).substr(summarise_event(evs[7]).rfind(" staff=")), " staff=anna approver=m1");
  EXPECT_EQ(summarise_event(evs[8]), "receipt=POS1-1 reason=\"x\" staff=s1");
  EXPECT_EQ(summarise_event(evs[6]).find("staff="), std::string::npos) << "unattributed: no staff=";
}

// Proves: CSV fields are quoted per RFC 4180 only when needed.
TEST(exporter, csv_quoting) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
}

// Proves: SSE messages split across reads at any byte are reassembled, with
// id, event, multi-line data, comments and CRLF handled.
TEST(sse_parser, reassembles_messages_split_anywhere) {
  const std::string stream =
      ": keep-alive\n\nid: 5\nevent: event\ndata: {\"a\":1}\n\nid: 6\r\ndata: x\r\ndata: y\r\n\r\n";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    sse_parser p;
    std::vector<sse_message> got;
    auto on = [&](const sse_message& m) {
      got.push_back(m);
      return true;
    };
    p.feed(stream.data(), cut, on);
    p.feed(stream.data() + cut, stream.size() - cut, on);
    ASSERT_EQ(got.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(got[0].id, "5");
    EXPECT_EQ(got[0].event, "event");
    EXPECT_EQ(got[0].data, "{\"a\":1}");
    EXPECT_EQ(got[1].id, "6");
    EXPECT_EQ(got[1].event, "message");
    EXPECT_EQ(got[1].data, "x\ny");
  }
}

// Proves: node URLs are normalised and bad ones are usage errors.
TEST(node_client, parses_urls) {
  EXPECT_EQ(node_client::make("http://127.0.0.1:8080")->url(), "http://127.0.0.1:8080");
  EXPECT_EQ(node_client::make("localhost:9000/")->url(), "http://localhost:9000");
  EXPECT_EQ(node_client::make(":8081")->url(), "http://127.0.0.1:8081");
  EXPECT_FALSE(node_client::make("https://x:1"));
  EXPECT_FALSE(node_client::make("http://host"));
  EXPECT_FALSE(node_client::make("host:99999"));
}

} // namespace
} // namespace sn::tools
