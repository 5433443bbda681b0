// Chain scale (issue 14) against a real nats-server -js, a 3-node store and
// storenode-hq, all real processes on 127.0.0.1 with free ports and temp dirs.
//
// What it proves: while clients sell, the store's master streams every event
// of every origin to JetStream and HQ folds it; across a kill -9 of the
// master, a restart of nats-server and a cut between the master and NATS
// (sales go on, the backlog is the log, then the link heals), the stream
// holds every event exactly once (the fences: no origin seq twice, none
// missing), HQ holds every event exactly once (per origin its count equals
// the highest seq, and that equals the store's version vector), HQ's chain
// heads equal the store's event hashes, and HQ's daily totals and stock equal
// the store's own. Then a publish straight to a store subject that does not
// chain (garbage, a forged event) is refused and counted by HQ, changes no
// view, and the uplink streams on past it.
#include <gtest/gtest.h>

#include <nats/nats.h>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/stock.hpp"
#include "tests/integration/nats_process.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/tcp_forwarder.hpp"

using namespace sn::testing;
using json = nlohmann::json;

namespace {

constexpr const char* store_id = "s1";
constexpr const char* stream = "storenode_s1";

/// A raw libnats JetStream client for the test's own look at the stream.
struct raw_js {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  explicit raw_js(const std::string& url) {
    if (natsConnection_ConnectTo(&nc, url.c_str()) == NATS_OK) natsConnection_JetStream(&js, nc, nullptr);
  }
  ~raw_js() {
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }
  /// Every message of the stream as (subject, data), in stream order.
  std::vector<std::pair<std::string, std::string>> all() {
    std::vector<std::pair<std::string, std::string>> out;
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, js, stream, nullptr, nullptr) != NATS_OK) return out;
    const auto last = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    for (std::uint64_t s = 1; s <= last; ++s) {
      natsMsg* m = nullptr;
      if (js_GetMsg(&m, js, stream, s, nullptr, nullptr) == NATS_OK) {
        out.emplace_back(natsMsg_GetSubject(m), std::string(natsMsg_GetData(m), natsMsg_GetDataLength(m)));
      }
      natsMsg_Destroy(m);
    }
    return out;
  }
  bool publish(const std::string& subject, const std::string& data) {
    jsPubAck* pa = nullptr;
    const bool ok = js_Publish(&pa, js, subject.c_str(), data.data(), static_cast<int>(data.size()), nullptr, nullptr) == NATS_OK;
    jsPubAck_Destroy(pa);
    return ok;
  }
};

json figures_of(json report) {
  if (!report.is_object()) return nullptr;
  json f;
  for (const char* k : {"gross_cents", "discounts_cents", "tax_cents", "returns_cents", "net_cents", "by_method",
                        "transactions", "returns", "voids"}) {
    f[k] = report[k];
  }
  return f;
}

std::uint64_t sum(const json& vv) {
  std::uint64_t n = 0;
  for (auto& [k, v] : vv.items()) n += v.get<std::uint64_t>();
  return n;
}

} // namespace

