// Deterministic simulation of the sync protocol (ARCHITECTURE.md §3, §6).
//
// What it proves: for each seed, 3-5 nodes, each an in-memory log with the real
// log's acceptance rules plus a sync_fsm, write their own events while a seeded
// network delays, drops, duplicates and reorders messages, partitions come and
// go (the hub included), the hub moves (nodes learn it at different times),
// nodes crash and restart (losing appends not yet done) and disks answer late. After the network heals and writes stop, within a
// bounded quiet period:
//   1. every node holds the same version vector;
//   2. every event written anywhere is held everywhere (same set of hashes);
//   3. nothing was applied twice and the log never had to refuse anything the
//      fsm sent it (no duplicate, gap, fork or bad hash reached it);
//   4. every node's toy projection (sum of deltas) and every real retail
//      projection digest (retail::views) agree;
//   5. no client has pending changes (the hub acknowledged everything);
// and after every input, the bounded buffers stayed within their bounds.
//
// Clocks (docs/protocol.md 3.6): every node has a wall clock a little off
// (within a quarter of max_skew_ms either way) and a hybrid logical clock that
// stamps its events and merges every remote event its log appends, WITHOUT
// the bound (as a node without the rule would), so that the bound is the sync
// gate's alone. In half of the seeds one node's wall clock runs far ahead
// (more than max_skew_ms beyond every other) for a while during writes, then
// comes back (its HLC, which never goes back, stays ahead until real time
// catches up with it). After every append:
//   6. no other node's HLC is more than max_skew_ms ahead of its own wall
//      clock: no node was dragged;
// and after the heal, once the skewed events are in range, 1-5 hold too
// (everything converges); a seed whose skewed node wrote beyond the bound
// must have seen refusals (the gate was exercised, not bypassed).
//
// Clocks (docs/protocol.md 3.6): every node has a wall clock a little off
// (within a quarter of max_skew_ms either way) and a hybrid logical clock that
// stamps its events and merges every remote event its log appends, WITHOUT
// the bound (as a node without the rule would): so the bound is the sync
// gate's alone. In half of the seeds one node's wall clock runs far ahead
// (more than max_skew_ms beyond every other) for a while during writes, then
// comes back (its HLC, which never goes back, stays ahead until real time
// catches up with it). After every append:
//   6. no other node's HLC is more than max_skew_ms ahead of its own wall
//      clock (no node was dragged), and every refused event is counted;
// and after the heal, once the skewed events are in range, 1-5 hold as well
// (everything converges).
//
// Origins (docs/protocol.md 3.3): the store is a signed one. N0 creates it
// (store.created, and device.enrolled for every node and for the forger "NF",
// self-signed), every node pins the store and refuses unenrolled origins, and
// each node signs the last event of each of its write batches. In two seeds
// of three an enrolled forging node "NF" (it has a connection, it runs no
// sync) sends honest nodes live events and unsolicited sync replies holding
// events under another node's origin (chained onto the head the target holds),
// under the target's own origin, under its own origin and under an unknown
// one, with no signature, with its own key's signature, with a real signature
// replayed from another seq, or with a real signature of a later seq. Then:
//   7. no forged event is ever in an honest node's log (checked after every
//      append and at the end), and 1-5 hold for the honest nodes;
// and a seed whose forger attacked must have seen refusals by the gate.
//
// Key rotation (docs/protocol.md 1.7): in half the seeds one honest node
// rotates its signing key once, mid-run (device.keys_rotated opens one of its
// write batches, signed with its old key; every later batch is signed with the
// new key). Drawn from a second generator, so the other draws of a seed stay
// as they were. Then:
//   8. 1-5 and 7 hold, no honest node's event is refused by the gate for a
//      bad signature, and at the end every node's keyring holds the rotated
//      node's new key from the seq after the rotation.
//
// Usage: sim_sync [--seeds N] [--first S] | --seed S [--verbose]
// A failure prints the seed and the exact command replaying it.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <sodium.h>

#include "actors/sync/sync_fsm.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/hlc.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "trust/signature.hpp"
#include "tests/sim/support/memory_log.hpp"
#include "tests/sim/support/sim_network.hpp"

