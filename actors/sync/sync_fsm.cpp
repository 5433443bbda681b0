#include "actors/sync/sync_fsm.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "actors/sync/errc.hpp"
#include "events/codec.hpp"
#include "events/hlc.hpp"

namespace sn::sync {

namespace {

using storage::append_outcome;

std::uint64_t get_or_zero(const version_vector& v, const std::string& origin) {
  auto it = v.find(origin);
  return it == v.end() ? 0 : it->second;
}

std::uint64_t elapsed(std::uint64_t now_ms, std::uint64_t since_ms) {
  return now_ms >= since_ms ? now_ms - since_ms : 0;
}

} // namespace

sync_fsm::sync_fsm(std::string self, sync_config cfg, const log_reader& log)
    : self_(std::move(self)), cfg_(cfg), log_(log) {
  [[maybe_unused]] const sn::status st = cfg_.validate();
  assert(st.is_ok() && "sync_config must be validated before building a sync_fsm");
}

// --- peers and partners ----------------------------------------------------------

sync_fsm::peer_info* sync_fsm::touch_peer(const std::string& peer, std::uint64_t now_ms) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) {
    if (peers_.size() >= cfg_.peers_max) {
      ++counters_.peers_ignored;
      return nullptr;
    }
    it = peers_.emplace(peer, peer_info{}).first;
  }
  mark_seen(it->second, peer, now_ms);
  return &it->second;
}

void sync_fsm::mark_seen(peer_info& p, const std::string& name, std::uint64_t now_ms) {
  p.seen = true;
  p.lost = false;
  p.last_seen_ms = std::max(p.last_seen_ms, now_ms);
  if (!p.reachable) {
    // Connect or reconnect: exchange version vectors.
    p.reachable = true;
    enqueue_round(name, false);
  }
}

void sync_fsm::peer_seen(const std::string& peer, std::uint64_t now_ms) {
  if (peer == self_) return;
  touch_peer(peer, now_ms);
}

void sync_fsm::peer_lost(const std::string& peer) {
  auto it = peers_.find(peer);
  if (it == peers_.end()) return;
  it->second.reachable = false;
  it->second.lost = true;
  if (pull_.phase == pull_phase::awaiting_reply && pull_.peer == peer) {
    fail_round("peer " + peer + " lost during sync", it->second.last_seen_ms);
  }
}

std::uint64_t sync_fsm::request_timeout(const std::string& peer, std::uint32_t retries) const {
  auto it = peers_.find(peer);
  if (it == peers_.end() || it->second.srtt_ms == 0) {
    // No sample: 1 s, 2 s, 4 s ... so a lost first request costs a second,
    // while a slow link's first big batch still gets the whole ceiling.
    return std::min<std::uint64_t>(request_timeout_first_ms << std::min<std::uint32_t>(retries, 16),
                                   cfg_.request_timeout_ms);
  }
  // A lost request or reply should cost a few round trips, not seconds; the
  // configured timeout stays the ceiling for slow links and big batches.
  return std::clamp<std::uint64_t>(4 * it->second.srtt_ms, cfg_.request_timeout_min_ms, cfg_.request_timeout_ms);
}

bool sync_fsm::store_of_one() const {
  // A device that joined knows the device that enrolled it (the enrollment
  // came from there); one still joining holds no enrollment of itself yet.
  if (!peers_.empty() || keyring_.store_id().empty()) return false;
  const trust::member* me = keyring_.find(self_);
  if (me == nullptr || !me->has_key || me->revoked) return false;
  for (const auto& [id, m] : keyring_.members()) {
    if (id != self_ && m.has_key && !m.revoked) return false;
  }
  return true;
}

bool sync_fsm::reachable(const std::string& peer) const {
  auto it = peers_.find(peer);
  return it != peers_.end() && it->second.reachable;
}

std::optional<std::string> sync_fsm::choose_partner() {
  if (hub_ && *hub_ != self_ && reachable(*hub_)) return hub_;
  // No hub reachable (or this node is the hub): reachable peers in turn, so that
  // every pair of connected nodes exchanges vectors now and then.
  std::vector<const std::string*> up;
  for (const auto& [name, p] : peers_) {
    if (p.reachable) up.push_back(&name);
  }
  if (up.empty()) return std::nullopt;
  const std::string& pick = *up[rr_cursor_ % up.size()];
  ++rr_cursor_;
  return pick;
}

void sync_fsm::enqueue_round(const std::string& peer, bool front) {
  if (peer == self_) return;
  if (pull_.phase != pull_phase::idle && pull_.peer == peer && !front) return;
  auto it = std::find(round_queue_.begin(), round_queue_.end(), peer);
  if (it != round_queue_.end()) {
    if (!front) return;
    round_queue_.erase(it);
  }
  if (round_queue_.size() >= cfg_.peers_max) return;  // bounded: every peer at most once anyway
  if (front) {
    round_queue_.push_front(peer);
  } else {
    round_queue_.push_back(peer);
  }
}

void sync_fsm::set_hub(std::optional<std::string> hub) {
  if (hub == hub_) return;
  hub_ = std::move(hub);
  if (hub_ && *hub_ != self_) enqueue_round(*hub_, true);
}

// --- inputs ----------------------------------------------------------------------

std::vector<output> sync_fsm::on_local_appended(const std::vector<std::string>& encoded_events,
                                                std::uint64_t /*now_ms*/, const signature_list& signatures) {
  std::vector<output> out;
  publish_live(encoded_events, signatures, out);
  return out;
}

