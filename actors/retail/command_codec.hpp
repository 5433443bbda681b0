// Canonical msgpack bytes of commands and results, and the idempotency
// record the handler persists (storage's "idempotency" column family, written
// with the command's events by a side_write).
//
// Encoding: every struct is a positional msgpack array of its fields in
// declaration order (the one field list per type in command_codec.cpp), an
// absent std::optional is nil, a list is an array, integers in shortest form.
// One value has one encoding, so equal bytes <=> equal commands.
//
// Idempotency record (format 2):
//   [2, fingerprint: bin 32, [kind: uint, result: array], staff_id: str,
//    approver_id: str]
// where fingerprint = BLAKE2b-256 of encode_command(command) and result is
// encode_result's array for that kind; staff_id / approver_id are the
// attribution the command's events carry, so a replay echoes the first run's.
// Format 1 ([1, fingerprint, [kind, result]]) is still read: its staff_id and
// approver_id are "" (unknown). A record of the build before typed
// commands is JSON text ({"command":..,"fingerprint":..,"status":..,"body":..});
// record_format() tells it apart (a msgpack record starts with an array
// header, 0x90..0x9f, JSON with '{').
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "actors/retail/command_result.hpp"
#include "actors/retail/commands.hpp"
#include "events/expected.hpp"
#include "events/types.hpp"

namespace sn::retail {

/// Canonical bytes of a command (its kind first).
std::string encode_command(const command& c);
/// Inverse of encode_command (tests, tools); refuses anything else.
expected<command> decode_command(std::string_view bytes);
/// BLAKE2b-256 of encode_command(c): the command's identity for idempotency.
/// Staff commands are fingerprinted with pin_hash replaced by "pin" (given)
/// or "" (not given): it is salted per request and derived from a PIN.
hash256 fingerprint(const command& c);

/// Canonical bytes of a result (its kind first).
std::string encode_result(const command_result& r);
expected<command_result> decode_result(std::string_view bytes);

constexpr std::uint64_t idempotency_record_format = 2;

struct idempotency_record {
  hash256 fingerprint{};
  command_result result;
  std::string staff_id;     ///< "" in a format 1 record
  std::string approver_id;  ///< "" for none, or in a format 1 record
};
std::string encode_record(const idempotency_record& r);
expected<idempotency_record> decode_record(std::string_view bytes);

enum class record_format : std::uint8_t {
  typed = 1,        ///< msgpack, this build's (may still fail to decode)
  legacy_json = 2,  ///< JSON text of the build before typed commands
  unknown = 3,      ///< neither
};
record_format classify_record(std::string_view bytes) noexcept;

} // namespace sn::retail
