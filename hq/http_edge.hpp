// storenode-hq's HTTP/JSON edge: the chain views (GET /v1/chain/stores,
// /v1/chain/reports/daily, /v1/chain/stock), /healthz and /metrics. The only
// place of hq/ that knows JSON and httplib (pimpl keeps httplib.h here).
// Threads: cpp-httplib's worker pool; reads the chain store concurrently
// with the ingest thread's writes.
#pragma once

#include <memory>
#include <string>

#include "events/expected.hpp"

namespace sn::hq {

class chain_store;
struct hq_metrics;

class http_edge {
public:
  /// Binds HOST:PORT (error: bad address or in use) and serves on a thread.
  static expected<std::unique_ptr<http_edge>> start(const std::string& host_port, const chain_store& store,
                                                    const hq_metrics& metrics);
  ~http_edge();  ///< stops serving and joins
  http_edge(const http_edge&) = delete;
  http_edge& operator=(const http_edge&) = delete;

private:
  struct impl;
  explicit http_edge(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

} // namespace sn::hq