// Every piece carries every signature of the batch: a receiver keeps those
// for seqs it has not received yet (pending_sigs_) and uses them when the
// later piece arrives. A batch has few (trust::signs_seq).
void sync_fsm::publish_live(const std::vector<std::string>& encoded, const signature_list& signatures,
                            std::vector<output>& out) {
  std::size_t first = 0;
  while (first < encoded.size()) {
    std::size_t count = 0;
    std::size_t bytes = 0;
    while (first + count < encoded.size() && count < cfg_.live_batch_events_max) {
      const std::size_t b = encoded[first + count].size();
      if (count > 0 && bytes + b > cfg_.live_batch_bytes_max) break;
      bytes += b;
      ++count;
    }
    out.push_back(
        publish_message{message_type::live_events, encode_live_events(encoded, first, count, signatures)});
    ++counters_.live_messages_published;
    counters_.events_published += count;
    first += count;
  }
}

std::vector<output> sync_fsm::on_message(const std::string& peer, std::uint8_t type, std::string_view body,
                                         std::uint64_t now_ms, std::uint64_t wall_ms) {
  std::vector<output> out;
  wall_ms_ = wall_ms;
  if (peer == self_) return out;  // our own publish looped back
  if (touch_peer(peer, now_ms) == nullptr) return out;
  switch (type) {
    case static_cast<std::uint8_t>(message_type::live_events):
      handle_live(peer, body, now_ms, out);
      break;
    case static_cast<std::uint8_t>(message_type::sync_request):
      handle_request(peer, body, now_ms, out);
      break;
    case static_cast<std::uint8_t>(message_type::sync_reply):
      handle_reply(peer, body, now_ms, out);
      break;
    default:
      ++counters_.unknown_type;
      return out;
  }
  start_next_round(now_ms, out);
  return out;
}

namespace {
// Counts a body that did not decode; never fatal.
void count_bad_body(const sn::error& e, sync_counters& c) {
  if (e.code == static_cast<int>(errc::unsupported_version)) {
    ++c.unsupported_version;
  } else {
    ++c.malformed;
  }
}
} // namespace

std::vector<sync_fsm::incoming> sync_fsm::decode_events(const std::vector<std::string_view>& raw) {
  std::vector<incoming> events;
  events.reserve(raw.size());
  for (std::string_view bytes : raw) {
    auto ev = sn::decode(bytes);
    if (!ev) {
      ++counters_.malformed;  // one bad event does not spoil its neighbours
      continue;
    }
    events.push_back(incoming{std::move(*ev), bytes.size(), bytes});
  }
  return events;
}

void sync_fsm::handle_live(const std::string& peer, std::string_view body, std::uint64_t now_ms,
                           std::vector<output>& out) {
  auto msg = decode_live_events(body);
  if (!msg) {
    count_bad_body(msg.error(), counters_);
    return;
  }
  ++counters_.live_messages_received;
  keep_signatures(msg->signatures);
  auto events = decode_events(msg->events);
  bool gap = false;
  ingest(peer, events, true, 0, now_ms, gap, out, msg->signatures);
  if (gap) {
    gap_source_ = peer;
    maybe_request_gap(now_ms, out);
  }
}

void sync_fsm::handle_request(const std::string& peer, std::string_view body, std::uint64_t now_ms,
                              std::vector<output>& out) {
  auto req = decode_sync_request(body);
  if (!req) {
    count_bad_body(req.error(), counters_);
    return;
  }
  ++counters_.requests_served;
  peer_info& p = peers_.at(peer);
  const version_vector mine = log_.versions();

  // One bounded batch of what the requester lacks, origin by origin.
  std::size_t count_left = static_cast<std::size_t>(std::min<std::uint64_t>(req->count_max, cfg_.batch_events_max));
  std::size_t bytes_left = static_cast<std::size_t>(std::min<std::uint64_t>(req->bytes_max, cfg_.batch_bytes_max));
  std::vector<std::string> batch;
  signature_list signatures;
  bool more = false;
  for (const auto& [origin, head] : mine) {
    const std::uint64_t theirs = get_or_zero(req->versions, origin);
    if (head <= theirs) continue;
    // Held for clock skew on the requester's side: it would refuse them.
    if (std::find(req->skip.begin(), req->skip.end(), origin) != req->skip.end()) continue;
    if (count_left == 0 || bytes_left == 0) {
      more = true;
      break;
    }
    auto read = log_.read_origin_bytes(origin, theirs + 1, count_left, bytes_left);
    std::size_t kept = 0;
    std::size_t kept_bytes = 0;
    for (auto& e : read) {
      if (kept == count_left) break;
      // The first event of the whole reply is always sent (progress); later
      // ones only within the byte budget.
      if (kept_bytes + e.size() > bytes_left && !(batch.empty() && kept == 0)) break;
      kept_bytes += e.size();
      ++kept;
    }
    // Cut the run at its highest stored signature and send that along: the
    // requester appends only what a signature covers (docs/protocol.md 3.3).
    if (kept > 0) {
      auto sigs = log_.signatures(origin, theirs + 1, theirs + kept);
      if (!sigs.empty()) {
        const std::uint64_t cut = sigs.back().seq - theirs;
        for (std::size_t i = cut; i < kept; ++i) kept_bytes -= read[i].size();
        kept = static_cast<std::size_t>(cut);
        // The old key's signature of every key rotation below the cut goes
        // along too: the requester's gate needs it (docs/protocol.md 1.7).
        if (const trust::member* m = keyring_.find(origin); m != nullptr && m->keys.size() > 1) {
          for (std::uint64_t r : m->rotation_points()) {
            if (r <= theirs || r >= sigs.back().seq) continue;
            for (const auto& sg : sigs) {
              if (sg.seq == r) signatures.push_back(sg);
            }
          }
        }
        signatures.push_back(std::move(sigs.back()));
      } else if (auto next = log_.signature_at_or_after(origin, theirs + kept + 1)) {
        // No signature inside the budget: the first run of a reply stretches
        // to the next one (at most signature_interval_events away for an
        // honest writer; bounded by the wire limits), later runs wait for the
        // next request.
        const std::uint64_t need = next->seq - theirs;
        if (batch.empty() && need <= message_events_max) {
          read = log_.read_origin_bytes(origin, theirs + 1, static_cast<std::size_t>(need), message_bytes_max / 2);
          if (read.size() == need) {
            kept = read.size();
            kept_bytes = 0;
            for (const auto& e : read) kept_bytes += e.size();
            signatures.push_back(std::move(*next));
          } else {
            kept = 0;
          }
        } else {
          kept = 0;
        }
        if (kept == 0) {
          more = true;
          break;
        }
      }
      // No signature at or after: an origin that signs nothing (no store yet,
      // unenrolled): sent as it is, the requester's policy decides.
    }
    for (std::size_t i = 0; i < kept; ++i) batch.push_back(std::move(read[i]));
    count_left = kept >= count_left ? 0 : count_left - kept;
    bytes_left = kept_bytes >= bytes_left ? 0 : bytes_left - kept_bytes;
    if (kept < head - theirs) {
      more = true;
      if (kept < read.size() || kept == 0) break;  // budget spent (or the reader stalled)
    }
  }
  if (!batch.empty()) {
    ++counters_.batches_sent;
    counters_.events_sent += batch.size();
    p.events_sent += batch.size();
    audit(peer, audit_operation::push, batch.size(), now_ms);
  }
  out.push_back(
      send_message{peer, message_type::sync_reply, encode_sync_reply(req->request_id, mine, more, batch, signatures)});

  // The requester holds something we lack: we are the side behind, so we pull.
  const version_vector have = effective_heads();
  bool behind = false;
  for (const auto& [origin, seq] : req->versions) {
    // An origin held for clock skew is not "behind": a round could not take it.
    if (seq > get_or_zero(have, origin) && !skew_held(origin, now_ms)) {
      behind = true;
      break;
    }
  }
  // A requester's vector holds what its log holds or is appending (its next
  // round starts after those appends): our own events up to there are on
  // another device too. Clients ask the hub every sync interval, so this is
  // how a master learns that its own events left it.
  held_elsewhere_seq_ = std::max(held_elsewhere_seq_, get_or_zero(req->versions, self_));
  p.versions = std::move(req->versions);
  if (behind) enqueue_round(peer, false);
}

