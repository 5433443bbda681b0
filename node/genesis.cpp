#include "node/genesis.hpp"

#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/hlc.hpp"
#include "events/payload_codec.hpp"

namespace sn::node {

std::vector<event> genesis_events(const genesis_input& in) {
  hybrid_logical_clock clock;
  hash256 prev{};
  std::uint64_t seq = 0;
  if (in.own_head) {
    clock.observe(in.own_head->hlc, 0);  // own clock never goes back
    prev = in.own_head->hash;
    seq = in.own_head->seq;
  }
  const device_id self{in.device_id};
  std::vector<event> out;
  const auto add = [&](auto payload) {
    event e = make_event(self, origin_seq{++seq}, clock.now(in.wall_ms), term_id{in.term}, payload);
    e.prev_hash = prev;
    seal(e);
    prev = e.hash;
    out.push_back(std::move(e));
  };
  add(store_created{in.store_id, in.name});
  add(device_enrolled{in.device_id, in.signing_key_hex, in.curve_key_hex, in.priority, ""});
  return out;
}

}  // namespace sn::node