namespace {

using namespace sn;
using sn::sim::event_queue;
using sn::sim::memory_log;
using sn::sim::network_faults;
using sn::sim::sim_network;

constexpr std::uint8_t heartbeat_type = 1;  // election's range; here just "alive"
constexpr std::uint64_t heartbeat_interval_ms = 200;
constexpr std::uint64_t quiet_ms_max = 120000;  // convergence must happen within this after heal
constexpr std::uint64_t check_interval_ms = 250;

const char* program_path = "sim_sync";

struct sim_params {
  std::size_t nodes = 3;
  std::optional<std::size_t> hub;  // index; nullopt: no hub (any-peer mode)
  network_faults faults;
  std::uint64_t write_phase_ms = 10000;
  std::uint64_t write_gap_ms_max = 400;
  double crash_rate = 0.0;  // crashes per second of write phase
  bool hub_moves = false;   // the election moves the hub during writes; nodes learn it at different times
  sync::sync_config cfg;
  std::vector<std::int64_t> clock_offset_ms;  // each node's wall clock error (|x| <= max_skew_ms / 4)
  std::optional<std::size_t> skewed;           // a node whose clock runs far ahead for a while
  std::uint64_t skew_ms = 0;                   // how far (> max_skew_ms beyond any other node's clock)
  std::uint64_t skew_from_ms = 0, skew_until_ms = 0;
  bool forger = false;                         // an enrolled node "NF" forges events during writes
  std::uint64_t forge_gap_ms_max = 0;          // between two of its attacks
};

const std::string forger_id = "NF";
const std::string store_id = "5157e5157e5157e5157e5157e5157e51";

struct key_pair {
  sn::trust::public_key pub{};
  sn::trust::secret_key secret{};
};

key_pair seeded_key(std::mt19937_64& rng) {
  unsigned char seed[32];
  for (auto& b : seed) b = static_cast<unsigned char>(rng());
  key_pair k;
  crypto_sign_seed_keypair(k.pub.data(), k.secret.data(), seed);
  return k;
}

struct node_state {
  std::string id;
  std::unique_ptr<memory_log> log;
  std::unique_ptr<sync::sync_fsm> fsm;
  bool up = true;
  std::uint64_t epoch = 0;            // bumped on crash: appends of an old life are lost
  std::uint64_t disk_ready_ms = 0;    // appends complete in FIFO order
  std::uint64_t crashes = 0;
  sn::hybrid_logical_clock clock;     // stamps own events, merges appended remote ones (no bound: the fsm's job)
  key_pair key;                       // its Ed25519 key, enrolled in N0's genesis
};

struct result {
  bool ok = true;
  std::string why;
  std::uint64_t events = 0;
  std::uint64_t converge_ms = 0;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::uint64_t crashes = 0;
  std::uint64_t skewed_events = 0;  // events the skewed node wrote while more than max_skew ahead
  std::uint64_t rotated_at = 0;     // the rotating node's rotation seq; 0: none
  std::uint64_t forged_events = 0;  // events the forger sent
  sync::sync_counters totals;
};

void add_counters(sync::sync_counters& t, const sync::sync_counters& c) {
  t.rounds_started += c.rounds_started;
  t.rounds_completed += c.rounds_completed;
  t.rounds_failed += c.rounds_failed;
  t.duplicates += c.duplicates;
  t.ahead_buffered += c.ahead_buffered;
  t.ahead_dropped += c.ahead_dropped;
  t.gap_requests += c.gap_requests;
  t.events_received += c.events_received;
  t.events_sent += c.events_sent;
  t.events_relayed += c.events_relayed;
  t.replies_stale += c.replies_stale;
  t.refused_clock_skew += c.refused_clock_skew;
  t.skew_waiting += c.skew_waiting;
  t.refused_own_origin += c.refused_own_origin;
  t.refused_unknown_origin += c.refused_unknown_origin;
  t.refused_bad_signature += c.refused_bad_signature;
  t.refused_unsigned += c.refused_unsigned;
  t.refused_broken_chain += c.refused_broken_chain;
  t.refused_revoked += c.refused_revoked;
  t.awaiting_signature += c.awaiting_signature;
  t.signatures_verified += c.signatures_verified;
}

std::uint64_t gate_refusals(const sync::sync_counters& c) {
  return c.refused_own_origin + c.refused_unknown_origin + c.refused_bad_signature + c.refused_unsigned +
         c.refused_broken_chain + c.refused_revoked;
}

sim_params draw_params(std::mt19937_64& rng) {
  auto uni = [&](std::uint64_t lo, std::uint64_t hi) { return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng); };
  auto real = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  sim_params p;
  p.nodes = uni(3, 5);
  if (uni(0, 9) < 8) p.hub = 0;  // 80%: a hub that may be partitioned; 20%: no hub known
  p.hub_moves = p.hub.has_value() && uni(0, 3) == 0;
  p.faults.loss = real(0.0, 0.15);
  p.faults.duplicate = real(0.0, 0.1);
  p.faults.delay_min_ms = uni(0, 5);
  p.faults.delay_max_ms = p.faults.delay_min_ms + uni(1, 80);
  p.write_phase_ms = uni(3000, 12000);
  p.write_gap_ms_max = uni(20, 600);
  p.crash_rate = uni(0, 2) == 0 ? 0.0 : real(0.0, 0.4);
  p.cfg.tick_interval_ms = 100;
  p.cfg.sync_interval_ms = uni(300, 1500);
  p.cfg.request_timeout_ms = uni(200, 1500);
  p.cfg.request_timeout_min_ms = uni(50, 300);
  if (p.cfg.request_timeout_min_ms > p.cfg.request_timeout_ms) p.cfg.request_timeout_min_ms = p.cfg.request_timeout_ms;
  p.cfg.peer_timeout_ms = uni(600, 1500);
  p.cfg.gap_retry_ms = uni(50, 500);
  p.cfg.batch_events_max = uni(5, 200);
  p.cfg.batch_bytes_max = uni(2048, 16384);
  p.cfg.live_batch_events_max = uni(1, 8);
  p.cfg.live_batch_bytes_max = uni(1024, 4096);
  p.cfg.ahead_events_max = uni(1, 64);
  p.cfg.ahead_bytes_max = uni(1024, 16384);
  p.cfg.audit_entries_max = 16;
  p.cfg.max_skew_ms = uni(500, 5000);
  p.cfg.skew_retry_min_ms = uni(50, 1000);
  p.cfg.skew_retry_max_ms = p.cfg.skew_retry_min_ms * uni(1, 32);
  const auto q = static_cast<std::int64_t>(p.cfg.max_skew_ms / 4);
  for (std::size_t i = 0; i < p.nodes; ++i) {
    p.clock_offset_ms.push_back(static_cast<std::int64_t>(uni(0, 2 * q)) - q);
  }
  if (uni(0, 1) == 0) {
    p.skewed = uni(0, p.nodes - 1);
    p.skew_ms = p.cfg.max_skew_ms + p.cfg.max_skew_ms / 2 + uni(1, 20000);
    p.skew_from_ms = uni(0, p.write_phase_ms / 2);
    p.skew_until_ms = p.skew_from_ms + uni(200, p.write_phase_ms / 2);
  }
  p.cfg.admit_unenrolled = false;  // a signed store: every origin must be enrolled
  p.forger = uni(0, 2) != 0;
  p.forge_gap_ms_max = uni(20, 400);
  return p;
}