void sync_fsm::handle_reply(const std::string& peer, std::string_view body, std::uint64_t now_ms,
                            std::vector<output>& out) {
  auto rep = decode_sync_reply(body);
  if (!rep) {
    count_bad_body(rep.error(), counters_);
    return;
  }
  peer_info& p = peers_.at(peer);
  // The responder's vector is durable: our own events up to its seq of our
  // origin are on another device (whatever the roles: pending means "nowhere else").
  held_elsewhere_seq_ = std::max(held_elsewhere_seq_, get_or_zero(rep->versions, self_));
  const bool current =
      pull_.phase == pull_phase::awaiting_reply && pull_.peer == peer && pull_.request_id == rep->request_id;
  if (current) {
    ++counters_.replies_received;
    // Karn: only replies to requests sent once give a clean round-trip sample.
    if (pull_.retries == 0) {
      const std::uint64_t sample = elapsed(now_ms, pull_.sent_ms);
      p.srtt_ms = p.srtt_ms == 0 ? std::max<std::uint64_t>(sample, 1) : (7 * p.srtt_ms + sample) / 8 + 1;
    }
    pull_.retries = 0;
  } else {
    ++counters_.replies_stale;  // its events are still good: ingest them below
  }
  if (!rep->events.empty()) ++counters_.batches_received;
  keep_signatures(rep->signatures);
  auto events = decode_events(rep->events);
  p.versions = std::move(rep->versions);
  if (current && !request_skip_.empty()) {
    // A responder of an older build ignores the skip list: asking it for the
    // next batch at once would bring the same refused events again.
    for (const auto& in : events) {
      if (std::find(request_skip_.begin(), request_skip_.end(), in.ev.origin.value()) != request_skip_.end()) {
        pull_.refused = true;
        set_error("sync reply from " + peer + " holds events of an origin held for clock skew (a responder that "
                      "ignores the skip list): round ended",
                  now_ms);
        break;
      }
    }
  }
  bool gap = false;
  const bool appending = ingest(peer, events, false, current ? pull_.request_id : 0, now_ms, gap, out, rep->signatures);
  if (!current) return;
  pull_.more = rep->more;
  if (appending) {
    pull_.phase = pull_phase::awaiting_append;
  } else {
    finish_batch(now_ms, out);
  }
}

// --- ingest: the at-most-once gate ------------------------------------------------

std::uint64_t sync_fsm::effective_head(const version_vector& log_heads, const std::string& origin) const {
  std::uint64_t h = get_or_zero(log_heads, origin);
  auto it = inflight_head_.find(origin);
  if (it != inflight_head_.end()) h = std::max(h, it->second);
  return h;
}

version_vector sync_fsm::effective_heads() const {
  version_vector v = log_.versions();
  for (const auto& [origin, seq] : inflight_head_) {
    auto& h = v[origin];
    h = std::max(h, seq);
  }
  return v;
}

void sync_fsm::recompute_inflight_heads() {
  inflight_head_.clear();
  for (const auto& b : inflight_) {
    for (const auto& r : b.refs) {
      auto& h = inflight_head_[r.origin];
      h = std::max(h, r.seq);
    }
  }
}

