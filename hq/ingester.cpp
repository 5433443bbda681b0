#include "hq/ingester.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "actors/uplink/types.hpp"
#include "hq/chain_store.hpp"

namespace sn::hq {

namespace {

sn::error hq_error(std::string m) { return sn::error{"hq", 4, std::move(m)}; }

std::uint64_t wall_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

/// The store a stream belongs to: its one subject is storenode.<store>.events.* (or .>).
std::optional<std::string> store_of_stream(const jsStreamConfig* c) {
  if (!c || c->SubjectsLen != 1 || !c->Subjects[0]) return std::nullopt;
  const std::string s = c->Subjects[0];
  for (const char* tail : {".events.*", ".events.>"}) {
    const std::string t(tail);
    const std::string head = "storenode.";
    if (s.size() > head.size() + t.size() && s.rfind(head, 0) == 0 && s.compare(s.size() - t.size(), t.size(), t) == 0) {
      auto store = s.substr(head.size(), s.size() - head.size() - t.size());
      if (uplink::valid_store_id(store)) return store;
    }
  }
  return std::nullopt;
}

} // namespace

struct ingester::impl {
  ingester_options o;
  chain_store* store = nullptr;
  hq_metrics* metrics = nullptr;
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  chain_fold fold{[this](const std::string& k) { return store->get(k); }};
  struct consumer {
    std::string stream;
    natsSubscription* sub = nullptr;
  };
  std::map<std::string, consumer> consumers;  ///< store -> its consumer
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  std::string fatal;

  ~impl() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    cv.notify_all();
    if (thread.joinable()) thread.join();
    for (auto& [s, c] : consumers) {
      if (c.sub) natsSubscription_Destroy(c.sub);  // keeps the durable consumer on the server
    }
    if (nc) natsConnection_Close(nc);
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
    if (opts) natsOptions_Destroy(opts);
  }

  static void on_up(natsConnection*, void* c) { static_cast<impl*>(c)->metrics->connected = true; }
  static void on_down(natsConnection*, void* c) { static_cast<impl*>(c)->metrics->connected = false; }

  void discover() {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = o.request_timeout_ms;
    jsStreamInfoList* list = nullptr;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    if (js_Streams(&list, js, &jo, &jerr) != NATS_OK || !list) return;
    for (int i = 0; i < list->Count; ++i) {
      const auto* si = list->List[i];
      auto store = store_of_stream(si->Config);
      if (!store || consumers.count(*store)) continue;
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = si->Config->Name;
      so.Config.Durable = o.durable.c_str();
      so.Config.AckPolicy = js_AckExplicit;
      so.Config.AckWait = o.ack_wait_ms * 1000000;
      so.Config.MaxDeliver = -1;
      so.Config.MaxAckPending = 20000;
      natsSubscription* sub = nullptr;
      jerr = static_cast<jsErrCode>(0);
      const std::string subject = uplink::store_subjects(*store);
      const auto s = js_PullSubscribe(&sub, js, subject.c_str(), o.durable.c_str(), &jo, &so, &jerr);
      if (s != NATS_OK) {
        spdlog::warn("hq: cannot consume stream {} of store {}: {} ({})", si->Config->Name, *store,
                     natsStatus_GetText(s), static_cast<int>(jerr));
        continue;
      }
      spdlog::info("hq: consuming store {} from stream {} (durable consumer {})", *store, si->Config->Name, o.durable);
      consumers[*store] = consumer{si->Config->Name, sub};
    }
    jsStreamInfoList_Destroy(list);
    metrics->stores = consumers.size();
  }

