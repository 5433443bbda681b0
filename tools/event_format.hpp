// How storectl prints events: one aligned human line with the payload
// summarised, or one complete JSON object per line (event_to_json plus
// "position"). Both work on the JSON form so that events from a data dir and
// events from a node's HTTP API print the same.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "events/event.hpp"
#include "tools/terminal.hpp"

namespace sn::tools {

/// event_to_json(e) with "position" added.
nlohmann::json event_json(const event& e, std::uint64_t position);

/// One-line summary of the payload, e.g. for sale.completed
/// "receipt=POS1-000042 lines=2 items=3 total=12.50 paid=card:12.50".
std::string summarise_payload(const nlohmann::json& ev);

/// The same summary straight from the typed payload (no JSON built): what
/// the data-dir path prints. Equal to summarise_payload(event_json(e, _)).
std::string summarise_event(const event& e);

/// "     42  2026-11-25T14:03:07.123Z  POS1:17        t3  sale.completed       receipt=..."
std::string format_event_line(const nlohmann::json& ev, const palette& p);
/// Same line from a decoded event (the data-dir path).
std::string format_event_line(const event& e, std::uint64_t position, const palette& p);

/// Header matching format_event_line's columns.
std::string format_event_header(const palette& p);

} // namespace sn::tools
