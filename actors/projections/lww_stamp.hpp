// The version of a last-writer-wins register as projection rows keep it
// (actors/retail/README.md: registers are ordered by (HLC, origin)).
//
// Order: by HLC, then by origin name, then (same origin) by seq — exactly
// retail::views' stamp order. The seq also names the write in conflict
// reports ("origin:seq"). Every field is the event's own (no node-local
// ids), so every node encodes a register identically.
//
// Encoding (row_out): u8 set; when set: u64 hlc, str origin, u64 seq.
#pragma once

#include <cstdint>
#include <string>

#include "actors/projections/row_codec.hpp"
#include "events/event.hpp"

namespace sn::projections {

struct lww_stamp {
  bool set = false;
  std::uint64_t hlc = 0;
  std::string origin;
  std::uint64_t seq = 0;

  static lww_stamp of(const event& e) { return lww_stamp{true, e.hlc.packed(), e.origin.value(), e.seq.value()}; }

  /// This write wins over `b` (an unset stamp loses to any set one).
  bool newer_than(const lww_stamp& b) const {
    if (!b.set) return set;
    if (!set) return false;
    if (hlc != b.hlc) return hlc > b.hlc;
    if (origin == b.origin) return seq > b.seq;
    return origin > b.origin;
  }

  /// "origin:seq", how conflict reports name a write.
  std::string ref() const { return origin + ":" + std::to_string(seq); }

  void write(row_out& o) const {
    o.boolean(set);
    if (set) o.u64(hlc).str(origin).u64(seq);
  }
  static lww_stamp read(row_in& in) {
    lww_stamp s;
    s.set = in.boolean();
    if (s.set) {
      s.hlc = in.u64();
      s.origin = in.str();
      s.seq = in.u64();
    }
    return s;
  }
};

}  // namespace sn::projections