bool sync_fsm::skew_held(const std::string& origin, std::uint64_t now_ms) const {
  auto it = skew_holds_.find(origin);
  if (it == skew_holds_.end()) return false;
  return now_ms < it->second.retry_ms && wall_ms_ < it->second.in_range_wall_ms;
}

void sync_fsm::refuse_skewed(const std::string& origin, std::uint64_t seq, std::uint64_t head, std::uint64_t hlc_wall_ms,
                             const std::string& source, std::uint64_t now_ms) {
  ++counters_.refused_clock_skew;
  auto it = skew_holds_.find(origin);
  if (it != skew_holds_.end() && head >= it->second.seq) {
    // The event the hold waited for is in the log or on its way: this is a
    // later one, a new hold.
    skew_holds_.erase(it);
    it = skew_holds_.end();
  }
  if (it == skew_holds_.end()) {
    if (skew_holds_.size() >= origins_max) return;  // refused all the same, just not remembered
    it = skew_holds_.emplace(origin, skew_hold{}).first;
    skew_hold& h = it->second;
    h.seq = seq;
    h.since_wall_ms = wall_ms_;
    h.backoff_ms = cfg_.skew_retry_min_ms;
    h.retry_ms = now_ms + h.backoff_ms;
    h.in_range_wall_ms = hlc_wall_ms - cfg_.max_skew_ms;
  } else {
    skew_hold& h = it->second;
    if (!skew_held(origin, now_ms)) {
      // It was due to be asked again and is still out of range: back off.
      h.backoff_ms = std::min(h.backoff_ms * 2, cfg_.skew_retry_max_ms);
      h.retry_ms = now_ms + h.backoff_ms;
    }
    if (seq <= h.seq) {
      h.seq = seq;
      h.in_range_wall_ms = hlc_wall_ms - cfg_.max_skew_ms;
    }
  }
  skew_hold& h = it->second;
  h.peer = source;
  h.ahead_ms = hlc_wall_ms - wall_ms_;
  ++h.refused;
  set_error("refused " + origin + ":" + std::to_string(seq) + " from " + source + ": its clock is " +
                std::to_string(h.ahead_ms) + " ms ahead of this device's (max_skew_ms " + std::to_string(cfg_.max_skew_ms) +
                "); asked for again when in range",
            now_ms);
  // What waits behind it cannot drain before it: let it go (asked for again
  // with the refused event), so that it does not hold the ahead buffer or
  // start gap rounds that would only fetch the refused event again.
  auto a = ahead_.find(origin);
  if (a != ahead_.end()) {
    auto& entries = a->second;
    for (auto e = entries.upper_bound(h.seq); e != entries.end();) {
      --ahead_events_;
      ahead_bytes_ -= e->second.bytes;
      ++counters_.skew_waiting;
      e = entries.erase(e);
    }
    if (entries.empty()) ahead_.erase(a);
  }
}

bool sync_fsm::ingest(const std::string& source, std::vector<incoming>& events, bool live,
                      std::uint64_t pull_request_id, std::uint64_t now_ms, bool& gap, std::vector<output>& out,
                      const signature_list& signatures) {
  const version_vector log_heads = log_.versions();
  const bool relay = live && is_hub() && cfg_.hub_relays_live;
  append_events batch;
  inflight_batch meta;
  meta.pull_request_id = pull_request_id;
  bool dropped = false;
  for (auto& in : events) {
    const std::string& origin = in.ev.origin.value();
    if (origin == self_) {
      // Only this node writes its own chain (the log refuses it too): a peer
      // that sends one is wrong or lying, whatever the chain says.
      ++counters_.refused_own_origin;
      continue;
    }
    const std::uint64_t seq = in.ev.seq.value();
    const std::uint64_t head = effective_head(log_heads, origin);
    if (seq <= head) {
      ++counters_.duplicates;
      continue;
    }
    if (auto h = skew_holds_.find(origin);
        h != skew_holds_.end() && seq > h->second.seq && head < h->second.seq && skew_held(origin, now_ms)) {
      ++counters_.skew_waiting;  // behind a refused event of its origin: asked for again with it
      continue;
    }
    if (hybrid_logical_clock::too_far_ahead(in.ev.hlc, wall_ms_, cfg_.max_skew_ms)) {
      // Appending it would let a wrong (or forged) clock drag this node's.
      refuse_skewed(origin, seq, head, in.ev.hlc.wall_ms(), source, now_ms);
      continue;
    }
    if (seq == head + 1) {
      meta.refs.push_back(
          inflight_ref{origin, seq, source, relay ? std::string(in.raw) : std::string(), in.bytes, live});
      inflight_head_[origin] = seq;
      batch.events.push_back(std::move(in.ev));
      continue;
    }
    // Ahead of a gap: hold it (bounded) until the gap is filled.
    auto& per_origin = ahead_[origin];
    if (per_origin.count(seq) != 0) {
      ++counters_.duplicates;
      continue;
    }
    if (ahead_events_ + 1 > cfg_.ahead_events_max || ahead_bytes_ + in.bytes > cfg_.ahead_bytes_max) {
      ++counters_.ahead_dropped;  // catch-up will bring it
      if (per_origin.empty()) ahead_.erase(origin);
      dropped = true;
      continue;
    }
    per_origin.emplace(seq, ahead_entry{std::move(in.ev), in.bytes, source, live});
    ++ahead_events_;
    ahead_bytes_ += in.bytes;
    ++counters_.ahead_buffered;
  }
  drain_ahead(log_heads, batch, meta);
  const bool appending = emit(batch, meta, now_ms, out, &signatures);
  // Reordering inside one message is not a gap; what is still held (or was
  // dropped) after the drain and the gate is.
  gap = dropped || ahead_events_ > 0;
  return appending;
}