class simulation {
public:
  simulation(std::uint64_t seed, bool verbose) : seed_(seed), verbose_(verbose), rng_(seed) {
    p_ = draw_params(rng_);
    for (std::size_t i = 0; i < p_.nodes; ++i) {
      node_state n;
      n.id = "N" + std::to_string(i);
      n.log = std::make_unique<memory_log>(n.id);
      n.key = seeded_key(rng_);
      nodes_.push_back(std::move(n));
    }
    forger_key_ = seeded_key(rng_);
    {
      std::mt19937_64 rot(seed ^ 0x5eed0f0e7a7e0000ULL);
      if (rot() % 2 == 0) {
        rotator_ = 1 + static_cast<std::size_t>(rot() % (p_.nodes - 1));
        rotate_at_ms_ = rot() % (p_.write_phase_ms / 2 + 1);
        next_key_ = seeded_key(rot);
      }
    }
    write_genesis();
    net_ = std::make_unique<sim_network>(
        p_.nodes, q_, rng_, p_.faults,
        [this](std::size_t from, std::size_t to, std::uint8_t type, const std::string& body) {
          deliver(from, to, type, body);
        });
    for (std::size_t i = 0; i < p_.nodes; ++i) boot(i);
  }

  result run() {
    if (verbose_) {
      std::printf("seed %llu: nodes=%zu hub=%s%s loss=%.2f dup=%.2f delay=%llu..%llu ms write=%llu ms crash_rate=%.2f/s\n",
                  ull(seed_), p_.nodes, p_.hub ? nodes_[*p_.hub].id.c_str() : "none", p_.hub_moves ? " (moves)" : "",
                  p_.faults.loss,
                  p_.faults.duplicate, ull(p_.faults.delay_min_ms), ull(p_.faults.delay_max_ms),
                  ull(p_.write_phase_ms), p_.crash_rate);
      std::printf("  cfg: sync_interval=%llu timeout=%llu batch=%zu/%zuB live=%zu/%zuB ahead=%zu/%zuB max_skew=%llu "
                  "skew_retry=%llu..%llu ms\n",
                  ull(p_.cfg.sync_interval_ms), ull(p_.cfg.request_timeout_ms), p_.cfg.batch_events_max,
                  p_.cfg.batch_bytes_max, p_.cfg.live_batch_events_max, p_.cfg.live_batch_bytes_max,
                  p_.cfg.ahead_events_max, p_.cfg.ahead_bytes_max, ull(p_.cfg.max_skew_ms),
                  ull(p_.cfg.skew_retry_min_ms), ull(p_.cfg.skew_retry_max_ms));
      std::printf("  clocks:");
      for (std::size_t i = 0; i < p_.nodes; ++i) std::printf(" %s%+lld ms", nodes_[i].id.c_str(), static_cast<long long>(p_.clock_offset_ms[i]));
      if (p_.skewed) {
        std::printf("; %s +%llu ms from t=%llu to t=%llu", nodes_[*p_.skewed].id.c_str(), ull(p_.skew_ms),
                    ull(p_.skew_from_ms), ull(p_.skew_until_ms));
      }
      std::printf("\n");
    }
    for (std::size_t i = 0; i < p_.nodes; ++i) {
      schedule_tick(i, rand(0, p_.cfg.tick_interval_ms - 1));
      schedule_heartbeat(i, rand(0, heartbeat_interval_ms - 1));
      schedule_write(i, rand(0, p_.write_gap_ms_max));
    }
    schedule_partition(rand(200, 2000));
    if (p_.forger) schedule_forgery(rand(0, p_.forge_gap_ms_max));
    if (p_.crash_rate > 0) schedule_crash(next_crash_delay());
    if (p_.hub_moves) schedule_hub_move(rand(500, 3000));
    const std::uint64_t end_writes = p_.write_phase_ms;
    q_.at(end_writes, [this] { heal(); });
    q_.run_until(end_writes);
    if (!res_.ok) return res_;

    // Quiet: no writes, no partitions, no crashes; faults on the wire go on.
    std::uint64_t t = end_writes;
    while (res_.ok && t < end_writes + quiet_ms_max) {
      t += check_interval_ms;
      q_.run_until(t);
      if (converged()) {
        res_.converge_ms = t - end_writes;
        break;
      }
    }
    if (res_.ok && res_.converge_ms == 0) fail("not converged " + std::to_string(quiet_ms_max) + " ms after heal");
    if (res_.ok) check_final();
    res_.messages = net_->sent();
    res_.bytes = net_->bytes();
    for (auto& n : nodes_) {
      res_.crashes += n.crashes;
      add_counters(res_.totals, n.fsm->counters());
    }
    if (verbose_) dump();
    return res_;
  }

private:
  static unsigned long long ull(std::uint64_t v) { return static_cast<unsigned long long>(v); }
  std::uint64_t rand(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
  }
  bool writing() const { return q_.now() < p_.write_phase_ms; }

  // Node i's wall clock: real time plus its error, plus the skew while it lasts.
  std::uint64_t wall_of(std::size_t i) const {
    std::uint64_t w = 1700000000000 + q_.now() + static_cast<std::uint64_t>(p_.clock_offset_ms[i]);
    if (skewed_now(i)) w += p_.skew_ms;
    return w;
  }
  bool skewed_now(std::size_t i) const {
    return p_.skewed && *p_.skewed == i && q_.now() >= p_.skew_from_ms && q_.now() < p_.skew_until_ms;
  }

  // Invariant 6: an honest node's clock is never more than max_skew_ms ahead
  // of its own wall clock (+1 ms: a logical overflow carries into the wall part).
  void check_clock(std::size_t i) {
    if (p_.skewed && *p_.skewed == i) return;
    const std::uint64_t hlc = nodes_[i].clock.last().wall_ms();
    const std::uint64_t wall = wall_of(i);
    if (hlc > wall + p_.cfg.max_skew_ms + 1) {
      fail(nodes_[i].id + "'s clock was dragged " + std::to_string(hlc - wall) + " ms ahead of its wall clock (max_skew " +
           std::to_string(p_.cfg.max_skew_ms) + " ms)");
    }
  }

