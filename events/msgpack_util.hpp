// Internal helpers of the events folder (not part of its public surface):
// a msgpack output stream over std::string and the bounded unpack every
// decoder here goes through.
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#include "events/errc.hpp"

namespace sn::detail {

/// Output stream for msgpack::packer that appends to a std::string.
struct string_writer {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};
using string_packer = msgpack::packer<string_writer>;

/// Clears a per-thread zone when a decode leaves (after clear() the zone keeps
/// its first chunk, so the next decode allocates nothing in msgpack).
struct zone_clear {
  msgpack::zone& z;
  ~zone_clear() { z.clear(); }
};

/// Unpack limits. msgpack allocates an array's or map's element table as soon
/// as it reads the header, so those counts are bounded by the input size
/// (every element needs at least one input byte): msgpack is never asked for
/// more than ~24 bytes per input byte, whatever the prefixes claim
/// (`dd ff 00 00 00` asks for 4 billion elements and fails). str/bin/ext are
/// referenced in place (reference_all), never copied, and msgpack only looks
/// at them once all their bytes are present, so they need just the absolute
/// bound.
inline msgpack::unpack_limit limits_for(std::size_t input_size, std::size_t array_max, std::size_t depth_max,
                                        std::size_t bytes_max) {
  const std::size_t n = input_size;
  return msgpack::unpack_limit(array_max < n ? array_max : n, n / 2, bytes_max, bytes_max, bytes_max, depth_max);
}

/// Strings and bins point into the input buffer instead of being copied into
/// the zone; callers copy what they keep before the buffer goes away.
inline bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

/// Unpacks exactly one msgpack value spanning all of `bytes` into `zone`.
/// Every msgpack exception is caught here and turned into an events error;
/// trailing bytes are an error. On success returns true and sets `out`.
bool unpack_one(msgpack::zone& zone, std::string_view bytes, const msgpack::unpack_limit& limit,
                msgpack::object& out, sn::error& err);

} // namespace sn::detail
