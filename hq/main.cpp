// storenode-hq: head office's consumer of every store's uplink stream.
//   storenode-hq --nats nats://HOST:PORT --data-dir DIR --http HOST:PORT
// Logs to stderr; stops cleanly on SIGTERM/SIGINT (exit 0). Exit 2: bad
// options or cannot start; exit 3: ingest stopped on a write error.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <ctime>
#include <pthread.h>

#include "hq/chain_store.hpp"
#include "hq/http_edge.hpp"
#include "hq/ingester.hpp"
#include "version/version.hpp"

int main(int argc, char** argv) {
  sn::hq::ingester_options o;
  std::string data_dir, http = "127.0.0.1:8090", log_level = "info";
  CLI::App app{"storenode-hq: consumes every store's event stream from NATS JetStream, verifies each device's hash "
               "chain and folds chain-wide views (sales by store and day, stock by store and SKU, devices and "
               "masters) into its own RocksDB, served over HTTP/JSON.",
               "storenode-hq"};
  app.add_option("--nats", o.url, "NATS server(s): nats://HOST:PORT or tls://HOST:PORT, comma-separated")->required();
  app.add_option("--data-dir", data_dir, "directory of HQ's RocksDB")->required();
  app.add_option("--http", http, "HTTP API HOST:PORT (default 127.0.0.1:8090)");
  app.add_option("--credentials-file", o.credentials_file, "NATS credentials file (.creds) of HQ's consumer user");
  app.add_option("--tls-ca-file", o.tls_ca_file, "CA bundle of the NATS servers");
  app.add_option("--tls-cert-file", o.tls_cert_file, "client certificate (mutual TLS)");
  app.add_option("--tls-key-file", o.tls_key_file, "its private key");
  app.add_option("--durable", o.durable, "durable consumer name on every store stream (default storenode_hq)");
  app.add_option("--fetch-batch", o.fetch_batch_max, "messages per fetch, 1..10000 (default 1024)");
  app.add_option("--discover-interval-ms", o.discover_interval_ms, "look for new store streams this often (default 2000)");
  app.add_option("--log-level", log_level, "trace|debug|info|warn|error (default info)");
  app.set_version_flag("--version", sn::version::version_text("storenode-hq"), "print the version and git commit and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  auto logger = spdlog::stderr_color_mt("storenode-hq");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [hq] %v");
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (o.discover_interval_ms < 100 || o.discover_interval_ms > 600000) {
    spdlog::error("--discover-interval-ms must be in [100, 600000]");
    return 2;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto store = sn::hq::chain_store::open(data_dir);
  if (!store) {
    spdlog::error("{}", store.error().message);
    return 2;
  }
  sn::hq::hq_metrics metrics;
  auto edge = sn::hq::http_edge::start(http, **store, metrics);
  if (!edge) {
    spdlog::error("{}", edge.error().message);
    return 2;
  }
  auto ingest = sn::hq::ingester::start(o, **store, metrics);
  if (!ingest) {
    spdlog::error("{}", ingest.error().message);
    return 2;
  }
  spdlog::info("storenode-hq: consuming {} into {}, serving http://{}", o.url, data_dir, http);
  int code = 0;
  for (;;) {
    timespec wait{1, 0};
    const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) {
      spdlog::info("storenode-hq: stopping on {}", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    if (auto f = (*ingest)->fatal(); !f.empty()) {
      spdlog::error("storenode-hq: ingest stopped: {}", f);
      code = 3;
      break;
    }
  }
  ingest->reset();
  edge->reset();
  store->reset();
  return code;
}