  /// Fetches, folds, writes and acknowledges one batch of a store; the
  /// number of messages (0 none; -1 the consumer is broken and dropped).
  int pull(const std::string& store_id, consumer& c) {
    natsMsgList list{};
    jsFetchRequest req;
    jsFetchRequest_Init(&req);
    req.Batch = o.fetch_batch_max;
    req.NoWait = true;
    const auto s = natsSubscription_FetchRequest(&list, c.sub, &req);
    if (s == NATS_TIMEOUT || s == NATS_NOT_FOUND || (s == NATS_OK && list.Count == 0)) {
      natsMsgList_Destroy(&list);
      return 0;
    }
    if (s != NATS_OK) {
      natsMsgList_Destroy(&list);
      metrics->fetch_errors++;
      if (s != NATS_CONNECTION_DISCONNECTED && s != NATS_CONNECTION_CLOSED && s != NATS_NO_SERVER) {
        spdlog::warn("hq: fetch from {} failed ({}): consuming it anew", c.stream, natsStatus_GetText(s));
        natsSubscription_Destroy(c.sub);
        consumers.erase(store_id);
        return -1;
      }
      return 0;
    }
    enum class action { ack, term, nak };
    std::vector<action> actions(static_cast<std::size_t>(list.Count), action::ack);
    std::array<std::uint64_t, verdict_count> counts{};
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* m = list.Msgs[i];
      const char* subject = natsMsg_GetSubject(m);
      const std::string_view data(natsMsg_GetData(m), static_cast<std::size_t>(natsMsg_GetDataLength(m)));
      auto r = fold.ingest(subject ? subject : "", data);
      if (r.v == verdict::gap) {
        jsMsgMetaData* meta = nullptr;
        std::uint64_t delivered = 0;
        if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
          delivered = meta->NumDelivered;
          jsMsgMetaData_Destroy(meta);
        }
        if (delivered >= static_cast<std::uint64_t>(o.gap_redeliveries_max)) {
          fold.count_refusal(r.store);
          actions[i] = action::term;
          spdlog::warn("hq: store={} {}:{} still does not follow the chain after {} deliveries: refused", r.store,
                       r.origin, r.seq, delivered);
        } else {
          actions[i] = action::nak;
        }
      } else if (is_refused(r.v)) {
        actions[i] = action::term;
        spdlog::warn("hq: store={} refused a message on {} ({}:{}): {}", r.store.empty() ? "?" : r.store,
                     subject ? subject : "?", r.origin, r.seq, to_string(r.v));
      }
      counts[static_cast<std::size_t>(r.v)]++;
    }
    if (auto w = store->write(fold.take_writes()); !w) {
      fold.discard();
      std::lock_guard lock(mu);
      fatal = w.error().message;
      natsMsgList_Destroy(&list);
      return -2;
    }
    for (int i = 0; i < list.Count; ++i) {
      natsMsg* m = list.Msgs[i];
      switch (actions[static_cast<std::size_t>(i)]) {
        case action::ack: natsMsg_Ack(m, nullptr); break;
        case action::term: natsMsg_Term(m, nullptr); break;
        case action::nak: natsMsg_NakWithDelay(m, 500, nullptr); break;
      }
    }
    for (std::size_t v = 0; v < verdict_count; ++v) metrics->messages[v] += counts[v];
    metrics->batches++;
    metrics->unfolded = fold.unfolded();
    metrics->last_batch_ms = wall_ms();
    const int n = list.Count;
    natsMsgList_Destroy(&list);
    return n;
  }

  void run() {
    auto next_discover = std::chrono::steady_clock::time_point{};
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stop) return;
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_discover) {
        discover();
        next_discover = now + std::chrono::milliseconds(o.discover_interval_ms);
      }
      int got = 0;
      std::vector<std::string> stores;
      for (auto& [s, c] : consumers) stores.push_back(s);
      for (const auto& s : stores) {
        auto it = consumers.find(s);
        if (it == consumers.end()) continue;
        const int n = pull(s, it->second);
        if (n == -2) {
          spdlog::error("hq: {}: stopping ingest", fatal);
          return;
        }
        if (n > 0) got += n;
      }
      if (got == 0) {
        // Nothing anywhere: wait a little before asking again (bounds idle
        // polling; adds at most this much to sale -> HQ latency).
        std::unique_lock lock(mu);
        cv.wait_for(lock, std::chrono::milliseconds(10), [this] { return stop; });
      }
    }
  }
};

