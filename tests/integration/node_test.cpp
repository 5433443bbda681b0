// Integration tests of one real storenode process (issues 2 and 3): the HTTP
// API, bad input, the data-dir lock, clean stop, and durability across kill -9.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

#include "actors/projections/projection.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"
#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

class node_test : public ::testing::Test {
protected:
  temp_dir dir;
  std::filesystem::path data() const { return dir.path() / "data"; }

  static void setup_shop(node_process& n) {
    auto r = n.post("/v1/products", R"({"sku":"MILK","name":"Milk 1L","barcode":"4000001","price_cents":129,"tax_rate_bp":700,"low_stock_threshold":5})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    r = n.post("/v1/products", R"({"sku":"BREAD","name":"Bread","barcode":"4000002","price_cents":250,"tax_rate_bp":700,"low_stock_threshold":2})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    r = n.post("/v1/stock/receipts", R"({"sku":"MILK","qty":100,"supplier_ref":"PO-1"})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }

  /// The lone node records its election (master.changed) once discovery is
  /// over: a test that counts events waits for it first, so that no event of
  /// the node's own lands between its counts.
  static bool own_election_recorded(node_process& n) {
    return eventually([&] {
      const auto status = n.get_json("/v1/status");
      const auto elections = n.get_json("/v1/elections")["elections"];
      return status.value("role", "") == "master" && elections.is_array() && !elections.empty() &&
             elections[0]["term"] == status["term"];
    });
  }

  /// As after an upgrade to a build with a new sales row layout: the layout
  /// record of the (stopped) node's data dir says 1, so the next start folds
  /// sales again from the log.
  void set_sales_layout_back() const {
    sn::storage::log_options o;
    o.data_dir = data().string();
    auto log = sn::storage::event_log::open(o);
    ASSERT_TRUE(log) << log.error().to_string();
    ASSERT_TRUE((*log)->put_meta("projections.layout.sales", "1"));
  }

  static std::string sale_body(int qty, int cash_cents) {
    return json{{"lines", {{{"sku", "MILK"}, {"qty", qty}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", cash_cents}}}}}.dump();
  }
};

TEST_F(node_test, sells_and_reports_through_http) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  setup_shop(n);
  auto r = n.post("/v1/sales", sale_body(3, 500));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  auto sale = json::parse(r->body);
  ASSERT_TRUE(sale.contains("receipt"));
  EXPECT_EQ(sale["receipt"], "POS1-000001");

  // Projection visibility is asynchronous: poll for it.
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/inventory/MILK").value("on_hand", -1) == 97; }));
  auto status = n.get_json("/v1/status");
  EXPECT_EQ(status["device_id"], "POS1");
  // Besides the 4 commands, the node registered itself and (alone) became master.
  EXPECT_GE(status["events_total"].get<int>(), 5);
  EXPECT_EQ(status["version_vector"]["POS1"], status["events_total"]);
  for (const char* f : {"role", "term", "master", "events_total", "version_vector"}) EXPECT_TRUE(status.contains(f)) << f;

  auto events = n.get_json("/v1/events?from=1&limit=10&type=sale.completed");
  ASSERT_EQ(events["events"].size(), 1u);
  EXPECT_EQ(events["events"][0]["type"], "sale.completed");
  EXPECT_EQ(events["events"][0]["origin"], "POS1");
  EXPECT_EQ(n.get_json("/v1/events?type=product.*")["events"].size(), 2u);
  EXPECT_EQ(n.get_json("/v1/events?type=device.registered")["events"].size(), 1u);
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status")["role"] == "master"; }));

  auto report = n.get_json("/v1/reports/daily");
  EXPECT_EQ(report["gross_cents"], 387);
  EXPECT_EQ(report["transactions"], 1);
  EXPECT_TRUE(n.stop());
  EXPECT_EQ(n.exit_code(), 0);
}

// /v1/status `storage` reports, per column family, the table files on disk
// and what flushes and compactions wrote since the node started: a backup
// (RocksDB's checkpoint flushes every memtable) turns the log's and the
// sales projection's rows into table files, which the figures then show.
TEST_F(node_test, status_reports_disk_and_writes_per_column_family) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  setup_shop(n);
  auto r = n.post("/v1/sales", sale_body(1, 200));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/inventory/MILK").value("on_hand", -1) == 99; }));

  auto storage = n.get_json("/v1/status")["storage"];
  ASSERT_TRUE(storage.is_object()) << storage.dump();
  for (const char* f : {"disk_bytes", "pending_compaction_bytes", "compactions_running", "flushes_running",
                        "flushed_bytes", "compaction_written_bytes", "compaction_cpu_s", "write_amplification",
                        "families"}) {
    EXPECT_TRUE(storage.contains(f)) << f;
  }
  ASSERT_TRUE(storage["families"].contains("log")) << storage.dump();
  ASSERT_TRUE(storage["families"].contains("p.sales")) << storage.dump();
  EXPECT_EQ(storage["families"]["p.sales"]["flushes"], 0) << "nothing flushed before the backup";
  EXPECT_TRUE(storage["families"]["p.sales"]["write_amplification"].is_null());

  r = n.post("/v1/backup", json{{"to", (dir.path() / "backup").string()}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  ASSERT_TRUE(eventually([&] {
    storage = n.get_json("/v1/status")["storage"];
    return storage["families"]["p.sales"]["flushes"].get<int>() >= 1 && storage["families"]["log"]["flushes"].get<int>() >= 1;
  })) << storage.dump();
  for (const char* family : {"log", "p.sales"}) {
    const auto& f = storage["families"][family];
    EXPECT_GT(f["flushed_bytes"].get<std::uint64_t>(), 0u) << family;
    EXPECT_GT(f["sst_bytes"].get<std::uint64_t>(), 0u) << family;
    EXPECT_GE(f["write_amplification"].get<double>(), 1.0) << family;
  }
  EXPECT_GE(storage["disk_bytes"].get<std::uint64_t>(),
            storage["families"]["log"]["sst_bytes"].get<std::uint64_t>() +
                storage["families"]["p.sales"]["sst_bytes"].get<std::uint64_t>());
  EXPECT_GE(storage["flushed_bytes"].get<std::uint64_t>(),
            storage["families"]["log"]["flushed_bytes"].get<std::uint64_t>() +
                storage["families"]["p.sales"]["flushed_bytes"].get<std::uint64_t>());
  EXPECT_GE(storage["write_amplification"].get<double>(), 1.0);
  EXPECT_TRUE(n.stop());
}

TEST_F(node_test, bad_input_gets_clear_errors_and_appends_nothing) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  setup_shop(n);
  ASSERT_TRUE(own_election_recorded(n));
  const auto before = n.get_json("/v1/status")["events_total"].get<int>();

  auto r = n.post("/v1/sales", "{not json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_body");

  r = n.post("/v1/sales", R"({"lines":"MILK","payments":[]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;

  r = n.post("/v1/sales", json{{"lines", {{{"sku", "NOPE"}, {"qty", 1}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 999}}}}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404) << r->body;

  r = n.post("/v1/sales", sale_body(0, 500));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;

  r = n.post("/v1/sales", sale_body(2, 1));  // payments do not cover the total
  ASSERT_TRUE(r);
  EXPECT_GE(r->status, 400) << r->body;

  std::string huge(10 * 1024 * 1024, 'x');
  r = n.post("/v1/products", huge);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);

  r = n.get("/v1/no/such/route");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "unknown_route");

  EXPECT_TRUE(n.healthy());
  EXPECT_EQ(n.get_json("/v1/status")["events_total"].get<int>(), before);
}

TEST_F(node_test, idempotency_key_returns_first_result_and_appends_nothing) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  setup_shop(n);
  ASSERT_TRUE(own_election_recorded(n));
  auto first = n.post("/v1/sales", sale_body(1, 200), "till-1-basket-7");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201);
  const auto total = n.get_json("/v1/status")["events_total"].get<int>();
  auto again = n.post("/v1/sales", sale_body(1, 200), "till-1-basket-7");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, first->body);
  EXPECT_EQ(n.get_json("/v1/status")["events_total"].get<int>(), total);
  auto other = n.post("/v1/sales", sale_body(2, 500), "till-1-basket-7");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 409);

  // The record survives a restart.
  n.kill(SIGKILL);
  ASSERT_TRUE(n.start()) << n.log_text();
  again = n.post("/v1/sales", sale_body(1, 200), "till-1-basket-7");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, first->body);
  // The retry appended nothing: still the one sale. (Not events_total: the
  // harness signed in again, sessions end with the process, and the
  // restarted node records its election.)
  EXPECT_EQ(n.get_json("/v1/events?type=sale.completed&limit=1000")["events"].size(), 1u);
  EXPECT_EQ(n.get_json("/v1/events?type=staff.signed_in&limit=1000")["events"].size(), 2u);
}

