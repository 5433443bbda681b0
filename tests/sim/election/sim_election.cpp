// Deterministic simulation of the election state machines of 2..7 nodes
// (ARCHITECTURE.md §3, §6). One seed fixes everything: node count, priorities,
// quorum mode, clock offsets and rate drift, network loss / duplication /
// delay, and the fault schedule (crashes, restarts with persisted term and vote
// only, partitions and heals, graceful shutdowns, manual overrides). Time is a
// simulated real-time clock in ms; each node sees its own skewed clock.
//
// Invariants checked (each failure prints the seed and the replay command):
//  1. votes: a node never grants two different candidates a vote in one term,
//     across restarts (checked on every persisted state);
//  2. terms are monotonic per node, across restarts;
//  3. one master per term: in majority mode never two different masters of a
//     term; in any mode two masters of one term must have been elected by
//     disjoint sets of participants (only a partition can do that);
//  4. majority mode: never two nodes in a master role at the same instant
//     (the lease argument of actors/election/README.md);
//  5. a node restarted while a master was alive and reachable (same side,
//     lossless network) does not win an election while that master still is;
//  6. no illegal role transition is ever attempted;
//  7. after heal and a quiet period: exactly one master, recognised by all;
//  8. terms move only with elections: no honest node's term ever exceeds the
//     number of pre-vote and vote rounds honest nodes started, although on
//     half the seeds a peer ("LIAR") sends heartbeats, pre-votes, votes and
//     refusals claiming terms up to 1000 above the store's (issue 16);
//  9. at the final heal, when two masters meet and one's side was larger
//     (by more than the devices restarted at that moment or following no
//     master, which may join either side first; and the sides settled for two
//     failure timeouts), that master keeps the role: a cut-off device never deposes the master the
//     rest of the store followed (issue 13).
//
// Usage: sim_election [--seed N] [--seeds COUNT] [--first N] [--verbose]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "actors/election/election_fsm.hpp"
#include "actors/election/messages.hpp"

namespace {

using namespace sn::election;

constexpr std::uint64_t chaos_ms = 8'000;         // faults happen in [0, chaos_ms)
constexpr std::uint64_t quiet_ms = 5'000;         // then: healed, all up, lossless
constexpr std::size_t events_max = 2'000'000;     // bound of one run (a livelock is a failure too)
constexpr const char* liar_id = "LIAR";           // a peer that lies about its term (invariant 8)
constexpr std::uint64_t liar_lie_max = 1000;      // how far above the store's term it claims

struct failure {
  std::string what;
};

// Totals over all seeds run, printed at the end: they show the faults and
// protocol paths the seeds actually exercised.
struct totals {
  std::uint64_t majority_runs = 0;
  std::uint64_t elections_won = 0;
  std::uint64_t split_brain = 0;
  std::uint64_t handoffs_completed = 0;
  std::uint64_t handoffs_failed = 0;
  std::uint64_t lease_step_downs = 0;
  std::uint64_t crashes = 0;
  std::uint64_t partitions = 0;
  std::uint64_t lies = 0;
  std::uint64_t heal_checks = 0;  // final heals where invariant 9 applied
} g_totals;

struct message_in_flight {
  std::string from;
  std::string to;
  std::uint8_t type = 0;
  std::string body;
  std::map<std::string, std::uint64_t> log;  // sender's log at send time (sync model)
  std::uint64_t sender_boot = 0;
};

enum class kind { deliver, tick, fault, sale, lie };

struct sim_event {
  std::uint64_t at = 0;
  std::uint64_t seq = 0;
  kind k = kind::tick;
  std::size_t node = 0;
  std::uint64_t boot = 0;    // tick/sale: node incarnation it belongs to
  std::shared_ptr<message_in_flight> msg;
  bool operator>(const sim_event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

struct node {
  std::string id;
  std::int32_t priority = 0;
  std::unique_ptr<election_fsm> fsm;  // null while down
  persisted disk;                     // survives crashes
  std::map<std::string, std::uint64_t> log;  // survives crashes (acknowledged events are durable)
  std::uint64_t boot = 0;             // incarnation counter
  std::int64_t clock_offset = 0;      // local = real + offset + real*drift_ppm/1e6
  std::int64_t drift_ppm = 0;
  std::uint64_t timer_real = 0;       // real time of the pending tick (0: none)
  int group = 0;                      // partition side
  std::uint64_t boot_real = 0;        // when this incarnation started
  bool was_master_ever = false;
  std::uint64_t master_since = 0;     // real time it entered a master role (valid while in it)
};

class simulation {
public:
  simulation(std::uint64_t seed, bool verbose) : seed_(seed), rng_(seed * 0x9E3779B97F4A7C15ull + 1), verbose_(verbose) {}

  std::optional<failure> run() {
    try {
      setup();
      loop();
      final_check();
    } catch (const failure& f) {
      return f;
    }
    return std::nullopt;
  }

  std::string describe() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "nodes=%zu quorum=%s loss=%u%% dup=%u%% delay<=%llums", nodes_.size(),
                  majority_ ? "majority" : "any", loss_pct_, dup_pct_, static_cast<unsigned long long>(delay_max_));
    return std::string(buf) + (liar_ ? " liar" : "");
  }

private:
  std::uint64_t rand(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool chance(unsigned pct) { return rand(100) < pct; }

  [[noreturn]] void fail(const std::string& what) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "t=%llums: ", static_cast<unsigned long long>(now_));
    throw failure{buf + what};
  }