  void fail(std::string why) {
    if (!res_.ok) return;
    res_.ok = false;
    res_.why = "t=" + std::to_string(q_.now()) + " ms: " + std::move(why);
  }

  static std::string hex(const sn::trust::public_key& k) { return sn::to_hex(sn::hash256(k)); }

  // N0 creates the store and enrolls every node and the forger, self-signed.
  void write_genesis() {
    node_state& n0 = nodes_[0];
    const auto hlc = sn::hlc_timestamp::from_parts(1700000000000, 0);
    auto own = [&](const auto& payload) {
      return n0.log->write_own_event(sn::make_event(sn::device_id{n0.id}, sn::origin_seq{1}, hlc, sn::term_id{1}, payload));
    };
    own(sn::store_created{store_id, "sim"});
    own(sn::device_enrolled{n0.id, hex(n0.key.pub), hex(n0.key.pub), 100, ""});
    for (std::size_t i = 1; i < nodes_.size(); ++i) {
      own(sn::device_enrolled{nodes_[i].id, hex(nodes_[i].key.pub), hex(nodes_[i].key.pub), 10, n0.id});
    }
    const sn::event last = own(sn::device_enrolled{forger_id, hex(forger_key_.pub), hex(forger_key_.pub), 1, n0.id});
    n0.log->add_signature(sign(n0, last));
    res_.events += last.seq.value();
  }

  sn::trust::origin_signature sign(const node_state& n, const sn::event& e) const {
    return {n.id, e.seq.value(), sn::trust::sign(n.key.secret, store_id, n.id, e.seq.value(), e.hash)};
  }

  void boot(std::size_t i) {
    node_state& n = nodes_[i];
    n.fsm = std::make_unique<sync::sync_fsm>(n.id, p_.cfg, *n.log);
    // The shell's start-up: the store it joined, and the membership its log holds.
    n.fsm->pin_store(store_id);
    for (const auto& [origin, seq] : n.log->versions()) {
      for (const auto& b : n.log->read_origin_bytes(origin, 1, seq, ~std::size_t{0})) {
        if (auto e = sn::decode(b)) n.fsm->observe(*e);
      }
    }
    if (p_.hub) n.fsm->set_hub(nodes_[*p_.hub].id);  // a restarted node hears the current master
    n.up = true;
  }

  // The election picks another master; each node learns it 0-800 ms later
  // (or, if down, when it restarts), so views of the hub disagree for a while.
  void schedule_hub_move(std::uint64_t delay) {
    q_.at(q_.now() + delay, [this] {
      if (!writing()) return;
      const std::size_t h = rand(0, nodes_.size() - 1);
      p_.hub = h;
      if (verbose_) std::printf("  t=%llu hub -> %s\n", ull(q_.now()), nodes_[h].id.c_str());
      for (std::size_t i = 0; i < nodes_.size(); ++i) {
        const std::uint64_t epoch = nodes_[i].epoch;
        q_.at(q_.now() + rand(0, 800), [this, i, h, epoch] {
          node_state& n = nodes_[i];
          if (n.up && n.epoch == epoch && p_.hub == h) n.fsm->set_hub(nodes_[h].id);
        });
      }
      schedule_hub_move(rand(1000, 4000));
    });
  }

