#include "node/node.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>

#include "actors/command_actor.hpp"
#include "actors/election/types.hpp"
#include "actors/election_actor.hpp"
#include "actors/fold_progress.hpp"
#include "actors/log_counters.hpp"
#include "actors/log_writer_actor.hpp"
#include "actors/projection_rows.hpp"
#include "actors/projections/decision_rows.hpp"
#include "actors/projections/devices.hpp"
#include "actors/projections/projection.hpp"
#include "actors/projections/projection_set.hpp"
#include "actors/retail/command_handler.hpp"
#include "actors/sync/types.hpp"
#include "actors/sync_actor.hpp"
#include "actors/uplink/types.hpp"
#include "actors/uplink_actor.hpp"
#include "broker/curve.hpp"
#include "broker/door.hpp"
#include "broker/transport.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "node/actor_handles.hpp"
#include "node/command_parser.hpp"
#include "node/event_feed.hpp"
#include "node/genesis.hpp"
#include "node/http_api.hpp"
#include "node/identity.hpp"
#include "trust/signature.hpp"
#include "tls/files.hpp"
#include "node/join_codes.hpp"
#include "node/join_protocol.hpp"
#include "node/join_tls.hpp"
#include "node/views_json/cluster_json.hpp"
#include "node/views_json/sync_json.hpp"
#include "node/membership.hpp"
#include "storage/checkpoint.hpp"
#include "storage/errc.hpp"
#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"
#include "actors/staff/pin.hpp"
#include "actors/projections/staff.hpp"
#include "node/query_service.hpp"
#include <cstring>
#include "storage/errc.hpp"
#include "storage/tail_check.hpp"

namespace sn::node {

namespace {

/// A command of the node's own (no staff, no idempotency key).
actors::command_request node_command(retail::command c) {
  actors::command_request r;
  r.command = std::move(c);
  return r;
}

std::uint64_t wall_clock_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

/// Turns the feed's subscriber messages into wake-ups for SSE streams.
caf::behavior feed_notifier(caf::event_based_actor*, event_feed* feed) {
  return {
    [feed](actors::committed_atom, const actors::committed_batch& b) {
      if (!b.events->empty()) feed->publish(b.events->back().position.value());
    },
  };
}

/// Where the broker's I/O thread delivers frames: filled in once the actors
/// exist; frames that arrive before are dropped (peers retry).
struct frame_routes {
  std::atomic<bool> ready{false};
  actors::election_actor election;
  actors::sync_actor sync;
  std::atomic<std::uint64_t> unknown_type{0};
};

std::string transport_metrics(const broker::transport& t, const frame_routes& r) {
  auto s = t.stats();
  std::string out;
  auto line = [&out](const char* name, const char* help, std::uint64_t v, const char* type = "counter") {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
           std::to_string(v) + "\n";
  };
  out += "# HELP storenode_peer_frames_total Peer frames by direction and channel.\n"
         "# TYPE storenode_peer_frames_total counter\n";
  out += "storenode_peer_frames_total{direction=\"in\",channel=\"pub\"} " + std::to_string(s.frames_in_pub) + "\n";
  out += "storenode_peer_frames_total{direction=\"in\",channel=\"direct\"} " + std::to_string(s.frames_in_direct) + "\n";
  out += "storenode_peer_frames_total{direction=\"out\",channel=\"pub\"} " + std::to_string(s.frames_out_pub) + "\n";
  out += "storenode_peer_frames_total{direction=\"out\",channel=\"direct\"} " + std::to_string(s.frames_out_direct) + "\n";
  out += "# HELP storenode_peer_frames_dropped_total Peer frames dropped, by reason.\n"
         "# TYPE storenode_peer_frames_dropped_total counter\n";
  out += "storenode_peer_frames_dropped_total{reason=\"malformed\"} " + std::to_string(s.dropped_malformed) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"oversized\"} " + std::to_string(s.dropped_oversized) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"unknown_version\"} " + std::to_string(s.dropped_unknown_version) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"unknown_type\"} " + std::to_string(r.unknown_type.load()) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"send_queue_full\"} " + std::to_string(s.send_queue_full) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"send_hwm\"} " + std::to_string(s.send_dropped_hwm) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"unproven\"} " + std::to_string(s.dropped_unproven) + "\n";
  out += "storenode_peer_frames_dropped_total{reason=\"send_no_peer\"} " + std::to_string(s.send_dropped_no_peer) + "\n";
  line("storenode_peer_bytes_in_total", "Bytes of valid inbound peer frames.", s.bytes_in);
  line("storenode_peer_bytes_out_total", "Bytes of outbound peer frames.", s.bytes_out);
  line("storenode_peer_auth_denied_total", "Peers refused by CURVE authentication.", s.auth_denied);
  line("storenode_peers", "Peers that count: configured and proven learned ones.", s.peers, "gauge");
  line("storenode_peers_probation", "Learned peer addresses being proven.", s.peers_probation, "gauge");
  line("storenode_peers_proven_total", "Learned addresses that proved themselves.", s.peers_proven);
  line("storenode_peers_refused_total", "Learned addresses refused (source share used or muted, probation full).",
       s.peers_refused);
  line("storenode_peers_evicted_total", "Learned addresses evicted (unproven in time, displaced, idle).",
       s.peers_evicted);
  line("storenode_peer_redials_total", "Peer sockets redialled after ZeroMQ gave up on them (protocol error).",
       s.redials);
  line("storenode_peer_disconnects_total", "Connections to peers that ended.", s.disconnects);
  return out;
}

/// Hands committed membership events (device.enrolled, device.revoked,
/// device.keys_rotated) to
/// the node, which refreshes the transport's ZAP allow-list (no restart).
caf::behavior membership_watcher(caf::event_based_actor*, std::function<void(const event&)> on_event) {
  return {
    [on_event](actors::committed_atom, const actors::committed_batch& b) {
      for (const auto& se : *b.events) {
        const auto t = static_cast<event_type>(se.ev.type);
        if (t == event_type::device_enrolled || t == event_type::device_revoked ||
            t == event_type::device_keys_rotated)
          on_event(se.ev);
      }
    },
  };
}

/// A joined device's grant, kept in node metadata until the members'
/// device.enrolled events arrive by sync: one line per member,
/// "id signing_hex curve_hex priority address".
std::string encode_member_lines(const std::vector<member_keys>& ms) {
  std::string out;
  for (const auto& m : ms) {
    out += m.device_id + " " + m.signing_key + " " + m.curve_key + " " + std::to_string(m.priority) + " " +
           (m.address.empty() ? "-" : m.address) + "\n";
  }
  return out;
}

std::vector<member_keys> decode_member_lines(const std::string& text) {
  std::vector<member_keys> out;
  std::istringstream in(text);
  member_keys m;
  std::string address;
  while (in >> m.device_id >> m.signing_key >> m.curve_key >> m.priority >> address) {
    m.address = address == "-" ? "" : address;
    out.push_back(m);
  }
  return out;
}

void setup_logging(const node_config& c) {
  auto logger = spdlog::stderr_color_mt("storenode");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + c.device_id + "] %v");
  spdlog::set_level(spdlog::level::from_str(c.log_level));
}

/// Blocks SIGTERM/SIGINT in every thread (threads inherit the mask) so that
/// the main thread can take them with sigwait.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

/// The running node: opens the log, restores state, wires the actors, the
/// peer transport and the HTTP API, and takes them down again in order.
/// Owned by run_node on the main thread.
class node_runtime {
public:
  node_runtime(const node_config& config, join_tls_hooks tls)
      : config_(config), tls_(std::move(tls)), codes_(join_options(config)) {}
  node_runtime(const node_runtime&) = delete;
  node_runtime& operator=(const node_runtime&) = delete;
  ~node_runtime() { stop_actors(); }

  /// Everything up to serving; 0 when serving, else the exit code (logged):
  /// exit_cannot_start, or exit_damaged_log when the log's tail is damaged
  /// and --allow-damaged was not given.
  int start() {
    if (config_.store.utc_offset_minutes != 0) {
      spdlog::warn(
          "config: store.utc_offset_minutes is deprecated (a fixed offset, no daylight saving): set "
          "store.time_zone to the store's IANA zone instead (docs/operations.md, \"Time zone\")");
    }
    spdlog::info("node: device={} business days in time zone {}", config_.device_id, config_.zone.name());
    // --create-store makes the store CA and this device's certificate first:
    // an HTTP address off loopback is served over HTTPS with it.
    if (config_.create_store && !make_store_trust()) return exit_cannot_start;
    // The HTTP port first: a port in use stops the node before it opens the
    // log or talks to peers (and SO_REUSEPORT is never set, so it is in use).
    auto http = http_server::bind(config_);
    if (!http) {
      spdlog::error("{}", http.error().message);
      return exit_cannot_start;
    }
    http_ = std::move(*http);
    if (const int code = open_log(); code != 0) return code;
    if (!restore()) return exit_cannot_start;
    spawn_core();
    if (!inspection_) {
      if (!start_peers()) return exit_cannot_start;
      register_self();
      if (!bootstrap_admin()) return exit_cannot_start;
    }
    http_->serve(services());
    if (inspection_) {
      spdlog::warn("node: device={} serving HTTP on http://{} READ-ONLY for inspection (--allow-damaged): no "
                   "commands, no peers",
                   config_.device_id, config_.http);
    } else {
      spdlog::info("node: device={} serving HTTP on {}://{} (peers at {}, bound at {})", config_.device_id,
                   http_server::serves_https(config_) ? "https" : "http", config_.http, transport_->address(),
                   config_.bind);
    }
    return 0;
  }

