// Chain-scale figures (docs/benchmarks.md, "Chain scale"). Real processes on
// 127.0.0.1: nats-server -js, storenode with the uplink, storenode-hq.
//   bench_chain [--events N] [--stores K] [--per-store M] [--seconds S]
// 1. uplink throughput: a node opens a data dir holding a backlog of N events
//    of 4 origins (the log of a store after an outage) and streams it; the
//    same bytes are then published by a raw libnats JetStream async loop
//    (message id + expected-last-subject-sequence headers, as the uplink) to a
//    second stream. Prints both rates and the ratio; the uplink's rate is also
//    the catch-up rate after an outage.
// 2. HQ ingest: K stores' streams of M events each are filled first, then
//    storenode-hq consumes them all; events/s until every store is complete.
// 3. sale -> visible at HQ: 100 sales/s for S seconds against a node with the
//    uplink and HQ running; p50/p99/max from a sale's 201 until HQ counts it.
#include <nats/nats.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/stock.hpp"
#include "storage/event_log.hpp"
#include "tests/integration/nats_process.hpp"

using namespace sn::testing;
using clk = std::chrono::steady_clock;

namespace {

double secs(clk::duration d) { return std::chrono::duration<double>(d).count(); }

/// Chains of `count` events spread over `origins` origins, as encoded bytes per origin.
std::map<std::string, std::vector<std::string>> make_chains(const std::vector<std::string>& origins, std::size_t count) {
  std::map<std::string, std::vector<std::string>> out;
  std::map<std::string, sn::hash256> prev;
  for (std::size_t i = 0; i < count; ++i) {
    const auto& o = origins[i % origins.size()];
    auto& v = out[o];
    auto e = sn::make_event(sn::device_id{o}, sn::origin_seq{v.size() + 1},
                            sn::hlc_timestamp{(1795600000000ull + i) << 16}, sn::term_id{1},
                            sn::stock_received{"SKU-" + std::to_string(i % 100), 1, "bench"});
    e.prev_hash = prev[o];
    sn::seal(e);
    prev[o] = e.hash;
    v.push_back(sn::encode(e));
  }
  return out;
}

struct js_client {
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::uint64_t> failed{0};
  static void on_ack(jsCtx*, natsMsg* m, jsPubAck* pa, jsPubAckErr*, void* c) {
    auto* self = static_cast<js_client*>(c);
    (pa ? self->acked : self->failed)++;
    natsMsg_Destroy(m);
  }
  explicit js_client(const std::string& url) {
    natsConnection_ConnectTo(&nc, url.c_str());
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 8192;
    jo.PublishAsync.AckHandler = &js_client::on_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    natsConnection_JetStream(&js, nc, &jo);
  }
  ~js_client() {
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
  }
  void add_stream(const std::string& name, const std::string& subjects) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = name.c_str();
    const char* subj[] = {subjects.c_str()};
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    js_AddStream(nullptr, js, &cfg, nullptr, nullptr);
  }
  std::uint64_t last_seq(const std::string& stream) {
    jsStreamInfo* si = nullptr;
    if (js_GetStreamInfo(&si, js, stream.c_str(), nullptr, nullptr) != NATS_OK) return 0;
    auto n = si->State.LastSeq;
    jsStreamInfo_Destroy(si);
    return n;
  }
  /// Publishes every chain (origins interleaved in turns of 512, as the
  /// uplink's ranges) with the uplink's headers, predicting stream sequences.
  void publish_all(const std::string& store, const std::map<std::string, std::vector<std::string>>& chains) {
    std::map<std::string, std::uint64_t> last_subject;
    std::map<std::string, std::size_t> next;
    std::uint64_t stream_seq = 0;
    bool more = true;
    while (more) {
      more = false;
      for (auto& [o, v] : chains) {
        auto& i = next[o];
        const std::string subject = "storenode." + store + ".events." + o;
        for (std::size_t k = 0; k < 512 && i < v.size(); ++k, ++i) {
          natsMsg* m = nullptr;
          natsMsg_Create(&m, subject.c_str(), nullptr, v[i].data(), static_cast<int>(v[i].size()));
          jsPubOptions po;
          jsPubOptions_Init(&po);
          const std::string id = store + ":" + o + ":" + std::to_string(i + 1);
          po.MsgId = id.c_str();
          if (last_subject[o] == 0) po.ExpectNoMessage = true;
          else po.ExpectLastSubjectSeq = last_subject[o];
          js_PublishMsgAsync(js, &m, &po);
          natsMsg_Destroy(m);
          last_subject[o] = ++stream_seq;
        }
        if (i < v.size()) more = true;
      }
    }
    js_PublishAsyncComplete(js, nullptr);
  }
};

} // namespace