// --- the origin gate ------------------------------------------------------------------

void sync_fsm::keep_signatures(const signature_list& sigs) {
  if (sigs.empty()) return;
  const version_vector heads = log_.versions();
  for (const auto& sig : sigs) {
    if (sig.origin == self_) continue;
    const std::uint64_t head = effective_head(heads, sig.origin);
    if (sig.seq <= head) continue;  // covers nothing this node still lacks
    auto it = pending_sigs_.find(sig.origin);
    if (it == pending_sigs_.end()) {
      if (pending_sigs_.size() >= origins_max) continue;
      it = pending_sigs_.emplace(sig.origin, std::map<std::uint64_t, trust::origin_signature>{}).first;
    }
    auto& per_origin = it->second;
    per_origin.erase(per_origin.begin(), per_origin.upper_bound(head));
    per_origin[sig.seq] = sig;  // a later offer of one seq replaces the earlier (a bad one must not block a good one)
    // Bounded: the lowest seqs are the ones the next events need (those
    // below the head are dropped once a run is decided).
    while (per_origin.size() > pending_signatures_max) per_origin.erase(std::prev(per_origin.end()));
  }
}

void sync_fsm::count_refusal(const std::string& source, const std::string& origin, std::uint64_t seq,
                             const trust::run_decision& d, std::uint64_t now_ms) {
  switch (d.reason) {
    case trust::verdict::own_origin: counters_.refused_own_origin += d.refused; break;
    case trust::verdict::unknown_origin: counters_.refused_unknown_origin += d.refused; break;
    case trust::verdict::revoked: counters_.refused_revoked += d.refused; break;
    case trust::verdict::bad_signature: counters_.refused_bad_signature += d.refused; break;
    case trust::verdict::unsigned_events: counters_.refused_unsigned += d.refused; break;
    case trust::verdict::broken_chain: counters_.refused_broken_chain += d.refused; break;
    case trust::verdict::accepted: return;
  }
  const std::string reason = trust::to_string(d.reason);
  set_error("refused " + std::to_string(d.refused) + " events of " + origin + " from seq " + std::to_string(seq) +
                " from " + source + " (" + reason + ")",
            now_ms);
  if (noticed_.size() >= refusal_notices_max || !noticed_.emplace(source, reason).second) return;
  notices_.push_back(refusal_notice{source, origin, seq, d.refused, reason});
}

void sync_fsm::gate(append_events& batch, inflight_batch& meta, std::uint64_t now_ms,
                    const signature_list* message) {
  if (batch.events.empty()) return;
  // Each origin's run, in batch order (contiguous ascending seqs per origin).
  std::map<std::string, std::vector<std::size_t>> runs;
  std::vector<std::string> order;
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    const std::string& origin = batch.events[i].origin.value();
    auto [it, fresh] = runs.try_emplace(origin);
    if (fresh) order.push_back(origin);
    it->second.push_back(i);
  }
  const trust::gate_policy policy{cfg_.admit_unenrolled};
  std::map<std::string, trust::run_decision> decided;
  // An origin the keyring does not know yet may be enrolled by another
  // origin's run of this very batch: decide the others first, then retry
  // (at most once per origin of the batch).
  std::vector<std::string> pending = order;
  for (std::size_t pass = 0; !pending.empty() && pass <= order.size(); ++pass) {
    std::vector<std::string> later;
    for (const auto& origin : pending) {
      std::vector<const sn::event*> run;
      for (std::size_t i : runs[origin]) run.push_back(&batch.events[i]);
      signature_list offered;
      if (auto ps = pending_sigs_.find(origin); ps != pending_sigs_.end()) {
        for (const auto& [seq, sig] : ps->second) offered.push_back(sig);
      }
      signature_list in_message;
      if (message != nullptr) {
        for (const auto& sig : *message) {
          if (sig.origin == origin) in_message.push_back(sig);
        }
      }
      trust::run_decision d =
          trust::decide_run(keyring_, self_, run, offered, policy, message != nullptr ? &in_message : &offered);
      if (message == nullptr && d.reason == trust::verdict::unsigned_events && d.refused > 0) {
        // A drain after an append: no message brought these; they wait for one.
        d.waiting += d.refused;
        d.refused = 0;
      }
      counters_.signatures_verified += d.verifications;
      const bool last_pass = pass == order.size() || pending.size() == 1;
      if (d.reason == trust::verdict::unknown_origin && !last_pass) {
        later.push_back(origin);
        continue;
      }
      for (const sn::event* e : run) {
        if (e->seq.value() <= d.accept_to && keyring_.observe(*e)) unknown_skips_.clear();
      }
      if (auto ps = pending_sigs_.find(origin); ps != pending_sigs_.end()) {
        auto& m = ps->second;
        m.erase(m.begin(), m.upper_bound(d.accept_to));
        if (m.empty()) pending_sigs_.erase(ps);
      }
      decided.emplace(origin, std::move(d));
    }
    if (later.size() == pending.size()) {
      // No progress: decide them as they are (unknown).
      for (const auto& origin : later) {
        std::vector<const sn::event*> run;
        for (std::size_t i : runs[origin]) run.push_back(&batch.events[i]);
        decided.emplace(origin, trust::decide_run(keyring_, self_, run, {}, policy));
      }
      later.clear();
    }
    pending = std::move(later);
  }

  append_events kept;
  inflight_batch kept_meta;
  kept_meta.pull_request_id = meta.pull_request_id;
  for (const auto& origin : order) {
    const trust::run_decision& d = decided.at(origin);
    for (const auto& proof : d.proofs) {  // key rotations below the covering one
      kept.signatures.push_back(proof);
      kept_meta.signatures.push_back(proof);
    }
    if (d.covering) {
      kept.signatures.push_back(*d.covering);
      kept_meta.signatures.push_back(*d.covering);
    }
    const auto& idx = runs[origin];
    const std::uint64_t first = batch.events[idx.front()].seq.value();
    if (d.refused > 0) {
      count_refusal(meta.refs[idx.front()].source, origin, std::max(first, d.accept_to + 1), d, now_ms);
      if (d.reason == trust::verdict::unknown_origin && (unknown_skips_.size() < origins_max || unknown_skips_.count(origin))) {
        unknown_skips_[origin] = now_ms;
      }
      // Asking the partner again at once would bring the same refused events:
      // this round ends with this batch; the next one comes later.
      if (meta.pull_request_id != 0 && meta.pull_request_id == pull_.request_id) pull_.refused = true;
    }
  }
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    sn::event& ev = batch.events[i];
    inflight_ref& ref = meta.refs[i];
    const trust::run_decision& d = decided.at(ev.origin.value());
    const std::uint64_t seq = ev.seq.value();
    if (seq <= d.accept_to) {
      kept.events.push_back(std::move(ev));
      kept_meta.refs.push_back(std::move(ref));
      continue;
    }
    if (seq > d.accept_to + d.waiting) continue;  // refused (counted above)
    // May be covered by a later signature: back to the ahead buffer.
    ++counters_.awaiting_signature;
    auto& per_origin = ahead_[ref.origin];
    if (per_origin.count(seq) != 0) continue;
    if (ahead_events_ + 1 > cfg_.ahead_events_max || ahead_bytes_ + ref.bytes > cfg_.ahead_bytes_max) {
      ++counters_.ahead_dropped;
      if (per_origin.empty()) ahead_.erase(ref.origin);
      continue;
    }
    per_origin.emplace(seq, ahead_entry{std::move(ev), ref.bytes, ref.source, ref.live});
    ++ahead_events_;
    ahead_bytes_ += ref.bytes;
  }
  batch = std::move(kept);
  meta = std::move(kept_meta);
  // What is on its way to the log: the batches in flight and this one.
  recompute_inflight_heads();
  for (const auto& r : meta.refs) {
    auto& h = inflight_head_[r.origin];
    h = std::max(h, r.seq);
  }
}

