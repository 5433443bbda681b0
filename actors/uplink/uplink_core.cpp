#include "actors/uplink/uplink_core.hpp"

#include <algorithm>

#include "events/assert.hpp"

namespace sn::uplink {

uplink_core::uplink_core(uplink_config config) : config_(config) {
  SN_ASSERT(config_.validate().is_ok(), "uplink_core needs a validated config");
}

std::vector<output> uplink_core::set_master(bool is_master, std::uint64_t now_ms) {
  std::vector<output> out;
  if (is_master == master_) return out;
  master_ = is_master;
  if (master_) {
    if (link_up_) {
      start_resync(now_ms, out);
    } else {
      state_ = uplink_state::backoff;  // on_link(true) resyncs
      backoff_until_ms_ = now_ms;
    }
  } else {
    // A deposed master publishes nothing more; what it has in flight is
    // either stored already or refused by the new master's fence.
    ++generation_;
    drop_in_flight();
    state_ = uplink_state::standby;
  }
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_heads(const std::map<std::string, std::uint64_t>& heads, std::uint64_t now_ms) {
  std::vector<output> out;
  for (const auto& [origin, seq] : heads) {
    auto& o = origins_[origin];
    o.head = std::max(o.head, seq);
  }
  pump(now_ms, out);
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_link(bool up, std::uint64_t now_ms) {
  std::vector<output> out;
  if (up == link_up_) return out;
  link_up_ = up;
  if (!master_) return out;
  if (!up) {
    ++generation_;
    drop_in_flight();
    state_ = uplink_state::backoff;
    backoff_until_ms_ = now_ms;
    last_error_ = "NATS connection lost";
  } else if (state_ == uplink_state::backoff) {
    start_resync(now_ms, out);
  }
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_resync(std::uint64_t generation, const stream_position& position,
                                           std::uint64_t now_ms) {
  std::vector<output> out;
  if (generation != generation_ || state_ != uplink_state::resyncing) {
    ++counters_.stale_reports;
    return out;
  }
  next_stream_seq_ = position.last_seq + 1;
  for (auto& [origin, o] : origins_) {
    auto it = position.origins.find(origin);
    const stream_origin held = it == position.origins.end() ? stream_origin{} : it->second;
    o.acked = held.seq;
    o.sent = held.seq;
    o.subject_seq = held.subject_seq;
  }
  for (const auto& [origin, held] : position.origins) {
    if (origins_.count(origin)) continue;
    auto& o = origins_[origin];  // the stream knows an origin this log does not (yet)
    o.acked = o.sent = held.seq;
    o.subject_seq = held.subject_seq;
  }
  state_ = uplink_state::streaming;
  last_error_.clear();
  pump(now_ms, out);
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_resync_failed(std::uint64_t generation, const std::string& error,
                                                  std::uint64_t now_ms) {
  std::vector<output> out;
  if (generation != generation_ || state_ != uplink_state::resyncing) {
    ++counters_.stale_reports;
    return out;
  }
  ++counters_.resync_failures;
  fail(false, "resync: " + error, now_ms, out);
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_ack(std::uint64_t generation, const std::string& origin, std::uint64_t seq,
                                        std::uint64_t stream_seq, bool duplicate, std::uint64_t now_ms) {
  std::vector<output> out;
  auto it = origins_.find(origin);
  if (generation != generation_ || state_ != uplink_state::streaming || it == origins_.end() ||
      it->second.ranges.empty()) {
    ++counters_.stale_reports;
    return out;
  }
  auto& o = it->second;
  auto& front = o.ranges.front();
  if (seq != o.acked + 1 || seq < front.first_seq || seq >= front.first_seq + front.count) {
    fail(false, "ack of " + origin + ":" + std::to_string(seq) + " out of order (expected " +
                    std::to_string(o.acked + 1) + ")",
         now_ms, out);
    arm_timer(now_ms, out);
    return out;
  }
  o.acked = seq;
  last_ack_ms_ = now_ms;
  const std::uint64_t predicted = front.first_stream_seq + (seq - front.first_seq);
  if (duplicate || stream_seq != predicted) {
    // The stream held it already, or put it elsewhere than predicted: another
    // writer is (or was) at work. Ask the stream where it stands.
    if (duplicate) ++counters_.duplicates;
    else ++counters_.acked;
    fail(true, duplicate ? "stream already held " + origin + ":" + std::to_string(seq)
                         : "another writer moved the stream (" + origin + ":" + std::to_string(seq) + " stored at " +
                               std::to_string(stream_seq) + ", expected " + std::to_string(predicted) + ")",
         now_ms, out);
    arm_timer(now_ms, out);
    return out;
  }
  ++counters_.acked;
  --in_flight_;
  if (seq == front.first_seq + front.count - 1) o.ranges.pop_front();
  pump(now_ms, out);
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_publish_failed(std::uint64_t generation, const std::string& origin,
                                                   std::uint64_t seq, publish_error why, const std::string& text,
                                                   std::uint64_t now_ms) {
  std::vector<output> out;
  if (generation != generation_ || state_ != uplink_state::streaming) {
    ++counters_.stale_reports;
    return out;
  }
  const bool fenced = why == publish_error::wrong_last_sequence;
  if (fenced) ++counters_.fenced;
  else ++counters_.publish_errors;
  fail(fenced, std::string("publish ") + origin + ":" + std::to_string(seq) + ": " + to_string(why) +
                   (text.empty() ? "" : " (" + text + ")"),
       now_ms, out);
  arm_timer(now_ms, out);
  return out;
}

std::vector<output> uplink_core::on_tick(std::uint64_t now_ms) {
  std::vector<output> out;
  timer_ms_ = 0;
  if (master_) {
    switch (state_) {
      case uplink_state::backoff:
        if (link_up_ && now_ms >= backoff_until_ms_) start_resync(now_ms, out);
        break;
      case uplink_state::resyncing:
        if (now_ms >= backoff_until_ms_ + config_.ack_timeout_ms) {
          ++counters_.resync_failures;
          last_error_ = "resync: no answer";
          start_resync(now_ms, out);
        }
        break;
      case uplink_state::streaming: {
        std::uint64_t oldest = UINT64_MAX;
        for (const auto& [name, o] : origins_) {
          if (!o.ranges.empty()) oldest = std::min(oldest, o.ranges.front().sent_ms);
        }
        if (oldest != UINT64_MAX && now_ms >= oldest + config_.ack_timeout_ms) {
          ++counters_.publish_errors;
          fail(false, "no ack within " + std::to_string(config_.ack_timeout_ms) + " ms", now_ms, out);
        }
        break;
      }
      case uplink_state::standby: break;
    }
  }
  arm_timer(now_ms, out);
  return out;
}

void uplink_core::start_resync(std::uint64_t now_ms, std::vector<output>& out) {
  ++generation_;
  drop_in_flight();
  state_ = uplink_state::resyncing;
  backoff_until_ms_ = now_ms;  // resync start, for its own timeout
  ++counters_.resyncs;
  out.push_back(resync_request{generation_});
}

void uplink_core::fail(bool fenced, const std::string& why, std::uint64_t now_ms, std::vector<output>& out) {
  last_error_ = why;
  if (fenced && link_up_) {
    start_resync(now_ms, out);
    return;
  }
  ++generation_;
  drop_in_flight();
  state_ = uplink_state::backoff;
  backoff_until_ms_ = now_ms + config_.retry_ms;
}

void uplink_core::drop_in_flight() {
  in_flight_ = 0;
  for (auto& [name, o] : origins_) {
    o.ranges.clear();
    o.sent = o.acked;
  }
}

void uplink_core::pump(std::uint64_t now_ms, std::vector<output>& out) {
  if (state_ != uplink_state::streaming) return;
  while (in_flight_ < config_.in_flight_max) {
    // Round robin over origins with something to send, starting after the
    // last one served: a busy origin cannot starve the others.
    auto it = origins_.upper_bound(rr_after_);
    origin_state* pick = nullptr;
    std::string name;
    for (std::size_t k = 0; k < origins_.size(); ++k, ++it) {
      if (it == origins_.end()) it = origins_.begin();
      if (it->second.head > it->second.sent) {
        pick = &it->second;
        name = it->first;
        break;
      }
    }
    if (!pick) return;
    rr_after_ = name;
    const std::uint64_t count =
        std::min({pick->head - pick->sent, config_.batch_events_max, config_.in_flight_max - in_flight_});
    publish_range r;
    r.generation = generation_;
    r.origin = name;
    r.first_seq = pick->sent + 1;
    r.count = count;
    r.expected_subject_seq = pick->subject_seq;
    r.first_stream_seq = next_stream_seq_;
    pick->ranges.push_back(range_in_flight{r.first_seq, count, r.first_stream_seq, now_ms});
    pick->sent += count;
    pick->subject_seq = next_stream_seq_ + count - 1;
    next_stream_seq_ += count;
    in_flight_ += count;
    counters_.published += count;
    out.push_back(std::move(r));
  }
}

void uplink_core::arm_timer(std::uint64_t now_ms, std::vector<output>& out) {
  std::uint64_t deadline = 0;
  if (master_) {
    switch (state_) {
      case uplink_state::backoff:
        if (link_up_) deadline = std::max(backoff_until_ms_, now_ms);
        break;
      case uplink_state::resyncing: deadline = backoff_until_ms_ + config_.ack_timeout_ms; break;
      case uplink_state::streaming: {
        std::uint64_t oldest = UINT64_MAX;
        for (const auto& [name, o] : origins_) {
          if (!o.ranges.empty()) oldest = std::min(oldest, o.ranges.front().sent_ms);
        }
        if (oldest != UINT64_MAX) deadline = oldest + config_.ack_timeout_ms;
        break;
      }
      case uplink_state::standby: break;
    }
  }
  if (deadline != 0 && deadline != timer_ms_) {
    timer_ms_ = deadline;
    out.push_back(set_timer{deadline});
  }
}

std::uint64_t uplink_core::lag_events() const noexcept {
  if (!master_) return 0;
  std::uint64_t lag = 0;
  for (const auto& [name, o] : origins_) {
    if (o.head > o.acked) lag += o.head - o.acked;
  }
  return lag;
}

uplink_status uplink_core::status() const {
  uplink_status s;
  s.state = state_;
  s.generation = generation_;
  s.lag_events = lag_events();
  s.in_flight = in_flight_;
  s.last_ack_ms = last_ack_ms_;
  s.last_error = last_error_;
  for (const auto& [name, o] : origins_) s.acked[name] = o.acked;
  s.counters = counters_;
  return s;
}

} // namespace sn::uplink
