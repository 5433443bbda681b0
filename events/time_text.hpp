// Times as people write them, for queries and the command line: RFC 3339
// ("2026-11-25T18:00:00Z", "2026-11-25T18:00:00.250+01:00", "2026-11-25" =
// midnight UTC), relative to now ("-15m", "-2h30m", "-1d", "-90s", "-1w") or
// "now". Pure: the caller passes the current time in. storectl
// (tools/time_spec.hpp) and the HTTP API's since/until (docs/api.md) both
// read times with it.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sn {

/// Milliseconds since the Unix epoch for `text`; nullopt when it is none of
/// the forms above.
std::optional<std::uint64_t> parse_time_text(std::string_view text, std::uint64_t now_ms);

}  // namespace sn
