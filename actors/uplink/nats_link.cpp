#include "actors/uplink/nats_link.hpp"

#include <nats/nats.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <unordered_map>

namespace sn::uplink {

namespace {

sn::error link_error(std::string msg) { return sn::error{"uplink", 3, std::move(msg)}; }

std::string nats_text(natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string t = natsStatus_GetText(s);
  if (code != 0) t += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return t;
}

/// Refuses a file option that names no readable file (a clear message
/// instead of libnats' generic one); never reads the content here.
sn::status check_file(const std::string& what, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return link_error("uplink: " + what + " '" + path + "' is not a readable file");
  }
  return sn::status::ok();
}

} // namespace

struct nats_link::impl {
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  std::int64_t timeout_ms = 2000;
  std::function<void()> wake;
  std::atomic<bool> closing{false};
  std::atomic<bool> up{false};

  struct pending {
    std::uint64_t generation;
    std::string origin;
    std::uint64_t seq;
  };
  std::mutex mu;  // guards everything below
  std::unordered_map<const natsMsg*, pending> in_flight;
  std::vector<publish_report> reports;
  std::vector<bool> link_changes;
  bool woken = false;

  ~impl() {
    closing = true;
    if (nc) natsConnection_Close(nc);
    if (js) jsCtx_Destroy(js);
    if (nc) natsConnection_Destroy(nc);
    if (opts) natsOptions_Destroy(opts);
  }

  /// Queues under `mu` (held by the caller) and wakes the owner once.
  void wake_locked(std::unique_lock<std::mutex>& lock) {
    if (woken || closing) return;
    woken = true;
    lock.unlock();
    if (wake) wake();
  }

  void link_changed(bool is_up) {
    up = is_up;
    std::unique_lock lock(mu);
    link_changes.push_back(is_up);
    wake_locked(lock);
  }

  static void on_connected(natsConnection*, void* closure) { static_cast<impl*>(closure)->link_changed(true); }
  static void on_disconnected(natsConnection*, void* closure) { static_cast<impl*>(closure)->link_changed(false); }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto* self = static_cast<impl*>(closure);
    {
      std::unique_lock lock(self->mu);
      auto it = self->in_flight.find(msg);
      if (it != self->in_flight.end() && !self->closing) {
        publish_report r;
        r.generation = it->second.generation;
        r.origin = std::move(it->second.origin);
        r.seq = it->second.seq;
        if (pa) {
          r.ok = true;
          r.stream_seq = pa->Sequence;
          r.duplicate = pa->Duplicate;
        } else if (pae) {
          r.ok = false;
          if (static_cast<int>(pae->ErrCode) == js_wrong_last_sequence) r.error = publish_error::wrong_last_sequence;
          else if (pae->Err == NATS_TIMEOUT) r.error = publish_error::timeout;
          else if (pae->Err == NATS_CONNECTION_CLOSED || pae->Err == NATS_NO_SERVER ||
                   pae->Err == NATS_CONNECTION_DISCONNECTED)
            r.error = publish_error::not_connected;
          else r.error = publish_error::other;
          r.text = pae->ErrText ? pae->ErrText : nats_text(pae->Err, pae->ErrCode);
        }
        self->in_flight.erase(it);
        self->reports.push_back(std::move(r));
        self->wake_locked(lock);
      } else if (it != self->in_flight.end()) {
        self->in_flight.erase(it);
      }
    }
    natsMsg_Destroy(msg);
  }
};

