// The node's HTTP/JSON API (docs/api.md). Keeps httplib.h and CAF out of
// this header: the server lives behind a pimpl.
//
// Threads: one gate thread (accepts, waits for whole requests, refuses bad
// framing) and a pool of http_threads workers; each request talks to the
// actors through a scoped actor and waits for the reply with a deadline.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "events/event.hpp"
#include "events/expected.hpp"

namespace caf {
class actor_system;
}

namespace sn::storage {
class event_log;
class projection_store;
}
namespace sn::actors {
class fold_progress;
}

namespace sn::node {

struct node_config;
class event_feed;

/// What the HTTP layer may use. Owned by the node; outlives the server.
struct http_services {
  caf::actor_system* system = nullptr;
  const node_config* config = nullptr;
  storage::event_log* log = nullptr;
  event_feed* feed = nullptr;
  /// The projections' rows (queries read them on the HTTP threads) and how
  /// far each projection has folded (read your writes).
  const storage::projection_store* rows = nullptr;
  actors::fold_progress* progress = nullptr;
  struct handles;                     ///< actor handles (defined in node.cpp's world)
  std::shared_ptr<handles> actors;
  /// Cluster view for /v1/status: role, term, master, peers (from election).
  std::function<nlohmann::json()> cluster_status;
  /// Sync view (the seed's sync_state) for /v1/status and /v1/sync/state.
  std::function<nlohmann::json()> sync_status;
  /// POST /v1/sync/now.
  std::function<void()> sync_now;
  /// POST /v1/master: returns (http status, JSON body text).
  std::function<std::pair<int, std::string>(const std::string& device)> request_master;
  /// Prometheus text of the transport and sync counters (appended to /metrics).
  std::function<std::string()> extra_metrics;
  /// Appends events the node records itself (staff.signed_in, ...) and
  /// waits until they are durable (node/auth.hpp).
  std::function<void(std::vector<event>)> record_events;
  /// POST /v1/devices/{id}/enrollment (device id, priority, admin's staff id):
  /// (http status, JSON body text).
  std::function<std::pair<int, std::string>(const std::string&, std::int32_t, const std::string&)> enroll_device;
  /// POST /v1/devices/{id}/revocation (device id, reason, admin's staff id).
  std::function<std::pair<int, std::string>(const std::string&, const std::string&, const std::string&)> revoke_device;
  /// POST /v1/devices/{id}/keys/rotation (device id, admin's staff id).
  std::function<std::pair<int, std::string>(const std::string&, const std::string&)> rotate_keys;
};

/// The HTTP API server: a connection gate (node/http_gate.hpp) that holds
/// idle and slow connections without a thread, and `http_threads` workers
/// that run cpp-httplib's request processing on complete requests.
class http_server {
public:
 /// Binds config.http (SO_REUSEADDR only) without serving yet, so that a
 /// port in use stops the node before it opens anything else. Error: the
 /// address is in use or not allowed (the message says which).
 ///
 /// Off loopback (tls::is_loopback_host: anything but 127.0.0.0/8, ::1 and
 /// localhost) it serves HTTPS only, with the data dir's identity/tls.crt
 /// and tls.key (checked against identity/ca.crt); without them it refuses
 /// with a message saying so — never plain HTTP off loopback.
 static sn::expected<std::unique_ptr<http_server>> bind(const node_config& config);
 /// True when config.http is off loopback (HTTPS only).
 static bool serves_https(const node_config& config);
 ~http_server();
 /// Serves `services` on background threads (the gate thread and the workers).
 void serve(http_services services);
 /// Stops accepting, closes idle connections and joins the workers (SSE
 /// streams end). Idempotent.
 void stop();

private:
  struct impl;
  explicit http_server(std::unique_ptr<impl> p);
  static sn::expected<std::unique_ptr<http_server>> bind_https(const node_config& config);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::node