  /// Graceful stop: a master hands its role to the best client first (bounded
  /// by the hand-off timeout; the HTTP API keeps serving meanwhile), then HTTP,
  /// the actors and the transport stop.
  void stop() {
    hand_off();
    if (http_) http_->stop();
    http_.reset();
    stop_actors();
    system_.reset();
    log_.reset();
  }

private:
  /// Opens the log and checks its tail (storage/tail_check.hpp) before
  /// anything reads or writes it: 0, exit_cannot_start or exit_damaged_log.
  int open_log() {
    storage::log_options lo;
    lo.data_dir = config_.data_dir;
    lo.sync = config_.durability == "os" ? storage::durability::os : storage::durability::fsync;
    lo.block_cache_bytes = static_cast<std::size_t>(config_.storage_cache_mb) << 20;
    lo.projection_families = projection_names();
    auto opened = storage::event_log::open(lo);
    if (!opened) {
      spdlog::error("cannot open the event log: {}", opened.error().message);
      if (opened.error().code != static_cast<int>(storage::errc::corrupt)) return exit_cannot_start;
      return damaged({}, opened.error().message);
    }
    log_ = std::move(*opened);
    // A data dir belongs to one device: refuse to run it under another id.
    if (auto owner = log_->get_meta("device_id")) {
      if (*owner != config_.device_id) {
        spdlog::error("data dir {} belongs to device {}, not {}", config_.data_dir, *owner, config_.device_id);
        return exit_cannot_start;
      }
    } else if (auto s = log_->put_meta("device_id", config_.device_id); !s) {
      spdlog::error("cannot write node metadata: {}", s.error().message);
      return exit_cannot_start;
    }
    if (auto problems = storage::check_tail(*log_); !problems.empty()) return damaged(problems, "");
    if (const int code = open_identity(); code != 0) return code;
    // Where this node serves HTTP, for tools that only know the data dir
    // (`storectl backup --data DIR` asks the node holding DIR; meta key http.address).
    if (log_->get_meta(storage::meta_http_address) != std::optional<std::string>(config_.http)) {
      if (auto s = log_->put_meta(storage::meta_http_address, config_.http); !s) {
        spdlog::warn("cannot record the HTTP address in the data dir: {}", s.error().message);
      }
    }
    return 0;
  }

  /// This device's keys (made on its first start, node/identity.hpp), then
  /// with --create-store the store's genesis. 0 or exit_cannot_start.
  int open_identity() {
    // A member of a store is known to it by its keys (device.enrolled): new
    // ones would be refused by every other device, and the node would sell
    // alone. Typically a restored backup, which holds the log, not identity/.
    if (auto store = log_->get_meta(meta_store_id)) {
      if (const auto missing = missing_identity_files(config_.data_dir); !missing.empty()) {
        spdlog::error(
            "node: device={} data dir {} belongs to store {} but its key file{} {} missing, and the store knows this "
            "device by those keys: new ones would be refused by every other device. Restore identity/ (signing.key "
            "and curve.key, mode 0600) from the device's key backup, or give the device a new id with an empty data "
            "dir and enroll it (docs/operations.md, \"Backup and restore\"); no keys were made",
            config_.device_id, config_.data_dir, *store, missing.size() > 1 ? "s" : "",
            missing.size() > 1 ? missing[0] + " and " + missing[1] + " are" : missing[0] + " is");
        return exit_cannot_start;
      }
    }
    auto id = load_or_create_identity(config_.data_dir);
    if (!id) {
      spdlog::error("device keys: {}", id.error().message);
      return exit_cannot_start;
    }
    identity_ = std::move(*id);
    if (!finish_rotation()) return exit_cannot_start;
    // Public keys only: the secret halves never reach a log line.
    spdlog::info("node: device={} {} keys in {}/identity (signing {}, curve {})", config_.device_id,
                 identity_.created ? "made new" : "loaded", config_.data_dir, identity_.signing_public_hex(),
                 identity_.curve_public_hex());
    if (config_.create_store) return create_store();
    if (auto store = log_->get_meta(meta_store_id)) {
      spdlog::info("node: device={} member of store {}", config_.device_id, *store);
      if (!config_.join_code.empty()) {
        spdlog::warn("node: device={} already belongs to store {}: the join code was not used", config_.device_id,
                     *store);
      }
      return 0;
    }
    if (!config_.join_code.empty()) return join_store();
    spdlog::error(
        "node: device={} data dir {} belongs to no store. Either create the store on this device (storenode "
        "--create-store ...), or join it: an admin runs `storectl devices enroll {}` on an enrolled device, then "
        "start this one with STORENODE_JOIN_CODE=CODE (or --join CODE) and --peer tcp://HOST:PORT of that device "
        "(docs/operations.md, \"Enrolling a device\")",
        config_.device_id, config_.data_dir, config_.device_id);
    return exit_cannot_start;
  }

  /// A key rotation a crash interrupted (node/identity.hpp): next key files
  /// are kept as the current ones when this device's newest device.keys_rotated
  /// names them (the event is durable), and deleted otherwise. False: the
  /// files cannot be read, renamed or deleted (logged).
  bool finish_rotation() {
    auto next = pending_next_identity(config_.data_dir);
    if (!next) {
      spdlog::error("device keys: {}", next.error().message);
      return false;
    }
    if (!*next) return true;
    const std::string want = (*next)->signing_public_hex();
    bool recorded = false;
    if (auto rotation = newest_own_rotation()) recorded = rotation->second.signing_key == want;
    if (!recorded) {
      if (auto st = discard_next_identity(config_.data_dir); !st) {
        spdlog::error("device keys: {}", st.error().message);
        return false;
      }
      spdlog::warn("node: device={} a key rotation was not recorded before the node stopped: its new keys were "
                   "deleted, the device keeps its keys (rotate again)",
                   config_.device_id);
      return true;
    }
    if (auto st = commit_next_identity(config_.data_dir); !st) {
      spdlog::error("device keys: {}", st.error().message);
      return false;
    }
    auto id = load_or_create_identity(config_.data_dir);
    if (!id) {
      spdlog::error("device keys: {}", id.error().message);
      return false;
    }
    identity_ = std::move(*id);
    spdlog::info("node: device={} finished the key rotation its log records (signing {})", config_.device_id, want);
    return true;
  }

  /// This device's newest own device.keys_rotated and its seq, read from its
  /// newest own event down, at most `back_max` events (only called when a
  /// rotation was interrupted, or its append's answer was lost).
  std::optional<std::pair<std::uint64_t, device_keys_rotated>> newest_own_rotation(
      std::uint64_t back_max = ~std::uint64_t{0}) const {
    const device_id self{config_.device_id};
    const auto head = log_->head(self);
    const std::uint64_t top = head ? head->seq.value() : 0;
    for (std::uint64_t seq = top; seq >= 1 && top - seq < back_max; --seq) {
      auto own = log_->get(self, origin_seq{seq});
      if (!own || own->ev.type != static_cast<std::uint16_t>(event_type::device_keys_rotated)) continue;
      auto p = payload_of<device_keys_rotated>(own->ev);
      if (p && p->device_id == config_.device_id) return std::pair{seq, *p};
    }
    return std::nullopt;
  }

  static join_code_options join_options(const node_config& c) {
    join_code_options o;
    o.ttl_ms = static_cast<std::uint64_t>(c.enrollment_code_ttl_s) * 1000;
    return o;
  }

