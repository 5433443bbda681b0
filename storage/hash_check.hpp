// Hash verification straight from an event's encoded bytes, so append
// encodes each event once and hashes those same bytes (no second, canonical
// encoding). Follows the definition in events/codec.hpp: the hash is
// BLAKE2b-256 of the "canonical bytes", the encoding of the first 9 envelope
// elements as a 9-element array. The full encoding is the 10-element array
// header (0x9a) + those 9 elements + the hash as bin8 (c4 20 + 32 bytes), so
// canonical bytes = 0x99 + encoded[1 .. size - 34). A unit test pins this
// against sn::compute_hash.
#pragma once

#include <string_view>

#include "events/types.hpp"

namespace sn::storage {

/// True when `encoded` (sn::encode output) has the envelope layout above and
/// its canonical bytes hash to `hash`.
bool encoded_hash_matches(std::string_view encoded, const hash256& hash) noexcept;

} // namespace sn::storage
