// Times on the command line: RFC 3339 ("2026-11-25T18:00:00Z",
// "2026-11-25T18:00:00.250+01:00", "2026-11-25" = midnight UTC), relative to
// now ("-15m", "-2h30m", "-1d", "-90s", "-1w") or "now". Pure: the caller
// passes the current time in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/expected.hpp"

namespace sn::tools {

/// Milliseconds since the Unix epoch for `text`, or a usage error that says
/// which forms are accepted.
expected<std::uint64_t> parse_time(std::string_view text, std::uint64_t now_ms);

/// "2026-11-25T18:00:00.000Z".
std::string format_time(std::uint64_t ms);

/// Wall-clock now, in ms since the epoch (the one clock read of the tools).
std::uint64_t wall_now_ms();

} // namespace sn::tools
