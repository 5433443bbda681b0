// storectl against data dirs built by the test through the real event log:
// listing and filters, JSON lines, show, audit verify (clean, changed byte,
// deleted event, fork), replay to a point in time, export, tail --follow on a
// live data dir, diff, elections/audit log, bad input, colour rules.
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"
#include "storage/event_log.hpp"
#include "storage/testing.hpp"
#include "tests/unit/tools/support.hpp"

namespace sn::tools::test {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    out.push_back(l);
  }
  return out;
}

std::vector<json> json_lines(const std::string& s) {
  std::vector<json> out;
  for (const auto& l : lines_of(s)) {
    auto j = json::parse(l, nullptr, false);
    EXPECT_TRUE(j.is_object()) << "not one JSON object: " << l;
    out.push_back(j);
  }
  return out;
}

std::string describe(const run_result& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

/// One sample store shared by the read-only tests; copies for the damaging ones.
class data_commands : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    dir_ = new temp_dir();
    store_ = new sample_store(sample_store::write(data()));
  }
  static void TearDownTestSuite() {
    delete store_;
    delete dir_;
  }
  static std::string data() { return dir_->path() + "/data"; }
  static const sample_store& store() { return *store_; }

  /// A copy of the sample data dir in a fresh temp dir.
  std::string copy_data() {
    const std::string to = scratch_.path() + "/copy-" + std::to_string(copies_++);
    fs::copy(data(), to, fs::copy_options::recursive);
    return to;
  }

  static temp_dir* dir_;
  static sample_store* store_;
  temp_dir scratch_;
  int copies_ = 0;
};
temp_dir* data_commands::dir_ = nullptr;
sample_store* data_commands::store_ = nullptr;

// Proves: `events` lists every event in position order, one aligned line each,
// and --type (glob), --origin, --from/--to and --limit select exactly.
TEST_F(data_commands, events_lists_and_filters) {
  auto all = run_storectl({"events", "--data", data(), "--limit", "0"});
  ASSERT_EQ(all.exit_code, 0) << describe(all);
  auto lines = lines_of(all.out);
  ASSERT_EQ(lines.size(), store().events.size()) << all.out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& p = store().events[i];
    EXPECT_EQ(std::stoull(lines[i].substr(0, 8)), p.position);
    EXPECT_NE(lines[i].find(event_ref(p.ev)), std::string::npos) << lines[i];
  }
  EXPECT_NE(lines[7].find("receipt=POS1-000001 lines=1 items=3"), std::string::npos) << lines[7];

  auto sales = run_storectl({"events", "--data", data(), "--type", "sale.*"});
  EXPECT_EQ(lines_of(sales.out).size(), 3u) << describe(sales);
  auto pos1 = run_storectl({"events", "--data", data(), "--origin", "POS1"});
  EXPECT_EQ(lines_of(pos1.out).size(), 2u) << describe(pos1);
  auto range = run_storectl({"events", "--data", data(), "--from", "5", "--to", "7"});
  auto rl = lines_of(range.out);
  ASSERT_EQ(rl.size(), 3u) << describe(range);
  EXPECT_EQ(std::stoull(rl[0].substr(0, 8)), 5u);
  EXPECT_EQ(std::stoull(rl[2].substr(0, 8)), 7u);
  auto limited = run_storectl({"events", "--data", data(), "--limit", "4"});
  EXPECT_EQ(lines_of(limited.out).size(), 4u);
  EXPECT_NE(limited.err.find("--from 5"), std::string::npos) << limited.err;
  auto term = run_storectl({"events", "--data", data(), "--term", "2"});
  EXPECT_EQ(term.exit_code, 0);
  EXPECT_TRUE(term.out.empty()) << term.out;
  auto window = run_storectl({"events", "--data", data(), "--since", "2026-11-24T09:00:00Z", "--until",
                              "2026-11-24T15:00:00Z"});
  EXPECT_EQ(lines_of(window.out).size(), 2u) << describe(window);  // the 10:00 and 14:00 sales
}