  std::uint64_t local(const node& n, std::uint64_t real) const {
    const std::int64_t drift = static_cast<std::int64_t>(real) * n.drift_ppm / 1'000'000;
    return static_cast<std::uint64_t>(n.clock_offset + static_cast<std::int64_t>(real) + drift);
  }
  std::uint64_t real_of(const node& n, std::uint64_t local_ms) const {
    const double r = (static_cast<double>(local_ms) - static_cast<double>(n.clock_offset)) /
                     (1.0 + static_cast<double>(n.drift_ppm) / 1e6);
    return r < static_cast<double>(now_) ? now_ : static_cast<std::uint64_t>(r) + 1;
  }

  void push(sim_event e) {
    e.seq = next_seq_++;
    queue_.push(std::move(e));
  }

  election_config config() const {
    election_config c;
    c.quorum = majority_ ? quorum_mode::majority : quorum_mode::any;
    return c;
  }

  void setup() {
    const std::size_t n = 2 + rand(6);  // 2..7
    majority_ = n >= 3 && rand(3) == 0;
    loss_pct_ = rand(3) == 0 ? 0 : static_cast<unsigned>(rand(15));
    dup_pct_ = static_cast<unsigned>(rand(10));
    delay_max_ = 1 + rand(rand(2) == 0 ? 5 : 60);
    for (std::size_t i = 0; i < n; ++i) {
      node nd;
      nd.id = "N" + std::to_string(i);
      nd.priority = static_cast<std::int32_t>(rand(4)) * 10;  // ties happen: broken by id
      nd.clock_offset = static_cast<std::int64_t>(rand(1'000'000));
      nd.drift_ppm = static_cast<std::int64_t>(rand(2001)) - 1000;
      nodes_.push_back(std::move(nd));
    }
    for (std::size_t i = 0; i < n; ++i) {
      // Staggered starts, some simultaneous.
      const std::uint64_t at = rand(2) == 0 ? 0 : rand(1500);
      push({at, 0, kind::fault, i, 0, nullptr});  // fault at a down node = start it
      start_pending_.insert(i);
    }
    // Fault schedule.
    std::uint64_t t = 500;
    while (true) {
      t += 100 + rand(900);
      if (t >= chaos_ms) break;
      push({t, 0, kind::fault, nodes_.size(), 0, nullptr});  // node index n: a random fault
    }
    push({chaos_ms, 0, kind::fault, nodes_.size() + 1, 0, nullptr});  // marks the quiet period's start
    liar_ = rand(2) == 0;
    if (liar_) push({rand(500), 0, kind::lie, 0, 0, nullptr});
  }

