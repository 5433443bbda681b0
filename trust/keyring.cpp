#include "trust/keyring.hpp"

#include "events/device.hpp"
#include "events/payload_codec.hpp"

namespace sn::trust {

void keyring::pin_store(std::string store_id) { store_id_ = std::move(store_id); }

const member* keyring::find(const std::string& origin) const {
  auto it = members_.find(origin);
  return it == members_.end() ? nullptr : &it->second;
}

bool keyring::trusted_writer(const event& e) const {
  const member* m = find(e.origin.value());
  return m != nullptr && m->may_write(e.seq.value());
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
    m.key = *key;
    m.has_key = true;
    return true;
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
