// The system's IANA time zone database (tzdata, Debian package `tzdata`):
// the one place that turns a zone name into an events/time_zone value by
// reading its TZif file. storenode calls it once at start-up for
// store.time_zone, storectl for --time-zone; never on a per-event path, so
// the retail core gets the rules as a value and never touches the disk.
// Thread-safe (no state of its own); reads the environment (TZDIR) and disk.
#pragma once

#include <string>

#include "events/expected.hpp"
#include "events/time_zone.hpp"

namespace sn::node {

enum class zoneinfo_errc : int {
  invalid_name = 1,  ///< not an IANA-style name (valid_time_zone_name)
  not_found = 2,     ///< no such file in the zoneinfo directory
  unreadable = 3,    ///< the file exists but could not be read
  invalid = 4,       ///< the file is not a TZif file time_zone can use
};

/// Where the tzdata files are: $TZDIR when set (as the C library does),
/// else /usr/share/zoneinfo.
std::string zoneinfo_dir();

/// The zone `name` ("Europe/Berlin") from `dir`. "UTC" is built in, so a
/// machine without tzdata still runs a UTC store. Errors name the zone and
/// the directory; the caller adds which setting gave the name.
[[nodiscard]] expected<time_zone> load_time_zone(const std::string& name, const std::string& dir = zoneinfo_dir());

}  // namespace sn::node