bool sync_fsm::emit(append_events& batch, inflight_batch& meta, std::uint64_t now_ms, std::vector<output>& out,
                    const signature_list* message) {
  gate(batch, meta, now_ms, message);
  if (batch.events.empty()) return false;
  inflight_.push_back(std::move(meta));
  out.push_back(std::move(batch));
  return true;
}

void sync_fsm::drain_ahead(const version_vector& log_heads, append_events& batch, inflight_batch& meta) {
  const bool relay_on = is_hub() && cfg_.hub_relays_live;
  for (auto it = ahead_.begin(); it != ahead_.end();) {
    const std::string& origin = it->first;
    auto& entries = it->second;
    std::uint64_t head = effective_head(log_heads, origin);
    while (!entries.empty()) {
      auto first = entries.begin();
      if (first->first > head + 1) break;
      ahead_entry e = std::move(first->second);
      const std::uint64_t seq = first->first;
      entries.erase(first);
      --ahead_events_;
      ahead_bytes_ -= e.bytes;
      if (seq <= head) {
        ++counters_.duplicates;  // caught up meanwhile
        continue;
      }
      meta.refs.push_back(inflight_ref{origin, seq, e.source, relay_on && e.live ? sn::encode(e.ev) : std::string(),
                                       e.bytes, e.live});
      batch.events.push_back(std::move(e.ev));
      head = seq;
      inflight_head_[origin] = seq;
    }
    it = entries.empty() ? ahead_.erase(it) : std::next(it);
  }
}

std::vector<output> sync_fsm::on_appended(const std::vector<append_outcome>& outcomes, std::uint64_t now_ms) {
  std::vector<output> out;
  assert(!inflight_.empty() && "on_appended without an append_events in flight");
  if (inflight_.empty()) return out;
  inflight_batch b = std::move(inflight_.front());
  inflight_.pop_front();
  recompute_inflight_heads();
  assert(outcomes.size() == b.refs.size() && "one outcome per event");

  std::uint64_t appended = 0;
  bool refused = false;
  std::vector<std::string> relay;
  for (std::size_t i = 0; i < b.refs.size(); ++i) {
    const append_outcome o = i < outcomes.size() ? outcomes[i] : append_outcome::gap;
    inflight_ref& r = b.refs[i];
    switch (o) {
      case append_outcome::appended: {
        ++appended;
        ++counters_.events_received;
        if (auto h = skew_holds_.find(r.origin); h != skew_holds_.end() && r.seq >= h->second.seq) {
          skew_holds_.erase(h);  // the refused event came in range and is in the log
        }
        auto p = peers_.find(r.source);
        if (p != peers_.end()) ++p->second.events_received;
        if (!r.relay_bytes.empty()) relay.push_back(std::move(r.relay_bytes));
        break;
      }
      case append_outcome::duplicate: ++counters_.duplicates_refused; break;
      case append_outcome::gap: ++counters_.refused_gap; refused = true; break;
      case append_outcome::fork: ++counters_.refused_fork; refused = true; break;
      case append_outcome::bad_hash: ++counters_.refused_bad_hash; refused = true; break;
      case append_outcome::own_origin: ++counters_.refused_own_origin; refused = true; break;
      default: ++counters_.refused_other; refused = true; break;
    }
    if (o != append_outcome::appended && o != append_outcome::duplicate) {
      set_error("log refused " + r.origin + ":" + std::to_string(r.seq) + " from " + r.source + " (" +
                    storage::to_string(o) + ")",
                now_ms);
    }
  }
  if (!relay.empty()) {
    counters_.events_relayed += relay.size();
    publish_live(relay, b.signatures, out);
  }

  // Whatever the log now holds may make held-ahead events contiguous.
  {
    append_events more;
    inflight_batch meta;
    drain_ahead(log_.versions(), more, meta);
    emit(more, meta, now_ms, out, nullptr);
  }

  if (b.pull_request_id != 0 && pull_.phase == pull_phase::awaiting_append && pull_.request_id == b.pull_request_id) {
    if (appended > 0) audit(pull_.peer, audit_operation::pull, appended, now_ms);
    if (refused) pull_.refused = true;
    finish_batch(now_ms, out);
  }
  start_next_round(now_ms, out);
  return out;
}