int main(int argc, char** argv) {
  std::size_t events = 100000, per_store = 5000;
  int stores = 20, seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--events") events = std::stoul(argv[i + 1]);
    else if (a == "--stores") stores = std::stoi(argv[i + 1]);
    else if (a == "--per-store") per_store = std::stoul(argv[i + 1]);
    else if (a == "--seconds") seconds = std::stoi(argv[i + 1]);
  }
  nats_server nats;
  if (!nats.start()) {
    std::cerr << "nats-server did not start\n" << nats.log_text();
    return 1;
  }

  // 1. Uplink throughput over a backlog vs the raw loop.
  temp_dir dir;
  const std::vector<std::string> origins{"POS1", "POS2", "POS3", "POS4"};
  auto chains = make_chains(origins, events);
  {
    sn::storage::log_options lo;
    lo.data_dir = (dir.path() / "POS1").string();
    lo.sync = sn::storage::durability::os;
    auto log = sn::storage::event_log::open(lo);
    if (!log) return 1;
    std::vector<sn::event> batch;
    std::size_t longest = 0;
    for (auto& [o, v] : chains) longest = std::max(longest, v.size());
    for (std::size_t i = 0; i < longest; ++i) {
      for (auto& [o, v] : chains) {
        if (i < v.size()) batch.push_back(*sn::decode(v[i]));
      }
      if (batch.size() >= 5000) {
        (void)(*log)->append(batch);
        batch.clear();
      }
    }
    (void)(*log)->append(batch);
  }
  js_client raw(nats.url());
  node_process node(dir.path() / "POS1", node_options{"POS1", 10, {}, {"--store.id", "bench", "--uplink.url", nats.url(),
                                                                       "--durability", "os"}});
  if (!node.start()) {
    std::cerr << "storenode did not start\n" << node.log_text();
    return 1;
  }
  // From the first message in the stream to the whole backlog (the node also
  // writes its own start-up events: registration, master.changed).
  const auto t_wait = clk::now() + std::chrono::seconds(300);
  while (raw.last_seq("storenode_bench") == 0 && clk::now() < t_wait) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const auto t0 = clk::now();
  while (raw.last_seq("storenode_bench") < events && clk::now() < t_wait) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const double uplink_s = secs(clk::now() - t0);
  const double uplink_rate = static_cast<double>(events) / uplink_s;
  raw.add_stream("raw_bench", "storenode.rawbench.events.*");
  const auto r0 = clk::now();
  raw.publish_all("rawbench", chains);
  const double raw_s = secs(clk::now() - r0);
  const double raw_rate = static_cast<double>(raw.acked.load()) / raw_s;
  std::printf("uplink backlog: %zu events of %zu origins in %.2f s = %.0f ev/s\n", events, origins.size(), uplink_s,
              uplink_rate);
  std::printf("raw libnats JetStream async loop (same bytes, same headers): %llu acked (%llu failed) in %.2f s = %.0f ev/s\n",
              static_cast<unsigned long long>(raw.acked.load()), static_cast<unsigned long long>(raw.failed.load()),
              raw_s, raw_rate);
  std::printf("uplink / raw = %.0f %%\n", 100.0 * uplink_rate / raw_rate);
  std::printf("catch-up: a 1-hour outage of a store selling 100 sales/s (360000 events) drains in ~%.0f s\n",
              360000.0 / uplink_rate);

  // 3. sale -> visible at HQ at 100 sales/s (the node above keeps streaming).
  hq_process hq(nats.url());
  if (!hq.start()) {
    std::cerr << "storenode-hq did not start\n" << hq.log_text();
    return 1;
  }
  node.post("/v1/products", R"({"sku":"B","name":"b","price_cents":100})");
  std::uint64_t base = 0;
  {
    const auto until = clk::now() + std::chrono::seconds(300);
    std::uint64_t last = 0;
    while (clk::now() < until) {
      auto s = hq.store("bench");
      const auto vv = node.get_json("/v1/status")["version_vector"];
      std::uint64_t total = 0;
      for (auto& [k, v] : vv.items()) total += v.get<std::uint64_t>();
      if (s.is_object() && s.value("events", std::uint64_t{0}) == total && total > 0) {
        base = total;
        break;
      }
      last = s.is_object() ? s.value("events", std::uint64_t{0}) : 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    (void)last;
  }
  const int sales = seconds * 100;
  std::vector<clk::time_point> acked(static_cast<std::size_t>(sales)), seen(static_cast<std::size_t>(sales));
  std::atomic<int> done{0};
  std::thread watcher([&] {
    int next = 0;
    while (next < sales) {
      auto s = hq.store("bench");
      const auto n = s.is_object() ? s.value("events", std::uint64_t{0}) : 0;
      const auto now = clk::now();
      while (next < sales && n >= base + static_cast<std::uint64_t>(next) + 1 && next < done.load()) seen[next++] = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  httplib::Client cl("127.0.0.1", node.http_port());
  node.authorize(cl);  // the harness admin's session (every write signs in)
  const auto start = clk::now();
  for (int i = 0; i < sales; ++i) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(10 * i));
    auto r = cl.Post("/v1/sales", R"({"lines":[{"sku":"B","qty":1}],"payments":[{"method":"card","amount_cents":100}]})",
                     "application/json");
    acked[static_cast<std::size_t>(i)] = clk::now();
    if (!r || r->status != 201) std::cerr << "sale " << i << " failed\n";
    done = i + 1;
  }
  watcher.join();
  std::vector<double> lat;
  for (int i = 0; i < sales; ++i) lat.push_back(std::max(0.0, secs(seen[i] - acked[i]) * 1000));
  std::sort(lat.begin(), lat.end());
  std::printf("sale -> visible at HQ, %d sales at 100/s: p50 %.1f ms, p99 %.1f ms, max %.1f ms (HQ polled every 2 ms)\n",
              sales, lat[lat.size() / 2], lat[lat.size() * 99 / 100], lat.back());
  node.stop();
  hq.kill(SIGTERM);

  // 2. HQ ingest from `stores` simulated stores (streams filled first).
  {
    js_client pub(nats.url());
    std::uint64_t total = 0;
    for (int s = 0; s < stores; ++s) {
      const std::string store = "sim" + std::to_string(s);
      pub.add_stream("storenode_" + store, "storenode." + store + ".events.*");
      pub.publish_all(store, make_chains({"T1", "T2", "T3"}, per_store));
      total += per_store;
    }
    hq_process hq2(nats.url());
    const auto h0 = clk::now();
    if (!hq2.start()) return 1;
    const auto until = clk::now() + std::chrono::seconds(600);
    std::uint64_t got = 0;
    while (clk::now() < until) {
      auto j = hq2.get_json("/v1/chain/stores");
      got = 0;
      if (j.is_object()) {
        for (auto& s : j["stores"]) {
          if (s["store_id"].get<std::string>().rfind("sim", 0) == 0) got += s.value("events", std::uint64_t{0});
        }
      }
      if (got >= total) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const double hq_s = secs(clk::now() - h0);
    std::printf("HQ ingest: %d stores x %zu events = %llu events verified and folded in %.2f s = %.0f ev/s (from process start)\n",
                stores, per_store, static_cast<unsigned long long>(got), hq_s, static_cast<double>(got) / hq_s);
  }
  return 0;
}