  /// --join: proves the code to the door of the first --peer (docs/protocol.md
  /// 2.5), keeps the grant (store id, every member's keys) in node metadata.
  /// 0, or exit_join_refused with the reason logged. The code is never logged.
  int join_store() {
    constexpr int reply_timeout_ms = 15'000;
    constexpr auto answer_wait = std::chrono::seconds(60);
    const auto key = derive_join_key(config_.join_code, config_.device_id);
    if (!key) {
      spdlog::error("--join: that is not a join code: 12 letters and digits like ABCD-EFGH-JKMN, from `storectl "
                    "devices enroll {}`",
                    config_.device_id);
      return exit_join_refused;
    }
    join_request req{config_.device_id, identity_.signing_public_hex(), identity_.curve_public_hex(),
                     tls_.make_request ? tls_.make_request() : std::string()};
    const std::string sealed = seal_join_request(req, *key);
    const std::string& peer = config_.peers.front();
    const auto deadline = std::chrono::steady_clock::now() + answer_wait;
    join_answer answer;
    for (bool warned = false;;) {
      auto reply = broker::door_request(peer, broker::door_kind::join_request, sealed, reply_timeout_ms);
      if (reply && reply->kind == broker::door_kind::join_reply) {
        answer = open_join_reply(reply->body, *key);
        break;
      }
      const std::string why = reply ? "an unexpected answer" : reply.error().message;
      if (std::chrono::steady_clock::now() >= deadline) {
        spdlog::error("--join: no answer from {} (its door at PORT+2): {}; is it running and is --peer its address?",
                      peer, why);
        return exit_join_refused;
      }
      if (!warned) spdlog::warn("--join: waiting for {}: {}", peer, why);
      warned = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    if (answer.refusal != join_refusal::none) {
      spdlog::error("--join: {} refused the join code ({}): {}", peer, to_string(answer.refusal),
                    answer.message.empty() ? advice(answer.refusal) : answer.message);
      return exit_join_refused;
    }
    auto& grant = *answer.grant;
    for (auto& m : grant.members) {
      // The enrolling device is reached where we just reached it (its
      // advertised address may be one this device cannot dial).
      if (m.device_id == grant.enrolled_by) m.address = peer;
    }
    bool self_listed = false;
    for (const auto& m : grant.members) {
      self_listed = self_listed || (m.device_id == config_.device_id && m.curve_key == identity_.curve_public_hex());
    }
    if (grant.store_id.size() != 32 || !self_listed) {
      spdlog::error("--join: {} sent a grant that does not list this device's keys: nothing stored", peer);
      return exit_join_refused;
    }
    if (tls_.install && !tls_.install(grant.tls_grant)) {
      spdlog::error("--join: the store's TLS grant could not be installed: nothing stored");
      return exit_join_refused;
    }
    if (auto st = log_->put_meta(meta_join_members, encode_member_lines(grant.members)); !st) {
      spdlog::error("cannot write node metadata: {}", st.error().message);
      return exit_cannot_start;
    }
    if (auto st = log_->put_meta(meta_store_id, grant.store_id); !st) {
      spdlog::error("cannot write node metadata: {}", st.error().message);
      return exit_cannot_start;
    }
    spdlog::info("node: device={} joined store {} through {} (enrolled by {}, {} members)", config_.device_id,
                 grant.store_id, peer, grant.enrolled_by, grant.members.size());
    return 0;
  }

  /// What the log writer signs own events with: the device's key under its
  /// store (meta store.id); nullopt while the device belongs to no store.
  std::optional<actors::writer_signer> signer() const {
    auto store = log_->get_meta(meta_store_id);
    if (!store) return std::nullopt;
    actors::writer_signer s;
    s.store_id = *store;
    std::copy(identity_.signing_secret.begin(), identity_.signing_secret.end(), s.secret.begin());
    return s;
  }

  /// The store CA (identity/ca.key 0600, ca.crt) and this device's TLS key
  /// and certificate, for every address it may be reached at: the HTTP
  /// bind's host, this machine's addresses when it binds all of them, its
  /// host name and loopback. Kept when a CA is there already. Never logs a key.
  bool make_store_trust() {
    const tls::tls_files f = tls::files_in(config_.data_dir);
    if (::access(f.ca_cert.c_str(), F_OK) == 0) return true;
    const std::vector<std::string> sans = certificate_sans(config_);
    if (auto s = tls::create_store_trust(config_.data_dir, config_.store.id, config_.device_id, sans); !s) {
      spdlog::error("--create-store: cannot make the store CA: {}", s.error().message);
      return false;
    }
    std::string list;
    for (const auto& s : sans) list += (list.empty() ? "" : ",") + s;
    spdlog::info("node: device={} made the store CA ({}) and this device's HTTPS certificate for {}", config_.device_id,
                 f.ca_cert, list);
    return true;
  }

  /// --create-store: appends store.created and this device's device.enrolled
  /// as its next own events, once. Refused when the data dir already belongs
  /// to a store (meta store.id, or a store.created among its own events: a
  /// crash between the append and the meta write).
  int create_store() {
    if (auto store = log_->get_meta(meta_store_id)) {
      spdlog::error("--create-store: data dir {} already belongs to store {}", config_.data_dir, *store);
      return exit_cannot_start;
    }
    const device_id self{config_.device_id};
    const auto head = log_->head(self);
    for (std::uint64_t seq = 1; head && seq <= head->seq.value(); ++seq) {
      auto own = log_->get(self, origin_seq{seq});
      if (own && own->ev.type == static_cast<std::uint16_t>(event_type::store_created)) {
        auto p = payload_of<store_created>(own->ev);
        const std::string existing = p ? p->store_id : std::string("?");
        if (auto s = log_->put_meta(meta_store_id, existing); !s) {
          spdlog::error("cannot write node metadata: {}", s.error().message);
          return exit_cannot_start;
        }
        spdlog::error("--create-store: this device already created store {} (seq {})", existing, seq);
        return exit_cannot_start;
      }
    }
    genesis_input in;
    in.store_id = random_store_id();
    in.name = config_.store.id;
    in.device_id = config_.device_id;
    in.priority = static_cast<std::int32_t>(config_.priority);
    in.signing_key_hex = identity_.signing_public_hex();
    in.curve_key_hex = identity_.curve_public_hex();
    if (head) {
      auto newest = log_->get(self, head->seq);
      if (!newest) {
        spdlog::error("--create-store: cannot read this device's newest event {}:{}", config_.device_id,
                      head->seq.value());
        return exit_cannot_start;
      }
      in.own_head = genesis_input::head{head->seq.value(), head->hash, newest->ev.hlc};
    }
    in.wall_ms = wall_clock_ms();
    if (auto term = log_->get_meta("election.term")) in.term = std::strtoull(term->c_str(), nullptr, 10);
    // Seam for issue 10 (Staff): the store's first admin (--admin-id, PIN from
    // STORENODE_ADMIN_PIN or a TTY prompt) belongs in this same append, after
    // device.enrolled: add its event to `events` before the append below.
    const auto events = genesis_events(in);
    storage::append_options ao;
    ao.sealed_here = events.size();
    // Self-signed (docs/protocol.md 1.7): the creator's signature of its
    // device.enrolled vouches for the genesis and every own event before it.
    trust::secret_key secret{};
    std::copy(identity_.signing_secret.begin(), identity_.signing_secret.end(), secret.begin());
    const std::vector<trust::origin_signature> sigs{
        {config_.device_id, events.back().seq.value(),
         trust::sign(secret, in.store_id, config_.device_id, events.back().seq.value(), events.back().hash)}};
    secret.fill(0);
    ao.signatures = &sigs;
    auto appended = log_->append(events, {}, ao);
    if (!appended || appended->appended != events.size()) {
      spdlog::error("--create-store: the genesis was not appended: {}",
                    appended ? std::string(storage::to_string(appended->outcomes.front())) : appended.error().message);
      return exit_cannot_start;
    }
    if (auto s = log_->put_meta(meta_store_id, in.store_id); !s) {
      spdlog::error("cannot write node metadata: {}", s.error().message);
      return exit_cannot_start;
    }
    spdlog::info("node: device={} created store {} (name {}): store.created {}:{}, device.enrolled {}:{}",
                 config_.device_id, in.store_id, in.name, config_.device_id, events[0].seq.value(), config_.device_id,
                 events[1].seq.value());
    return 0;
  }

  /// The log is damaged: refuse to start, or with --allow-damaged reopen it
  /// read-only (a RocksDB secondary: nothing is ever written) for inspection.
  int damaged(const std::vector<storage::tail_problem>& problems, const std::string& open_error) {
    for (const auto& p : problems) {
      spdlog::error("damaged log in {}: {}", config_.data_dir, storage::to_string(p));
    }
    spdlog::error("the event log in {} is damaged{}; run `storectl audit verify --data {}` to see every problem{}",
                  config_.data_dir, open_error.empty() ? "" : " (" + open_error + ")", config_.data_dir,
                  config_.allow_damaged ? "" : ", or start with --allow-damaged to inspect it read-only");
    if (!config_.allow_damaged) return exit_damaged_log;
    log_.reset();
    storage::log_options lo;
    lo.data_dir = config_.data_dir;
    lo.mode = storage::open_mode::read_only;
    lo.block_cache_bytes = static_cast<std::size_t>(config_.storage_cache_mb) << 20;
    lo.projection_families = projection_names();
    auto opened = storage::event_log::open(lo);
    if (!opened) {
      spdlog::error("cannot open the event log read-only: {}", opened.error().message);
      return exit_damaged_log;
    }
    log_ = std::move(*opened);
    inspection_ = true;
    return 0;
  }

  /// The projections (caught up with the log), then the command side's
  /// decision state read from their rows: no log replay (issue 12). The
  /// clock starts after each origin's newest event.
  bool restore() {
    if (!restore_projections()) return false;
    const auto started = std::chrono::steady_clock::now();
    const device_id self{config_.device_id};
    handler_ = std::make_unique<retail::command_handler>(
        settings(), self, actors::make_decision_source(*projection_store_, *log_, self, *progress_, settings()));
    const auto view = projection_store_->snapshot();
    const auto family = [this](const char* name) { return *set_->index_of(name); };
    const actors::stored_rows catalog(*projection_store_, family("catalog"), view.get());
    const actors::stored_rows sales(*projection_store_, family("sales"), view.get());
    const actors::stored_rows devices(*projection_store_, family("devices"), view.get());
    projections::load_decision_state(catalog, sales, handler_->state());
    const bool counters_from_log = own_counters_.valid();
    if (counters_from_log) {
      // The counter row has not seen every own sale yet: the next receipt
      // number comes from this device's own events in the log (read beside
      // the start-up fold, restore_projections).
      const auto counted = own_counters_.get();
      handler_->state().load_counters(counted.last_receipt_no, counted.last_return_no);
    }
    // Staff (tens of people): in memory like the products, from their rows.
    const actors::stored_rows staff_rows(*projection_store_, family("staff"), view.get());
    projections::staff::for_each_profile(staff_rows, [this](const projections::staff::profile_register& r) {
      handler_->restore_staff(r.id, r.name, r.role, r.active, r.removed, r.hlc, r.origin, r.seq);
    });
    // Every projection folded the log through its position (restore_projections;
    // an inspection serves the rows as they are and decides nothing). What the
    // handler holds (products, staff, counters) covers the whole log; one
    // folding in the background answers `behind` to the decisions read from
    // it until its rows reach the log's head of this start.
    handler_->start_at(background_.empty() ? std::min(set_->lowest_position(), log_->last_position().value())
                                           : fold_head_);
    // This device's own newest event restores its clock as it is (its clock
    // never goes back); another origin's only within clock.max_skew_ms of the
    // wall clock (a log from before the bound, or this clock stepped back since).
    handler_->set_max_skew_ms(static_cast<std::uint64_t>(config_.store.clock_max_skew_ms));
    const std::uint64_t wall_now = wall_clock_ms();
    for (const auto& [origin, head] : log_->heads()) {
      if (auto newest = log_->get(device_id{origin}, head.seq)) {
        if (origin == config_.device_id) {
          handler_->restore_clock(newest->ev.hlc);
        } else if (!handler_->restore_clock_within(newest->ev.hlc, wall_now)) {
          spdlog::warn("node: device={} the newest event of {} in the log ({}) is more than clock.max_skew_ms={} "
                       "ahead of this device's clock: it did not move the clock",
                       config_.device_id, origin, newest->ev.hlc.to_rfc3339(), config_.store.clock_max_skew_ms);
        }
      }
      if (origin == config_.device_id) handler_->restore_own_seq(head.seq.value());
    }
    // Idempotency records are not loaded: the handler reads a key's stored
    // record when a keyed command comes (decision_source::idempotency_record).
    // The seed's device registration: a device registers itself (and updates
    // its name and priority) so that every node's devices view lists it.
    self_registration_ = retail::command_kind::register_device;
    if (auto d = projections::devices::register_of(devices, config_.device_id); d && d->registered) {
      self_registration_.reset();
      if (d->name != config_.name || d->priority != config_.priority) {
        self_registration_ = retail::command_kind::update_device;
      }
    }
    load_membership(devices);
    members_ = {config_.device_id};
    projections::page_request page;
    for (;;) {
      auto list = projections::devices::list(devices, page);
      for (const auto& d : list.devices.items) {
        if (d.id != config_.device_id) members_.push_back(d.id);
      }
      if (list.devices.next.empty()) break;
      page.from = list.devices.next;
    }

    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    spdlog::info("node: device={} opened {} with {} events (position {}), projections restored; decision state from "
                 "their rows in {} ms ({} products, {})",
                 config_.device_id, config_.data_dir, log_->size(), log_->last_position().value(), ms.count(),
                 handler_->state().products(),
                 counters_from_log ? "receipt counters from the log" : "no log replay");
    return true;
  }

  /// The membership book from the devices projection, plus a joined device's
  /// grant for members whose device.enrolled has not arrived yet.
  void load_membership(const projections::row_reader& devices) {
    std::lock_guard<std::mutex> lock(trust_mutex_);
    for (const auto& e : projections::devices::enrollments(devices)) {
      if (!e.curve_key.empty()) book_.enrolled(member_keys{e.device_id, e.signing_key, e.curve_key, e.priority, ""});
      if (e.revoked) book_.revoked(e.device_id);
    }
    if (auto lines = log_->get_meta(meta_join_members)) {
      for (const auto& m : decode_member_lines(*lines)) {
        // The grant's keys only until the member's own events arrive: a
        // member the projection knows keeps its (possibly rotated) keys.
        if (book_.is_member(m.device_id)) book_.note_address(m.device_id, m.address);
        else if (!book_.is_revoked(m.device_id)) book_.enrolled(m);
      }
    }
    if (auto store = log_->get_meta(meta_store_id)) store_id_ = *store;
  }

  /// A committed device.enrolled or device.revoked (any origin): the book
  /// and the transport's allow-list follow.
  void fold_membership(const event& ev) {
    std::vector<std::string> keys;
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      if (auto p = payload_of<device_enrolled>(ev)) {
        book_.enrolled(member_keys{p->device_id, p->signing_key, p->curve_key, p->priority, ""});
      } else if (auto k = payload_of<device_keys_rotated>(ev)) {
        if (k->device_id != ev.origin.value()) return;  // only a device rotates its own keys
        if (!book_.rotated(k->device_id, k->signing_key, k->curve_key)) return;
        spdlog::info("node: device={} {} rotated its keys at {}:{} (signing {}, curve {})", config_.device_id,
                     k->device_id, ev.origin.value(), ev.seq.value(), k->signing_key, k->curve_key);
      } else if (auto r = payload_of<device_revoked>(ev)) {
        book_.revoked(r->device_id);
        spdlog::warn("node: device={} {} was revoked (by {} on {}): its connections are refused", config_.device_id,
                     r->device_id, r->approved_by, ev.origin.value());
      } else {
        return;
      }
      keys = book_.admitted_z85();
    }
    if (transport_) transport_->set_members(std::move(keys));
  }

