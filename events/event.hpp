// The event envelope of ARCHITECTURE.md §4. Pure data; the codec is codec.hpp.
#pragma once

#include <cstdint>
#include <string>

#include "events/event_type.hpp"
#include "events/hlc.hpp"
#include "events/types.hpp"

namespace sn {

/// One immutable event. Identified by (origin, seq). The payload is kept as the
/// msgpack bytes it was written with, so an event of a type or schema version
/// this build does not know round-trips byte-identical.
struct event {
  device_id origin;            ///< device that wrote it
  origin_seq seq;              ///< 1, 2, 3 ... per origin
  hlc_timestamp hlc;           ///< when, by the writer's hybrid logical clock
  term_id term;                ///< writer's master term when it wrote it
  std::uint16_t type = 0;      ///< event_type id (may be unknown to this build)
  std::uint16_t schema = 1;    ///< payload schema version
  std::string payload;         ///< msgpack bytes of the typed payload
  hash256 prev_hash{};         ///< hash of (origin, seq-1); all zero for seq 1
  hash256 hash{};              ///< BLAKE2b-256 of the canonical bytes (codec.hpp)

  bool operator==(const event& o) const {
    return origin == o.origin && seq == o.seq && hlc == o.hlc && term == o.term && type == o.type &&
           schema == o.schema && payload == o.payload && prev_hash == o.prev_hash && hash == o.hash;
  }
};

/// "POS1:42" — how logs and tools name an event.
std::string event_ref(const event& e);

} // namespace sn
