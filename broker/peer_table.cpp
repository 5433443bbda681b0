#include "broker/peer_table.hpp"

#include <algorithm>
#include <utility>

namespace sn::broker {

const char* to_string(peer_state s) noexcept {
  switch (s) {
    case peer_state::trusted:
      return "trusted";
    case peer_state::probation:
      return "probation";
    case peer_state::proven:
      return "proven";
  }
  return "unknown";
}

peer_table::peer_table(std::string self, peer_table_limits limits) : self_(std::move(self)), limits_(limits) {}

admission peer_table::add_configured(const std::string& address) {
  if (address == self_) return admission::known;
  auto it = entries_.find(address);
  if (it != entries_.end() && it->second.state == peer_state::trusted) return admission::known;
  if (count(peer_state::trusted) >= limits_.trusted_max) return admission::refused_share;
  if (it == entries_.end()) {
    it = entries_.emplace(address, entry{}).first;
    added_.push_back(address);
  }
  ++version_;
  // A learned entry becomes trusted in place: its sockets stay.
  it->second.origin = peer_origin::configured;
  it->second.state = peer_state::trusted;
  it->second.source.clear();
  return admission::admitted;
}

admission peer_table::nominate(const std::string& address, const std::string& source, std::uint64_t now_ms) {
  if (address == self_ || entries_.count(address) != 0 || aliases_.count(address) != 0) return admission::known;
  const bool local = source == local_source;
  if (local) {
    if (candidates_of(local_source) >= limits_.probation_local_max) {
      queue_pending(address, 0);
      return admission::queued;
    }
  } else if (muted(source, now_ms) || candidates_of(source) >= limits_.probation_per_source_max) {
    ++c_.refused;
    return admission::refused_source;
  }
  if (count(peer_state::probation) >= limits_.probation_max && !displace(now_ms)) {
    if (local) {
      queue_pending(address, 0);
      return admission::queued;
    }
    ++c_.refused;
    return admission::refused_full;
  }
  entry e;
  e.origin = peer_origin::learned;
  e.state = peer_state::probation;
  e.source = source;
  e.since_ms = now_ms;
  entries_.emplace(address, std::move(e));
  added_.push_back(address);
  ++c_.admitted;
  ++version_;
  return admission::admitted;
}

verdict peer_table::on_published(const std::string& link, std::string_view sender, std::uint64_t now_ms) {
  auto it = entries_.find(link);
  if (it == entries_.end()) return verdict::drop_unproven;  // a frame still in flight on a closed link
  entry& e = it->second;
  switch (e.state) {
    case peer_state::trusted:
      if (sender != link) set_alias(link, e, sender);
      e.heard_ms = now_ms;
      return verdict::deliver;
    case peer_state::proven:
      if (sender != link) return verdict::drop_unproven;  // someone else's frames at that address
      e.heard_ms = now_ms;
      return verdict::deliver;
    case peer_state::probation:
      if (sender != link || !promote(e, now_ms)) return verdict::drop_unproven;
      return verdict::deliver;
  }
  return verdict::drop_unproven;
}

std::optional<verdict> peer_table::check_direct(std::string_view sender, std::uint64_t now_ms) {
  auto it = entries_.find(sender);
  if (it != entries_.end()) {
    if (it->second.state == peer_state::probation) return verdict::drop_unproven;
    it->second.heard_ms = now_ms;
    return verdict::deliver;
  }
  if (aliases_.find(sender) != aliases_.end()) return verdict::deliver;
  return std::nullopt;
}

verdict peer_table::on_direct(std::string_view sender, const std::string& source, bool learn, std::uint64_t now_ms) {
  if (auto v = check_direct(sender, now_ms)) return *v;
  if (learn) nominate(std::string(sender), source, now_ms);
  return verdict::drop_unproven;
}

void peer_table::on_handshake(const std::string& address) {
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  it->second.handshaken = true;
  it->second.dial_failed = false;
}

void peer_table::on_dial_failed(const std::string& address) {
  auto it = entries_.find(address);
  if (it == entries_.end() || it->second.handshaken) return;
  it->second.dial_failed = true;
}

void peer_table::expire(std::uint64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    if (it->second.state == peer_state::probation && now_ms - it->second.since_ms >= limits_.probation_ms) {
      ++c_.evicted_expired;
      drop_candidate(it, now_ms, true);
    }
    it = next;
  }
  for (auto it = muted_.begin(); it != muted_.end();) it = it->second <= now_ms ? muted_.erase(it) : std::next(it);
  admit_pending(now_ms);
}

std::optional<std::uint64_t> peer_table::next_deadline() const {
  std::optional<std::uint64_t> d;
  auto earlier = [&d](std::uint64_t t) { d = d ? std::min(*d, t) : t; };
  for (const auto& [address, e] : entries_)
    if (e.state == peer_state::probation) earlier(e.since_ms + limits_.probation_ms);
  const bool slot_free =
      candidates_of(local_source) < limits_.probation_local_max && count(peer_state::probation) < limits_.probation_max;
  if (slot_free)
    for (const auto& p : pending_) earlier(p.second);
  return d;
}

const std::string* peer_table::route(const std::string& address) const {
  if (auto it = entries_.find(address); it != entries_.end()) return &it->first;
  if (auto a = aliases_.find(address); a != aliases_.end()) return &a->second;
  return nullptr;
}

std::optional<peer_state> peer_table::state_of(const std::string& address) const {
  auto it = entries_.find(address);
  if (it == entries_.end()) return std::nullopt;
  return it->second.state;
}

std::vector<std::string> peer_table::counted() const {
  std::vector<std::string> out;
  for (const auto& [address, e] : entries_)
    if (e.state != peer_state::probation) out.push_back(address);
  return out;
}

