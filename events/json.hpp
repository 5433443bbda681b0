// JSON views of events for the HTTP API, the SSE stream and storectl.
// Only the declarations of nlohmann::json are pulled in here.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "events/event.hpp"

namespace sn {

/// The payload as JSON: the typed fields for a known type, a generic rendering
/// of the msgpack value for an unknown one (bin as base64 under "$bin").
nlohmann::json payload_to_json(const event& e);

/// The whole event: {"origin","seq","hlc","time","term","type","type_id",
/// "schema","payload","prev_hash","hash"} (hashes in hex, time RFC 3339).
nlohmann::json event_to_json(const event& e);

} // namespace sn