std::vector<output> sync_fsm::on_append_failed(const std::string& reason, std::uint64_t now_ms) {
  std::vector<output> out;
  assert(!inflight_.empty() && "on_append_failed without an append_events in flight");
  if (inflight_.empty()) return out;
  inflight_batch b = std::move(inflight_.front());
  inflight_.pop_front();
  recompute_inflight_heads();
  ++counters_.append_failures;
  set_error("append failed: " + reason, now_ms);
  // The events are gone; later batches of the same origins will be refused as
  // gaps and catch-up fetches them all again.
  if (b.pull_request_id != 0 && pull_.phase == pull_phase::awaiting_append && pull_.request_id == b.pull_request_id) {
    pull_.refused = true;
    finish_batch(now_ms, out);
  }
  start_next_round(now_ms, out);
  return out;
}

// --- rounds ------------------------------------------------------------------------

void sync_fsm::start_next_round(std::uint64_t now_ms, std::vector<output>& out) {
  if (pull_.phase != pull_phase::idle) return;
  while (!round_queue_.empty()) {
    std::string peer = std::move(round_queue_.front());
    round_queue_.pop_front();
    if (!reachable(peer)) continue;
    ++counters_.rounds_started;
    pull_.refused = false;
    send_request(peer, now_ms, out);
    return;
  }
}

void sync_fsm::send_request(const std::string& peer, std::uint64_t now_ms, std::vector<output>& out) {
  sync_request_body req;
  req.request_id = next_request_id_++;
  req.versions = effective_heads();  // held or on the way: do not send us those again
  req.count_max = cfg_.batch_events_max;
  req.bytes_max = cfg_.batch_bytes_max;
  for (const auto& [origin, h] : skew_holds_) {
    if (skew_held(origin, now_ms)) req.skip.push_back(origin);
  }
  for (auto it = unknown_skips_.begin(); it != unknown_skips_.end();) {
    if (now_ms - std::min(now_ms, it->second) >= unknown_origin_retry_ms) {
      it = unknown_skips_.erase(it);
      continue;
    }
    if (std::find(req.skip.begin(), req.skip.end(), it->first) == req.skip.end() && req.skip.size() < origins_max) {
      req.skip.push_back(it->first);
    }
    ++it;
  }
  request_skip_ = req.skip;
  pull_.phase = pull_phase::awaiting_reply;
  pull_.peer = peer;
  pull_.request_id = req.request_id;
  pull_.sent_ms = now_ms;
  pull_.more = false;
  ++counters_.requests_sent;
  out.push_back(send_message{peer, message_type::sync_request, encode_sync_request(req)});
}

// A reply's batch is done (appended, or nothing to append): next batch, or end.
void sync_fsm::finish_batch(std::uint64_t now_ms, std::vector<output>& out) {
  if (pull_.refused) {
    // Asking again at once would fetch the same refused event: wait for the next round.
    fail_round("events from " + pull_.peer + " refused: " + last_error_, now_ms);
    return;
  }
  if (pull_.more) {
    if (!reachable(pull_.peer)) {
      fail_round("peer " + pull_.peer + " unreachable during sync", now_ms);
      return;
    }
    send_request(pull_.peer, now_ms, out);  // pull-based flow control: one batch at a time
    return;
  }
  complete_round(now_ms);
}

void sync_fsm::complete_round(std::uint64_t now_ms) {
  ++counters_.rounds_completed;
  last_sync_ms_ = now_ms;
  auto it = peers_.find(pull_.peer);
  if (it != peers_.end()) it->second.last_sync_ms = now_ms;
  error_active_ = false;
  pull_ = pull_state{};
}

void sync_fsm::fail_round(const std::string& why, std::uint64_t now_ms) {
  ++counters_.rounds_failed;
  if (!pull_.peer.empty()) {
    audit(pull_.peer, audit_operation::pull, 0, now_ms);
    audit_.back().ok = false;
    audit_.back().error = why;
  }
  set_error(why, now_ms);
  pull_ = pull_state{};
}

void sync_fsm::set_error(std::string why, std::uint64_t now_ms) {
  error_active_ = true;
  last_error_ = std::move(why);
  last_error_ms_ = now_ms;
}

void sync_fsm::maybe_request_gap(std::uint64_t now_ms, std::vector<output>& out) {
  if (ahead_events_ == 0 || pull_.phase != pull_phase::idle) return;
  if (gap_requested_ever_ && elapsed(now_ms, last_gap_request_ms_) < cfg_.gap_retry_ms) return;
  std::optional<std::string> source;
  if (!gap_source_.empty() && reachable(gap_source_)) {
    source = gap_source_;
  } else {
    source = choose_partner();
  }
  if (!source) return;
  gap_requested_ever_ = true;
  last_gap_request_ms_ = now_ms;
  ++counters_.gap_requests;
  enqueue_round(*source, true);
  start_next_round(now_ms, out);
}

