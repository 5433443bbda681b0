#include "trust/keyring.hpp"

#include "events/device.hpp"
#include "events/payload_codec.hpp"

namespace sn::trust {

const public_key* member::key_at(std::uint64_t seq) const noexcept {
  if (!has_key) return nullptr;
  const public_key* found = nullptr;
  for (const auto& r : keys) {
    if (r.first_seq > seq) break;
    found = &r.key;
  }
  return found;
}

std::vector<std::uint64_t> member::rotation_points() const {
  std::vector<std::uint64_t> out;
  for (std::size_t i = 1; i < keys.size(); ++i) out.push_back(keys[i].first_seq - 1);
  return out;
}

std::optional<public_key> rotated_key_of(const event& e) {
  if (static_cast<event_type>(e.type) != event_type::device_keys_rotated) return std::nullopt;
  auto p = payload_of<device_keys_rotated>(e);
  if (!p || p->device_id != e.origin.value()) return std::nullopt;
  return parse_public_key_hex(p->signing_key);
}

void keyring::pin_store(std::string store_id) { store_id_ = std::move(store_id); }

const member* keyring::find(const std::string& origin) const {
  auto it = members_.find(origin);
  return it == members_.end() ? nullptr : &it->second;
}

bool keyring::trusted_writer(const event& e) const {
  const member* m = find(e.origin.value());
  return m != nullptr && m->may_write(e.seq.value());
}

bool keyring::rotate(member& m, std::uint64_t from, const public_key& key) {
  if (m.key == key || from <= m.keys.back().first_seq || m.keys.size() >= key_ranges_max) return false;
  m.keys.push_back(key_range{from, key});
  m.key = key;
  return true;
}

bool keyring::observe(const event& e) {
  const auto type = static_cast<event_type>(e.type);
  if (type == event_type::store_created) {
    auto p = payload_of<store_created>(e);
    if (!p) return false;
    if (!creator_.empty()) return false;  // the first that counted stays
    if (!store_id_.empty() && store_id_ != p->store_id) return false;
    // Only a member or a device that is nobody yet may found the store: a
    // device already enrolled elsewhere cannot re-found it.
    const member* m = find(e.origin.value());
    if (m != nullptr && !m->may_write(e.seq.value())) return false;
    store_id_ = p->store_id;
    creator_ = e.origin.value();
    return true;
  }
  if (type == event_type::device_enrolled) {
    auto p = payload_of<device_enrolled>(e);
    if (!p) return false;
    const bool genesis =
        e.origin.value() == creator_ && p->device_id == creator_ && p->approved_by.empty() && find(creator_) == nullptr;
    if (!genesis && !trusted_writer(e)) return false;
    auto key = parse_public_key_hex(p->signing_key);
    if (!key) return false;
    auto it = members_.find(p->device_id);
    if (it == members_.end()) {
      if (members_.size() >= members_max) return false;
      it = members_.emplace(p->device_id, member{}).first;
    }
    member& m = it->second;
    if (m.revoked) return false;  // sticky: a revoked id is never re-admitted
    if (m.has_key && m.key == *key) return false;
    // A rotated device keeps its history; a second enrollment with other keys
    // (not made by this build: the door refuses members) replaces a history
    // that never rotated, as before rotation existed.
    if (m.keys.size() > 1) return false;
    m.key = *key;
    m.has_key = true;
    m.keys.assign(1, key_range{1, *key});
    if (auto waiting = pending_.find(p->device_id); waiting != pending_.end()) {
      for (const auto& r : waiting->second) {
        if (m.may_write(r.first_seq - 1)) rotate(m, r.first_seq, r.key);
      }
      pending_.erase(waiting);
    }
    return true;
  }
  if (type == event_type::device_keys_rotated) {
    auto key = rotated_key_of(e);
    if (!key) return false;
    const std::string& origin = e.origin.value();
    if (find(origin) == nullptr) {
      // A device's own rotation, folded before the enrollment that names it
      // reached its own log (a joined device learns it by sync): kept until
      // then, so the history does not depend on the order.
      auto& waiting = pending_[origin];
      if (pending_.size() > members_max || waiting.size() >= key_ranges_max) return false;
      waiting.push_back(key_range{e.seq.value() + 1, *key});
      return false;
    }
    if (!trusted_writer(e)) return false;
    return rotate(members_.at(origin), e.seq.value() + 1, *key);
  }
  if (type == event_type::device_revoked) {
    auto p = payload_of<device_revoked>(e);
    if (!p || !trusted_writer(e)) return false;
    auto it = members_.find(p->device_id);
    if (it == members_.end()) {
      if (members_.size() >= members_max) return false;
      it = members_.emplace(p->device_id, member{}).first;
    }
    member& m = it->second;
    if (m.revoked && m.revoked_after_seq <= p->revoked_after_seq) return false;
    m.revoked = true;
    m.revoked_after_seq = p->revoked_after_seq;
    return true;
  }
  return false;
}

}  // namespace sn::trust
