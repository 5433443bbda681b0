// Encoding of typed payloads: each payload struct is a positional msgpack array
// (fields in declaration order, documented in docs/events.md). Decoding accepts
// arrays longer than this build knows (newer schema: extra fields ignored) and
// shorter ones (older schema: missing trailing fields keep their defaults).
#pragma once

#include <string>
#include <string_view>

#include "events/event.hpp"
#include "events/expected.hpp"

namespace sn {

/// Encodes a payload struct (product_upserted, sale_completed, ...).
/// Instantiated in payload_codec.cpp for every struct of the catalog.
template <class Payload>
std::string encode_payload(const Payload& p);

/// Decodes payload bytes as `Payload`. Error on malformed bytes.
template <class Payload>
expected<Payload> decode_payload(std::string_view bytes);

sn::error wrong_type_error(std::uint16_t have, std::uint16_t want);

/// Decodes e.payload as `Payload`; error wrong_type when e.type differs.
template <class Payload>
expected<Payload> payload_of(const event& e) {
  if (e.type != static_cast<std::uint16_t>(Payload::type)) {
    return wrong_type_error(e.type, static_cast<std::uint16_t>(Payload::type));
  }
  return decode_payload<Payload>(e.payload);
}

/// A fresh, unsealed event carrying `p` (type and schema from the payload type).
template <class Payload>
event make_event(const device_id& origin, origin_seq seq, hlc_timestamp hlc, term_id term, const Payload& p) {
  event e;
  e.origin = origin;
  e.seq = seq;
  e.hlc = hlc;
  e.term = term;
  e.type = static_cast<std::uint16_t>(Payload::type);
  e.schema = Payload::schema;
  e.payload = encode_payload(p);
  return e;
}

} // namespace sn