nats_link::nats_link(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
nats_link::~nats_link() = default;

expected<std::unique_ptr<nats_link>> nats_link::start(const nats_link_options& o, std::function<void()> wake) {
  if (o.url.rfind("nats://", 0) != 0 && o.url.rfind("tls://", 0) != 0) {
    return link_error("uplink.url '" + o.url + "' must start with nats:// or tls://");
  }
  for (const auto& [what, path] : {std::pair{"credentials_file", o.credentials_file}, std::pair{"tls_ca_file", o.tls_ca_file},
                                   std::pair{"tls_cert_file", o.tls_cert_file}, std::pair{"tls_key_file", o.tls_key_file}}) {
    if (!path.empty()) {
      if (auto s = check_file(what, path); !s) return s.error();
    }
  }
  if (o.tls_cert_file.empty() != o.tls_key_file.empty()) {
    return link_error("uplink: tls_cert_file and tls_key_file go together");
  }
  auto p = std::make_unique<impl>();
  p->timeout_ms = o.request_timeout_ms;
  p->wake = std::move(wake);
  auto fail = [](const std::string& what, natsStatus s) { return link_error("uplink: " + what + ": " + nats_text(s)); };
  natsStatus s = natsOptions_Create(&p->opts);
  if (s != NATS_OK) return fail("options", s);
  if ((s = natsOptions_SetURL(p->opts, o.url.c_str())) != NATS_OK) return fail("url '" + o.url + "'", s);
  if (!o.name.empty()) natsOptions_SetName(p->opts, o.name.c_str());
  natsOptions_SetMaxReconnect(p->opts, -1);
  natsOptions_SetReconnectWait(p->opts, 250);
  natsOptions_SetTimeout(p->opts, o.request_timeout_ms);
  // While disconnected, publishes are refused (the log is the backlog) rather
  // than buffered in memory: a small buffer, and the core stops on link loss.
  natsOptions_SetReconnectBufSize(p->opts, 256 * 1024);
  natsOptions_SetRetryOnFailedConnect(p->opts, true, &impl::on_connected, p.get());
  natsOptions_SetDisconnectedCB(p->opts, &impl::on_disconnected, p.get());
  natsOptions_SetReconnectedCB(p->opts, &impl::on_connected, p.get());
  if (!o.credentials_file.empty()) {
    if ((s = natsOptions_SetUserCredentialsFromFiles(p->opts, o.credentials_file.c_str(), nullptr)) != NATS_OK) {
      return fail("credentials_file '" + o.credentials_file + "'", s);
    }
  }
  if (o.url.rfind("tls://", 0) == 0 || !o.tls_ca_file.empty() || !o.tls_cert_file.empty()) {
    if ((s = natsOptions_SetSecure(p->opts, true)) != NATS_OK) return fail("TLS", s);
    if (!o.tls_ca_file.empty() && (s = natsOptions_LoadCATrustedCertificates(p->opts, o.tls_ca_file.c_str())) != NATS_OK) {
      return fail("tls_ca_file '" + o.tls_ca_file + "'", s);
    }
    if (!o.tls_cert_file.empty() &&
        (s = natsOptions_LoadCertificatesChain(p->opts, o.tls_cert_file.c_str(), o.tls_key_file.c_str())) != NATS_OK) {
      return fail("tls_cert_file '" + o.tls_cert_file + "'", s);
    }
  }
  s = natsConnection_Connect(&p->nc, p->opts);
  if (s == NATS_OK) {
    p->up = true;
    std::lock_guard lock(p->mu);
    p->link_changes.push_back(true);
  } else if (s != NATS_NOT_YET_CONNECTED) {
    return fail("connect to " + o.url, s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = o.request_timeout_ms;
  jo.PublishAsync.MaxPending = o.max_pending;
  jo.PublishAsync.AckHandler = &impl::on_ack;
  jo.PublishAsync.AckHandlerClosure = p.get();
  jo.PublishAsync.StallWait = o.request_timeout_ms;
  if ((s = natsConnection_JetStream(&p->js, p->nc, &jo)) != NATS_OK) return fail("JetStream context", s);
  return std::unique_ptr<nats_link>(new nats_link(std::move(p)));
}

bool nats_link::connected() const { return impl_->up.load(); }

expected<nats_link::stream_state> nats_link::ensure_stream(const std::string& stream, const std::string& subjects,
                                                           const std::string& allowed_prefix, int replicas) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = impl_->timeout_ms;
  o.Stream.Info.SubjectsFilter = subjects.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_GetStreamInfo(&si, impl_->js, stream.c_str(), &o, &jerr);
  if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    cfg.Name = stream.c_str();
    const char* subj[] = {subjects.c_str()};
    cfg.Subjects = subj;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = replicas;
    jerr = static_cast<jsErrCode>(0);
    s = js_AddStream(&si, impl_->js, &cfg, &o, &jerr);
    if (s != NATS_OK) return link_error("cannot create stream " + stream + ": " + nats_text(s, jerr));
  } else if (s != NATS_OK) {
    return link_error("stream info of " + stream + ": " + nats_text(s, jerr));
  }
  stream_state out;
  std::string foreign;
  if (si->Config) {
    for (int i = 0; i < si->Config->SubjectsLen; ++i) {
      const std::string sub = si->Config->Subjects[i];
      if (sub.rfind(allowed_prefix, 0) != 0) foreign = sub;
    }
  }
  out.last_seq = si->State.LastSeq;
  if (si->State.Subjects) {
    for (int i = 0; i < si->State.Subjects->Count; ++i) out.subjects.emplace_back(si->State.Subjects->List[i].Subject);
  }
  jsStreamInfo_Destroy(si);
  if (!foreign.empty()) {
    return link_error("stream " + stream + " also takes subject '" + foreign +
                      "': the uplink needs a stream of its store's subjects only (docs/operations.md, \"Chain\")");
  }
  return out;
}

namespace {
expected<std::optional<stored_message>> read_back(natsStatus s, jsErrCode jerr, natsMsg* msg, const std::string& what) {
  if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
    natsMsg_Destroy(msg);
    return std::optional<stored_message>{};
  }
  if (s != NATS_OK) {
    natsMsg_Destroy(msg);
    return link_error(what + ": " + nats_text(s, jerr));
  }
  stored_message m;
  m.subject = natsMsg_GetSubject(msg) ? natsMsg_GetSubject(msg) : "";
  m.stream_seq = natsMsg_GetSequence(msg);
  m.data.assign(natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
  natsMsg_Destroy(msg);
  return std::optional<stored_message>{std::move(m)};
}
} // namespace

expected<std::optional<stored_message>> nats_link::last_message(const std::string& stream, const std::string& subject) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = impl_->timeout_ms;
  natsMsg* msg = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetLastMsg(&msg, impl_->js, stream.c_str(), subject.c_str(), &o, &jerr);
  return read_back(s, jerr, msg, "last message of " + subject);
}

