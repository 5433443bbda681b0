// From an HTTP command request (body text, path parameter, Idempotency-Key
// header) to the typed command the command actor decides on
// (actors/retail/commands.hpp). Pure: no httplib, no CAF; node/http_api.cpp
// and tests/fuzz/fuzz_http_command.cpp both call it.
//
// Every check of a command's shape lives here: JSON types, required fields,
// lengths, ranges, allowed words, with the 400 codes of docs/api.md. The
// command handler keeps only the checks that need state (unknown sku, ...).
//
// Bounded: the body is checked against json_limits while it is parsed (a SAX
// pass over the text, before any DOM exists), so that nothing later walks a
// value deeper, longer or wider than the limits: nlohmann's dump() and
// comparisons recurse once per nesting level, and a 200 KB body of 100,000
// nested arrays overflowed the stack of the HTTP thread that re-serialised it.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "actors/retail/commands.hpp"
#include "node/api_error.hpp"

namespace sn::node {

/// What a request body may hold; beyond any of these it is refused with 400
/// `invalid_body` before it is turned into a value. Each bound is far above
/// what any command accepts (the command handler names the field when a value
/// is merely too long or a list too long for its command).
struct json_limits {
  std::size_t depth_max = 32;             ///< nested arrays and objects
  std::size_t string_bytes_max = 4096;    ///< one string or object key (fields accept at most 256)
  std::size_t array_items_max = 1000;     ///< items of one array (a sale has at most 200 lines)
  std::size_t object_members_max = 1000;  ///< members of one object
};

/// Parses `text` as one JSON value within `limits`. Refusals: 400
/// `invalid_body` naming the syntax error or the limit (and where).
api_result<nlohmann::json> parse_json_bounded(std::string_view text, const json_limits& limits = {});

/// One command request as the HTTP route has it.
struct command_input {
  std::string_view body;                ///< the request body; empty means {}
  const char* path_field = nullptr;     ///< "sku", "receipt" or "device_id" when the path names one
  std::string_view path_value;          ///< that path parameter
  std::string_view idempotency_header;  ///< the Idempotency-Key header ("" when absent)
};

/// A command request's body as JSON, before its fields are read.
struct command_body {
  nlohmann::json body;          ///< a JSON object: path parameter merged, "idempotency_key" removed
  std::string idempotency_key;  ///< header, else the body's "idempotency_key" string, else ""
};

/// Parses and shapes a command request's body. Refusals: 400 `invalid_body`
/// (not JSON, beyond the limits, or not an object), 400 `invalid_field` (a
/// path parameter that is not UTF-8), 400 `invalid_idempotency_key` (a key
/// that is not UTF-8). Whatever it accepts serialises.
api_result<command_body> parse_command_body(const command_input& in, const json_limits& limits = {});

/// Reads the fields of a command of `kind` from `body` (a JSON object; any
/// other value is 400 `invalid_body`). Unknown fields are ignored. Refusals
/// (400): `missing_field`, `wrong_type`, `invalid_field`, `invalid_qty`,
/// `invalid_price`, `invalid_discount` (a discount beyond its bound),
/// `invalid_amount`, `invalid_day`, `invalid_device_id`, `unknown_command`
/// (a kind this build does not know).
api_result<retail::command> read_command(retail::command_kind kind, const nlohmann::json& body);

/// The command for the command actor.
struct parsed_command {
  retail::command command;
  std::string idempotency_key;  ///< header, else the body's "idempotency_key" string, else ""
  /// add_staff / update_staff: the shape-checked PIN ("" when not given). The
  /// route hashes it into the command's pin_hash (actors/staff/pin.hpp) and
  /// drops it; no command, record or log holds it.
  std::string pin;
};

/// True when `digits` (13..19 ASCII digits) passes the Luhn check.
bool luhn_valid(std::string_view digits) noexcept;

/// The first card number in `body` (PCI DSS 3.4): a run of 13..19 digits,
/// optionally grouped by single spaces or dashes, that passes the Luhn check,
/// in any string or integer at any depth. A `barcode` field whose value is a
/// valid GTIN (EAN-13, GTIN-14: its own check digit) is not searched: one in
/// ten GTINs passes Luhn too. nullopt when there is none. The number is not
/// returned (it must not reach a log): only where it was found.
std::optional<std::string> find_card_number(const nlohmann::json& body);

/// parse_command_body, then 400 `card_number_refused` for a card number
/// anywhere in the body (find_card_number), then 400
/// `invalid_idempotency_key` for a key longer than 255 bytes, then
/// read_command. The body's "approval" member (node/http_api.cpp) is not
/// part of the command and is ignored here.
api_result<parsed_command> parse_command(retail::command_kind kind, const command_input& in,
                                         const json_limits& limits = {});

}  // namespace sn::node