// Proves: a node restarted (kill -9) on a data dir with history decides from
// its projections' rows — no log replay — exactly as before the restart:
// receipt and return numbers continue, a return and a void of receipts sold
// before the restart are judged against them (cumulative returns, void
// refused after a return), the count rule sees the stock the log adds up to,
// and a day closed before the restart stays closed.
TEST_F(node_test, a_restarted_node_decides_from_its_projections_without_replay) {
  constexpr int sales = 300;
  {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << n.log_text();
    setup_shop(n);
    for (int i = 0; i < sales; ++i) {
      auto r = n.post("/v1/sales", sale_body(1 + i % 2, 500));
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 201) << r->body;
    }
    auto r = n.post("/v1/returns", R"({"receipt":"POS1-000002","lines":[{"sku":"MILK","qty":1}]})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    r = n.post("/v1/days/close", R"({"day":"2020-01-01"})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    n.kill(SIGKILL);
  }
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  auto r = n.post("/v1/sales", sale_body(1, 200));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body)["receipt"], "POS1-000301");
  // POS1-000002 sold 2 MILK, 1 returned before the restart.
  r = n.post("/v1/returns", R"({"receipt":"POS1-000002","lines":[{"sku":"MILK","qty":2}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 409) << r->body;
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "return_exceeds_sold");
  r = n.post("/v1/returns", R"({"receipt":"POS1-000002","lines":[{"sku":"MILK","qty":1}]})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body)["return_id"], "POS1-R000002");
  r = n.post("/v1/sales/POS1-000002/void", R"({"reason":"x"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "sale_has_returns") << r->body;
  r = n.post("/v1/sales/POS1-000003/void", R"({"reason":"x"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  // 100 received; 150 x 1 + 150 x 2 + 1 sold; 2 returned; POS1-000003 (1) voided.
  r = n.post("/v1/stock/counts", R"({"sku":"MILK","counted_qty":0})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body)["expected_qty"], 100 - 450 - 1 + 2 + 1);
  // Read your writes: the read straight after the 201 sees the count (the
  // projection actor publishes only positions whose rows are written:
  // tests/unit/actors/projection_actor_test.cpp).
  const auto milk = n.get_json("/v1/inventory/MILK");
  EXPECT_EQ(milk["on_hand"], 0) << milk.dump();
  r = n.post("/v1/days/close", R"({"day":"2020-01-01"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "day_already_closed") << r->body;
}

// Proves: /v1/digest read right after a sale's 201 covers the sale, as every
// query does (read your writes), although the projection actor lets a live
// batch wait up to 5 ms to share its write with the next ones: the digest's
// wait hurries the write. Sales back to back, each followed by the read.
TEST_F(node_test, a_digest_read_right_after_a_sale_covers_it) {
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  setup_shop(n);
  json before = n.get_json("/v1/digest");
  for (int i = 0; i < 20; ++i) {
    auto r = n.post("/v1/sales", sale_body(1, 200));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    const json after = n.get_json("/v1/digest");
    EXPECT_NE(after["projections"]["sales"], before["projections"]["sales"]) << "sale " << i;
    EXPECT_GT(after["positions"]["sales"].get<std::uint64_t>(), before["positions"]["sales"].get<std::uint64_t>())
        << "sale " << i;
    before = after;
  }
}

// Proves: a new data dir records its projections' row layouts without
// refolding anything; rows written under an older layout (the record says 1)
// are folded again from the log once at the next start, and still answer.
TEST_F(node_test, projections_of_an_older_row_layout_are_refolded_once) {
  const std::string refold = "folding it again from the log";
  // The node's log file grows across starts: each check reads what one start wrote.
  const auto since = [&](std::size_t mark) {
    std::ifstream in(data().string() + ".log");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > mark ? text.substr(mark) : std::string();
  };
  {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << n.log_text();
    EXPECT_EQ(n.log_text().find(refold), std::string::npos) << n.log_text();
    setup_shop(n);
    auto r = n.post("/v1/sales", sale_body(1, 500));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    ASSERT_TRUE(n.stop());
  }
  set_sales_layout_back();
  const std::size_t before_refold = since(0).size();
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  const std::string refold_start = since(before_refold);
  EXPECT_NE(refold_start.find("projection sales rows are of layout 1"), std::string::npos) << refold_start;
  EXPECT_EQ(refold_start.find("projection devices rows are of layout"), std::string::npos) << refold_start;
  EXPECT_TRUE(eventually([&] { return n.get_json("/v1/sales/POS1-000001").value("receipt", "") == "POS1-000001"; }))
      << n.get_json("/v1/sales/POS1-000001").dump();
  // The lists of every sale and of a day (merges of the device lists since
  // sales layout 3) answer from the refolded rows.
  const auto all = n.get_json("/v1/sales");
  EXPECT_EQ(all.value("count", -1), 1) << all.dump();
  ASSERT_TRUE(all.contains("sales") && all["sales"].size() == 1u) << all.dump();
  EXPECT_EQ(all["sales"][0].value("receipt", ""), "POS1-000001") << all.dump();
  const std::string day = all["sales"][0].value("day", "");
  const auto of_day = n.get_json("/v1/sales?day=" + day);
  EXPECT_EQ(of_day.value("count", -1), 1) << of_day.dump();
  EXPECT_EQ(of_day["by_product"], all["by_product"]) << of_day.dump();
  ASSERT_TRUE(n.stop());
  const std::size_t before_again = since(0).size();
  node_process again(data(), {});
  ASSERT_TRUE(again.start()) << again.log_text();
  EXPECT_EQ(since(before_again).find(refold), std::string::npos) << "refolded twice: " << since(before_again);
}

// Proves: at start-up a projection further behind the log than
// projections.fold_before_serving_events_max (here sales, refolded for a new
// row layout, with the bound at 0) folds in the background while the node
// serves: the node says so, numbers the next sale and return from its own
// events in the log (the refolding counter row would start again at 1), and
// refuses the return (503 projection_behind, nothing appended) until sales
// has folded, then takes it; every sale is listed once the fold is done.
TEST_F(node_test, a_projection_far_behind_folds_in_the_background_while_the_node_serves) {
  {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << n.log_text();
    setup_shop(n);
    for (int i = 0; i < 20; ++i) {
      auto r = n.post("/v1/sales", sale_body(2, 500));
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 201) << r->body;
    }
    auto r = n.post("/v1/returns", R"({"receipt":"POS1-000003","lines":[{"sku":"MILK","qty":1}]})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
    ASSERT_EQ(json::parse(r->body).value("return_id", ""), "POS1-R000001") << r->body;
    ASSERT_TRUE(n.stop());
  }
  set_sales_layout_back();
  node_options o;
  o.extra_args = {"--projections.fold-before-serving-events-max", "0"};
  node_process n(data(), o);
  ASSERT_TRUE(n.start()) << n.log_text();
  EXPECT_NE(n.log_text().find("projections sales are up to"), std::string::npos) << n.log_text();
  auto r = n.post("/v1/sales", sale_body(1, 500));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body).value("receipt", ""), "POS1-000021") << r->body;
  ASSERT_TRUE(eventually([&] {
    auto ret = n.post("/v1/returns", R"({"receipt":"POS1-000021","lines":[{"sku":"MILK","qty":1}]})");
    if (!ret) return false;
    if (ret->status == 503) {
      EXPECT_NE(ret->body.find("projection_behind"), std::string::npos) << ret->body;
      return false;
    }
    EXPECT_EQ(ret->status, 201) << ret->body;
    EXPECT_EQ(json::parse(ret->body).value("return_id", ""), "POS1-R000002") << ret->body;
    return true;
  }));
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status")["projections"]["lag"] == 0; }));
  const auto all = n.get_json("/v1/sales");
  EXPECT_EQ(all.value("count", -1), 21) << all.dump();
  const auto sold = n.get_json("/v1/sales/POS1-000003");
  EXPECT_GT(sold.value("refunded_cents", 0), 0) << sold.dump();
  const json digests = n.get_json("/v1/digest")["projections"];
  ASSERT_TRUE(n.stop());

  // A log whose projections hold nothing (a restored log): catalog, devices
  // and staff fold before the node serves, the others in the background,
  // and the counters come from every own event in the log.
  {
    sn::storage::log_options lo;
    lo.data_dir = data().string();
    for (const auto& p : sn::projections::all_projections()) lo.projection_families.emplace_back(p->name());
    auto log = sn::storage::event_log::open(lo);
    ASSERT_TRUE(log) << log.error().to_string();
    auto store = sn::storage::projection_store::open(**log, lo.projection_families);
    ASSERT_TRUE(store) << store.error().to_string();
    for (std::size_t f = 0; f < (*store)->size(); ++f) ASSERT_TRUE((*store)->clear(f));
  }
  node_process m(data(), o);
  ASSERT_TRUE(m.start()) << m.log_text();
  EXPECT_NE(m.log_text().find("projections inventory, sales, daily, elections, audit are up to"), std::string::npos)
      << m.log_text();
  ASSERT_TRUE(eventually([&] { return m.get_json("/v1/status")["projections"]["lag"] == 0; }));
  // The same events folded from nothing: the same rows (this start's own
  // events aside: its election, sign-in and last-seen rows).
  const json refolded = m.get_json("/v1/digest")["projections"];
  for (const char* p : {"catalog", "inventory", "sales", "daily"}) EXPECT_EQ(refolded[p], digests[p]) << p;
  r = m.post("/v1/sales", sale_body(1, 500));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body).value("receipt", ""), "POS1-000022") << r->body;
  r = m.post("/v1/returns", R"({"receipt":"POS1-000022","lines":[{"sku":"MILK","qty":1}]})");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 201) << r->body;
  EXPECT_EQ(json::parse(r->body).value("return_id", ""), "POS1-R000003") << r->body;
  ASSERT_TRUE(m.stop());
}