expected<std::optional<stored_message>> nats_link::message(const std::string& stream, std::uint64_t stream_seq) {
  jsOptions o;
  jsOptions_Init(&o);
  o.Wait = impl_->timeout_ms;
  natsMsg* msg = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  const natsStatus s = js_GetMsg(&msg, impl_->js, stream.c_str(), stream_seq, &o, &jerr);
  return read_back(s, jerr, msg, "message " + std::to_string(stream_seq) + " of " + stream);
}

status nats_link::publish(std::uint64_t generation, const std::string& subject, const std::string& msg_id,
                          std::uint64_t expected_last_subject_seq, const std::string& origin, std::uint64_t seq,
                          const std::string& data) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return link_error("message: " + nats_text(s));
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MsgId = msg_id.c_str();
  po.MaxWait = impl_->timeout_ms;
  if (expected_last_subject_seq == 0) po.ExpectNoMessage = true;
  else po.ExpectLastSubjectSeq = expected_last_subject_seq;
  const natsMsg* key = msg;
  {
    std::lock_guard lock(impl_->mu);
    impl_->in_flight.emplace(key, impl::pending{generation, origin, seq});
  }
  s = js_PublishMsgAsync(impl_->js, &msg, &po);
  if (s != NATS_OK) {
    {
      std::lock_guard lock(impl_->mu);
      impl_->in_flight.erase(key);
    }
    natsMsg_Destroy(msg);
    return link_error("publish " + msg_id + ": " + nats_text(s));
  }
  return status::ok();
}

std::vector<publish_report> nats_link::take_reports() {
  std::lock_guard lock(impl_->mu);
  impl_->woken = false;
  return std::exchange(impl_->reports, {});
}

std::vector<bool> nats_link::take_link_changes() {
  std::lock_guard lock(impl_->mu);
  impl_->woken = false;
  return std::exchange(impl_->link_changes, {});
}

} // namespace sn::uplink