// Proves: --json prints one complete JSON object per line, with position,
// hashes and the typed payload, equal to the stored events.
TEST_F(data_commands, json_lines_parse) {
  auto r = run_storectl({"events", "--data", data(), "--json", "--limit", "0"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  auto evs = json_lines(r.out);
  ASSERT_EQ(evs.size(), store().events.size());
  for (std::size_t i = 0; i < evs.size(); ++i) {
    const auto& p = store().events[i];
    EXPECT_EQ(evs[i]["position"], p.position);
    EXPECT_EQ(evs[i]["origin"], p.ev.origin.value());
    EXPECT_EQ(evs[i]["seq"], p.ev.seq.value());
    EXPECT_EQ(evs[i]["hash"], to_hex(p.ev.hash));
    EXPECT_EQ(evs[i]["prev_hash"], to_hex(p.ev.prev_hash));
  }
  EXPECT_EQ(evs[5]["type"], "stock.received");
  EXPECT_EQ(evs[5]["payload"]["qty"], 10);
}

// Proves: tail prints the newest -n events matching the filters.
TEST_F(data_commands, tail_prints_the_newest) {
  auto r = run_storectl({"events", "tail", "--data", data(), "-n", "2", "--json"});
  auto evs = json_lines(r.out);
  ASSERT_EQ(evs.size(), 2u) << describe(r);
  EXPECT_EQ(evs[0]["position"], store().events.size() - 1);
  EXPECT_EQ(evs[1]["position"], store().events.size());
  auto stock = run_storectl({"events", "tail", "--data", data(), "-n", "2", "--type", "stock.*", "--json"});
  auto s = json_lines(stock.out);
  ASSERT_EQ(s.size(), 2u) << describe(stock);
  EXPECT_EQ(s[0]["type"], "stock.received");
  EXPECT_EQ(s[0]["payload"]["sku"], "SKU-B");
  EXPECT_EQ(s[1]["type"], "stock.adjusted");
}

// Proves: events show prints one event whole with its hash, position and
// chain links (verified), in text and JSON.
TEST_F(data_commands, events_show_prints_hash_and_chain) {
  const auto& p = store().find("POS1", 2);
  auto r = run_storectl({"events", "show", "POS1:2", "--data", data()});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("event POS1:2 at position " + std::to_string(p.position)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(to_hex(p.ev.hash) + "  ok"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(to_hex(p.ev.prev_hash) + "  ok (POS1:1 at position"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"receipt\": \"POS1-000002\""), std::string::npos) << r.out;
  auto j = run_storectl({"events", "show", "BO:3", "--data", data(), "--json"});
  auto ev = json::parse(j.out);
  EXPECT_EQ(ev["chain"]["hash_ok"], true);
  EXPECT_EQ(ev["chain"]["prev_ok"], true);
  EXPECT_EQ(ev["chain"]["next_ok"], true);
  EXPECT_EQ(ev["chain"]["head_seq"], 9);
  auto missing = run_storectl({"events", "show", "POS1:99", "--data", data()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no event POS1:99"), std::string::npos) << missing.err;
  auto bad = run_storectl({"events", "show", "POS1-2", "--data", data()});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("ORIGIN:SEQ"), std::string::npos) << bad.err;
}

json verify_json(const std::string& dir, int expect_exit) {
  auto r = run_storectl({"audit", "verify", "--data", dir, "--json"});
  EXPECT_EQ(r.exit_code, expect_exit) << describe(r);
  return json::parse(r.out, nullptr, false);
}

// Proves: a log written by the event log audits clean: exit 0.
TEST_F(data_commands, audit_verify_clean_exits_0) {
  auto r = run_storectl({"audit", "verify", "--data", data()});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("clean: 12 events"), std::string::npos) << r.out;
  auto j = verify_json(data(), 0);
  EXPECT_EQ(j["clean"], true);
  EXPECT_EQ(j["origins"]["POS1"], 2);
}

// Proves: one byte changed in one event's payload exits 1 and names that
// event's origin, seq and position.
TEST_F(data_commands, audit_verify_names_a_changed_byte) {
  const std::string dir = copy_data();
  const auto& p = store().find("POS2", 1);
  auto bytes = storage::testing::get_event_bytes(dir, p.position);
  ASSERT_TRUE(bytes);
  const auto at = bytes->find("POS2-000001");
  ASSERT_NE(at, std::string::npos);
  (*bytes)[at + 5] = '9';
  ASSERT_TRUE(storage::testing::put_event_bytes(dir, p.position, *bytes));
  auto r = run_storectl({"audit", "verify", "--data", dir});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_NE(r.out.find("origin POS2 seq 1 position " + std::to_string(p.position)), std::string::npos) << r.out;
  auto j = verify_json(dir, 1);
  ASSERT_EQ(j["findings"].size(), 1u) << j.dump();
  EXPECT_EQ(j["findings"][0]["kind"], "tamper");
  EXPECT_EQ(j["findings"][0]["origin"], "POS2");
  EXPECT_EQ(j["findings"][0]["seq"], 1);
  EXPECT_EQ(j["findings"][0]["position"], p.position);
}

// Proves: a deleted event is reported as a gap naming the missing seq.
TEST_F(data_commands, audit_verify_names_a_gap) {
  const std::string dir = copy_data();
  ASSERT_TRUE(storage::testing::delete_event(dir, "BO", 3));
  auto j = verify_json(dir, 1);
  ASSERT_FALSE(j["findings"].empty());
  EXPECT_EQ(j["findings"][0]["kind"], "gap");
  EXPECT_EQ(j["findings"][0]["origin"], "BO");
  EXPECT_EQ(j["findings"][0]["seq"], 3);
  auto r = run_storectl({"audit", "verify", "--data", dir});
  EXPECT_NE(r.out.find("gap"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("origin BO seq 3"), std::string::npos) << r.out;
}

// Proves: two events with one (origin, seq) are reported as a fork naming the
// second copy's position.
TEST_F(data_commands, audit_verify_names_a_fork) {
  const std::string dir = copy_data();
  event other = store().find("POS1", 1).ev;
  other.term = term_id{7};
  seal(other);
  const std::uint64_t at = store().events.size() + 1;
  ASSERT_TRUE(storage::testing::put_event_bytes(dir, at, encode(other)));
  auto j = verify_json(dir, 1);
  ASSERT_EQ(j["findings"].size(), 1u) << j.dump();
  EXPECT_EQ(j["findings"][0]["kind"], "fork");
  EXPECT_EQ(j["findings"][0]["origin"], "POS1");
  EXPECT_EQ(j["findings"][0]["seq"], 1);
  EXPECT_EQ(j["findings"][0]["position"], at);
}

std::int64_t on_hand(const json& replay, const std::string& sku) {
  for (const auto& item : replay["view"]["items"]) {
    if (item["sku"] == sku) return item["on_hand"].get<std::int64_t>();
  }
  ADD_FAILURE() << "no " << sku << " in " << replay.dump();
  return INT64_MIN;
}

// Proves: replay to a point in time gives the stock figures of that moment
// (10, 7, 5 and finally 4 of SKU-A per the sample story), by time and by
// position, and reports counts, digests and a rate.
TEST_F(data_commands, replay_to_a_point_in_time) {
  const std::vector<std::pair<std::string, std::int64_t>> cases = {
      {"2026-11-24T09:00:00Z", 10}, {"2026-11-24T13:00:00+01:00", 7}, {"2026-11-24T18:00:00Z", 5}, {"", 4}};
  for (const auto& [until, want] : cases) {
    std::vector<std::string> args{"replay", "--data", data(), "--projection", "inventory", "--json"};
    if (!until.empty()) {
      args.push_back("--until");
      args.push_back(until);
    }
    auto r = run_storectl(args);
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    auto j = json::parse(r.out);
    EXPECT_EQ(on_hand(j, "SKU-A"), want) << "until " << until;
    EXPECT_EQ(j["events_scanned"], store().events.size());
    EXPECT_EQ(j["digests"].size(), 8u);  // one per projection (staff included)
    EXPECT_GT(j["events_per_second"].get<double>(), 0.0);
  }
  // By position: up to the first sale (position 8) SKU-A is 7.
  auto r = run_storectl({"replay", "--data", data(), "--until-pos", "8", "--projection", "inventory", "--json"});
  EXPECT_EQ(on_hand(json::parse(r.out), "SKU-A"), 7);
  // The human form prints the digests and the rate.
  auto h = run_storectl({"replay", "--data", data()});
  ASSERT_EQ(h.exit_code, 0) << describe(h);
  EXPECT_NE(h.out.find("inventory"), std::string::npos);
  EXPECT_NE(h.out.find("events/s"), std::string::npos) << h.out;
  EXPECT_EQ(h.err.find('\r'), std::string::npos);  // no progress bar when stderr is not a terminal
  // --out writes views to a scratch dir, never into the data dir.
  auto out = run_storectl({"replay", "--data", data(), "--out", scratch_.path() + "/views"});
  ASSERT_EQ(out.exit_code, 0) << describe(out);
  EXPECT_TRUE(fs::exists(scratch_.path() + "/views/inventory.json"));
  EXPECT_TRUE(fs::exists(scratch_.path() + "/views/staff.json"));
  EXPECT_TRUE(fs::exists(scratch_.path() + "/views/digests.json"));
  auto inside = run_storectl({"replay", "--data", data(), "--out", data() + "/views"});
  EXPECT_EQ(inside.exit_code, 2);
  // The store's zone (store.time_zone), as the node folds with it.
  if (fs::exists("/usr/share/zoneinfo/Europe/Berlin")) {
    auto berlin = run_storectl({"replay", "--data", data(), "--time-zone", "Europe/Berlin", "--json"});
    EXPECT_EQ(berlin.exit_code, 0) << describe(berlin);
  }
  auto badproj = run_storectl({"replay", "--data", data(), "--projection", "stock"});
  EXPECT_EQ(badproj.exit_code, 2);
  EXPECT_NE(badproj.err.find("inventory"), std::string::npos) << badproj.err;
}

// Proves: export writes every matching event as JSON Lines or as RFC 4180 CSV
// with one record per event and a fixed column count.
TEST_F(data_commands, export_jsonl_and_csv) {
  auto jl = run_storectl({"export", "--data", data(), "--format", "jsonl"});
  ASSERT_EQ(jl.exit_code, 0) << describe(jl);
  EXPECT_EQ(json_lines(jl.out).size(), store().events.size());
  auto sales = run_storectl({"export", "--data", data(), "--format", "jsonl", "--type", "sale.*", "--since",
                             "2026-11-24T12:00:00Z"});
  EXPECT_EQ(json_lines(sales.out).size(), 2u) << describe(sales);

  auto csv = run_storectl({"export", "--data", data(), "--format", "csv"});
  ASSERT_EQ(csv.exit_code, 0) << describe(csv);
  // Parse RFC 4180: count fields per record, honouring quotes.
  std::vector<std::vector<std::string>> records(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < csv.out.size(); ++i) {
    const char c = csv.out[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.out.size() && csv.out[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().push_back(field);
      field.clear();
    } else if (c == '\r') {
    } else if (c == '\n') {
      records.back().push_back(field);
      field.clear();
      records.emplace_back();
    } else {
      field += c;
    }
  }
  records.pop_back();
  ASSERT_EQ(records.size(), store().events.size() + 1);
  EXPECT_EQ(records[0][0], "position");
  for (const auto& rec : records) EXPECT_EQ(rec.size(), 13u);
  EXPECT_EQ(records[8][1], "POS1");
  EXPECT_EQ(records[8][6], "sale.completed");
  EXPECT_EQ(json::parse(records[8][10])["receipt"], "POS1-000001");
  auto to_file = run_storectl({"export", "--data", data(), "--format", "csv", "--out", scratch_.path() + "/e.csv"});
  EXPECT_EQ(to_file.exit_code, 0);
  EXPECT_EQ(fs::file_size(scratch_.path() + "/e.csv"), csv.out.size());
}

// Proves: tail --follow on a data dir that a writer holds open sees events
// appended after it started, in order, with the filter applied.
TEST_F(data_commands, tail_follow_sees_new_events_in_a_live_data_dir) {
  const std::string dir = copy_data();
  storage::log_options o;
  o.data_dir = dir;
  auto log = storage::event_log::open(o);  // the "node": holds the data dir read-write
  ASSERT_TRUE(log) << log.error().to_string();
  running_storectl tail({"events", "tail", "--follow", "--data", dir, "-n", "1", "--type", "sale.*", "--json"});
  auto first = tail.next_line(std::chrono::seconds(20));
  ASSERT_TRUE(first);
  EXPECT_EQ(json::parse(*first)["payload"]["receipt"], "POS1-000002");
  hash256 prev = store().find("POS1", 2).ev.hash;
  std::vector<event> batch;
  for (std::uint64_t seq = 3; seq <= 5; ++seq) {
    sale_completed s;
    s.receipt = "POS1-00000" + std::to_string(seq);
    event e = make_event(device_id{"POS1"}, origin_seq{seq}, hlc_timestamp::from_parts(day0_ms + 21 * hour_ms + seq, 0),
                         term_id{1}, s);
    e.prev_hash = prev;
    seal(e);
    prev = e.hash;
    batch.push_back(e);
  }
  event adj = make_event(device_id{"BO"}, origin_seq{10}, hlc_timestamp::from_parts(day0_ms + 22 * hour_ms, 0),
                         term_id{1}, stock_adjusted{"SKU-A", -1, "theft", ""});
  adj.prev_hash = store().find("BO", 9).ev.hash;
  seal(adj);
  ASSERT_TRUE((*log)->append({batch[0], adj}));
  ASSERT_TRUE((*log)->append({batch[1], batch[2]}));
  for (std::uint64_t seq = 3; seq <= 5; ++seq) {
    auto line = tail.next_line(std::chrono::seconds(20));
    ASSERT_TRUE(line) << "no line for POS1:" << seq << "; stderr: " << tail.stop_and_stderr();
    auto ev = json::parse(*line);
    EXPECT_EQ(ev["type"], "sale.completed");  // the stock.adjusted in between is filtered out
    EXPECT_EQ(ev["seq"], seq);
  }
}

// Proves: the election and sync audit logs are read from a data dir, with
// device / reason / op / time filters.
TEST_F(data_commands, elections_and_audit_log_from_a_data_dir) {
  auto e = run_storectl({"elections", "--data", data(), "--json"});
  ASSERT_EQ(e.exit_code, 0) << describe(e);
  auto rows = json_lines(e.out);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["new_master"], "BO");
  EXPECT_EQ(rows[0]["reason"], "startup");
  EXPECT_TRUE(json_lines(run_storectl({"elections", "--data", data(), "--reason", "failure", "--json"}).out).empty());
  EXPECT_EQ(json_lines(run_storectl({"elections", "--data", data(), "--device", "POS2", "--json"}).out).size(), 1u);
  auto human = run_storectl({"elections", "--data", data()});
  EXPECT_NE(human.out.find("-> BO"), std::string::npos) << human.out;

  auto a = run_storectl({"audit", "log", "--data", data(), "--json"});
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  auto entries = json_lines(a.out);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["operation"], "conflict_resolution");
  EXPECT_EQ(entries[0]["key"], "SKU-A");
  EXPECT_EQ(json_lines(run_storectl({"audit", "log", "--data", data(), "--device", "POS1", "--json"}).out).size(), 1u);
  EXPECT_TRUE(json_lines(run_storectl({"audit", "log", "--data", data(), "--device", "POS2", "--json"}).out).empty());
  EXPECT_TRUE(
      json_lines(run_storectl({"audit", "log", "--data", data(), "--until", "2026-11-24T12:00:00Z", "--json"}).out).empty());
  auto badop = run_storectl({"audit", "log", "--data", data(), "--op", "delete"});
  EXPECT_EQ(badop.exit_code, 2);
}

// Proves: diff of identical data dirs exits 0; when one holds events the
// other lacks it exits 1 and names them.
TEST_F(data_commands, diff_names_missing_events) {
  auto same = run_storectl({"diff", data(), copy_data()});
  EXPECT_EQ(same.exit_code, 0) << describe(same);
  EXPECT_NE(same.out.find("identical"), std::string::npos);
  const std::string more = copy_data();
  {
    storage::log_options o;
    o.data_dir = more;
    auto log = storage::event_log::open(o);
    ASSERT_TRUE(log);
    sale_completed s;
    s.receipt = "POS2-000002";
    s.lines.push_back(sale_line{"SKU-B", 1, 250, 0, 2000, 41});
    event e = make_event(device_id{"POS2"}, origin_seq{2}, hlc_timestamp::from_parts(day0_ms + 23 * hour_ms, 0),
                         term_id{1}, s);
    e.prev_hash = store().find("POS2", 1).ev.hash;
    seal(e);
    ASSERT_TRUE((*log)->append({e}));
  }
  auto d = run_storectl({"diff", data(), more});
  EXPECT_EQ(d.exit_code, 1) << describe(d);
  EXPECT_NE(d.out.find("B has POS2:2..2 (1 event(s)) that A lacks"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("sale.completed"), std::string::npos) << d.out;
  auto j = json::parse(run_storectl({"diff", data(), more, "--json"}).out);
  EXPECT_EQ(j["identical"], false);
  EXPECT_EQ(j["projections"]["inventory"]["state"], "differs");
  EXPECT_EQ(j["projections"]["catalog"]["state"], "same");
  EXPECT_EQ(j["b_only"][0]["events"][0]["ref"], "POS2:2");
}

// Proves: two data dirs that differ by one price change: diff exits 1, the
// catalog differs and diff names its key ("product SKU-A", value differs) —
// in text and JSON — while the other projections are the same; the event B
// has beyond A is named too.
TEST_F(data_commands, diff_names_the_key_of_a_price_change) {
  const std::string more = copy_data();
  {
    storage::log_options o;
    o.data_dir = more;
    auto log = storage::event_log::open(o);
    ASSERT_TRUE(log);
    event e = make_event(device_id{"BO"}, origin_seq{10}, hlc_timestamp::from_parts(day0_ms + 21 * hour_ms, 0),
                         term_id{1}, price_changed{"SKU-A", 275});
    e.prev_hash = store().find("BO", 9).ev.hash;
    seal(e);
    ASSERT_TRUE((*log)->append({e}));
  }
  auto d = run_storectl({"diff", data(), more});
  EXPECT_EQ(d.exit_code, 1) << describe(d);
  EXPECT_NE(d.out.find("catalog      differs"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("catalog: 1 of 256 bucket(s) differ; 1 key(s) differ"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("value differs  product SKU-A"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("B has BO:10..10 (1 event(s)) that A lacks"), std::string::npos) << d.out;
  auto j = json::parse(run_storectl({"diff", data(), more, "--json"}).out);
  const json& cat = j["projections"]["catalog"];
  EXPECT_EQ(cat["state"], "differs");
  ASSERT_EQ(cat["descent"]["keys"].size(), 1u) << cat.dump();
  EXPECT_EQ(cat["descent"]["keys"][0]["key"], "product SKU-A");
  EXPECT_EQ(cat["descent"]["keys"][0]["state"], "value_differs");
  EXPECT_EQ(cat["descent"]["keys"][0]["key_hex"], "70534b552d4100");  // 'p' "SKU-A" "\0"
  EXPECT_EQ(cat["descent"]["complete"], true);
  for (const char* same : {"inventory", "sales", "daily", "elections", "audit"}) {
    EXPECT_EQ(j["projections"][same]["state"], "same") << same;
    EXPECT_FALSE(j["projections"][same].contains("descent")) << same;
  }
  // devices differ too: BO's last-seen time moved with its new event.
  EXPECT_EQ(j["projections"]["devices"]["state"], "differs");
}

// Proves: replay leaves nothing in its scratch parent (the temporary state is
// removed at exit) and sweeps what a killed storectl left there (a scratch
// dir whose pid runs no more); a scratch parent inside the data dir is refused.
TEST_F(data_commands, replay_removes_its_scratch_state) {
  const std::string parent = scratch_.path() + "/scratch";
  fs::create_directories(parent + "/storectl-scratch-2147483000-dead01");
  auto r = run_storectl({"replay", "--data", data(), "--scratch", parent, "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(fs::is_empty(parent)) << "left behind in " << parent;
  auto env = run_storectl({"replay", "--data", data(), "--json"}, {{"TMPDIR", parent}});
  ASSERT_EQ(env.exit_code, 0) << describe(env);
  EXPECT_TRUE(fs::is_empty(parent));
  auto inside = run_storectl({"replay", "--data", data(), "--scratch", data()});
  EXPECT_EQ(inside.exit_code, 2) << describe(inside);
  EXPECT_NE(inside.err.find("must not go inside the data dir"), std::string::npos) << inside.err;
}

// Proves: a wrong data dir, a bad filter or a bad time exit 2 with a message
// that says what is wrong.
TEST_F(data_commands, bad_input_exits_2_with_a_clear_message) {
  struct bad_case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<bad_case> cases = {
      {{"events", "--data", scratch_.path() + "/nope"}, "does not exist"},
      {{"audit", "verify", "--data", scratch_.path()}, "is not a storenode data dir"},
      {{"replay", "--data", scratch_.path() + "/nope"}, "does not exist"},
      {{"export", "--data", scratch_.path()}, "not a storenode data dir"},
      {{"events", "--data", data(), "--type", "sales"}, "--type 'sales' matches no event type"},
      {{"events", "tail", "--data", data(), "--since", "yesterday"}, "--since: bad time 'yesterday'"},
      {{"events", "--data", data(), "--origin", "no such!"}, "--origin 'no such!' is not a device id"},
      {{"events", "--data", data(), "--node", "http://127.0.0.1:1"}, "either --node or --data"},
      {{"export", "--data", data(), "--format", "xlsx"}, "xlsx"},
      {{"replay", "--data", data(), "--time-zone", "Europe/Berln"}, "--time-zone: time zone \"Europe/Berln\""},
      {{"diff", data(), data(), "--time-zone", "../etc/passwd"}, "is not a time zone name"},
      {{"replay", "--data", data(), "--time-zone", "Europe/Berlin", "--utc-offset", "60"}, "excludes"},
      {{"frobnicate"}, "frobnicate"},
  };
  for (const auto& c : cases) {
    auto r = run_storectl(c.args);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_NE(r.err.find(c.message), std::string::npos) << "wanted '" << c.message << "' in: " << r.err;
  }
}

// Proves: colour appears only on a terminal, and NO_COLOR or --no-color turn
// it off there too.
TEST_F(data_commands, colour_only_on_a_terminal_and_no_color_honoured) {
  const std::vector<std::string> args{"events", "--data", data()};
  auto tty = run_storectl_on_tty(args);
  ASSERT_EQ(tty.exit_code, 0) << describe(tty);
  EXPECT_NE(tty.out.find("\x1b["), std::string::npos) << "no colour on a terminal";
  EXPECT_NE(tty.out.find("POSITION"), std::string::npos);  // a header for people
  auto no_color = run_storectl_on_tty(args, {{"NO_COLOR", std::string("1")}});
  EXPECT_EQ(no_color.out.find("\x1b["), std::string::npos);
  EXPECT_NE(no_color.out.find("sale.completed"), std::string::npos);
  std::vector<std::string> flag_args = args;
  flag_args.push_back("--no-color");
  auto flag = run_storectl_on_tty(flag_args);
  EXPECT_EQ(flag.out.find("\x1b["), std::string::npos);
  auto piped = run_storectl(args);
  EXPECT_EQ(piped.out.find("\x1b["), std::string::npos);
  EXPECT_EQ(piped.out.find("POSITION"), std::string::npos);  // no header in a pipe: grep-friendly
}

// Proves: every subcommand has --help with examples, exiting 0.
TEST_F(data_commands, every_subcommand_has_help_with_examples) {
  const std::vector<std::vector<std::string>> cmds = {
      {"status"}, {"events"}, {"events", "tail"}, {"events", "show"}, {"replay"}, {"diff"}, {"audit", "verify"},
      {"audit", "log"}, {"elections"}, {"projections"}, {"export"}, {"master", "set"}};
  for (auto c : cmds) {
    c.push_back("--help");
    auto r = run_storectl(c);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << c[0] << " " << c[1] << ":\n" << r.out;
  }
}

} // namespace
} // namespace sn::tools::test
