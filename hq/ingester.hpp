// storenode-hq's consumer: finds every store's stream on the NATS server
// (streams whose only subjects are storenode.<store>.events.*), keeps one
// durable pull consumer on each, and feeds what it fetches through the
// chain fold into the chain store, one atomic batch per fetch; only then are
// the messages acknowledged (at least once from NATS, exactly once in the
// views by the high-water mark). Keeps nats.h out of headers (pimpl).
//
// Threads: one ingest thread of its own (fetch, fold, write, ack) and
// libnats' threads. metrics are atomics read by the HTTP edge.
// Secrets: the credentials file is read by libnats; only its path is logged.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "events/expected.hpp"
#include "hq/chain_fold.hpp"

namespace sn::hq {

class chain_store;

struct ingester_options {
  std::string url;               ///< nats://HOST:PORT or tls://HOST:PORT (comma-separated)
  std::string credentials_file;  ///< "" none
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string durable = "storenode_hq";  ///< the durable consumer's name on every store stream
  int fetch_batch_max = 1024;            ///< messages per fetch; [1, 10000]
  std::int64_t discover_interval_ms = 2000;  ///< look for new store streams this often
  std::int64_t ack_wait_ms = 10000;      ///< a message not acked this long is redelivered
  std::int64_t gap_redeliveries_max = 60;  ///< a gap message delivered this often is refused (a forgery, never filled)
  std::int64_t request_timeout_ms = 2000;
};

struct hq_metrics {
  std::array<std::atomic<std::uint64_t>, verdict_count> messages{};  ///< by verdict
  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> fetch_errors{0};
  std::atomic<std::uint64_t> stores{0};
  std::atomic<std::uint64_t> unfolded{0};
  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> last_batch_ms{0};  ///< wall clock of the last written batch
};

class ingester {
public:
  /// Connects (retrying in the background) and starts the ingest thread.
  static expected<std::unique_ptr<ingester>> start(const ingester_options& options, chain_store& store,
                                                   hq_metrics& metrics);
  ~ingester();  ///< stops and joins the thread
  ingester(const ingester&) = delete;
  ingester& operator=(const ingester&) = delete;
  /// Non-empty once the thread stopped on an error it cannot get past (the store refused a write).
  std::string fatal() const;

private:
  struct impl;
  explicit ingester(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::hq