  void start_node(std::size_t i) {
    node& nd = nodes_[i];
    ++nd.boot;
    nd.boot_real = now_;
    nd.clock_offset = static_cast<std::int64_t>(rand(1'000'000));  // a new process: any monotonic origin
    nd.fsm = std::make_unique<election_fsm>(nd.id, nd.priority, "b" + std::to_string(nd.boot), "sim://" + nd.id,
                                            config(), nd.disk, seed_ * 131 + i * 7 + nd.boot, local(nd, now_));
    std::vector<std::string> members;
    for (const auto& o : nodes_) members.push_back(o.id);
    nd.fsm->set_members(members);
    apply(i, nd.fsm->set_log_summary(nd.log, local(nd, now_)));
    apply(i, nd.fsm->on_tick(local(nd, now_)));
    push({now_ + 1 + rand(200), 0, kind::sale, i, nd.boot, nullptr});
    trace(i, "start");
  }

  void crash(std::size_t i) {
    node& nd = nodes_[i];
    add_counters(nd);
    rounds_done_ += nd.fsm->counters().pre_votes_started + nd.fsm->counters().elections_started;
    nd.fsm.reset();
    nd.timer_real = 0;
    ++g_totals.crashes;
    trace(i, "crash");
  }

  bool connected(std::size_t a, std::size_t b) const { return nodes_[a].group == nodes_[b].group; }

