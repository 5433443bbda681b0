// The uplink's NATS adapter: one connection to the store's JetStream, the
// stream's position for a resync, and fenced asynchronous publishes whose
// outcomes come back as reports. Keeps nats.h out of every header (pimpl).
//
// Threads: libnats runs its own threads (I/O, reconnects, publish acks).
// Its callbacks only queue reports and call `wake` (at most once until the
// owner drains with take_reports); everything else is called by one owner
// thread (the uplink actor). resync() and ensure_stream() block for at most
// the request timeout each.
// Secrets: the credentials file is read by libnats; its path, never its
// content, may appear in errors and logs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/uplink/types.hpp"
#include "events/expected.hpp"

namespace sn::uplink {

struct nats_link_options {
  std::string url;               ///< nats://HOST:PORT or tls://HOST:PORT (comma-separated for a cluster)
  std::string credentials_file;  ///< NATS .creds (JWT + NKey seed); "" none
  std::string tls_ca_file;       ///< CA bundle that signs the server; "" system default (with tls://)
  std::string tls_cert_file;     ///< client certificate for mutual TLS; "" none
  std::string tls_key_file;      ///< its key
  std::string name;              ///< connection name the server shows
  std::int64_t request_timeout_ms = 2000;  ///< JetStream API calls and publish acks
  std::int64_t max_pending = 8192;         ///< async publishes in flight (must exceed the core's in_flight_max)
};

/// One publish's outcome.
struct publish_report {
  std::uint64_t generation = 0;
  std::string origin;
  std::uint64_t seq = 0;
  bool ok = false;
  std::uint64_t stream_seq = 0;
  bool duplicate = false;
  publish_error error = publish_error::other;
  std::string text;
};

/// A message read back from the stream.
struct stored_message {
  std::string subject;
  std::uint64_t stream_seq = 0;
  std::string data;
};

class nats_link {
public:
  /// Starts connecting (returns at once; a server that is down is retried
  /// forever in the background). Error: bad options (files, URL).
  static expected<std::unique_ptr<nats_link>> start(const nats_link_options& options, std::function<void()> wake);
  ~nats_link();
  nats_link(const nats_link&) = delete;
  nats_link& operator=(const nats_link&) = delete;

  bool connected() const;

  /// The stream's last sequence and per subject under `filter` its message
  /// count. Creates the stream (file storage, `subjects`, `replicas`) when it
  /// does not exist. Error when it exists with subjects beyond `allowed_prefix`.
  struct stream_state {
    std::uint64_t last_seq = 0;
    std::vector<std::string> subjects;  ///< subjects that hold messages
  };
  expected<stream_state> ensure_stream(const std::string& stream, const std::string& subjects,
                                       const std::string& allowed_prefix, int replicas);
  /// The last message of `subject`; nullopt when it has none.
  expected<std::optional<stored_message>> last_message(const std::string& stream, const std::string& subject);
  /// The message at `stream_seq`; nullopt when deleted or never there.
  expected<std::optional<stored_message>> message(const std::string& stream, std::uint64_t stream_seq);

  /// Publishes asynchronously with Nats-Msg-Id = msg_id and the expected last
  /// subject sequence (0: the subject must be empty). The outcome comes as a
  /// report. Error: not handed over (then no report follows).
  status publish(std::uint64_t generation, const std::string& subject, const std::string& msg_id,
                 std::uint64_t expected_last_subject_seq, const std::string& origin, std::uint64_t seq,
                 const std::string& data);

  /// Reports queued since the last call, in arrival order.
  std::vector<publish_report> take_reports();
  /// The connection's state changes since the last call (true = up).
  std::vector<bool> take_link_changes();

private:
  struct impl;
  explicit nats_link(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::uplink
