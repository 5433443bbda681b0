// msgpack codec of the event envelope. The wire format and the disk format are
// the same bytes; docs/protocol.md specifies them.
//
// Encoding (format version 1): a msgpack array of 10 elements
//   [format_version=1, origin:str, seq:uint, hlc:uint, term:uint, type:uint,
//    schema:uint, payload:bin, prev_hash:bin(32), hash:bin(32)]
// The hash is BLAKE2b-256 over the "canonical bytes": the same encoding of the
// first 9 elements as a 9-element array. Integers use msgpack's shortest form.
//
// Decoding never crashes and never allocates more than a bound proportional to
// the input: truncated, oversized or garbage bytes give an error value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "events/event.hpp"
#include "events/expected.hpp"

namespace sn {

constexpr std::uint8_t envelope_format_version = 1;
/// Largest encoded event accepted anywhere (HTTP, wire, disk).
constexpr std::size_t event_bytes_max = 256 * 1024;
/// Deepest msgpack nesting accepted in a payload.
constexpr std::size_t payload_depth_max = 8;

/// BLAKE2b-256 of the event's canonical bytes (ignores e.hash).
hash256 compute_hash(const event& e);
/// Sets e.hash to compute_hash(e).
void seal(event& e);
/// Appends the encoding of `e` (with its stored hash) to `out`.
void encode(const event& e, std::string& out);
std::string encode(const event& e);
/// Decodes one event. Does not verify the hash (see verify_hash).
expected<event> decode(std::string_view bytes);
/// Ok when e.hash equals compute_hash(e).
status verify_hash(const event& e);

} // namespace sn