TEST(hq, store_streams_every_event_exactly_once_through_failover_restart_and_cut) {
  nats_server nats;
  ASSERT_TRUE(nats.start()) << nats.log_text();
  hq_process hq(nats.url());
  ASSERT_TRUE(hq.start()) << hq.log_text();

  cluster c({{"POS1", 30}, {"POS2", 20}, {"POS3", 10}});
  // Each node reaches NATS through a forwarder of its own, so one can be cut.
  std::vector<std::unique_ptr<tcp_forwarder>> links;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const int port = free_port_range(1);
    links.push_back(std::make_unique<tcp_forwarder>(port, nats.port(), 1));
    ASSERT_TRUE(links.back()->start());
    for (std::string a : std::vector<std::string>{"--store.id", store_id, "--uplink.url", "nats://127.0.0.1:" + std::to_string(port),
                          "--uplink.retry-ms", "200", "--uplink.request-timeout-ms", "1000"}) {
      c[i].options().extra_args.push_back(a);
    }
  }
  ASSERT_TRUE(c.start_all());
  std::string master;
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all(), &master); }, std::chrono::seconds(20))) << c.describe(c.all());
  const std::size_t m0 = c.index_of(master);
  ASSERT_EQ(c[m0].post("/v1/products", R"({"sku":"TEA","name":"Tea","price_cents":250,"tax_rate_bp":700})")->status, 201);
  ASSERT_EQ(c[m0].post("/v1/stock/receipts", R"({"sku":"TEA","qty":100000})")->status, 201);
  ASSERT_TRUE(eventually([&] {
    for (std::size_t i = 0; i < c.size(); ++i) {
      if (c[i].get_json("/v1/products/TEA").is_null()) return false;
    }
    return true;
  }));

  // Clients sell on the two devices that are not master (a killed master's
  // clients would retry into it); the master's own events stream too.
  std::vector<std::size_t> sellers;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (i != m0) sellers.push_back(i);
  }
  sales_load load("TEA", 1234);
  for (auto i : sellers) load.start(c[i].http_port(), c[i].options().device_id, 2);
  auto hq_events = [&] {
    auto s = hq.store(store_id);
    return s.is_object() ? s["events"].get<long>() : 0L;
  };
  ASSERT_TRUE(load.wait_for_sales(40));
  ASSERT_TRUE(eventually([&] { return hq_events() > 20; })) << hq.log_text() << c.describe(c.all());

  // 1. kill -9 the master mid-stream; another takes over and resumes the stream.
  c[m0].kill(SIGKILL);
  std::string master2;
  std::vector<std::size_t> alive = sellers;
  ASSERT_TRUE(eventually([&] { return c.one_master(alive, &master2) && master2 != master; }, std::chrono::seconds(20)))
      << c.describe(alive);
  const std::size_t m1 = c.index_of(master2);
  long before = load.sales();
  ASSERT_TRUE(load.wait_for_sales(before + 300));
  ASSERT_TRUE(c[m0].start());  // rejoins as a client

  // 2. restart nats-server mid-stream.
  const long at_restart = hq_events();
  nats.stop();
  before = load.sales();
  ASSERT_TRUE(load.wait_for_sales(before + 300));
  ASSERT_TRUE(nats.start()) << nats.log_text();
  ASSERT_TRUE(eventually([&] { return hq_events() > at_restart + 20; }, std::chrono::seconds(30)))
      << hq.log_text() << c.describe(c.all());

  // 3. cut the master off from NATS while clients sell: its backlog grows
  // (the log), then the link heals and it catches up.
  links[m1]->stop();
  before = load.sales();
  ASSERT_TRUE(load.wait_for_sales(before + 400));
  ASSERT_TRUE(eventually([&] {
    auto s = c[m1].get_json("/v1/status");
    return s.is_object() && s["uplink"].value("lag_events", 0) > 0;
  })) << c[m1].get_json("/v1/status").dump();
  ASSERT_TRUE(links[m1]->start());
  before = load.sales();
  ASSERT_TRUE(load.wait_for_sales(before + 200));
  load.stop();
  ASSERT_EQ(load.abandoned(), 0);
  ASSERT_EQ(load.snapshot().refused, 0) << load.snapshot().last_refusal;

  // Afterwards: the store converges, and HQ holds exactly what it holds.
  std::string why;
  ASSERT_TRUE(c.converge(c.all(), std::chrono::seconds(30), &why)) << why << c.describe(c.all());
  const json vv = c.get_json(m1, "/v1/status")["version_vector"];
  ASSERT_TRUE(eventually([&] {
    auto s = hq.store(store_id);
    return s.is_object() && s["version_vector"] == vv;
  }, std::chrono::seconds(30))) << hq.store(store_id).dump() << " vs " << vv.dump() << "\n" << hq.log_text()
                                << c.describe(c.all());
  auto s = hq.store(store_id);
  std::cout << "sales " << load.sales() << ", store vv " << vv.dump() << ", HQ " << s.dump() << "\n"
            << "master uplink " << c.get_json(m1, "/v1/status")["uplink"].dump() << "\n";
  EXPECT_EQ(s["events"].get<std::uint64_t>(), sum(vv));  // each event once: count == sum of highest seqs
  EXPECT_EQ(s["refused"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(s["master"]["device_id"], master2);
  // HQ's chain heads are the store's own events' hashes.
  for (auto& [origin, seq] : vv.items()) {
    std::string hash;
    for (long from = 1, pages = 0; pages < 100; ++pages) {
      auto ev = c.get_json(m1, "/v1/events?origin=" + origin + "&limit=10000&from=" + std::to_string(from));
      if (!ev.contains("events") || ev["events"].empty()) break;
      for (auto& e : ev["events"]) {
        if (e["seq"] == seq) hash = e.value("hash", "");
      }
      from = ev.value("next", from + 1);
    }
    EXPECT_EQ(s["heads"][origin], hash) << origin;
  }
  // The stream itself: per origin seqs 1..n once each, in order, each event
  // chaining on the one before (the fences let no event in twice).
  raw_js raw(nats.url());
  std::map<std::string, std::pair<std::uint64_t, sn::hash256>> chain;
  for (auto& [subject, data] : raw.all()) {
    auto e = sn::decode(data);
    ASSERT_TRUE(e) << subject;
    auto& [seq, hash] = chain[e->origin.value()];
    ASSERT_EQ(e->seq.value(), seq + 1) << subject << " holds " << sn::event_ref(*e) << " after seq " << seq;
    ASSERT_TRUE(sn::verify_hash(*e));
    ASSERT_EQ(e->prev_hash, hash);
    seq = e->seq.value();
    hash = e->hash;
  }
  for (auto& [origin, seq] : vv.items()) EXPECT_EQ(chain[origin].first, seq.get<std::uint64_t>()) << origin;
  // Daily totals and stock equal the store's.
  const auto ledger = load.snapshot();
  for (auto& [day, n] : ledger.sales_by_day) {
    auto store_day = figures_of(c.get_json(m1, "/v1/reports/daily?day=" + day));
    auto hq_day = hq.get_json("/v1/chain/reports/daily?day=" + day + "&store=" + store_id);
    ASSERT_TRUE(hq_day.is_object());
    EXPECT_EQ(figures_of(hq_day["stores"][store_id]), store_day) << day;
    EXPECT_GE(store_day["transactions"].get<long>(), n);
  }
  auto inv = c.get_json(m1, "/v1/inventory/TEA");
  EXPECT_EQ(hq.get_json("/v1/chain/stock?sku=TEA")["stores"][store_id]["on_hand"], inv["on_hand"]) << inv.dump();
  // The master's uplink reports no lag once HQ has it all.
  EXPECT_TRUE(eventually([&] { return c.get_json(m1, "/v1/status")["uplink"].value("lag_events", 1) == 0; }));

  // A publish to the store's subject that is not the store's own chain is refused.
  const std::string pos_subject = std::string("storenode.") + store_id + ".events." + c[sellers[0]].options().device_id;
  ASSERT_TRUE(raw.publish(pos_subject, "not an event"));
  auto forged = sn::make_event(sn::device_id{c[sellers[0]].options().device_id},
                               sn::origin_seq{vv[c[sellers[0]].options().device_id].get<std::uint64_t>() + 1},
                               sn::hlc_timestamp{}, sn::term_id{1}, sn::stock_received{"TEA", 1000000, "forged"});
  sn::seal(forged);  // hashes itself, but prev_hash (zeros) does not chain on the real head
  ASSERT_TRUE(raw.publish(pos_subject, sn::encode(forged)));
  ASSERT_TRUE(eventually([&] { return hq.store(store_id).value("refused", 0) == 2; })) << hq.store(store_id).dump();
  EXPECT_EQ(hq.store(store_id)["version_vector"], vv);
  EXPECT_EQ(hq.get_json("/v1/chain/stock?sku=TEA")["stores"][store_id]["on_hand"], inv["on_hand"]);
  EXPECT_GE(metric(hq.metrics(), "storenode_hq_refused_total"), 2);
  // The uplink streams on past the foreign messages at the subject's tail.
  ASSERT_EQ(c[sellers[0]].post("/v1/stock/receipts", R"({"sku":"TEA","qty":5})")->status, 201);
  ASSERT_TRUE(eventually([&] {
    auto now = hq.store(store_id);
    return now.is_object() && now["version_vector"] == c.get_json(m1, "/v1/status")["version_vector"];
  }, std::chrono::seconds(20))) << hq.store(store_id).dump() << c.describe(c.all());
}