ingester::ingester(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
ingester::~ingester() = default;

std::string ingester::fatal() const {
  std::lock_guard lock(impl_->mu);
  return impl_->fatal;
}

expected<std::unique_ptr<ingester>> ingester::start(const ingester_options& o, chain_store& store,
                                                    hq_metrics& metrics) {
  if (o.url.rfind("nats://", 0) != 0 && o.url.rfind("tls://", 0) != 0) {
    return hq_error("--nats '" + o.url + "' must look like nats://HOST:PORT or tls://HOST:PORT");
  }
  for (const auto& [what, path] : {std::pair{"--credentials-file", o.credentials_file}, std::pair{"--tls-ca-file", o.tls_ca_file},
                                   std::pair{"--tls-cert-file", o.tls_cert_file}, std::pair{"--tls-key-file", o.tls_key_file}}) {
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      return hq_error(std::string(what) + " '" + path + "' is not a readable file");
    }
  }
  if (o.fetch_batch_max < 1 || o.fetch_batch_max > 10000) return hq_error("--fetch-batch must be in [1, 10000]");
  auto p = std::make_unique<impl>();
  p->o = o;
  p->store = &store;
  p->metrics = &metrics;
  auto fail = [](const std::string& what, natsStatus s) { return hq_error(what + ": " + natsStatus_GetText(s)); };
  natsStatus s = natsOptions_Create(&p->opts);
  if (s != NATS_OK) return fail("NATS options", s);
  if ((s = natsOptions_SetURL(p->opts, o.url.c_str())) != NATS_OK) return fail("--nats '" + o.url + "'", s);
  natsOptions_SetName(p->opts, "storenode-hq");
  natsOptions_SetMaxReconnect(p->opts, -1);
  natsOptions_SetReconnectWait(p->opts, 250);
  natsOptions_SetTimeout(p->opts, o.request_timeout_ms);
  natsOptions_SetRetryOnFailedConnect(p->opts, true, &impl::on_up, p.get());
  natsOptions_SetDisconnectedCB(p->opts, &impl::on_down, p.get());
  natsOptions_SetReconnectedCB(p->opts, &impl::on_up, p.get());
  if (!o.credentials_file.empty() &&
      (s = natsOptions_SetUserCredentialsFromFiles(p->opts, o.credentials_file.c_str(), nullptr)) != NATS_OK) {
    return fail("--credentials-file '" + o.credentials_file + "'", s);
  }
  if (o.url.rfind("tls://", 0) == 0 || !o.tls_ca_file.empty() || !o.tls_cert_file.empty()) {
    if ((s = natsOptions_SetSecure(p->opts, true)) != NATS_OK) return fail("TLS", s);
    if (!o.tls_ca_file.empty() && (s = natsOptions_LoadCATrustedCertificates(p->opts, o.tls_ca_file.c_str())) != NATS_OK) {
      return fail("--tls-ca-file '" + o.tls_ca_file + "'", s);
    }
    if (!o.tls_cert_file.empty() &&
        (s = natsOptions_LoadCertificatesChain(p->opts, o.tls_cert_file.c_str(), o.tls_key_file.c_str())) != NATS_OK) {
      return fail("--tls-cert-file '" + o.tls_cert_file + "'", s);
    }
  }
  s = natsConnection_Connect(&p->nc, p->opts);
  if (s == NATS_OK) metrics.connected = true;
  else if (s != NATS_NOT_YET_CONNECTED) return fail("connect to " + o.url, s);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = o.request_timeout_ms;
  if ((s = natsConnection_JetStream(&p->js, p->nc, &jo)) != NATS_OK) return fail("JetStream context", s);
  auto* raw = p.get();
  raw->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<ingester>(new ingester(std::move(p)));
}

} // namespace sn::hq