  std::size_t index_of(const std::string& id) const {
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (nodes_[i].id == id) return i;
    }
    return nodes_.size();
  }

  void transmit(std::size_t from, std::size_t to, std::uint8_t type, const std::string& body) {
    if (to >= nodes_.size() || to == from || !connected(from, to)) return;
    if (!quiet_ && chance(loss_pct_)) return;
    const int copies = (!quiet_ && chance(dup_pct_)) ? 2 : 1;
    for (int c = 0; c < copies; ++c) {
      auto m = std::make_shared<message_in_flight>();
      m->from = nodes_[from].id;
      m->to = nodes_[to].id;
      m->type = type;
      m->body = body;
      m->log = nodes_[from].log;
      push({now_ + 1 + rand(delay_max_), 0, kind::deliver, to, 0, m});
    }
  }

  void apply(std::size_t i, std::vector<output> outs) {
    bool seen_timer = false;
    for (auto& o : outs) {
      node& nd = nodes_[i];
      if (auto* ps = std::get_if<persist_state>(&o)) {
        check_persist(i, ps->state);
        nd.disk = ps->state;
      } else if (auto* pub = std::get_if<publish_message>(&o)) {
        for (std::size_t j = 0; j < nodes_.size(); ++j) {
          if (nodes_[j].fsm) transmit(i, j, static_cast<std::uint8_t>(pub->type), pub->body);
        }
      } else if (auto* sm = std::get_if<send_message>(&o)) {
        if (sm->address != "sim://" + sm->device) fail(nd.id + " sent to a wrong address " + sm->address);
        if (sm->device == liar_id) {
          liar_answer(i, static_cast<std::uint8_t>(sm->type), sm->body);
          continue;
        }
        const std::size_t j = index_of(sm->device);
        if (j < nodes_.size() && nodes_[j].fsm) transmit(i, j, static_cast<std::uint8_t>(sm->type), sm->body);
      } else if (auto* rc = std::get_if<role_changed>(&o)) {
        on_role_changed(i, *rc);
      } else if (auto* am = std::get_if<append_master_changed>(&o)) {
        on_master_changed(i, am->payload);
      } else if (std::get_if<shutdown_ready>(&o)) {
        trace(i, "shutdown_ready");
        add_counters(nd);
        rounds_done_ += nd.fsm->counters().pre_votes_started + nd.fsm->counters().elections_started;
        nd.fsm.reset();
        nd.timer_real = 0;
        if (quiet_) push({now_ + 100, 0, kind::fault, i, 0, nullptr});  // comes back: all up at the end
        return;
      } else if (auto* st = std::get_if<set_timer>(&o)) {
        if (seen_timer) fail(nd.id + " output two set_timer in one result");
        seen_timer = true;
        if (&o != &outs.back()) fail(nd.id + " set_timer is not the last output");
        nd.timer_real = real_of(nd, st->deadline_ms);
        push({nd.timer_real, 0, kind::tick, i, nd.boot, nullptr});
      }
    }
    if (nodes_[i].fsm && !outs.empty() && !seen_timer) fail(nodes_[i].id + " result without set_timer");
    if (!outs.empty() && std::holds_alternative<persist_state>(outs.front()) == false) {
      for (std::size_t k = 1; k < outs.size(); ++k) {
        if (std::holds_alternative<persist_state>(outs[k])) fail(nodes_[i].id + " persist_state is not first");
      }
    }
    check_instant();
  }

  void check_persist(std::size_t i, const persisted& p) {
    node& nd = nodes_[i];
    if (p.term < nd.disk.term) fail(nd.id + " term went down: " + std::to_string(nd.disk.term) + " -> " + std::to_string(p.term));
    if (p.voted_term > p.term) fail(nd.id + " voted in a term above its own");
    if (p.term > rounds_so_far()) {
      fail(nd.id + " term " + std::to_string(p.term) + " above the " + std::to_string(rounds_so_far()) +
           " rounds honest nodes started (lifted by a message alone)");
    }
    if (!p.voted_for.empty()) {
      auto& rec = votes_[p.voted_term];
      auto it = rec.find(nd.id);
      if (it != rec.end() && it->second != p.voted_for) {
        fail(nd.id + " voted twice in term " + std::to_string(p.voted_term) + ": " + it->second + " and " + p.voted_for);
      }
      rec[nd.id] = p.voted_for;
    }
  }

  void on_role_changed(std::size_t i, const role_changed& rc) {
    node& nd = nodes_[i];
    if (verbose_) {
      std::printf("%8llu %s %s -> %s (%s) term %llu master %s\n", static_cast<unsigned long long>(now_), nd.id.c_str(),
                  to_string(rc.from), to_string(rc.to), to_string(rc.cause), static_cast<unsigned long long>(rc.term),
                  rc.master.c_str());
    }
    if (is_master_role(rc.to) && !is_master_role(rc.from)) {
      nd.master_since = now_;
      if (rc.cause == role_event::vote_won) check_restarted_master_rule(i);
      nd.was_master_ever = true;
    }
  }

  // Invariant 5: nd restarted while master M was alive and reachable; it must
  // not win an election while M is still master (lossless runs only: with loss
  // "reachable" is a matter of probability).
  void check_restarted_master_rule(std::size_t i) {
    const node& nd = nodes_[i];
    if (loss_pct_ != 0 || nd.boot < 2 || !nd.was_master_ever) return;
    for (std::size_t j = 0; j < nodes_.size(); ++j) {
      const node& m = nodes_[j];
      if (j == i || !m.fsm || !is_master_role(m.fsm->current_role())) continue;
      if (m.master_since + 1 < nd.boot_real && last_partition_change_ + 1 < nd.boot_real && connected(i, j)) {
        fail(nd.id + " (restarted former master) became master while " + m.id + " was master and reachable");
      }
    }
  }

  void on_master_changed(std::size_t i, const sn::master_changed& mc) {
    if (verbose_) {
      std::printf("%8llu %s master_changed %s -> %s term %llu reason %s\n", static_cast<unsigned long long>(now_),
                  nodes_[i].id.c_str(), mc.previous_master.c_str(), mc.new_master.c_str(),
                  static_cast<unsigned long long>(mc.term), mc.reason.c_str());
    }
    if (mc.reason == "split_brain") {
      if (mc.previous_master != nodes_[i].id) fail("split_brain record written by a node that was not the loser");
      return;
    }
    if (mc.new_master != nodes_[i].id) fail("master_changed written by a node other than the new master");
    auto& list = masters_by_term_[mc.term];
    for (const auto& [other, participants] : list) {
      if (other == mc.new_master) continue;
      if (majority_) fail("two masters in term " + std::to_string(mc.term) + ": " + other + " and " + mc.new_master);
      for (const auto& p : mc.participants) {
        if (participants.count(p)) {
          fail("two masters in term " + std::to_string(mc.term) + " (" + other + ", " + mc.new_master +
               ") with a common participant " + p);
        }
      }
    }
    list.emplace_back(mc.new_master, std::set<std::string>(mc.participants.begin(), mc.participants.end()));
  }

  void check_instant() {
    if (!majority_) return;
    std::vector<std::string> masters;
    for (const auto& nd : nodes_) {
      if (nd.fsm && is_master_role(nd.fsm->current_role())) masters.push_back(nd.id);
    }
    if (masters.size() > 1) fail("majority mode: two masters at once: " + masters[0] + " and " + masters[1]);
  }

  // Invariant 8's bound: every pre-vote and vote round honest nodes started.
  std::uint64_t rounds_so_far() const {
    std::uint64_t n = rounds_done_;
    for (const auto& nd : nodes_) {
      if (nd.fsm) n += nd.fsm->counters().pre_votes_started + nd.fsm->counters().elections_started;
    }
    return n;
  }

  // The liar: a peer with the lowest priority whose every message claims a
  // term far above the store's. It never claims to be master (a peer that lies
  // about that as well needs device trust, issue 9), it refuses every vote.
  std::uint64_t lie_term() {
    std::uint64_t top = 0;
    for (const auto& nd : nodes_) top = std::max(top, nd.disk.term);
    return top + 1 + rand(liar_lie_max);
  }

  election_message liar_message(message_type t) {
    election_message m;
    m.type = t;
    m.from = liar_id;
    m.boot_id = "liar";
    m.term = lie_term();
    m.priority = -1000;
    m.sender_role = role::client;
    m.address = std::string("sim://") + liar_id;
    return m;
  }

  void liar_send(std::size_t to, const election_message& m) {
    if (!nodes_[to].fsm) return;
    auto msg = std::make_shared<message_in_flight>();
    msg->from = liar_id;
    msg->to = nodes_[to].id;
    msg->type = static_cast<std::uint8_t>(m.type);
    msg->body = encode(m);
    push({now_ + 1 + rand(delay_max_), 0, kind::deliver, to, 0, msg});
  }

  void liar_lie() {
    const std::size_t to = rand(nodes_.size());
    const auto r = rand(3);
    if (r == 0) {
      auto m = liar_message(message_type::heartbeat);
      m.master.clear();  // it lies about its term only, not about whom it follows
      m.stamp = now_;
      liar_send(to, m);
    } else {
      auto m = liar_message(r == 1 ? message_type::pre_vote_request : message_type::vote_request);
      m.proposed_term = m.term + (r == 1 ? 1 : 0);
      m.stamp = now_;
      liar_send(to, m);
    }
    ++g_totals.lies;
    push({now_ + 20 + rand(180), 0, kind::lie, 0, 0, nullptr});
  }

  void liar_answer(std::size_t from, std::uint8_t type, const std::string& body) {
    auto req = decode(type, body);
    if (!req) return;
    if (req->type == message_type::pre_vote_request) {
      auto m = liar_message(message_type::pre_vote_reply);
      m.proposed_term = req->proposed_term;
      m.term = std::max(m.term, req->proposed_term);
      liar_send(from, m);
    } else if (req->type == message_type::vote_request) {
      auto m = liar_message(message_type::vote_reply);
      m.stamp = req->stamp;
      m.term = std::max(m.term, req->term + 1);
      liar_send(from, m);
    }
  }

  // Invariant 9, before the final heal: the masters and the size of the side that follows each.
  void record_heal_sides() {
    heal_best_.clear();
    std::size_t best = 0, second = 0, masters = 0;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      const node& m = nodes_[i];
      if (!m.fsm || !is_master_role(m.fsm->current_role())) continue;
      ++masters;
      std::size_t side = 1;
      for (std::size_t j = 0; j < nodes_.size(); ++j) {
        const node& c = nodes_[j];
        if (j == i || !c.fsm || !connected(i, j) || is_master_role(c.fsm->current_role())) continue;
        if (c.fsm->master() == std::optional<std::string>(m.id)) ++side;
      }
      if (side > best) {
        second = best;
        best = side;
        heal_best_ = m.id;
      } else if (side > second) {
        second = side;
      }
    }
    heal_margin_ = best - second;
    // Devices that follow no master yet may join either side first and tip it.
    heal_unaffiliated_ = 0;
    for (const auto& c : nodes_) {
      if (c.fsm && !is_master_role(c.fsm->current_role()) && !c.fsm->master()) ++heal_unaffiliated_;
    }
    // Two masters meet (a side cut off from the rest). With three or more, a
    // loser joins whichever winner it hears first and can tip the order of
    // the others: only "exactly one master after heal" holds there (invariant 7).
    if (masters != 2) heal_best_.clear();
    // Sides formed less than two failure timeouts ago are not settled: devices
    // across the cut still look alive, with the master they named before.
    if (now_ < last_partition_change_ + 2 * election_config{}.failure_timeout_ms) heal_best_.clear();
    // A master handing over (shutdown, manual override) gives the role away by design.
    if (!heal_best_.empty() && nodes_[index_of(heal_best_)].fsm->current_role() != role::master) heal_best_.clear();
  }

  static void add_counters(const node& nd) {
    const auto& c = nd.fsm->counters();
    g_totals.elections_won += c.elections_won;
    g_totals.split_brain += c.split_brain_step_downs;
    g_totals.handoffs_completed += c.handoffs_completed;
    g_totals.handoffs_failed += c.handoffs_failed;
    g_totals.lease_step_downs += c.lease_step_downs;
  }

  void trace(std::size_t i, const char* what) {
    if (verbose_) std::printf("%8llu %s %s\n", static_cast<unsigned long long>(now_), nodes_[i].id.c_str(), what);
  }

  void random_fault() {
    std::vector<std::size_t> up, down;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
      if (start_pending_.count(i)) continue;
      (nodes_[i].fsm ? up : down).push_back(i);
    }
    const auto r = rand(100);
    if (r < 25 && up.size() > 1) {
      crash(up[rand(up.size())]);
    } else if (r < 45 && !down.empty()) {
      start_node(down[rand(down.size())]);
    } else if (r < 60) {
      const int groups = 2 + static_cast<int>(rand(2));
      for (auto& nd : nodes_) nd.group = static_cast<int>(rand(groups));
      last_partition_change_ = now_;
      ++g_totals.partitions;
      if (verbose_) std::printf("%8llu partition\n", static_cast<unsigned long long>(now_));
    } else if (r < 72) {
      heal();
    } else if (r < 86) {
      for (std::size_t i : up) {
        if (is_master_role(nodes_[i].fsm->current_role())) {
          trace(i, "request_shutdown");
          apply(i, nodes_[i].fsm->request_shutdown(local(nodes_[i], now_)));
          break;
        }
      }
    } else if (!up.empty()) {
      const std::size_t i = up[rand(up.size())];
      const std::string target = nodes_[rand(nodes_.size())].id;
      auto res = nodes_[i].fsm->request_master(target, local(nodes_[i], now_));
      if (verbose_) std::printf("%8llu %s request_master %s: %s\n", static_cast<unsigned long long>(now_),
                                nodes_[i].id.c_str(), target.c_str(), res ? "ok" : res.error().message.c_str());
      if (res) apply(i, std::move(*res));
    }
  }

  void heal() {
    for (auto& nd : nodes_) nd.group = 0;
    last_partition_change_ = now_;
    if (verbose_) std::printf("%8llu heal\n", static_cast<unsigned long long>(now_));
  }

  void loop() {
    bool quiet_started = false;
    std::size_t steps = 0;
    const std::uint64_t end = chaos_ms + quiet_ms;
    while (!queue_.empty()) {
      sim_event e = queue_.top();
      if (!quiet_started && e.at >= chaos_ms) {
        // Quiet period: heal, restart everything, no more loss or duplication.
        now_ = chaos_ms;
        quiet_started = true;
        quiet_ = true;
        record_heal_sides();
        heal();
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
          if (!nodes_[i].fsm) {
            start_node(i);
            ++restarted_at_heal_;
          }
        }
        start_pending_.clear();
        continue;
      }
      if (e.at >= end) break;
      queue_.pop();
      if (++steps > events_max) fail("too many events: livelock?");
      now_ = std::max(now_, e.at);
      switch (e.k) {
        case kind::fault:
          if (e.node < nodes_.size()) {
            start_pending_.erase(e.node);
            if (!nodes_[e.node].fsm) start_node(e.node);
          } else if (e.node == nodes_.size()) {
            random_fault();
          }
          break;
        case kind::tick: {
          node& nd = nodes_[e.node];
          if (!nd.fsm || e.boot != nd.boot || e.at != nd.timer_real) break;  // superseded timer
          apply(e.node, nd.fsm->on_tick(local(nd, now_)));
          break;
        }
        case kind::sale: {
          node& nd = nodes_[e.node];
          if (!nd.fsm || e.boot != nd.boot) break;
          nd.log[nd.id] += 1;
          apply(e.node, nd.fsm->set_log_summary(nd.log, local(nd, now_)));
          push({now_ + 50 + rand(400), 0, kind::sale, e.node, nd.boot, nullptr});
          break;
        }
        case kind::lie:
          liar_lie();
          break;
        case kind::deliver: {
          const std::size_t j = index_of(e.msg->to);
          const std::size_t f = index_of(e.msg->from);
          const bool from_liar = e.msg->from == liar_id;  // the liar reaches every side
          if (!nodes_[j].fsm || (!from_liar && !connected(f, j))) break;  // dropped: receiver down or cut off meanwhile
          node& nd = nodes_[j];
          // Sync model: while connected, a receiver catches up with the sender's log.
          bool grew = false;
          for (const auto& [origin, seq] : e.msg->log) {
            auto& mine = nd.log[origin];
            if (seq > mine) {
              mine = seq;
              grew = true;
            }
          }
          if (grew) apply(j, nd.fsm->set_log_summary(nd.log, local(nd, now_)));
          if (nd.fsm) apply(j, nd.fsm->on_message("sim://" + e.msg->from, e.msg->type, e.msg->body, local(nd, now_)));
          break;
        }
      }
    }
    now_ = end;
  }

  void final_check() {
    std::string master;
    for (auto& nd : nodes_) {
      if (!nd.fsm) fail(nd.id + " is down at the end");
      if (nd.fsm->counters().illegal_transitions != 0) fail(nd.id + " attempted an illegal role transition");
      if (is_master_role(nd.fsm->current_role())) {
        if (!master.empty()) fail("after heal and quiet: two masters, " + master + " and " + nd.id);
        master = nd.id;
      }
    }
    if (master.empty()) fail("after heal and quiet: no master");
    const bool heal_applies = !heal_best_.empty() && heal_margin_ > restarted_at_heal_ + heal_unaffiliated_;
    if (heal_applies) ++g_totals.heal_checks;
    if (heal_applies && master != heal_best_) {
      fail("after the final heal " + master + " is master, not " + heal_best_ + ", whose side was larger by " +
           std::to_string(heal_margin_));
    }
    if (majority_) ++g_totals.majority_runs;
    for (auto& nd : nodes_) add_counters(nd);
    for (auto& nd : nodes_) {
      const auto m = nd.fsm->master();
      if (!m || *m != master) fail("after heal and quiet: " + nd.id + " follows " + m.value_or("nobody") + ", not " + master);
    }
  }

  std::uint64_t seed_;
  std::mt19937_64 rng_;
  bool verbose_;
  std::vector<node> nodes_;
  std::priority_queue<sim_event, std::vector<sim_event>, std::greater<sim_event>> queue_;
  std::uint64_t next_seq_ = 0;
  std::uint64_t now_ = 0;
  bool majority_ = false;
  bool quiet_ = false;
  unsigned loss_pct_ = 0;
  unsigned dup_pct_ = 0;
  std::uint64_t delay_max_ = 1;
  std::uint64_t last_partition_change_ = 0;
  std::set<std::size_t> start_pending_;
  std::map<std::uint64_t, std::map<std::string, std::string>> votes_;
  std::map<std::uint64_t, std::vector<std::pair<std::string, std::set<std::string>>>> masters_by_term_;
  bool liar_ = false;
  std::uint64_t rounds_done_ = 0;         // rounds of incarnations that ended (invariant 8)
  std::string heal_best_;                 // invariant 9: the master of the largest side at the final heal
  std::size_t heal_margin_ = 0;
  std::size_t restarted_at_heal_ = 0;
  std::size_t heal_unaffiliated_ = 0;
};

} // namespace

