#include "node/config.hpp"

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>

#include "actors/uplink/types.hpp"
#include "broker/address.hpp"
#include "broker/frame.hpp"
#include "broker/peer_table.hpp"
#include "events/types.hpp"
#include "node/zoneinfo.hpp"

namespace sn::node {

namespace {

enum class errc : int { invalid = 1, help = 0 };

sn::error config_error(std::string msg) { return sn::error{"config", static_cast<int>(errc::invalid), std::move(msg)}; }

/// One configuration key: where it lives in TOML, its flag, what it means,
/// its bounds, and the field it sets.
struct key_spec {
  std::string path;  ///< "election.failure_timeout_ms"
  std::string flag;  ///< "--election.failure-timeout-ms"
  std::string description;
  enum class kind { integer, text, list } k;
  std::int64_t* integer = nullptr;
  std::int64_t lo = 0, hi = 0;
  std::string* text = nullptr;
  std::vector<std::string> allowed;  ///< empty: any text
  std::vector<std::string>* list = nullptr;
};

std::string default_flag(const std::string& path) {
  std::string f = "--" + path;
  for (auto& c : f) if (c == '_') c = '-';
  return f;
}

std::vector<key_spec> key_table(node_config& c) {
  using k = key_spec::kind;
  auto i = [](std::string path, std::string flag, std::string desc, std::int64_t* p, std::int64_t lo, std::int64_t hi) {
    return key_spec{path, flag.empty() ? default_flag(path) : flag, std::move(desc), k::integer, p, lo, hi, nullptr, {}, nullptr};
  };
  auto t = [](std::string path, std::string flag, std::string desc, std::string* p, std::vector<std::string> allowed = {}) {
    return key_spec{path, flag.empty() ? default_flag(path) : flag, std::move(desc), k::text, nullptr, 0, 0, p, std::move(allowed), nullptr};
  };
  auto l = [](std::string path, std::string flag, std::string desc, std::vector<std::string>* p) {
    return key_spec{path, flag.empty() ? default_flag(path) : flag, std::move(desc), k::list, nullptr, 0, 0, nullptr, {}, p};
  };
  auto& s = c.store;
  auto& u = c.uplink;
  return {
    t("device_id", "", "this device's id (required), [A-Za-z0-9_.-]{1,64}", &c.device_id),
    t("name", "", "human name of the device (default: device_id)", &c.name),
    i("priority", "", "election priority, higher wins (default 0)", &c.priority, 0, 1000000),
    t("data_dir", "", "event log directory (default ./data)", &c.data_dir),
    t("http", "", "HTTP API HOST:PORT (default 127.0.0.1:8080)", &c.http),
    t("bind", "", "peer address tcp://HOST:PORT to listen on; PUB listens on PORT+1; HOST may be 0.0.0.0 (default tcp://127.0.0.1:7000)", &c.bind),
    t("advertised", "", "address tcp://HOST:PORT peers are told to dial (default: bind; for a wildcard bind, this host's primary address at the bind port)", &c.advertised),
    l("peers", "--peer", "another device's address, dialled exactly as written (repeatable)", &c.peers),
    t("durability", "", "fsync (default): ack after fsync; os: ack after write to the OS", &c.durability, {"fsync", "os"}),
    t("log_level", "", "trace|debug|info|warn|error (default info)", &c.log_level, {"trace", "debug", "info", "warn", "error"}),
    i("http_body_bytes_max", "", "largest HTTP request body; larger gets 413 (default 1 MiB)", &c.http_body_bytes_max, 1024, 64 << 20),
    i("http_threads", "", "HTTP worker threads (default 8)", &c.http_threads, 1, 256),
    i("sync_audit_entries_max", "", "push/pull sync audit rows this device keeps across restarts, oldest dropped first (device-local, default 1000)", &c.sync_audit_entries_max, 1, 100000),
    i("http_connections_max", "", "open HTTP connections, idle ones included; more get 503 (default 1024)", &c.http_connections_max, 16, 65536),
    i("checkpoint_interval_events", "", "DEPRECATED, ignored: projections keep their rows in RocksDB, written with every fold batch (default 10000)", &c.checkpoint_interval_events, 1, 1000000000),
    i("storage.cache_mb", "", "RocksDB memory budget in MiB: one block cache shared by the log and every projection, write buffers charged to it (default 64)", &c.storage_cache_mb, 8, 65536),
    i("projections.fold_before_serving_events_max", "", "at start-up, a projection further behind the log than this many events (a new row layout, a time zone change, a restored log) folds in the background while the node serves; catalog, devices and staff always fold first (default 65536)", &c.fold_before_serving_events_max, 0, 1000000000000),
    i("message_bytes_max", "", "largest peer message in bytes (default 4 MiB)", &c.message_bytes_max, 64 << 10, 256 << 20),
    t("scheduler", "", "actor scheduler: stealing (default; work stealing whose idle workers sleep until work arrives: an idle node uses < 1% CPU), sharing (one shared queue) or stealing-busy (CAF's default polling; the benchmark baseline)", &c.scheduler, {"stealing", "sharing", "stealing-busy"}),
    i("enrollment.code_ttl_s", "", "lifetime of a join code this device issues, in seconds (default 900 = 15 min)", &c.enrollment_code_ttl_s, 5, 86400),
    t("store.time_zone", "", "IANA time zone of the store's business days, daylight saving included, e.g. Europe/Berlin (store-wide, default UTC; checked against the system tzdata)", &s.time_zone),
    i("store.utc_offset_minutes", "", "DEPRECATED, use store.time_zone: a fixed business day offset from UTC in minutes, no daylight saving (store-wide, default 0 = unused)", &s.utc_offset_minutes, -720, 840),
    t("store.id", "", "the store's id in the chain: the token of its uplink subjects storenode.<id>.events.<origin> and of its default stream (store-wide, default store; [A-Za-z0-9_-]{1,64}; give every store of a chain its own)", &s.id),
    i("election.heartbeat_interval_ms", "", "heartbeat period (store-wide, default 100)", &s.heartbeat_interval_ms, 10, 10000),
    i("election.failure_timeout_ms", "", "silence before a peer is failed (store-wide, default 600)", &s.failure_timeout_ms, 50, 60000),
    i("election.discovery_ms", "", "listen for a live master at start-up (store-wide, default 300)", &s.discovery_ms, 0, 60000),
    i("election.handoff_timeout_ms", "", "graceful hand-off bound (store-wide, default 2000)", &s.handoff_timeout_ms, 100, 60000),
    t("election.quorum", "", "any (default; 2-device stores fail over) or majority (3+ devices, never two masters)", &s.quorum, {"any", "majority"}),
    i("sync.interval_ms", "", "periodic version-vector exchange (store-wide, default 1000)", &s.sync_interval_ms, 50, 600000),
    i("sync.batch_events_max", "", "events per catch-up batch (store-wide, default 1000)", &s.sync_batch_events_max, 1, 100000),
    i("sync.batch_bytes_max", "", "bytes per catch-up batch (store-wide, default 1 MiB)", &s.sync_batch_bytes_max, 4096, 64 << 20),
    i("clock.max_skew_ms", "", "an event whose HLC is more than this ahead of this device's wall clock is not appended and does not move its clock; it is retried when in range (store-wide, default 60000 = 1 min; see docs/operations.md, Clocks)", &s.clock_max_skew_ms, 1000, 86400000),
    i("staff.session_idle_timeout_s", "", "a staff session ends this many seconds after its last request (store-wide, default 900)", &s.session_idle_timeout_s, 60, 86400),
    i("staff.sign_in_failures_max", "", "failed PINs for one staff id, or on this device, that lock sign-in (store-wide, default 5)", &s.sign_in_failures_max, 1, 100),
    i("staff.sign_in_window_s", "", "window of staff.sign_in_failures_max in seconds (store-wide, default 60)", &s.sign_in_window_s, 1, 3600),
    i("staff.sign_in_lockout_s", "", "first sign-in lockout in seconds, doubled on each repeat (store-wide, default 60)", &s.sign_in_lockout_s, 1, 3600),
    i("staff.sign_in_lockout_max_s", "", "longest sign-in lockout in seconds (store-wide, default 3600)", &s.sign_in_lockout_max_s, 1, 86400),
    i("staff.pin_hash_opslimit", "", "Argon2id passes of new PIN hashes (store-wide, default 6: with 32 MiB ~60 ms on a 2-core VM)", &s.pin_hash_opslimit, 1, 10),
    i("staff.pin_hash_memlimit_kib", "", "Argon2id memory of new PIN hashes in KiB (store-wide, default 32768)", &s.pin_hash_memlimit_kib, 8, 1048576),
    i("staff.cashier_return_limit_cents", "", "largest refund a cashier may give without a supervisor (store-wide, default 5000)", &s.cashier_return_limit_cents, 0, 1000000000000),
    i("staff.cashier_discount_limit_cents", "", "largest total discount a cashier may give on one sale without a supervisor (store-wide, default 0)", &s.cashier_discount_limit_cents, 0, 1000000000000),
    t("uplink.url", "", "NATS server(s) of head office, nats://HOST:PORT or tls://HOST:PORT, comma-separated; the master streams the store's log there (default empty: uplink off)", &u.url),
    t("uplink.stream", "", "the store's JetStream stream (default storenode_<store.id>; created if missing)", &u.stream),
    t("uplink.credentials_file", "", "NATS credentials file (.creds) of this store; the path only, never the secret, goes in logs (default none)", &u.credentials_file),
    t("uplink.tls_ca_file", "", "CA bundle that signs the NATS server's certificate (default: system CAs with tls://)", &u.tls_ca_file),
    t("uplink.tls_cert_file", "", "client certificate for mutual TLS (default none)", &u.tls_cert_file),
    t("uplink.tls_key_file", "", "private key of uplink.tls_cert_file (default none)", &u.tls_key_file),
    i("uplink.stream_replicas", "", "replicas of the stream when the uplink creates it (default 1; 3 on an HQ cluster)", &u.stream_replicas, 1, 5),
    i("uplink.in_flight_max", "", "events published and not yet acknowledged (default 4096)", &u.in_flight_max, 1, 65536),
    i("uplink.batch_events_max", "", "events per publish batch (default 512; at most uplink.in_flight_max)", &u.batch_events_max, 1, 65536),
    i("uplink.retry_ms", "", "wait after a failed publish or resync before asking the stream again (default 1000)", &u.retry_ms, 10, 600000),
    i("uplink.request_timeout_ms", "", "NATS request and publish-ack timeout (default 2000)", &u.request_timeout_ms, 100, 60000),
  };
}

sn::status check_bounds(const key_spec& k) {
  if (k.k == key_spec::kind::integer && (*k.integer < k.lo || *k.integer > k.hi)) {
    return config_error(k.path + " = " + std::to_string(*k.integer) + " is out of bounds [" + std::to_string(k.lo) +
                        ", " + std::to_string(k.hi) + "]: " + k.description);
  }
  if (k.k == key_spec::kind::text && !k.allowed.empty()) {
    for (auto& a : k.allowed) if (*k.text == a) return sn::status::ok();
    std::string all;
    for (auto& a : k.allowed) all += (all.empty() ? "" : ", ") + a;
    return config_error(k.path + " = \"" + *k.text + "\" is not one of: " + all);
  }
  return sn::status::ok();
}

sn::status load_toml(const std::string& file, std::vector<key_spec>& keys) {
  toml::table tbl;
  try {
    tbl = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << "config file " << file << ": " << e.description() << " at line " << e.source().begin.line;
    return config_error(os.str());
  }
  // Every key in the file must be known: a typo must not silently keep a default.
  std::vector<std::string> seen;
  std::function<sn::status(const toml::table&, const std::string&)> walk = [&](const toml::table& t, const std::string& prefix) -> sn::status {
    for (auto&& [name, node] : t) {
      std::string path = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
      if (auto sub = node.as_table()) {
        if (auto s = walk(*sub, path); !s) return s;
        continue;
      }
      key_spec* spec = nullptr;
      for (auto& k : keys) if (k.path == path) spec = &k;
      if (!spec && path.rfind("curve.", 0) == 0) {
        return config_error("config file " + file + ": '" + path + "': the hand-kept curve.* keys are gone: CURVE is "
                            "always on with keys from enrollment (docs/operations.md, \"Migrating from curve.* keys\")");
      }
      if (!spec) return config_error("config file " + file + ": unknown key '" + path + "'");
      switch (spec->k) {
        case key_spec::kind::integer:
          if (auto v = node.value<std::int64_t>()) *spec->integer = *v;
          else return config_error("config file " + file + ": " + path + " must be an integer");
          break;
        case key_spec::kind::text:
          if (auto v = node.value<std::string>()) *spec->text = *v;
          else return config_error("config file " + file + ": " + path + " must be a string");
          break;
        case key_spec::kind::list:
          if (auto arr = node.as_array()) {
            spec->list->clear();
            for (auto&& el : *arr) {
              if (auto v = el.value<std::string>()) spec->list->push_back(*v);
              else return config_error("config file " + file + ": " + path + " must be an array of strings");
            }
          } else {
            return config_error("config file " + file + ": " + path + " must be an array of strings");
          }
          break;
      }
    }
    return sn::status::ok();
  };
  return walk(tbl, "");
}

/// Sets c.zone from store.time_zone (read from the system tzdata), or from
/// the deprecated store.utc_offset_minutes of a store not yet migrated.
sn::status load_zone(node_config& c) {
  if (c.store.utc_offset_minutes != 0) {
    if (c.store.time_zone != "UTC") {
      return config_error("store.utc_offset_minutes is deprecated and cannot be combined with store.time_zone = \"" +
                          c.store.time_zone +
                          "\": remove store.utc_offset_minutes (docs/operations.md, \"Time zone\")");
    }
    c.zone = sn::time_zone::fixed(static_cast<std::int32_t>(c.store.utc_offset_minutes));
    return sn::status::ok();
  }
  auto zone = load_time_zone(c.store.time_zone);
  if (!zone) return config_error("store.time_zone: " + zone.error().message);
  c.zone = std::move(*zone);
  return sn::status::ok();
}

} // namespace

sn::expected<node_config> parse_config(int argc, char** argv, const std::string& version_text) {
  node_config c;
  auto keys = key_table(c);
  // Pass 1: only --config, so that the file is read before flags override it.
  std::string config_file;
  for (int a = 1; a < argc; ++a) {
    std::string arg = argv[a];
    if (arg == "--config" && a + 1 < argc) config_file = argv[a + 1];
    else if (arg.rfind("--config=", 0) == 0) config_file = arg.substr(9);
  }
  if (!config_file.empty()) {
    if (auto s = load_toml(config_file, keys); !s) return s.error();
  }
  CLI::App app{"storenode: the event-sourced store node of one retail device.\n"
               "Every config key can be set in the TOML file given by --config or by its flag.",
               "storenode"};
  app.set_help_flag("-h,--help", "print this help and exit");
  if (!version_text.empty()) app.set_version_flag("--version", version_text, "print the version and git commit and exit");
  app.add_option("--config", config_file, "TOML config file");
  bool print_config = false;
  app.add_flag("--print-config", print_config, "print the effective config as TOML and exit");
  app.add_flag("--allow-damaged", c.allow_damaged,
               "when the start-up check finds the log damaged, start read-only for inspection (no commands, no "
               "peers) instead of exiting with code 3");
  app.add_option("--admin-id", c.admin_id,
                 "the first admin's staff id when STORENODE_ADMIN_PIN (environment, never a flag) bootstraps one on a "
                 "store without staff (default admin)");
  app.add_flag("--create-store", c.create_store,
               "create the store on this device: append its genesis (store.created and this device's "
               "device.enrolled with its public keys) once, then run; refused if the data dir already belongs to a "
               "store (docs/operations.md, \"Creating a store\")");
  bool print_example = false;
  app.add_flag("--print-example-config", print_example,
               "print a config file with every key commented (meaning, flag, bounds, default) and exit; keys set by "
               "--config or flags are active in it");
  app.add_option("--join", c.join_code,
                 "join the store with a one-time code from `storectl devices enroll ID` (better: the environment "
                 "variable STORENODE_JOIN_CODE, not seen in ps); needs --peer of the device that issued it");
  // Flags write into the struct; values from the file are their defaults.
  std::vector<std::string> list_override_flags;
  for (auto& k : keys) {
    switch (k.k) {
      case key_spec::kind::integer: app.add_option(k.flag, *k.integer, k.description); break;
      case key_spec::kind::text: app.add_option(k.flag, *k.text, k.description); break;
      case key_spec::kind::list: app.add_option(k.flag, *k.list, k.description)->take_all(); break;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return sn::error{"config", static_cast<int>(errc::help), app.help()};
  } catch (const CLI::CallForVersion& e) {
    return sn::error{"config", static_cast<int>(errc::help), std::string(e.what()) + "\n"};
  } catch (const CLI::ParseError& e) {
    return config_error(e.what());
  }
  for (auto& k : keys) {
    if (auto s = check_bounds(k); !s) return s.error();
  }
  if (print_example) return sn::error{"config", static_cast<int>(errc::help), example_toml(c)};
  if (c.device_id.empty()) return config_error("device_id is required (--device-id or device_id in the config file)");
  if (!sn::valid_device_id(c.device_id)) {
    return config_error("device_id '" + c.device_id + "' is invalid: use 1-64 characters of A-Z a-z 0-9 _ . -");
  }
  if (c.name.empty()) c.name = c.device_id;
  if (auto b = broker::parse_address(c.bind); !b) return config_error("bind: " + b.error().message);
  if (!c.advertised.empty()) {
    auto a = broker::parse_address(c.advertised);
    if (!a) return config_error("advertised: " + a.error().message);
    if (broker::is_wildcard_host(a->host)) {
      return config_error("advertised '" + c.advertised + "' must name a host peers can dial, not a wildcard");
    }
  }
  for (auto& p : c.peers) {
    if (auto a = broker::parse_address(p); !a) return config_error("peer: " + a.error().message);
  }
  if (const auto most = broker::peer_table_limits{}.trusted_max; c.peers.size() > most) {
    return config_error(std::to_string(c.peers.size()) + " peers configured: at most " + std::to_string(most));
  }
  if (auto b = broker::parse_address(c.bind); b && b->port > 65533) {
    return config_error("bind: PORT must be at most 65533 (ROUTER at PORT, PUB at PORT+1, door at PORT+2)");
  }
  if (c.join_code.empty()) {
    if (char* env = std::getenv("STORENODE_JOIN_CODE"); env != nullptr && *env != '\0') {
      c.join_code = env;
      std::memset(env, 0, c.join_code.size());  // not left readable in /proc/<pid>/environ
      ::unsetenv("STORENODE_JOIN_CODE");
    }
  }
  if (!c.join_code.empty()) {
    if (c.create_store) return config_error("--join and --create-store exclude each other");
    if (c.peers.empty()) return config_error("--join needs --peer tcp://HOST:PORT of the device that issued the code");
  }
  if (c.http.find(':') == std::string::npos) return config_error("http '" + c.http + "' must look like HOST:PORT");
  if (c.store.failure_timeout_ms <= 2 * c.store.heartbeat_interval_ms) {
    return config_error("election.failure_timeout_ms must be more than twice election.heartbeat_interval_ms");
  }
  if (!uplink::valid_store_id(c.store.id)) {
    return config_error("store.id '" + c.store.id + "' is invalid: use 1-64 characters of A-Z a-z 0-9 _ -");
  }
  if (!c.uplink.url.empty() && c.uplink.url.rfind("nats://", 0) != 0 && c.uplink.url.rfind("tls://", 0) != 0) {
    return config_error("uplink.url '" + c.uplink.url + "' must look like nats://HOST:PORT or tls://HOST:PORT");
  }
  if (!c.uplink.stream.empty() && !uplink::valid_store_id(c.uplink.stream)) {
    return config_error("uplink.stream '" + c.uplink.stream + "' is invalid: use 1-64 characters of A-Z a-z 0-9 _ -");
  }
  if (c.uplink.batch_events_max > c.uplink.in_flight_max) {
    return config_error("uplink.batch_events_max must not exceed uplink.in_flight_max");
  }
  if (c.uplink.tls_cert_file.empty() != c.uplink.tls_key_file.empty()) {
    return config_error("uplink.tls_cert_file and uplink.tls_key_file go together");
  }
  if (auto s = load_zone(c); !s) return s.error();
  if (print_config) return sn::error{"config", static_cast<int>(errc::help), to_toml(c)};
  return c;
}

std::string to_toml(const node_config& c) {
  node_config copy = c;
  auto keys = key_table(copy);
  toml::table root;
  for (auto& k : keys) {
    toml::table* t = &root;
    std::string path = k.path;
    auto dot = path.find('.');
    std::string leaf = path;
    if (dot != std::string::npos) {
      auto section = path.substr(0, dot);
      leaf = path.substr(dot + 1);
      if (!root.contains(section)) root.insert(section, toml::table{});
      t = root[section].as_table();
    }
    switch (k.k) {
      case key_spec::kind::integer: t->insert_or_assign(leaf, *k.integer); break;
      case key_spec::kind::text: t->insert_or_assign(leaf, *k.text); break;
      case key_spec::kind::list: {
        toml::array arr;
        for (auto& v : *k.list) arr.push_back(v);
        t->insert_or_assign(leaf, std::move(arr));
        break;
      }
    }
  }
  std::ostringstream os;
  os << root << "\n";
  return os.str();
}

namespace {

/// `leaf = value` for one key, quoted and escaped by toml++.
std::string toml_line(const std::string& leaf, const key_spec& k) {
  toml::table t;
  switch (k.k) {
    case key_spec::kind::integer:
      t.insert(leaf, *k.integer);
      break;
    case key_spec::kind::text:
      t.insert(leaf, *k.text);
      break;
    case key_spec::kind::list: {
      toml::array arr;
      for (auto& v : *k.list) arr.push_back(v);
      t.insert(leaf, std::move(arr));
      break;
    }
  }
  std::ostringstream os;
  os << t;
  return os.str();
}

bool same_value(const key_spec& a, const key_spec& b) {
  switch (a.k) {
    case key_spec::kind::integer:
      return *a.integer == *b.integer;
    case key_spec::kind::text:
      return *a.text == *b.text;
    case key_spec::kind::list:
      return *a.list == *b.list;
  }
  return false;
}

} // namespace

std::string example_toml(const node_config& c) {
  node_config copy = c, defaults;
  auto keys = key_table(copy);
  auto default_keys = key_table(defaults);
  std::ostringstream os;
  os << "# storenode configuration (TOML), written by `storenode --print-example-config` from the\n"
        "# node's key table. A commented-out key (#key = value) keeps the default shown. Every key\n"
        "# can also be set by its flag, which wins over this file (storenode --help). Check the\n"
        "# effective configuration with: storenode --config FILE --print-config\n"
        "# Keys of [store], [election], [sync] and [clock] are store-wide: the same on every device.\n"
        "# An unknown key, a wrong type or a value out of bounds stops the node (exit code 2).\n";
  // Top-level keys first (a key after a [section] header belongs to it), then
  // each section in the order of the table.
  std::vector<std::string> sections{""};
  for (auto& k : keys) {
    auto dot = k.path.find('.');
    std::string section = dot == std::string::npos ? "" : k.path.substr(0, dot);
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) sections.push_back(section);
  }
  for (auto& section : sections) {
    if (!section.empty()) os << "\n[" << section << "]\n";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const auto& k = keys[i];
      auto dot = k.path.find('.');
      if ((dot == std::string::npos ? "" : k.path.substr(0, dot)) != section) continue;
      const std::string leaf = dot == std::string::npos ? k.path : k.path.substr(dot + 1);
      os << "\n# " << leaf << ": " << k.description << "\n# flag: " << k.flag;
      if (k.k == key_spec::kind::integer) os << "; bounds: " << k.lo << ".." << k.hi;
      if (!k.allowed.empty()) {
        os << "; one of:";
        for (auto& a : k.allowed) os << " " << a;
      }
      os << "\n";
      const bool is_default = same_value(k, default_keys[i]);
      if (!is_default) os << "# default: " << toml_line(leaf, default_keys[i]) << "\n";
      os << (is_default ? "#" : "") << toml_line(leaf, k) << "\n";
    }
  }
  return os.str();
}

} // namespace sn::node
