// A time zone's rules as a value: the UTC offset in force at any instant.
// Built from the bytes of a TZif file (RFC 8536, version 2 or later: its
// 64-bit transitions, then the POSIX TZ rule of its footer for instants after
// the last transition), from a POSIX TZ rule alone, or as a fixed offset.
//
// Contract
// - Pure: parses bytes it is given and never reads a file, the environment or
//   the C library's time zone state. The edge (node/zoneinfo.hpp) reads the
//   system tzdata at start-up and hands the value to the retail core.
// - Immutable once built; copies are cheap (shared rules) and may be used from
//   any thread at once.
// - Leap-second ("right/") files are refused: their transition times are not
//   POSIX seconds, and a business day must not move by a leap second.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "events/expected.hpp"

namespace sn {

/// Largest TZif file accepted (real ones are under 4 KiB).
constexpr std::size_t tzif_bytes_max = 1 << 20;
/// Largest transition count accepted (fat files hold a few hundred).
constexpr std::uint32_t tzif_transitions_max = 20000;
/// Offsets east of UTC, in seconds, RFC 8536 §3.2 allows: [-89999, 93599].
constexpr std::int32_t utc_offset_seconds_min = -89999;
constexpr std::int32_t utc_offset_seconds_max = 93599;
/// Longest time zone name accepted ("America/Argentina/ComodRivadavia" is 32).
constexpr std::size_t time_zone_name_length_max = 128;

class time_zone {
 public:
  /// UTC.
  time_zone();

  static time_zone utc() { return time_zone{}; }
  /// A zone that is always `offset_minutes` east of UTC, named "UTC+01:00",
  /// "UTC-05:30" ("UTC" for 0). For stores still on store.utc_offset_minutes.
  static time_zone fixed(std::int32_t offset_minutes);
  /// From the bytes of a TZif file (version 2+); `name` is its IANA name.
  static expected<time_zone> from_tzif(std::string name, std::string_view bytes);
  /// From a POSIX TZ rule such as "CET-1CEST,M3.5.0,M10.5.0/3" (with the
  /// RFC 8536 extensions: hours up to 167 in rule times).
  static expected<time_zone> from_posix(std::string name, std::string_view rule);

  /// "Europe/Berlin", "UTC", "UTC+01:00".
  const std::string& name() const noexcept;
  /// Offset east of UTC, in seconds, in force at `utc_seconds`.
  std::int32_t offset_seconds(std::int64_t utc_seconds) const noexcept;
  /// The local wall time of an instant, in ms since 1970-01-01T00:00 local.
  std::int64_t to_local_ms(std::int64_t utc_ms) const noexcept;
  /// The local calendar day of an instant, in days since 1970-01-01.
  std::int64_t local_day(std::int64_t utc_ms) const noexcept;
  /// The offset in minutes when the zone is a fixed offset (fixed(), or a
  /// rule without daylight saving), else nullopt.
  std::optional<std::int32_t> fixed_offset_minutes() const noexcept;

  struct rules;  // defined in time_zone.cpp

 private:
  explicit time_zone(std::shared_ptr<const rules> r) : rules_(std::move(r)) {}
  std::shared_ptr<const rules> rules_;
};

/// True when `name` can name a file under a zoneinfo directory: 1..128
/// characters of `A-Za-z0-9._+-` in '/'-separated parts, none empty, none
/// "." or "..", none starting with '-'. Says nothing of whether it exists.
bool valid_time_zone_name(std::string_view name) noexcept;

}  // namespace sn