TEST_F(node_test, second_process_on_the_same_data_dir_is_refused) {
  node_process a(data(), {});
  ASSERT_TRUE(a.start()) << a.log_text();
  node_process b(data(), {});
  ASSERT_TRUE(b.start(false));
  ASSERT_TRUE(eventually([&] { return b.exited(); }));
  EXPECT_EQ(b.exit_code(), 2);
  EXPECT_NE(b.log_text().find("in use"), std::string::npos) << b.log_text();
  EXPECT_TRUE(a.healthy());
}

// Proves: every sale the node acknowledged survives kill -9, over 20 cycles,
// the hash chains verify, and the projections the node kept in RocksDB (rows,
// digests and positions written together, cut by every kill) equal a rebuild
// from the log.
TEST_F(node_test, acknowledged_sales_survive_kill_9) {
  std::set<std::string> acked;
  std::mt19937 rng(20261125);
  {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << n.log_text();
    setup_shop(n);
    n.kill(SIGKILL);
  }
  for (int cycle = 0; cycle < 20; ++cycle) {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << "cycle " << cycle << "\n" << n.log_text();
    std::atomic<bool> stop{false};
    std::mutex m;
    std::vector<std::thread> clients;
    (void)n.token();  // signed in before the threads share it
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        httplib::Client cl("127.0.0.1", n.http_port());
        n.authorize(cl);
        cl.set_read_timeout(5, 0);
        for (int i = 0; !stop; ++i) {
          auto r = cl.Post("/v1/sales", sale_body(1, 200), "application/json");
          if (!r) break;  // the node died mid-request: not acknowledged
          if (r->status == 201) {
            std::lock_guard<std::mutex> lock(m);
            acked.insert(json::parse(r->body)["receipt"].get<std::string>());
          }
        }
        (void)c;
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 150));  // let load build before the crash
    n.kill(SIGKILL);
    stop = true;
    for (auto& t : clients) t.join();
  }
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  ASSERT_GT(acked.size(), 20u);
  for (auto& receipt : acked) {
    auto r = n.get("/v1/sales/" + receipt);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << "acknowledged sale " << receipt << " lost";
  }
  // The lone node records its election (master.changed) once discovery is
  // over: wait until this start's election is folded, so no event is
  // appended between the two digests.
  ASSERT_TRUE(eventually([&] {
    const auto status = n.get_json("/v1/status");
    const auto elections = n.get_json("/v1/elections")["elections"];
    return status.value("role", "") == "master" && elections.is_array() && !elections.empty() &&
           elections[0]["term"] == status["term"];
  }));
  ASSERT_TRUE(eventually([&] {
    auto s = n.get_json("/v1/status");
    return s.contains("projections") && s["projections"]["lag"] == 0;
  }));
  auto restored = n.get_json("/v1/digest")["projections"];
  auto r = n.post("/v1/projections/all/rebuild", "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(n.get_json("/v1/digest")["projections"], restored);
  EXPECT_TRUE(n.stop());
#ifdef STORECTL_PATH
  std::string cmd = std::string(STORECTL_PATH) + " audit verify --data " + data().string() + " > /dev/null";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
#endif
}

