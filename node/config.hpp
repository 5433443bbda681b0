// The node's configuration: one struct, read from one TOML file, every key
// overridable on the command line (STYLE.md rule 7). Each key has a
// description, a default and bounds, validated at start-up with a clear
// message. Store-wide keys (must match on every device: [store], [election], [clock],
// [sync]) are kept apart from device-local ones (top level, [http], [log]).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/expected.hpp"
#include "events/time_zone.hpp"

namespace sn::node {

struct store_wide_config {
  std::string id = "store";                     ///< the store's id in the chain (uplink subjects); [A-Za-z0-9_-]{1,64}
  std::string time_zone = "UTC";                ///< IANA zone of the business day; checked against tzdata
  std::int64_t utc_offset_minutes = 0;          ///< deprecated fixed offset (no DST); [-720, 840], 0 = unused
  std::int64_t heartbeat_interval_ms = 100;     ///< election heartbeat period; [10, 10000]
  std::int64_t failure_timeout_ms = 600;        ///< silence after which a peer is failed; [50, 60000]
  std::int64_t discovery_ms = 300;              ///< listen for a master at start-up; [0, 60000]
  std::int64_t handoff_timeout_ms = 2000;       ///< graceful hand-off bound; [100, 60000]
  std::string quorum = "any";                   ///< "any" (2-device stores) or "majority"
  std::int64_t sync_interval_ms = 1000;         ///< periodic version-vector exchange; [50, 600000]
  std::int64_t sync_batch_events_max = 1000;    ///< events per catch-up batch; [1, 100000]
  std::int64_t sync_batch_bytes_max = 1 << 20;  ///< bytes per catch-up batch; [4096, 64 MiB]
  std::int64_t clock_max_skew_ms = 60000;       ///< max-offset rule: remote HLCs further ahead of the wall clock are refused; [1000, 86400000]
  // Staff (issue 10; docs/api.md "Staff, sessions and permissions").
  std::int64_t session_idle_timeout_s = 900;        ///< a session ends this long after its last use; [60, 86400]
  std::int64_t sign_in_failures_max = 5;            ///< failed PINs per staff id or device that lock; [1, 100]
  std::int64_t sign_in_window_s = 60;               ///< ... within this window; [1, 3600]
  std::int64_t sign_in_lockout_s = 60;              ///< first lockout, doubled on repeat; [1, 3600]
  std::int64_t sign_in_lockout_max_s = 3600;        ///< doubling stops here; [1, 86400]
  std::int64_t pin_hash_opslimit = 6;               ///< Argon2id passes of new PIN hashes; [1, 10]
  std::int64_t pin_hash_memlimit_kib = 32768;       ///< Argon2id memory of new PIN hashes, KiB; [8, 1048576]
  std::int64_t cashier_return_limit_cents = 5000;   ///< a cashier's return refunds at most this, more needs a supervisor; [0, 10^12]
  std::int64_t cashier_discount_limit_cents = 0;    ///< a cashier's sale discounts at most this in total; [0, 10^12]
};

/// The uplink to head office (issue 14): this store's log streamed to NATS
/// JetStream by whichever device is master. Off while url is empty. Device-
/// local (each device may reach HQ differently), but every device of a store
/// should name the same stream.
struct uplink_keys {
  std::string url;                           ///< nats://HOST:PORT or tls://HOST:PORT (comma-separated list); "" = off
  std::string stream;                        ///< the store's JetStream stream; "" = storenode_<store.id>
  std::string credentials_file;              ///< NATS .creds file of this store (JWT + seed); "" none
  std::string tls_ca_file;                   ///< CA bundle of the NATS server; "" system default
  std::string tls_cert_file;                 ///< client certificate (mutual TLS); "" none
  std::string tls_key_file;                  ///< its private key
  std::int64_t stream_replicas = 1;          ///< replicas if the uplink creates the stream; [1, 5]
  std::int64_t in_flight_max = 4096;         ///< events published and not yet acknowledged; [1, 65536]
  std::int64_t batch_events_max = 512;       ///< events per publish batch; [1, 65536], <= in_flight_max
  std::int64_t retry_ms = 1000;              ///< wait after a failure before asking the stream again; [10, 600000]
  std::int64_t request_timeout_ms = 2000;    ///< NATS requests and publish acks; [100, 60000]
};

struct node_config {
  // device-local
  std::string device_id;                          ///< required; [A-Za-z0-9_.-]{1,64}
  std::string name;                               ///< human name; default = device_id
  std::int64_t priority = 0;                      ///< election priority, higher wins; [0, 1000000]
  std::string data_dir = "./data";                ///< event log directory
  std::string http = "127.0.0.1:8080";            ///< HTTP API HOST:PORT (loopback by default)
  std::string bind = "tcp://127.0.0.1:7000";      ///< what this device listens on (ROUTER PORT, PUB PORT+1); HOST may be a wildcard
  std::string advertised;                         ///< what peers dial; "" = bind, or this host's primary address for a wildcard bind
  std::vector<std::string> peers;                 ///< other devices' advertised addresses, dialled as written
  std::string durability = "fsync";               ///< "fsync" (default) or "os"
  std::string log_level = "info";                 ///< trace, debug, info, warn, error
  std::int64_t http_body_bytes_max = 1 << 20;     ///< larger request bodies get 413; [1024, 64 MiB]
  std::int64_t http_threads = 8;                  ///< HTTP worker threads; [1, 256]
  /// Push/pull sync audit rows this device keeps across restarts (device-local
  /// retention, oldest dropped first); [1, 100000].
  std::int64_t sync_audit_entries_max = 1000;
  std::int64_t http_connections_max = 1024;       ///< open HTTP connections, idle ones included; [16, 65536]
  std::int64_t checkpoint_interval_events = 10000;///< deprecated, ignored (projections write their rows with every batch)
  std::int64_t storage_cache_mb = 64;             ///< RocksDB block cache + write buffers, MiB; [8, 65536]
  /// At start-up, a projection further behind the log than this many events
  /// (a new row layout, a time zone change, a restored log) is folded in the
  /// background while the node serves; catalog, devices and staff, which the
  /// start-up reads, always fold first. [0, 10^12]
  std::int64_t fold_before_serving_events_max = 65536;
  std::int64_t message_bytes_max = 4 << 20;       ///< largest peer message; [64 KiB, 256 MiB]
  std::string scheduler = "stealing";             ///< actor scheduler: "stealing" (idle-tuned), "sharing", "stealing-busy"
  std::int64_t enrollment_code_ttl_s = 900;       ///< lifetime of the join codes this device issues; [5, 86400]
  store_wide_config store;
  uplink_keys uplink;
  /// The store's zone, loaded by parse_config (never a config key): from
  /// store.time_zone, or for a store still on the deprecated
  /// store.utc_offset_minutes the fixed zone of that offset.
  sn::time_zone zone;
  /// --allow-damaged (a flag, never a config key): start read-only for
  /// inspection when the start-up check finds the log damaged, instead of
  /// refusing to start (exit 3).
  bool allow_damaged = false;
  /// --admin-id (a flag, never a config key): the staff id of the admin that
  /// STORENODE_ADMIN_PIN bootstraps on a store without staff (node.cpp).
  std::string admin_id = "admin";
  /// --create-store (a flag, never a config key): this device creates the
  /// store, appending its genesis (store.created, then device.enrolled for
  /// itself) once; refused when the data dir already belongs to a store.
  bool create_store = false;
  /// --join CODE or STORENODE_JOIN_CODE (never a config key, never logged):
  /// the one-time code this device joins the store with on its first start.
  std::string join_code;
};

/// Parses argv (with an optional --config FILE read first, flags override it).
/// On --help, --version (when `version_text` is given), --print-config and
/// --print-example-config returns an error with code 0 whose message is the
/// text to print.
sn::expected<node_config> parse_config(int argc, char** argv, const std::string& version_text = "");

/// Renders the effective config as TOML (for `--print-config` and logs).
std::string to_toml(const node_config& c);

/// Renders a commented example config file from the key table: every key with
/// its description, flag, bounds and default. Keys still at their default are
/// commented out (`#key = default`); keys whose value in `c` differs from the
/// default are active (`storenode --data-dir /var/lib/storenode
/// --print-example-config` makes the packaged /etc/storenode/storenode.toml).
std::string example_toml(const node_config& c);

} // namespace sn::node
