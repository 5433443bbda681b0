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

/// Unpack limits proportional to the input: every array element, map entry
/// and string byte needs at least one input byte, so msgpack can never be
/// asked to allocate more than ~24 bytes per input byte, whatever the length
/// prefixes claim (`dd ff 00 00 00` asks for 4 billion elements and fails).
inline msgpack::unpack_limit limits_for(std::size_t input_size, std::size_t array_max, std::size_t depth_max) {
  const std::size_t n = input_size;
  return msgpack::unpack_limit(array_max < n ? array_max : n, n / 2, n, n, n, depth_max);
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