std::vector<output> sync_fsm::on_tick(std::uint64_t now_ms, std::uint64_t wall_ms) {
  std::vector<output> out;
  wall_ms_ = wall_ms;
  for (auto& [origin, h] : skew_holds_) {
    // Due (in range by the wall clock, or the back-off ran out): ask the peer
    // that sent it, once per refusal.
    if (h.retry_ms != 0 && !skew_held(origin, now_ms)) {
      h.retry_ms = 0;
      enqueue_round(h.peer, false);
    }
  }
  for (auto& [name, p] : peers_) {
    const bool up = p.seen && !p.lost && elapsed(now_ms, p.last_seen_ms) <= cfg_.peer_timeout_ms;
    if (p.reachable && !up) {
      p.reachable = false;
      if (pull_.phase == pull_phase::awaiting_reply && pull_.peer == name) {
        fail_round("peer " + name + " unreachable during sync", now_ms);
      }
    }
  }
  if (pull_.phase == pull_phase::awaiting_reply &&
      elapsed(now_ms, pull_.sent_ms) >= request_timeout(pull_.peer, pull_.retries)) {
    if (pull_.retries < request_retries_max && reachable(pull_.peer)) {
      // A lost request or reply costs one timeout, not the rest of the round.
      ++pull_.retries;
      ++counters_.request_retries;
      send_request(pull_.peer, now_ms, out);
    } else {
      fail_round("sync with " + pull_.peer + " timed out", now_ms);
    }
  }
  if (now_ms >= next_round_ms_) {
    next_round_ms_ = now_ms + cfg_.sync_interval_ms;
    if (auto partner = choose_partner()) enqueue_round(*partner, false);
  }
  maybe_request_gap(now_ms, out);
  start_next_round(now_ms, out);
  return out;
}

std::vector<output> sync_fsm::sync_now(std::uint64_t now_ms) {
  std::vector<output> out;
  if (auto partner = choose_partner()) enqueue_round(*partner, true);
  start_next_round(now_ms, out);
  return out;
}

// --- status ------------------------------------------------------------------------

void sync_fsm::audit(const std::string& peer, audit_operation op, std::uint64_t count, std::uint64_t now_ms) {
  if (audit_.size() >= cfg_.audit_entries_max) audit_.pop_front();
  audit_.push_back(audit_entry{peer, op, count, now_ms, true, {}});
  ++audit_total_;
}

std::vector<audit_entry> sync_fsm::audit_log() const { return {audit_.begin(), audit_.end()}; }

std::uint64_t sync_fsm::pending_changes(const version_vector& log_heads) const {
  const std::uint64_t own = get_or_zero(log_heads, self_);
  return own > held_elsewhere_seq_ ? own - held_elsewhere_seq_ : 0;
}

skew_hold_status sync_fsm::hold_status(const std::string& origin, const skew_hold& h) const {
  skew_hold_status st;
  st.origin = origin;
  st.peer = h.peer;
  st.seq = h.seq;
  st.ahead_ms = h.ahead_ms;
  st.since_wall_ms = h.since_wall_ms;
  st.in_range_wall_ms = h.in_range_wall_ms;
  st.refused = h.refused;
  return st;
}

std::vector<skew_hold_status> sync_fsm::skew_holds() const {
  std::vector<skew_hold_status> out;
  out.reserve(skew_holds_.size());
  for (const auto& [origin, h] : skew_holds_) out.push_back(hold_status(origin, h));
  return out;
}

sync_status sync_fsm::status() const {
  sync_status s;
  s.versions = log_.versions();
  s.pending_changes = pending_changes(s.versions);
  s.last_sync_ms = last_sync_ms_;
  s.last_error = last_error_;
  s.last_error_ms = last_error_ms_;
  s.hub = hub_;
  s.is_hub = is_hub();
  if (pull_.phase != pull_phase::idle) s.syncing_with = pull_.peer;
  s.ahead_events = ahead_events_;
  s.ahead_bytes = ahead_bytes_;
  s.appends_in_flight = inflight_.size();
  s.counters = counters_;
  s.max_skew_ms = cfg_.max_skew_ms;
  for (const auto& [origin, h] : skew_holds_) {
    s.skew_holds.push_back(hold_status(origin, h));
    if (!s.skew_warning || h.ahead_ms > s.skew_warning->ahead_ms) s.skew_warning = s.skew_holds.back();
  }
  bool any_reachable = false;
  bool behind = false;
  for (const auto& [name, p] : peers_) {
    peer_status ps;
    ps.peer = name;
    ps.reachable = p.reachable;
    ps.is_hub = hub_ && *hub_ == name;
    ps.last_seen_ms = p.last_seen_ms;
    ps.last_sync_ms = p.last_sync_ms;
    ps.versions = p.versions;
    ps.events_sent = p.events_sent;
    ps.events_received = p.events_received;
    s.peers.push_back(std::move(ps));
    if (!p.reachable) continue;
    any_reachable = true;
    for (const auto& [origin, seq] : p.versions) {
      if (seq > effective_head(s.versions, origin)) behind = true;
    }
  }
  if (!any_reachable) {
    s.state = store_of_one() ? sync_state::standalone : sync_state::offline;
  } else if (error_active_) {
    s.state = sync_state::error;
  } else if (s.pending_changes > 0 || behind || ahead_events_ > 0) {
    s.state = sync_state::pending;
  } else {
    s.state = sync_state::synced;
  }
  return s;
}

} // namespace sn::sync