int main(int argc, char** argv) {
  std::uint64_t first = 1;
  std::uint64_t count = 2000;
  bool verbose = false;
  std::optional<std::uint64_t> only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed" && i + 1 < argc) {
      only = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--seeds" && i + 1 < argc) {
      count = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--first" && i + 1 < argc) {
      first = std::strtoull(argv[++i], nullptr, 10);
    } else if (a == "--verbose") {
      verbose = true;
    } else {
      std::fprintf(stderr, "usage: %s [--seed N] [--seeds COUNT] [--first N] [--verbose]\n", argv[0]);
      return 2;
    }
  }
  if (only) {
    first = *only;
    count = 1;
  }
  std::uint64_t failures = 0;
  for (std::uint64_t s = first; s < first + count; ++s) {
    simulation sim(s, verbose);
    if (auto f = sim.run()) {
      ++failures;
      std::printf("FAIL seed %llu (%s): %s\n  replay: %s --seed %llu --verbose\n", static_cast<unsigned long long>(s),
                  sim.describe().c_str(), f->what.c_str(), argv[0], static_cast<unsigned long long>(s));
      if (failures >= 10) break;
    }
  }
  std::printf("totals: %llu majority-mode runs, %llu elections won, %llu split-brain step-downs, %llu hand-offs "
              "completed, %llu failed, %llu lease step-downs, %llu crashes, %llu partitions, %llu lies, %llu heal checks\n",
              (unsigned long long)g_totals.majority_runs, (unsigned long long)g_totals.elections_won,
              (unsigned long long)g_totals.split_brain, (unsigned long long)g_totals.handoffs_completed,
              (unsigned long long)g_totals.handoffs_failed, (unsigned long long)g_totals.lease_step_downs,
              (unsigned long long)g_totals.crashes, (unsigned long long)g_totals.partitions,
              (unsigned long long)g_totals.lies, (unsigned long long)g_totals.heal_checks);
  std::printf("%llu seeds from %llu: %llu failed\n", static_cast<unsigned long long>(count),
              static_cast<unsigned long long>(first), static_cast<unsigned long long>(failures));
  return failures == 0 ? 0 : 1;
}