  std::size_t index_of(const std::string& id) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].id == id) return i;
    }
    return nodes_.size();
  }

  // Carries out the fsm's outputs, as the actor shell does.
  void apply(std::size_t i, std::vector<sync::output> outs) {
    node_state& n = nodes_[i];
    check_bounds(i);
    for (const auto& r : n.fsm->take_refusal_notices()) {
      if (verbose_) {
        std::printf("  t=%llu %s refused %llu events of %s from seq %llu sent by %s: %s\n", ull(q_.now()), n.id.c_str(),
                    ull(r.count), r.origin.c_str(), ull(r.seq), r.peer.c_str(), r.reason.c_str());
      }
    }
    for (auto& o : outs) {
      if (auto* s = std::get_if<sync::send_message>(&o)) {
        if (s->peer == forger_id) continue;  // the forger answers nothing
        const std::size_t to = index_of(s->peer);
        if (to == nodes_.size() || to == i) {
          fail(n.id + " sent to unknown peer " + s->peer);
          continue;
        }
        net_->send(i, to, static_cast<std::uint8_t>(s->type), std::move(s->body));
      } else if (auto* pub = std::get_if<sync::publish_message>(&o)) {
        for (std::size_t j = 0; j < nodes_.size(); ++j) {
          if (j != i) net_->send(i, j, static_cast<std::uint8_t>(pub->type), pub->body);
        }
      } else if (auto* a = std::get_if<sync::append_events>(&o)) {
        // The log writer: FIFO, each append takes 0-5 ms.
        const std::uint64_t done = std::max(n.disk_ready_ms, q_.now()) + rand(0, 5);
        n.disk_ready_ms = done;
        auto batch = std::make_shared<std::vector<sn::event>>(std::move(a->events));
        auto sigs = std::make_shared<std::vector<sn::trust::origin_signature>>(std::move(a->signatures));
        const std::uint64_t epoch = n.epoch;
        q_.at(done, [this, i, epoch, batch, sigs] {
          node_state& m = nodes_[i];
          if (!m.up || m.epoch != epoch) return;  // crashed before the write: lost
          for (const auto& e : *batch) {
            if (forged_.count(e.hash) != 0) fail(m.id + " appended forged event " + e.origin.value() + ":" + std::to_string(e.seq.value()));
          }
          auto outcomes = m.log->append(*batch, *sigs);
          // The command actor's part: every appended remote event is merged into
          // this node's clock, here with no bound of its own.
          for (std::size_t k = 0; k < batch->size() && k < outcomes.size(); ++k) {
            if (outcomes[k] == storage::append_outcome::appended) m.clock.observe((*batch)[k].hlc, wall_of(i));
          }
          check_clock(i);
          apply(i, m.fsm->on_appended(outcomes, q_.now()));
        });
      }
    }
  }

  void check_bounds(std::size_t i) {
    const auto& f = *nodes_[i].fsm;
    if (f.ahead_events() > p_.cfg.ahead_events_max || f.ahead_bytes() > p_.cfg.ahead_bytes_max) {
      fail(nodes_[i].id + " ahead buffer over its bound: " + std::to_string(f.ahead_events()) + " events, " +
           std::to_string(f.ahead_bytes()) + " bytes");
    }
    if (nodes_[i].log->double_applies() != 0) fail(nodes_[i].id + " applied an event twice");
  }

  void deliver(std::size_t from, std::size_t to, std::uint8_t type, const std::string& body) {
    node_state& n = nodes_[to];
    if (!n.up || !nodes_[from].up) return;
    if (type == heartbeat_type) {
      n.fsm->peer_seen(nodes_[from].id, q_.now());
      return;
    }
    apply(to, n.fsm->on_message(nodes_[from].id, type, body, q_.now(), wall_of(to)));
  }

  void schedule_tick(std::size_t i, std::uint64_t delay) {
    q_.at(q_.now() + delay, [this, i] {
      node_state& n = nodes_[i];
      if (n.up) {
        apply(i, n.fsm->on_tick(q_.now(), wall_of(i)));
        if (writing() && rand(0, 99) == 0) apply(i, n.fsm->sync_now(q_.now()));  // the operator's retry button
      }
      schedule_tick(i, p_.cfg.tick_interval_ms);
    });
  }

  void schedule_heartbeat(std::size_t i, std::uint64_t delay) {
    q_.at(q_.now() + delay, [this, i] {
      if (nodes_[i].up) {
        for (std::size_t j = 0; j < nodes_.size(); ++j) {
          if (j != i) net_->send(i, j, heartbeat_type, std::string());
        }
      }
      schedule_heartbeat(i, heartbeat_interval_ms);
    });
  }

  void schedule_write(std::size_t i, std::uint64_t delay) {
    q_.at(q_.now() + delay, [this, i] {
      if (!writing()) return;
      node_state& n = nodes_[i];
      if (n.up) {
        std::vector<std::string> encoded;
        std::vector<sn::trust::origin_signature> sigs;
        if (rotator_ && *rotator_ == i && res_.rotated_at == 0 && q_.now() >= rotate_at_ms_) {
          // The rotation opens this batch: its own seq is signed with the old
          // key (the log writer's rule), what follows with the new one.
          const sn::event r = n.log->write_own_event(
              sn::make_event(sn::device_id{n.id}, sn::origin_seq{1}, n.clock.now(wall_of(i)), sn::term_id{1},
                             sn::device_keys_rotated{n.id, hex(next_key_.pub), hex(next_key_.pub), "admin"}));
          encoded.push_back(sn::encode(r));
          sigs.push_back(sign(n, r));
          n.log->add_signature(sigs.back());
          n.key = next_key_;
          n.fsm->observe(r);  // the shell feeds the keyring its own committed membership events
          res_.rotated_at = r.seq.value();
          ++res_.events;
        }
        const std::uint64_t count = rand(1, 4);
        for (std::uint64_t k = 0; k < count; ++k) {
          const auto delta = static_cast<std::int64_t>(rand(0, 20)) - 10;
          const auto stamp = n.clock.now(wall_of(i));
          encoded.push_back(n.log->write_own(stamp.wall_ms(), delta == 0 ? 1 : delta));
          // The log writer signs the last own event of each commit batch.
          if (k + 1 == count) {
            auto e = sn::decode(encoded.back());
            sigs.push_back(sign(n, *e));
            n.log->add_signature(sigs.back());
          }
          ++res_.events;
          if (p_.skewed && *p_.skewed == i && stamp.wall_ms() > 1700000000000 + q_.now() + p_.cfg.max_skew_ms) {
            ++res_.skewed_events;
          }
        }
        apply(i, n.fsm->on_local_appended(encoded, q_.now(), sigs));
      }
      schedule_write(i, rand(1, p_.write_gap_ms_max));
    });
  }

  void schedule_partition(std::uint64_t delay) {
    q_.at(q_.now() + delay, [this] {
      if (!writing()) return;
      const std::uint64_t kind = rand(0, 3);
      std::vector<bool> side(nodes_.size(), false);
      std::string what;
      if (kind == 0) {
        net_->heal_all();
        what = "heal";
      } else if (kind == 1) {
        const std::size_t lone = rand(0, nodes_.size() - 1);  // may be the hub
        side[lone] = true;
        net_->partition(side);
        what = "isolate " + nodes_[lone].id;
      } else if (kind == 2) {
        for (std::size_t k = 0; k < side.size(); ++k) side[k] = rand(0, 1) == 1;
        net_->partition(side);
        what = "split";
        for (std::size_t k = 0; k < side.size(); ++k) what += side[k] ? " +" + nodes_[k].id : " -" + nodes_[k].id;
      } else {
        const std::size_t a = rand(0, nodes_.size() - 1);
        const std::size_t b = (a + 1 + rand(0, nodes_.size() - 2)) % nodes_.size();
        net_->set_link(a, b, false);  // one link: a and b see each other only through others
        what = "cut " + nodes_[a].id + "-" + nodes_[b].id;
      }
      if (verbose_) std::printf("  t=%llu partition: %s\n", ull(q_.now()), what.c_str());
      schedule_partition(rand(300, 3000));
    });
  }

  // The forger: an enrolled device with a connection that writes events
  // under other origins (invariant 7).
  void schedule_forgery(std::uint64_t delay) {
    q_.at(q_.now() + delay, [this] {
      if (!writing()) return;
      const std::size_t target = rand(0, nodes_.size() - 1);
      node_state& t = nodes_[target];
      if (t.up) forge_at(target);
      schedule_forgery(rand(1, p_.forge_gap_ms_max));
    });
  }

  void forge_at(std::size_t target) {
    node_state& t = nodes_[target];
    // Whose origin: another honest node's (most often), the target's own, the forger's own, or a stranger's.
    std::string origin;
    const std::uint64_t who = rand(0, 9);
    if (who < 6) {
      origin = nodes_[rand(0, nodes_.size() - 1)].id;
      if (origin == t.id) origin = nodes_[(index_of(origin) + 1) % nodes_.size()].id;
    } else if (who == 6) {
      origin = t.id;
    } else if (who == 7) {
      origin = forger_id;
    } else {
      origin = "EVIL";
    }
    // Chain onto the head the target holds (as a relay would know it).
    const auto v = t.log->versions();
    const std::uint64_t head = v.count(origin) ? v.at(origin) : 0;
    sn::hash256 prev{};
    if (head > 0) prev = *t.log->hash_of(origin, head);
    std::vector<std::string> bytes;
    sn::event last;
    const std::uint64_t count = rand(1, 4);
    for (std::uint64_t k = 0; k < count; ++k) {
      sn::price_changed p;
      p.sku = "SKU-" + std::to_string(rand(0, 6));
      p.price_cents = 1;
      sn::event e = sn::make_event(sn::device_id{origin}, sn::origin_seq{head + 1 + k},
                                   sn::hlc_timestamp::from_parts(wall_of(target), 0), sn::term_id{1}, p);
      e.prev_hash = prev;
      sn::seal(e);
      prev = e.hash;
      forged_.insert(e.hash);
      bytes.push_back(sn::encode(e));
      last = e;
    }
    res_.forged_events += count;
    // Which evidence: none, the forger's own key, a real signature of another seq, a real later one.
    std::vector<sn::trust::origin_signature> sigs;
    std::uint64_t how = rand(0, 3);
    if (origin == forger_id && how == 1) how = 0;  // its own key on its own origin would be no forgery
    const std::size_t owner = index_of(origin);
    const memory_log* source = owner < nodes_.size() ? nodes_[owner].log.get() : nullptr;
    if (how == 1) {
      sigs.push_back({origin, last.seq.value(),
                      sn::trust::sign(forger_key_.secret, store_id, origin, last.seq.value(), last.hash)});
    } else if (how >= 2 && source != nullptr) {
      auto real = source->signatures(origin, 1, ~std::uint64_t{0});
      if (!real.empty()) {
        auto sig = real[rand(0, real.size() - 1)];
        if (how == 2) sig.seq = last.seq.value();  // replayed at the forged seq
        sigs.push_back(sig);
      }
    }
    const bool as_reply = rand(0, 1) == 1;
    const std::string body = as_reply ? sync::encode_sync_reply(0, v, false, bytes, sigs)
                                      : sync::encode_live_events(bytes, 0, bytes.size(), sigs);
    const auto type = static_cast<std::uint8_t>(as_reply ? sync::message_type::sync_reply : sync::message_type::live_events);
    apply(target, t.fsm->on_message(forger_id, type, body, q_.now(), wall_of(target)));
  }

  std::uint64_t next_crash_delay() {
    return static_cast<std::uint64_t>(std::exponential_distribution<double>(p_.crash_rate)(rng_) * 1000.0) + 1;
  }

  void schedule_crash(std::uint64_t delay) {
    q_.at(q_.now() + delay, [this] {
      if (!writing()) return;
      const std::size_t i = rand(0, nodes_.size() - 1);
      node_state& n = nodes_[i];
      if (n.up) {
        n.up = false;
        ++n.epoch;
        ++n.crashes;
        add_counters(res_.totals, n.fsm->counters());  // its counts so far still count
        n.fsm.reset();  // state machine memory is gone; the log is durable
        const std::uint64_t down = rand(200, 3000);
        if (verbose_) std::printf("  t=%llu crash %s for %llu ms\n", ull(q_.now()), n.id.c_str(), ull(down));
        q_.at(q_.now() + down, [this, i] { restart(i); });
      }
      schedule_crash(next_crash_delay());
    });
  }

  void restart(std::size_t i) {
    if (nodes_[i].up) return;
    boot(i);
    if (verbose_) std::printf("  t=%llu restart %s\n", ull(q_.now()), nodes_[i].id.c_str());
  }

  void heal() {
    net_->heal_all();
    for (std::size_t i = 0; i < nodes_.size(); ++i) restart(i);
    // Election has settled: everyone knows the final master.
    if (p_.hub) {
      for (auto& n : nodes_) n.fsm->set_hub(nodes_[*p_.hub].id);
    }
    if (verbose_) std::printf("  t=%llu heal all, writes stop (%llu events written)\n", ull(q_.now()), ull(res_.events));
  }

  bool converged() const {
    const auto v0 = nodes_[0].log->versions();
    for (const auto& n : nodes_) {
      if (n.log->size() != res_.events || n.log->versions() != v0) return false;
      if (n.fsm->pending_changes() != 0) return false;
    }
    return true;
  }

  void check_final() {
    const auto& n0 = nodes_[0];
    if (res_.rotated_at != 0) {
      const std::string& rid = nodes_[*rotator_].id;
      for (const auto& n : nodes_) {
        const sn::trust::member* m = n.fsm->keyring().find(rid);
        const sn::trust::public_key* k = m != nullptr ? m->key_at(res_.rotated_at + 1) : nullptr;
        if (k == nullptr || *k != next_key_.pub || *m->key_at(res_.rotated_at) == next_key_.pub)
          fail(n.id + "'s keyring does not hold " + rid + "'s rotation at seq " + std::to_string(res_.rotated_at));
        if (n.fsm->counters().refused_bad_signature != 0 && !p_.forger)
          fail(n.id + " refused events for a bad signature with no forger in the store");
      }
    }
    sn::sim::hash_set all;
    for (const auto& n : nodes_) all.insert(n.log->hashes().begin(), n.log->hashes().end());
    if (all.size() != res_.events) fail("union of logs holds " + std::to_string(all.size()) + " events, written " +
                                        std::to_string(res_.events));
    for (const auto& n : nodes_) {
      if (n.log->versions() != n0.log->versions()) fail(n.id + " version vector differs from " + n0.id);
      if (n.log->hashes() != all) fail(n.id + " misses events written elsewhere");
      if (n.log->delta_sum() != n0.log->delta_sum()) fail(n.id + " projection differs from " + n0.id);
      for (const auto& [name, digest] : n.log->digests()) {
        if (n0.log->digests().at(name) != digest) fail(n.id + "'s " + name + " projection digest differs from " + n0.id + "'s");
      }
      if (n.log->double_applies() != 0) fail(n.id + " applied an event twice");
      for (const auto& h : n.log->hashes()) {
        if (forged_.count(h) != 0) fail(n.id + " holds a forged event");
      }
      for (const auto& [outcome, count] : n.log->outcome_counts()) {
        if (outcome != storage::append_outcome::appended && count != 0) {
          fail(n.id + "'s log refused " + std::to_string(count) + " events the fsm sent it (outcome " +
               std::to_string(static_cast<int>(outcome)) + ")");
        }
      }
      const auto st = n.fsm->status();
      if (st.state == sync::sync_state::offline) fail(n.id + " offline after heal");
      if (st.pending_changes != 0) fail(n.id + " has pending changes after heal");
      if (st.ahead_events != 0) fail(n.id + " still holds events ahead of a gap");
      if (!st.skew_holds.empty()) fail(n.id + " still holds " + st.skew_holds.front().origin + " for clock skew");
    }
    for (std::size_t i = 0; i < nodes_.size(); ++i) check_clock(i);
    if (res_.forged_events > 0) {
      sync::sync_counters c;
      for (const auto& n : nodes_) add_counters(c, n.fsm->counters());
      add_counters(c, res_.totals);
      if (gate_refusals(c) == 0) fail("the forger sent " + std::to_string(res_.forged_events) + " events and the gate refused none");
    }
  }

  void dump() const {
    for (const auto& n : nodes_) {
      const auto st = n.fsm->status();
      const auto& c = st.counters;
      std::printf("  %s: %s events=%llu pending=%llu crashes=%llu rounds=%llu/%llu failed=%llu sent=%llu recv=%llu "
                  "dups=%llu ahead_buf=%llu ahead_drop=%llu gaps=%llu relayed=%llu stale=%llu\n",
                  n.id.c_str(), sync::to_string(st.state), ull(n.log->size()), ull(st.pending_changes),
                  ull(n.crashes), ull(c.rounds_completed), ull(c.rounds_started), ull(c.rounds_failed),
                  ull(c.events_sent), ull(c.events_received), ull(c.duplicates), ull(c.ahead_buffered),
                  ull(c.ahead_dropped), ull(c.gap_requests), ull(c.events_relayed), ull(c.replies_stale));
      std::printf("      syncing_with=%s appends_in_flight=%zu ahead=%zu requests=%llu retries=%llu replies=%llu "
                  "last_error=%s\n",
                  st.syncing_with ? st.syncing_with->c_str() : "-", st.appends_in_flight, st.ahead_events,
                  ull(c.requests_sent), ull(c.request_retries), ull(c.replies_received), st.last_error.c_str());
      for (const auto& [o, seq] : st.versions) std::printf("      %s:%llu", o.c_str(), ull(seq));
      std::printf("\n");
    }
    std::printf("  %s: converged %llu ms after heal; %llu messages, %llu dropped, %llu duplicated\n",
                res_.ok ? "ok" : res_.why.c_str(), ull(res_.converge_ms), ull(net_->sent()), ull(net_->dropped()),
                ull(net_->duplicated()));
  }

  std::uint64_t seed_;
  bool verbose_;
  std::mt19937_64 rng_;
  sim_params p_;
  event_queue q_;
  std::unique_ptr<sim_network> net_;
  std::vector<node_state> nodes_;
  result res_;
  key_pair forger_key_;
  std::optional<std::size_t> rotator_;  // the node that rotates its key once (invariant 8)
  std::uint64_t rotate_at_ms_ = 0;
  key_pair next_key_;
  sn::sim::hash_set forged_;  // hashes of every event the forger made
};