// Proves: kill -9 while the projections fold (a rebuild of every projection
// from the log, cut at a random point in each of 6 cycles) leaves rows whose
// digests, once the restarted node has folded the rest, equal those of the
// same events folded without interruption: each fold batch is written with
// its position and digest at once, so nothing is folded twice or skipped.
TEST_F(node_test, kill_9_during_a_fold_restores_the_same_state_as_an_unbroken_fold) {
  std::mt19937 rng(20261126);
  json expected;
  {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << n.log_text();
    setup_shop(n);
    std::vector<std::thread> clients;
    (void)n.token();  // signed in before the threads share it
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&] {
        httplib::Client cl("127.0.0.1", n.http_port());
        n.authorize(cl);
        for (int i = 0; i < 600; ++i) cl.Post("/v1/sales", sale_body(1, 200), "application/json");
      });
    }
    for (auto& t : clients) t.join();
    ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status")["projections"]["lag"] == 0; }));
    expected = n.get_json("/v1/digest")["projections"];
    EXPECT_TRUE(n.stop());
  }
  for (int cycle = 0; cycle < 6; ++cycle) {
    node_process n(data(), {});
    ASSERT_TRUE(n.start()) << "cycle " << cycle << "\n" << n.log_text();
    std::thread rebuild([&] {
      httplib::Client cl("127.0.0.1", n.http_port());
      n.authorize(cl);
      cl.set_read_timeout(30, 0);
      cl.Post("/v1/projections/all/rebuild", "", "application/json");  // cut by the kill (or done first)
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 40));
    n.kill(SIGKILL);
    rebuild.join();
  }
  node_process n(data(), {});
  ASSERT_TRUE(n.start()) << n.log_text();
  // The lone node records this start's election (master.changed) once
  // discovery is over: wait until it is folded, so that no event lands
  // between the digests compared below.
  ASSERT_TRUE(eventually([&] {
    const auto status = n.get_json("/v1/status");
    const auto elections = n.get_json("/v1/elections")["elections"];
    return status.value("role", "") == "master" && elections.is_array() && !elections.empty() &&
           elections[0]["term"] == status["term"] && status["projections"]["lag"] == 0;
  }));
  const json after_kills = n.get_json("/v1/digest")["projections"];
  // Each cycle's sign-in (when it came before the kill) added a
  // staff.signed_in event, which the devices (last seen) and staff (last
  // sign-in) projections fold, and a start that lived through discovery
  // recorded its election: those three are compared with an unbroken rebuild
  // of the same log below; the others must equal the first fold.
  for (const char* p : {"catalog", "inventory", "sales", "daily", "audit"}) {
    EXPECT_EQ(after_kills[p], expected[p]) << p;
  }
  httplib::Client cl("127.0.0.1", n.http_port());
  n.authorize(cl);
  cl.set_read_timeout(300, 0);
  auto r = cl.Post("/v1/projections/all/rebuild", "", "application/json");
  ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
  ASSERT_TRUE(eventually([&] { return n.get_json("/v1/status")["projections"]["lag"] == 0; }));
  EXPECT_EQ(n.get_json("/v1/digest")["projections"], after_kills);
  EXPECT_TRUE(n.stop());
}

} // namespace