std::vector<std::string> peer_table::known() const {
  std::vector<std::string> out;
  out.reserve(entries_.size() + aliases_.size());
  for (const auto& [address, e] : entries_) out.push_back(address);
  for (const auto& [alias, target] : aliases_) out.push_back(alias);
  return out;
}

std::vector<std::string> peer_table::take_added() { return std::exchange(added_, {}); }
std::vector<std::string> peer_table::take_removed() { return std::exchange(removed_, {}); }

peer_table::counts peer_table::size() const {
  counts n;
  n.trusted = count(peer_state::trusted);
  n.proven = count(peer_state::proven);
  n.probation = count(peer_state::probation);
  n.aliases = aliases_.size();
  n.pending = pending_.size();
  n.muted = muted_.size();
  return n;
}

// --- private -----------------------------------------------------------------

std::size_t peer_table::count(peer_state s) const {
  return static_cast<std::size_t>(
      std::count_if(entries_.begin(), entries_.end(), [s](const auto& kv) { return kv.second.state == s; }));
}

std::size_t peer_table::candidates_of(const std::string& source) const {
  return static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), [&](const auto& kv) {
    return kv.second.state == peer_state::probation && kv.second.source == source;
  }));
}

bool peer_table::muted(const std::string& source, std::uint64_t now_ms) const {
  auto it = muted_.find(source);
  return it != muted_.end() && it->second > now_ms;
}

void peer_table::mute(const std::string& source, std::uint64_t now_ms) {
  if (muted_.size() >= limits_.muted_sources_max && muted_.count(source) == 0) {
    // Bounded: forget the source whose muting ends first.
    auto oldest = std::min_element(muted_.begin(), muted_.end(),
                                   [](const auto& a, const auto& b) { return a.second < b.second; });
    muted_.erase(oldest);
  }
  muted_[source] = now_ms + limits_.probation_ms;
}

bool peer_table::displace(std::uint64_t now_ms) {
  auto victim = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    const entry& e = it->second;
    if (e.state != peer_state::probation || e.handshaken) continue;
    if (!e.dial_failed && now_ms - e.since_ms < limits_.probation_grace_ms) continue;
    if (victim == entries_.end()) {
      victim = it;
      continue;
    }
    const entry& v = victim->second;
    // A failed dial goes first, then the oldest.
    if (std::make_pair(!e.dial_failed, e.since_ms) < std::make_pair(!v.dial_failed, v.since_ms)) victim = it;
  }
  if (victim == entries_.end()) return false;
  ++c_.evicted_displaced;
  drop_candidate(victim, now_ms, true);
  return true;
}

void peer_table::drop_candidate(std::map<std::string, entry, std::less<>>::iterator it, std::uint64_t now_ms, bool requeue) {
  if (it->second.source == local_source) {
    // Local addresses came from a proven peer or the operator's history: try
    // again later (a device that was off comes back), after a pause.
    if (requeue) queue_pending(it->first, now_ms + limits_.probation_ms);
  } else {
    mute(it->second.source, now_ms);
  }
  remove(it);
}

void peer_table::remove(std::map<std::string, entry, std::less<>>::iterator it) {
  if (!it->second.alias.empty()) {
    auto a = aliases_.find(it->second.alias);
    if (a != aliases_.end() && a->second == it->first) aliases_.erase(a);
  }
  removed_.push_back(it->first);
  entries_.erase(it);
  ++version_;
}

bool peer_table::promote(entry& e, std::uint64_t now_ms) {
  if (count(peer_state::proven) >= limits_.proven_max) {
    auto idle = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.state != peer_state::proven || now_ms - it->second.heard_ms < limits_.proven_idle_ms) continue;
      if (idle == entries_.end() || it->second.heard_ms < idle->second.heard_ms) idle = it;
    }
    if (idle == entries_.end()) return false;
    ++c_.evicted_idle;
    remove(idle);
  }
  e.state = peer_state::proven;
  e.since_ms = now_ms;
  e.heard_ms = now_ms;
  e.source.clear();
  ++c_.proven;
  ++version_;
  return true;
}

void peer_table::set_alias(const std::string& trusted, entry& e, std::string_view sender) {
  if (e.alias == sender) return;
  auto other = entries_.find(sender);
  if (other != entries_.end()) {
    if (other->second.state == peer_state::trusted) return;  // two configured names of one node: both stay
    remove(other);                                           // reached through the configured address from now on
  }
  if (!e.alias.empty()) {
    auto old = aliases_.find(e.alias);
    if (old != aliases_.end() && old->second == trusted) aliases_.erase(old);
  }
  e.alias = std::string(sender);
  aliases_[e.alias] = trusted;
  ++version_;
}

void peer_table::queue_pending(const std::string& address, std::uint64_t not_before_ms) {
  for (auto& p : pending_) {
    if (p.first != address) continue;
    p.second = std::max(p.second, not_before_ms);
    return;
  }
  if (pending_.size() < limits_.pending_max) pending_.emplace_back(address, not_before_ms);
}

void peer_table::admit_pending(std::uint64_t now_ms) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (candidates_of(local_source) >= limits_.probation_local_max ||
        count(peer_state::probation) >= limits_.probation_max)
      return;
    if (it->second > now_ms) {
      ++it;
      continue;
    }
    std::string address = std::move(it->first);
    it = pending_.erase(it);
    if (address == self_ || entries_.count(address) != 0 || aliases_.count(address) != 0) continue;
    entry e;
    e.origin = peer_origin::learned;
    e.state = peer_state::probation;
    e.source = local_source;
    e.since_ms = now_ms;
    entries_.emplace(address, std::move(e));
    added_.push_back(address);
    ++c_.admitted;
    ++version_;
  }
}

}  // namespace sn::broker