  /// The door's join handler (door thread): checks the code, records
  /// device.enrolled, answers with the grant. Never logs the code.
  std::string on_join(std::string_view body) {
    auto sealed = read_join_request(body);
    if (!sealed) return refuse_join("?", join_refusal::malformed);
    const std::string& id = sealed->device_id;
    code_terms terms;
    join_refusal r;
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      r = codes_.check(id, wall_clock_ms(), &terms);
    }
    const bool replay = r == join_refusal::used;  // a retried join whose first answer was lost
    if (r != join_refusal::none && !replay) return refuse_join(id, r);
    auto req = open_join_request(*sealed, terms.key);
    if (!req) {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      if (!replay) codes_.wrong_proof(id);
      return refuse_join(id, replay ? join_refusal::used : join_refusal::wrong_code);
    }
    if (!key_from_hex(req->signing_key) || !key_from_hex(req->curve_key)) return refuse_join(id, join_refusal::malformed);
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      const bool same = book_.is_member(id) && book_.curve_z85_of(id) == broker::z85_of_key(key_from_hex(req->curve_key)->data());
      if (replay && !same) return refuse_join(id, join_refusal::used);
      if (!replay && (book_.is_member(id) || book_.is_revoked(id))) return refuse_join(id, join_refusal::already_member);
    }
    if (!replay) {
      std::vector<event> drafts{make_event(device_id{}, origin_seq{0}, hlc_timestamp{}, term_id{0},
                                           device_enrolled{id, req->signing_key, req->curve_key, terms.priority,
                                                           terms.approved_by})};
      if (!append_system(std::move(drafts))) return refuse_join(id, join_refusal::not_enrolled);
      std::vector<std::string> keys;
      {
        std::lock_guard<std::mutex> lock(trust_mutex_);
        codes_.consume(id, wall_clock_ms());
        book_.enrolled(member_keys{id, req->signing_key, req->curve_key, terms.priority, ""});
        keys = book_.admitted_z85();
      }
      // Before the answer: the joiner dials at once and must pass the ZAP handler.
      if (transport_) transport_->set_members(std::move(keys));
      joins_accepted_.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("node: device={} enrolled {} (join code of {}; priority {})", config_.device_id, id,
                   terms.approved_by, terms.priority);
    }
    join_grant g;
    g.store_id = store_id_;
    g.enrolled_by = config_.device_id;
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      g.members = book_.members();
    }
    for (auto& m : g.members) {
      if (m.device_id == config_.device_id && transport_) m.address = transport_->address();
    }
    if (tls_.grant) g.tls_grant = tls_.grant(id, req->tls_request);
    return seal_join_grant(g, terms.key);
  }

  std::string refuse_join(const std::string& id, join_refusal r) {
    join_refused_[static_cast<std::size_t>(r) % join_refused_.size()].fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("node: device={} refused a join as {}: {}", config_.device_id, id, to_string(r));
    return encode_join_refusal(r, advice(r));
  }

  /// Appends events the node records itself through the command actor; true once durable.
  bool append_system(std::vector<event> drafts) {
    bool ok = false;
    caf::scoped_actor asker{*system_};
    asker->request(commands_, std::chrono::seconds(10), actors::system_event_atom::value, std::move(drafts))
      .receive([&](actors::append_local_reply& r) { ok = !r.sealed.empty(); },
               [&](caf::error& err) { spdlog::warn("node: a membership event was not recorded: {}", system_->render(err)); });
    return ok;
  }

  static std::pair<int, std::string> membership_error(int status, const char* code, const std::string& message) {
    return {status, nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump()};
  }

  /// POST /v1/devices/{id}/enrollment: a one-time join code for `id`.
  std::pair<int, std::string> enroll(const std::string& id, std::int32_t priority, const std::string& staff_id) {
    std::optional<issued_code> code;
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      if (book_.is_revoked(id)) return membership_error(409, "device_revoked", id + " was revoked: enroll the device under a new id");
      if (book_.is_member(id)) return membership_error(409, "device_enrolled", id + " is already enrolled");
      code = codes_.issue(id, priority, staff_id, wall_clock_ms());
    }
    if (!code) return membership_error(500, "internal", "the join code could not be made");
    spdlog::info("node: device={} issued a join code for {} (by {}, expires {})", config_.device_id, id, staff_id,
                 hlc_timestamp{code->expires_at_ms << 16}.to_rfc3339());
    const nlohmann::json out{{"device_id", id},
                             {"code", code->code},
                             {"expires_at", hlc_timestamp{code->expires_at_ms << 16}.to_rfc3339()},
                             {"peer", transport_ ? transport_->address() : std::string()}};
    return {201, out.dump()};
  }

  /// POST /v1/devices/{id}/revocation: device.revoked with the revocation point.
  std::pair<int, std::string> revoke(const std::string& id, const std::string& reason, const std::string& staff_id) {
    if (id == config_.device_id) {
      return membership_error(409, "revoke_self", "a device cannot revoke itself: revoke it from another enrolled device");
    }
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      if (book_.is_revoked(id)) return membership_error(409, "device_revoked", id + " is already revoked");
      if (!book_.is_member(id)) return membership_error(404, "unknown_device", id + " is not enrolled");
    }
    const auto head = log_->head(device_id{id});
    const std::uint64_t point = head ? head->seq.value() : 0;
    std::vector<event> drafts{make_event(device_id{}, origin_seq{0}, hlc_timestamp{}, term_id{0},
                                         device_revoked{id, reason, staff_id, point})};
    if (!append_system(std::move(drafts))) {
      return membership_error(503, "unavailable", "the revocation was not recorded");
    }
    std::vector<std::string> keys;
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      book_.revoked(id);
      keys = book_.admitted_z85();
    }
    if (transport_) transport_->set_members(std::move(keys));
    spdlog::warn("node: device={} revoked {} (by {}: {}) after its seq {}", config_.device_id, id, staff_id, reason,
                 point);
    return {201, nlohmann::json{{"device_id", id}, {"revoked_after_seq", point}, {"reason", reason}}.dump()};
  }

  /// How long a key rotation waits for another device to hold the rotation
  /// event before this node's CURVE key changes on the wire (docs/operations.md
  /// "Rotating a device's keys"): peers that got the event learn the new key;
  /// a peer that did not could no longer reach this device to get it. The
  /// wait ends early when sync shows another device holds the event, or when
  /// a peer dials this node with the new key (it folded the event and asked
  /// the door: the peer port refuses that handshake until it switches).
  static constexpr auto rotation_switch_wait = std::chrono::milliseconds(5'000);
  static constexpr auto rotation_switch_poll = std::chrono::milliseconds(50);

  /// Own events another device is known to hold (sync's pending changes).
  std::uint64_t own_held_elsewhere() {
    const auto head = log_->head(device_id{config_.device_id});
    const std::uint64_t own = head ? head->seq.value() : 0;
    std::uint64_t pending = own;
    caf::scoped_actor asker{*system_};
    asker->request(sync_, std::chrono::seconds(2), actors::status_atom::value)
      .receive([&](actors::sync_report& r) { pending = r.status.pending_changes; }, [](caf::error&) {});
    return own > pending ? own - pending : 0;
  }

  /// POST /v1/devices/{id}/keys/rotation: new key pairs for this device.
  /// Order (each step only after the one before it succeeded): the next keys
  /// are written to the data dir beside the current ones; the log writer
  /// stages the next signing key; device.keys_rotated is appended (signed
  /// with the current key; the writer signs every later own event with the
  /// new one); the next key files replace the current ones; the door answers
  /// the new CURVE key; once another device holds the event (or after
  /// rotation_switch_wait) the transport re-binds and redials with it.
  std::pair<int, std::string> rotate_keys(const std::string& id, const std::string& staff_id) {
    if (id != config_.device_id) {
      return membership_error(409, "not_this_device",
                              "device " + id + "'s keys rotate on " + id + " itself (this node is " +
                                  config_.device_id + "): run `storectl --node URL-of-" + id +
                                  " devices rotate-keys " + id + "`");
    }
    std::unique_lock<std::mutex> one(rotation_mutex_, std::try_to_lock);
    if (!one.owns_lock()) return membership_error(409, "rotation_in_progress", "a key rotation of " + id + " is running");
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      if (book_.is_revoked(id)) return membership_error(409, "device_revoked", id + " was revoked: its keys do not rotate");
      if (!book_.is_member(id) || store_id_.empty())
        return membership_error(409, "not_enrolled", id + " is not an enrolled member of a store yet");
    }
    if (metrics_.peers_alive.load(std::memory_order_relaxed) == 0) {  // heard within the failure timeout
      return membership_error(409, "no_peer",
                              "no other device is connected: rotate while the device is online, so that the store "
                              "learns its new keys before it uses them");
    }
    auto next = make_next_identity(config_.data_dir);
    if (!next) {
      spdlog::error("node: device={} key rotation: {}", config_.device_id, next.error().message);
      return membership_error(500, "key_files", "the new keys could not be written: " + next.error().message);
    }
    const std::string signing_hex = next->signing_public_hex();
    const std::string curve_hex = next->curve_public_hex();
    auto abandon = [&](const char* why) {
      if (auto st = discard_next_identity(config_.data_dir); !st)
        spdlog::error("node: device={} key rotation: {}", config_.device_id, st.error().message);
      spdlog::warn("node: device={} key rotation abandoned ({}): the device keeps its keys", config_.device_id, why);
      return membership_error(503, "unavailable", std::string("the key rotation was not recorded: ") + why);
    };
    bool staged = false;
    {
      actors::writer_next_key k;
      k.public_key = next->signing_public;
      std::copy(next->signing_secret.begin(), next->signing_secret.end(), k.secret.begin());
      caf::scoped_actor asker{*system_};
      asker->request(writer_, std::chrono::seconds(10), actors::rotate_key_atom::value, std::move(k))
        .receive([&](bool ok) { staged = ok; }, [](caf::error&) {});
    }
    if (!staged) return abandon("the log writer did not take the new key");
    // A handshake refused by this node's peer port after the event is out is
    // a peer that learned the new key (at the door) and dials with it.
    const std::uint64_t denied_before = transport_->stats().auth_denied;
    std::optional<std::uint64_t> seq;
    {
      std::vector<event> drafts{make_event(device_id{}, origin_seq{0}, hlc_timestamp{}, term_id{0},
                                           device_keys_rotated{id, signing_hex, curve_hex, staff_id})};
      caf::scoped_actor asker{*system_};
      asker->request(commands_, std::chrono::seconds(10), actors::system_event_atom::value, std::move(drafts))
        .receive(
          [&](actors::append_local_reply& r) {
            if (!r.sealed.empty()) seq = r.sealed.back().seq.value();
          },
          [&](caf::error& err) { spdlog::warn("node: device.keys_rotated was not recorded: {}", system_->render(err)); });
    }
    if (!seq) {
      // No answer is not "not recorded": the writer may have made it durable
      // (and signs with the new key from then on). The log decides.
      constexpr std::uint64_t recent_own_events = 10'000;
      if (auto rotation = newest_own_rotation(recent_own_events); rotation && rotation->second.signing_key == signing_hex)
        seq = rotation->first;
    }
    if (!seq) {
      // Unknown outcome (no answer within 10 s, and the log does not show it
      // yet): the next files stay; the next start keeps them if the log
      // holds the rotation, deletes them if not (finish_rotation).
      spdlog::error("node: device={} key rotation: device.keys_rotated was not confirmed; restart the node: it "
                    "finishes the rotation if the log recorded it and undoes it if not",
                    config_.device_id);
      return membership_error(503, "unavailable",
                              "the key rotation was not confirmed: restart the node, which finishes or undoes it");
    }
    // Durable: the new keys are this device's from here on (a crash before
    // the rename is finished at the next start, finish_rotation()).
    if (auto st = commit_next_identity(config_.data_dir); !st) {
      spdlog::error("node: device={} key rotation recorded at seq {} but {}; the next start finishes it",
                    config_.device_id, *seq, st.error().message);
    }
    identity_ = std::move(*next);
    if (door_) door_->set_public_key(broker::z85_of_key(identity_.curve_public.data()));
    const auto deadline = std::chrono::steady_clock::now() + rotation_switch_wait;
    bool held = false;
    while (std::chrono::steady_clock::now() < deadline) {
      held = own_held_elsewhere() >= *seq || transport_->stats().auth_denied > denied_before;
      if (held) break;
      std::this_thread::sleep_for(rotation_switch_poll);
    }
    transport_->set_own_key(broker::z85_of_key(identity_.curve_secret.data()),
                            broker::z85_of_key(identity_.curve_public.data()));
    spdlog::warn("node: device={} rotated its keys at seq {} (by {}): signing {}, curve {}; {}", config_.device_id,
                 *seq, staff_id, signing_hex, curve_hex,
                 held ? "another device holds the event" : "no other device was seen to hold the event yet");
    const nlohmann::json out{{"device_id", id},
                             {"seq", *seq},
                             {"signing_key", signing_hex},
                             {"curve_key", curve_hex},
                             {"held_elsewhere", held}};
    return {201, out.dump()};
  }

  std::string trust_metrics() const {
    std::string out = "# HELP storenode_joins_total Devices enrolled through this device's door.\n"
                      "# TYPE storenode_joins_total counter\nstorenode_joins_total " +
                      std::to_string(joins_accepted_.load()) + "\n";
    out += "# HELP storenode_join_refused_total Join attempts refused at this device's door, by reason.\n"
           "# TYPE storenode_join_refused_total counter\n";
    for (std::size_t r = 1; r < join_refused_.size(); ++r) {
      out += std::string("storenode_join_refused_total{reason=\"") + to_string(static_cast<join_refusal>(r)) +
             "\"} " + std::to_string(join_refused_[r].load()) + "\n";
    }
    return out;
  }

  static std::vector<std::string> projection_names() {
    std::vector<std::string> names;
    for (const auto& p : projections::all_projections()) names.emplace_back(p->name());
    return names;
  }

  /// The projections' rows, positions and digests from their column
  /// families; the log's tail after them is folded before the node serves
  /// (normally nothing: rows are written with every fold batch).
  bool restore_projections() {
    auto store = storage::projection_store::open(*log_, projection_names());
    if (!store) {
      spdlog::error("node: {}", store.error().message);
      return false;
    }
    projection_store_ = std::move(*store);
    row_store_ = std::make_unique<actors::stored_row_store>(*projection_store_);
    set_ = std::make_unique<projections::projection_set>(settings(), projections::all_projections(), *row_store_);
    // Folding a chunk of the log (start-up, rebuild, catch-up), the
    // projections share out over two threads; live batches stay on one.
    set_->set_fold_threads(std::min<std::size_t>(2, std::max(1u, std::thread::hardware_concurrency())));
    if (auto st = set_->open(); !st) {
      spdlog::error("node: projections: {}", st.error().message);
      return false;
    }
    progress_ = std::make_unique<actors::fold_progress>(set_->size());
    if (inspection_) {
      // Read-only: serve the rows as they were last written, fold nothing.
      for (std::size_t i = 0; i < set_->size(); ++i) set_->pause(i);
      return true;
    }
    // This device's counters as the sales rows hold them, and the position
    // they are exact through, before a refold below drops the rows: if sales
    // then folds in the background, the own events after that position are
    // all the command side has to count (normally none). The counter row is
    // the same in every sales layout (actors/projections/sales.hpp).
    std::optional<std::pair<std::uint64_t, projections::sales::receipt_counters>> sales_counters_before;
    if (const auto i = set_->index_of("sales"); i && set_->info(*i).position > 0) {
      const actors::stored_rows rows(*projection_store_, *i);
      sales_counters_before.emplace(set_->info(*i).position, projections::sales::counters(rows, config_.device_id));
    }
    // Sales written before tills stamped their business day (schema 1) fold
    // on the day of their time in the store's zone: with another zone the
    // rows are folded again from the log, once.
    const std::string zone_key = "projections.time_zone";
    if (auto folded_in = log_->get_meta(zone_key); folded_in && *folded_in != config_.zone.name()) {
      spdlog::warn("node: store.time_zone changed from {} to {}: folding every projection again from the log",
                   *folded_in, config_.zone.name());
      for (std::size_t i = 0; i < set_->size(); ++i) {
        if (auto st = set_->rebuild(i); !st) {
          spdlog::error("node: projections: {}", st.error().message);
          return false;
        }
      }
    }
    if (auto st = log_->put_meta(zone_key, config_.zone.name()); !st) {
      spdlog::error("node: cannot write node metadata: {}", st.error().message);
      return false;
    }
    if (!refold_changed_layouts()) return false;
    // A projection far behind the log (refolded above, or a restored log)
    // would keep the node from serving for as long as its fold takes (minutes
    // for a store's years of history): it folds in the background instead, as
    // after POST /v1/projections/{name}/rebuild. Catalog, devices and staff
    // fold first, however far behind: restore() reads them into memory (the
    // products, the staff) and trusts peers by them (enrollments).
    const std::uint64_t head = log_->last_position().value();
    fold_head_ = head;
    background_.clear();
    for (std::size_t i = 0; i < set_->size(); ++i) {
      const std::string& name = set_->info(i).name;
      const bool read_at_start_up = name == "catalog" || name == "devices" || name == "staff";
      if (read_at_start_up || !set_->behind(i, head)) continue;
      if (head - set_->info(i).position <= static_cast<std::uint64_t>(config_.fold_before_serving_events_max)) continue;
      set_->pause(i);
      background_.push_back(i);
    }
    if (folds_in_background("sales")) {
      // Read on its own thread while catalog, devices and staff fold: from
      // the rows' counters before the refold and the log after them, or
      // (rows that never held them: a restored log) from every own event.
      own_counters_ = std::async(std::launch::async, [this, before = sales_counters_before] {
        const device_id self{config_.device_id};
        return before ? actors::own_counters_after(*log_, self, settings(), before->second, before->first)
                      : actors::own_counters_from_log(*log_, self, settings());
      });
    }
    const auto started = std::chrono::steady_clock::now();
    auto folded = actors::catch_up(*set_, *log_);
    const std::uint64_t folded_to = set_->lowest_position();  // of those not left to the background
    for (const std::size_t i : background_) set_->resume(i);
    if (!folded) {
      spdlog::error("node: folding the log's tail into the projections failed: {}", folded.error().message);
      return false;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    spdlog::info("node: projections at position {} ({} events folded at start-up in {} ms{})",
                 std::min(folded_to, head), *folded, ms.count(), background_.empty() ? "" : "; the others below");
    if (!background_.empty()) {
      std::string names;
      std::uint64_t behind = 0;
      for (const std::size_t i : background_) {
        names += (names.empty() ? "" : ", ") + set_->info(i).name;
        behind = std::max(behind, head - set_->info(i).position);
      }
      spdlog::warn("node: projections {} are up to {} events behind the log (more than "
                   "projections.fold_before_serving_events_max={}): they fold in the background while the node "
                   "serves; until then their lists and totals are partial and the commands decided from them "
                   "(returns, voids, stock movements, day closes) answer 503 projection_behind (GET /v1/projections)",
                   names, behind, config_.fold_before_serving_events_max);
    }
    return true;
  }

  bool folds_in_background(std::string_view name) const {
    const auto i = set_->index_of(name);
    return i && std::find(background_.begin(), background_.end(), *i) != background_.end();
  }

  /// A projection whose rows were written under another row layout
  /// (projection::layout) by an earlier build is folded again from the log,
  /// once; a data dir without the record has layout 1 rows. A projection
  /// that has folded nothing yet (a new data dir) has no rows to refold: its
  /// layout is only recorded.
  bool refold_changed_layouts() {
    const auto units = projections::all_projections();
    for (std::size_t i = 0; i < set_->size() && i < units.size(); ++i) {
      const std::string key = std::string("projections.layout.") + units[i]->name();
      const std::string want = std::to_string(units[i]->layout());
      const std::string had = log_->get_meta(key).value_or("1");
      if (had == want) continue;
      if (set_->info(i).position != 0) {
        spdlog::warn("node: projection {} rows are of layout {}, this build writes {}: folding it again from the log",
                     units[i]->name(), had, want);
        if (auto st = set_->rebuild(i); !st) {
          spdlog::error("node: projections: {}", st.error().message);
          return false;
        }
      }
      if (auto st = log_->put_meta(key, want); !st) {
        spdlog::error("node: cannot write node metadata: {}", st.error().message);
        return false;
      }
    }
    return true;
  }

  /// The store-wide settings of the retail core: the zone parse_config
  /// loaded from the system tzdata (nothing below node/ reads it).
  retail::store_settings settings() const { return retail::store_settings{config_.zone}; }

  /// The log writer, the projections, the command actor and the SSE notifier.
  void spawn_core() {
    // The actor system keeps a reference to its config: it lives as long.
    caf_config_.set("scheduler.max-threads", static_cast<std::size_t>(std::max(2u, std::thread::hardware_concurrency())));
    caf_config_.set("logger.verbosity", caf::atom("quiet"));
    // An idle till must cost almost nothing (issue 12): CAF's work stealing
    // polls 500 times 50 us apart after every burst of work (6-20 % of a core
    // on an idle node that hears heartbeats). "stealing" (default) keeps the
    // 100 polls without sleep that make bursts fast and then blocks on a
    // condition variable (notified on new work); "sharing" is one shared queue;
    // "stealing-busy" is CAF's default, the baseline bench_idle compares with.
    if (config_.scheduler == "sharing") {
      caf_config_.set("scheduler.policy", caf::atom("sharing"));
    } else {
      caf_config_.set("scheduler.policy", caf::atom("stealing"));
      if (config_.scheduler == "stealing") {
        caf_config_.set("work-stealing.moderate-poll-attempts", std::size_t{0});
        caf_config_.set("work-stealing.relaxed-sleep-duration", caf::timespan{std::chrono::seconds(1)});
      }
    }
    // (CAF 0.17.6's templated overload does not compile: give the renderer.)
    caf_config_.add_error_category(caf::atom("log_writer"), [](std::uint8_t code, caf::atom_value, const caf::message&) {
      return "log_writer: " + actors::to_string(static_cast<actors::writer_errc>(code));
    });
    caf_config_.add_error_category(caf::atom("command"), [](std::uint8_t code, caf::atom_value, const caf::message&) {
      return std::string("command: ") + actors::to_string(static_cast<actors::command_errc>(code));
    });
    system_ = std::make_unique<caf::actor_system>(caf_config_);
    feed_ = std::make_unique<event_feed>(log_->last_position().value());
    const device_id self{config_.device_id};
    writer_ = actors::spawn_log_writer(*system_, *log_, self, metrics_, signer());
    projections_ = actors::spawn_projection_actor(*system_, std::move(set_), *log_, metrics_, *progress_);
    actors::committed_log committed;
    committed.last_position = [log = log_.get()] { return log->last_position().value(); };
    committed.read_from = [log = log_.get()](std::uint64_t from, std::size_t limit) {
      return log->read_from(log_position{from}, limit);
    };
    commands_ = actors::spawn_command_actor(*system_, std::move(handler_), writer_, self,
                                            [this] { return term_.load(); }, metrics_, std::move(committed), inspection_);
    notifier_ = system_->spawn(feed_notifier, feed_.get());
    // A query can show an event (a product synced from the back office)
    // before the command actor has the writer's report of it: the projection
    // actor's catch-up reads the log itself. What keeps a command sent after
    // it from a 404 unknown_sku is committed_log: a refused command is decided
    // again once the actor has read what the log committed. Telling the
    // command actor first only makes that read rarer for live batches.
    for (caf::actor sub : {caf::actor_cast<caf::actor>(commands_), caf::actor_cast<caf::actor>(projections_), notifier_}) {
      caf::anon_send(writer_, actors::subscribe_atom::value, sub);
    }
    // Only the master records conflict resolutions, through the command actor.
    caf::anon_send(projections_, actors::subscribe_atom::value, caf::actor_cast<caf::actor>(commands_));
  }

  /// The peer transport and the sync and election actors around it.
  bool start_peers() {
    broker::transport_options to;
    to.bind = config_.bind;
    to.advertised = config_.advertised;
    to.peers = config_.peers;  // dialled exactly as written, never replaced by gossip
    // Peers learned in earlier runs too: a device restarted without --peer
    // still reaches the store before it could think itself alone. They are
    // dialled on probation, like any learned address (docs/protocol.md 2.6).
    to.remembered_peers = actors::remembered_peers(*log_);
    to.identity = config_.device_id;
    to.message_bytes_max = static_cast<std::size_t>(config_.message_bytes_max);
    // CURVE always (docs/protocol.md 2.5): this device's key from its data
    // dir; the ZAP handler admits the enrolled, unrevoked members' keys.
    to.curve.enabled = true;
    to.curve.secret_key = broker::z85_of_key(identity_.curve_secret.data());
    to.curve.public_key = broker::z85_of_key(identity_.curve_public.data());
    {
      std::lock_guard<std::mutex> lock(trust_mutex_);
      to.curve.allowed_public_keys = book_.admitted_z85();
      for (const auto& m : book_.members()) {
        if (auto k = book_.curve_z85_of(m.device_id); k && !m.address.empty()) to.curve.peer_public_keys[m.address] = *k;
      }
    }
    auto transport = broker::transport::start(to, [routes = routes_](broker::inbound&& in) {
      if (!routes->ready.load(std::memory_order_acquire)) return;
      if (election::is_election_message_type(in.type)) {
        caf::anon_send(routes->election, actors::inbound_atom::value, std::move(in.peer), in.type, std::move(in.body));
      } else if (sync::is_sync_message_type(in.type)) {
        caf::anon_send(routes->sync, actors::inbound_atom::value, std::move(in.peer), in.type, std::move(in.body));
      } else {
        routes->unknown_type.fetch_add(1, std::memory_order_relaxed);
      }
    });
    if (!transport) {
      spdlog::error("cannot start the peer transport: {}", transport.error().message);
      return false;
    }
    transport_ = std::move(*transport);
    auto door = broker::door::start(config_.bind, broker::z85_of_key(identity_.curve_public.data()), config_.device_id,
                                    [this](std::string_view body) { return on_join(body); });
    if (!door) {
      spdlog::error("cannot start the door: {}", door.error().message);
      return false;
    }
    door_ = std::move(*door);
    watcher_ = system_->spawn(membership_watcher, [this](const event& ev) { fold_membership(ev); });
    caf::anon_send(writer_, actors::subscribe_atom::value, watcher_);
    const device_id self{config_.device_id};
    actors::sync_actor_options so;
    so.sync_interval_ms = static_cast<std::uint64_t>(config_.store.sync_interval_ms);
    so.batch_events_max = static_cast<std::size_t>(config_.store.sync_batch_events_max);
    so.batch_bytes_max = static_cast<std::size_t>(config_.store.sync_batch_bytes_max);
    so.max_skew_ms = static_cast<std::uint64_t>(config_.store.clock_max_skew_ms);
    so.admit_unenrolled = false;  // every device joins by enrollment: no origin is taken unsigned
    so.journal = log_.get();
    so.journal_rows_max = static_cast<std::size_t>(config_.sync_audit_entries_max);
    sync_ = actors::spawn_sync_actor(*system_, *log_, *transport_, writer_, self, so, metrics_);
    actors::election_actor_options eo;
    eo.priority = static_cast<std::int32_t>(config_.priority);
    eo.address = transport_->address();
    eo.http = "http://" + config_.http;
    eo.heartbeat_interval_ms = static_cast<std::uint64_t>(config_.store.heartbeat_interval_ms);
    eo.failure_timeout_ms = static_cast<std::uint64_t>(config_.store.failure_timeout_ms);
    eo.discovery_ms = static_cast<std::uint64_t>(config_.store.discovery_ms);
    eo.handoff_timeout_ms = static_cast<std::uint64_t>(config_.store.handoff_timeout_ms);
    eo.majority = config_.store.quorum == "majority";
    eo.members = members_;
    eo.role_listeners = {caf::actor_cast<caf::actor>(projections_)};
    if (!start_uplink()) return false;
    if (uplink_) eo.role_listeners.push_back(caf::actor_cast<caf::actor>(uplink_));
    eo.metrics = &metrics_;
    election_ = actors::spawn_election_actor(*system_, *log_, *transport_, commands_, sync_, self, eo, term_);
    routes_->election = election_;
    routes_->sync = sync_;
    routes_->ready.store(true, std::memory_order_release);
    for (caf::actor sub : {caf::actor_cast<caf::actor>(sync_), caf::actor_cast<caf::actor>(election_)}) {
      caf::anon_send(writer_, actors::subscribe_atom::value, sub);
    }
    return true;
  }

  /// The uplink to HQ (issue 14) when uplink.url is set: told the role by
  /// the election and the log's heads by the writer. False: bad options.
  bool start_uplink() {
    if (config_.uplink.url.empty()) return true;
    const auto& u = config_.uplink;
    actors::uplink_actor_options o;
    o.store_id = config_.store.id;
    o.stream = u.stream.empty() ? uplink::default_stream(config_.store.id) : u.stream;
    o.stream_replicas = static_cast<int>(u.stream_replicas);
    o.link.url = u.url;
    o.link.credentials_file = u.credentials_file;
    o.link.tls_ca_file = u.tls_ca_file;
    o.link.tls_cert_file = u.tls_cert_file;
    o.link.tls_key_file = u.tls_key_file;
    o.link.name = "storenode " + config_.store.id + "/" + config_.device_id;
    o.link.request_timeout_ms = u.request_timeout_ms;
    o.link.max_pending = u.in_flight_max * 2;
    o.core.in_flight_max = static_cast<std::uint64_t>(u.in_flight_max);
    o.core.batch_events_max = static_cast<std::uint64_t>(u.batch_events_max);
    o.core.retry_ms = static_cast<std::uint64_t>(u.retry_ms);
    o.core.ack_timeout_ms = static_cast<std::uint64_t>(u.request_timeout_ms) * 3;
    if (config_.store.id == "store") {
      spdlog::warn("uplink: store.id is the default \"store\": give every store of the chain its own id");
    }
    const std::string stream = o.stream;
    auto up = actors::spawn_uplink_actor(*system_, *log_, std::move(o), metrics_);
    if (!up) {
      spdlog::error("cannot start the uplink: {}", up.error().message);
      return false;
    }
    uplink_ = std::move(*up);
    caf::anon_send(writer_, actors::subscribe_atom::value, caf::actor_cast<caf::actor>(uplink_));
    spdlog::info("uplink: device={} store={} streams to {} stream {} while master", config_.device_id,
                 config_.store.id, u.url, stream);
    return true;
  }

  void register_self() {
    if (!self_registration_) return;
    // Through the same shape checks as POST /v1/devices (config values are bounded there too).
    const nlohmann::json body{{"device_id", config_.device_id}, {"name", config_.name}, {"priority", config_.priority}};
    auto cmd = read_command(*self_registration_, body);
    if (!cmd) {
      spdlog::warn("node: device registration refused: {} {}", cmd.error().code, cmd.error().message);
      return;
    }
    caf::scoped_actor asker{*system_};
    asker->request(commands_, std::chrono::seconds(10), actors::command_atom::value,
                   node_command(std::move(*cmd)))
      .receive(
        [&](actors::command_response& r) {
          if (!r.is_accepted()) {
            const auto& no = std::get<retail::rejected>(r.outcome);
            spdlog::warn("node: device registration refused: {} {}", retail::to_string(no.errc), no.message);
          }
        },
        [&](caf::error& err) { spdlog::warn("node: device registration failed: {}", system_->render(err)); });
  }

  /// Until the store's creation makes its first admin (issue "Device trust"):
  /// STORENODE_ADMIN_PIN (environment only: a flag would show the PIN in ps
  /// and shell history) adds the admin --admin-id on a store with no staff.
  /// The variable is wiped from this process' environment once read. A store
  /// with staff ignores it (logged). A PIN that is not 4..8 digits stops the
  /// node: better than a store nobody can sign in to.
  bool bootstrap_admin() {
    const char* raw = std::getenv("STORENODE_ADMIN_PIN");
    if (raw == nullptr) return true;
    std::string pin(raw);
    std::memset(const_cast<char*>(raw), 0, pin.size());  // not left readable in /proc/<pid>/environ
    ::unsetenv("STORENODE_ADMIN_PIN");
    if (!staff::valid_pin(pin)) {
      spdlog::error("node: STORENODE_ADMIN_PIN must be 4 to 8 digits");
      return false;
    }
    query_service q(*projection_store_, *progress_, *log_);
    if (q.staff_count() > 0) {
      spdlog::info("node: device={} the store has staff: STORENODE_ADMIN_PIN ignored", config_.device_id);
      return true;
    }
    const nlohmann::json body{{"staff_id", config_.admin_id}, {"name", config_.admin_id}, {"role", "admin"}, {"pin", pin}};
    auto cmd = read_command(retail::command_kind::add_staff, body);
    if (!cmd) {
      spdlog::error("node: --admin-id refused: {} {}", cmd.error().code, cmd.error().message);
      return false;
    }
    const staff::pin_cost cost{static_cast<std::uint64_t>(config_.store.pin_hash_opslimit),
                               static_cast<std::size_t>(config_.store.pin_hash_memlimit_kib) * 1024};
    auto hash = staff::hash_pin(pin, cost);
    std::fill(pin.begin(), pin.end(), '\0');
    if (!hash) {
      spdlog::error("node: the admin PIN could not be hashed");
      return false;
    }
    std::get<retail::add_staff>(*cmd).pin_hash = std::move(*hash);
    bool ok = false;
    caf::scoped_actor asker{*system_};
    asker->request(commands_, std::chrono::seconds(10), actors::command_atom::value,
                   node_command(std::move(*cmd)))
      .receive(
        [&](actors::command_response& r) {
          ok = r.is_accepted();
          if (ok) {
            spdlog::info("node: device={} added the first admin '{}' (STORENODE_ADMIN_PIN)", config_.device_id,
                         config_.admin_id);
            return;
          }
          const auto& no = std::get<retail::rejected>(r.outcome);
          // Another device's staff arrived between the check and the command:
          // the store has its admin; nothing to bootstrap.
          if (no.errc == retail::command_errc::staff_exists) {
            spdlog::info("node: device={} '{}' arrived from another device: STORENODE_ADMIN_PIN ignored",
                         config_.device_id, config_.admin_id);
            ok = true;
            return;
          }
          spdlog::error("node: the first admin was refused: {}", no.message);
        },
        [&](caf::error& err) { spdlog::error("node: the first admin was not recorded: {}", system_->render(err)); });
    return ok;
  }

  /// An actor's typed status report rendered as JSON; an empty object when
  /// it does not answer within the deadline.
  template <class Report, class Handle, class Render>
  static nlohmann::json ask_status(caf::actor_system& sys, const Handle& handle, Render render) {
    caf::scoped_actor asker{sys};
    nlohmann::json out = nlohmann::json::object();
    asker->request(handle, std::chrono::seconds(5), actors::status_atom::value)
      .receive([&](Report& r) { out = render(r); }, [](caf::error&) {});
    return out;
  }

  /// What the HTTP layer may use; the cluster and sync views come from their
  /// actors as typed reports, with a deadline, rendered here (views_json).
  http_services services() {
    http_services s;
    s.system = system_.get();
    s.config = &config_;
    s.log = log_.get();
    s.feed = feed_.get();
    s.rows = projection_store_.get();
    s.progress = progress_.get();
    s.actors = std::make_shared<http_services::handles>(http_services::handles{commands_, projections_, &metrics_});
    // Inspection mode (--allow-damaged) runs no election, sync or transport.
    const nlohmann::json inspecting{{"inspection", true}};
    s.cluster_status = [sys = system_.get(), e = election_, inspecting] {
      return e ? ask_status<actors::election_report>(*sys, e, [](const auto& r) { return cluster_json(r); })
               : inspecting;
    };
    s.sync_status = [sys = system_.get(), y = sync_, inspecting] {
      return y ? ask_status<actors::sync_report>(*sys, y, [](const auto& r) { return sync_json(r); }) : inspecting;
    };
    s.sync_now = [y = sync_] {
      if (y) caf::anon_send(y, actors::sync_now_atom::value);
    };
    s.request_master = [sys = system_.get(), e = election_](const std::string& device) {
      std::pair<int, std::string> out{503, R"({"error":{"code":"unavailable","message":"election actor did not answer"}})"};
      if (!e) return out;
      caf::scoped_actor asker{*sys};
      asker->request(e, std::chrono::seconds(5), actors::master_atom::value, device)
        .receive([&](actors::master_override& m) { out = master_override_reply(m); }, [](caf::error&) {});
      return out;
    };
    s.extra_metrics = [this, t = transport_.get(), routes = routes_] {
      return t ? transport_metrics(*t, *routes) + trust_metrics() : std::string();
    };
    s.enroll_device = [this](const std::string& id, std::int32_t priority, const std::string& staff_id) {
      if (!transport_) return membership_error(503, "read_only", "no peers in inspection mode");
      return enroll(id, priority, staff_id);
    };
    s.revoke_device = [this](const std::string& id, const std::string& reason, const std::string& staff_id) {
      if (!transport_) return membership_error(503, "read_only", "no peers in inspection mode");
      return revoke(id, reason, staff_id);
    };
    s.rotate_keys = [this](const std::string& id, const std::string& staff_id) {
      if (!transport_) return membership_error(503, "read_only", "no peers in inspection mode");
      return rotate_keys(id, staff_id);
    };
    s.record_events = [sys = system_.get(), c = commands_](std::vector<event> drafts) {
      caf::scoped_actor asker{*sys};
      asker->request(c, std::chrono::seconds(10), actors::system_event_atom::value, std::move(drafts))
        .receive([](actors::append_local_reply&) {},
                 [sys](caf::error& err) { spdlog::warn("node: a staff event was not recorded: {}", sys->render(err)); });
    };
    return s;
  }

  void hand_off() {
    if (!election_) return;
    caf::scoped_actor asker{*system_};
    const auto bound = std::chrono::milliseconds(config_.store.handoff_timeout_ms + 1000);
    asker->request(election_, bound, actors::shutdown_atom::value)
      .receive(
        [&](bool handed_off) {
          spdlog::info("node: device={} hand-off {}", config_.device_id, handed_off ? "done" : "not needed or timed out");
        },
        [&](caf::error& err) {
          spdlog::warn("node: device={} hand-off not confirmed: {}", config_.device_id, system_->render(err));
        });
  }

  /// Stops every actor (projections save a checkpoint on exit; the writer
  /// finishes pending commits first) and drops every handle: a detached
  /// actor's thread ends only when the last handle to it is gone.
  void stop_actors() {
    if (!system_) return;
    door_.reset();  // first: joins the door thread, so no join is half-handled while the actors stop
    if (feed_) feed_->close();
    routes_->ready.store(false, std::memory_order_release);
    for (caf::actor a : {caf::actor_cast<caf::actor>(election_), caf::actor_cast<caf::actor>(uplink_),
                         caf::actor_cast<caf::actor>(sync_),
                         caf::actor_cast<caf::actor>(commands_), caf::actor_cast<caf::actor>(projections_), notifier_, watcher_,
                         caf::actor_cast<caf::actor>(writer_)}) {
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    }
    system_->await_all_actors_done();
    transport_.reset();  // joins the broker's I/O thread: no frame is routed after this
    routes_->election = nullptr;
    routes_->sync = nullptr;
    election_ = nullptr;
    uplink_ = nullptr;
    sync_ = nullptr;
    writer_ = nullptr;
    projections_ = nullptr;
    commands_ = nullptr;
    notifier_ = nullptr;
    watcher_ = nullptr;
  }

  /// Meta key: the id of the store this data dir belongs to (written after
  /// the genesis is appended, or when this device joins a store).
  static constexpr const char* meta_store_id = "store.id";
  /// Meta key: a joined device's grant (members' keys), until sync brings their device.enrolled.
  static constexpr const char* meta_join_members = "join.members";

  const node_config& config_;
  join_tls_hooks tls_;
  device_identity identity_;
  /// Guards book_, codes_ (HTTP threads, the door thread, the watcher).
  mutable std::mutex trust_mutex_;
  membership book_;
  join_codes codes_;
  std::mutex rotation_mutex_;  ///< one key rotation at a time (HTTP threads)
  std::string store_id_;
  std::atomic<std::uint64_t> joins_accepted_{0};
  std::array<std::atomic<std::uint64_t>, 10> join_refused_{};  ///< by join_refusal value
  std::unique_ptr<storage::event_log> log_;
  std::unique_ptr<storage::projection_store> projection_store_;
  std::unique_ptr<actors::stored_row_store> row_store_;
  std::unique_ptr<projections::projection_set> set_;  ///< until the projection actor owns it
  /// Projections restore_projections() left to fold in the background (by
  /// index), and the log's head when it decided so.
  std::vector<std::size_t> background_;
  std::uint64_t fold_head_ = 0;
  /// This device's receipt counters read from the log when sales folds in the background.
  std::future<projections::sales::receipt_counters> own_counters_;
  std::unique_ptr<actors::fold_progress> progress_;
  std::unique_ptr<retail::command_handler> handler_;  ///< until the command actor owns it
  std::optional<retail::command_kind> self_registration_;
  std::vector<std::string> members_;
  bool inspection_ = false;  ///< --allow-damaged on a damaged log: read-only, no peers
  actors::node_metrics metrics_;
  std::atomic<std::uint64_t> term_{0};
  caf::actor_system_config caf_config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<event_feed> feed_;
  std::shared_ptr<frame_routes> routes_ = std::make_shared<frame_routes>();
  actors::log_writer_actor writer_;
  actors::projection_actor projections_;
  actors::command_actor commands_;
  caf::actor notifier_;
  std::unique_ptr<broker::transport> transport_;
  actors::sync_actor sync_;
  actors::election_actor election_;
  actors::uplink_actor uplink_;  ///< null while uplink.url is empty
  std::unique_ptr<broker::door> door_;  ///< after transport_: destroyed before it (stop_actors resets it first)
  caf::actor watcher_;
  std::unique_ptr<http_server> http_;
};

} // namespace

int run_node(const node_config& config, join_tls_hooks tls) {
  setup_logging(config);
  const sigset_t stop_signals = block_stop_signals();
  std::signal(SIGPIPE, SIG_IGN);
  node_runtime node(config, std::move(tls));
  if (const int code = node.start(); code != 0) return code;
  int sig = 0;
  sigwait(&stop_signals, &sig);
  spdlog::info("node: device={} stopping on {}", config.device_id, sig == SIGTERM ? "SIGTERM" : "SIGINT");
  node.stop();
  spdlog::info("node: device={} stopped", config.device_id);
  return 0;
}

} // namespace sn::node