int usage() {
  std::fprintf(stderr, "usage: %s [--seeds N] [--first S] | --seed S [--verbose] | --catchup EVENTS\n", program_path);
  return 2;
}

// --catchup N: the CPU cost of the protocol itself. Node A holds N events, node
// B none; a perfect network (no delay, no loss) and an instant in-memory disk.
// Measures how fast B's sync_fsm pulls everything in default-sized batches:
// decode, at-most-once gate, message codec, and the in-memory log's checks
// (hash verification included). The real node adds RocksDB and ZeroMQ.
int run_catchup(std::uint64_t n) {
  memory_log a_log("A");
  memory_log b_log("B");
  for (std::uint64_t i = 0; i < n; ++i) (void)a_log.write_own(1700000000000 + i, 1);
  sync::sync_config cfg;
  sync::sync_fsm a("A", cfg, a_log);
  sync::sync_fsm b("B", cfg, b_log);
  struct msg {
    bool to_b;
    std::uint8_t type;
    std::string body;
  };
  std::deque<msg> wire;
  std::uint64_t now = 0, batches = 0, bytes = 0;
  const std::uint64_t wall = 1700000000000 + n;  // every event's HLC is behind it
  std::size_t peak_append = 0;
  auto carry = [&](bool from_b, std::vector<sync::output> outs, auto& self) -> void {
    for (auto& o : outs) {
      if (auto* s = std::get_if<sync::send_message>(&o)) {
        bytes += s->body.size();
        wire.push_back(msg{!from_b, static_cast<std::uint8_t>(s->type), std::move(s->body)});
      } else if (auto* ap = std::get_if<sync::append_events>(&o)) {
        memory_log& log = from_b ? b_log : a_log;
        sync::sync_fsm& f = from_b ? b : a;
        peak_append = std::max(peak_append, ap->events.size());
        ++batches;
        self(from_b, f.on_appended(log.append(ap->events), now), self);
      }
    }
  };
  const auto start = std::chrono::steady_clock::now();
  b.peer_seen("A", now);
  a.peer_seen("B", now);
  carry(true, b.on_tick(now, wall), carry);
  while (!wire.empty()) {
    msg m = std::move(wire.front());
    wire.pop_front();
    if (m.to_b) {
      carry(true, b.on_message("A", m.type, m.body, now, wall), carry);
    } else {
      carry(false, a.on_message("B", m.type, m.body, now, wall), carry);
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const bool ok = b_log.hashes() == a_log.hashes();
  std::printf("catch-up of %llu events: %s in %.3f s = %.0f events/s; %llu append batches (largest %zu events), "
              "%.1f MB on the wire\n",
              static_cast<unsigned long long>(n), ok ? "complete" : "INCOMPLETE", secs, n / secs,
              static_cast<unsigned long long>(batches), peak_append, bytes / 1e6);
  return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  program_path = argv[0];
  std::uint64_t first = 1;
  std::uint64_t count = 1000;
  bool verbose = false;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    auto value = [&]() -> std::uint64_t {
      if (a + 1 >= argc) std::exit(usage());
      return std::strtoull(argv[++a], nullptr, 10);
    };
    if (arg == "--seed") {
      first = value();
      count = 1;
    } else if (arg == "--seeds") {
      count = value();
    } else if (arg == "--first") {
      first = value();
    } else if (arg == "--catchup") {
      return run_catchup(value());
    } else if (arg == "--verbose") {
      verbose = true;
    } else {
      return usage();
    }
  }
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t failures = 0, events = 0, messages = 0, crashes = 0, converge_max = 0, converge_sum = 0;
  std::uint64_t slowest_seed = first;
  std::uint64_t skewed_seeds = 0;
  std::uint64_t forged = 0;
  sync::sync_counters totals;
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    simulation sim(seed, verbose);
    const result r = sim.run();
    events += r.events;
    messages += r.messages;
    crashes += r.crashes;
    if (r.converge_ms > converge_max) {
      converge_max = r.converge_ms;
      slowest_seed = seed;
    }
    converge_sum += r.converge_ms;
    add_counters(totals, r.totals);
    if (r.skewed_events > 0) ++skewed_seeds;
    forged += r.forged_events;
    if (!r.ok) {
      ++failures;
      std::printf("FAILED seed %llu: %s\n  replay: %s --seed %llu --verbose\n", static_cast<unsigned long long>(seed),
                  r.why.c_str(), program_path, static_cast<unsigned long long>(seed));
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("sim_sync: %llu seeds from %llu, %llu failed, %.2f s; %llu events, %llu messages, %llu crashes; "
              "convergence after heal: mean %llu ms, max %llu ms (seed %llu); rounds %llu (%llu failed), gap requests %llu, "
              "ahead buffered %llu / dropped %llu, duplicates dropped %llu, relayed %llu\n",
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(failures), secs, static_cast<unsigned long long>(events),
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(crashes),
              static_cast<unsigned long long>(count ? converge_sum / count : 0),
              static_cast<unsigned long long>(converge_max), static_cast<unsigned long long>(slowest_seed),
              static_cast<unsigned long long>(totals.rounds_started),
              static_cast<unsigned long long>(totals.rounds_failed), static_cast<unsigned long long>(totals.gap_requests),
              static_cast<unsigned long long>(totals.ahead_buffered), static_cast<unsigned long long>(totals.ahead_dropped),
              static_cast<unsigned long long>(totals.duplicates), static_cast<unsigned long long>(totals.events_relayed));
  std::printf("sim_sync: %llu seeds with a node writing beyond max_skew; %llu events refused for clock skew, %llu "
              "waiting behind them dropped (asked for again)\n",
              static_cast<unsigned long long>(skewed_seeds), static_cast<unsigned long long>(totals.refused_clock_skew),
              static_cast<unsigned long long>(totals.skew_waiting));
  std::printf("sim_sync: the forger sent %llu events; the gate refused %llu (own origin %llu, unknown %llu, bad signature "
              "%llu, unsigned %llu, broken chain %llu); %llu held for a later signature; %llu signatures verified\n",
              static_cast<unsigned long long>(forged), static_cast<unsigned long long>(gate_refusals(totals)),
              static_cast<unsigned long long>(totals.refused_own_origin),
              static_cast<unsigned long long>(totals.refused_unknown_origin),
              static_cast<unsigned long long>(totals.refused_bad_signature),
              static_cast<unsigned long long>(totals.refused_unsigned),
              static_cast<unsigned long long>(totals.refused_broken_chain),
              static_cast<unsigned long long>(totals.awaiting_signature),
              static_cast<unsigned long long>(totals.signatures_verified));
  if (count >= 50 && skewed_seeds > 0 && totals.refused_clock_skew == 0) {
    std::printf("FAILED: skewed nodes wrote beyond max_skew in %llu seeds but no event was ever refused\n",
                static_cast<unsigned long long>(skewed_seeds));
    return 1;
  }
  return failures == 0 ? 0 : 1;
}
