#include "tools/time_spec.hpp"

#include <chrono>
#include <cstdint>

#include "events/hlc.hpp"
#include "events/time_text.hpp"
#include "tools/errc.hpp"

namespace sn::tools {

expected<std::uint64_t> parse_time(std::string_view text, std::uint64_t now_ms) {
  if (auto ms = parse_time_text(text, now_ms)) return *ms;
  return make_error(errc::usage, "bad time '" + std::string(text) +
                                     "': expected RFC 3339 (2026-11-25T18:00:00Z, "
                                     "2026-11-25T18:00:00+01:00, 2026-11-25) or relative to now "
                                     "(-15m, -2h30m, -1d, now)");
}

std::string format_time(std::uint64_t ms) { return hlc_timestamp::from_parts(ms, 0).to_rfc3339(); }

std::uint64_t wall_now_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace sn::tools
