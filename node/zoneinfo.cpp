#include "node/zoneinfo.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace sn::node {
namespace {

sn::error zoneinfo_error(zoneinfo_errc e, std::string message) {
  return sn::error{"zoneinfo", static_cast<int>(e), std::move(message)};
}

}  // namespace

std::string zoneinfo_dir() {
  const char* dir = std::getenv("TZDIR");
  return dir != nullptr && *dir != '\0' ? dir : "/usr/share/zoneinfo";
}

expected<time_zone> load_time_zone(const std::string& name, const std::string& dir) {
  if (name == "UTC") return time_zone::utc();
  if (!valid_time_zone_name(name)) {
    return zoneinfo_error(zoneinfo_errc::invalid_name,
                          "\"" + name + "\" is not a time zone name: use an IANA name such as \"Europe/Berlin\"");
  }
  namespace fs = std::filesystem;
  const fs::path path = fs::path(dir) / name;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {  // follows symlinks, as tzdata uses them
    return zoneinfo_error(zoneinfo_errc::not_found,
                          "time zone \"" + name + "\" is not in the time zone database " + dir +
                              " (names are IANA ids such as \"Europe/Berlin\" or \"America/New_York\"; is the "
                              "tzdata package installed?)");
  }
  const auto size = fs::file_size(path, ec);
  if (ec || size > tzif_bytes_max) {
    return zoneinfo_error(zoneinfo_errc::invalid, path.string() + " is not a TZif file (" +
                                                      (ec ? ec.message() : std::to_string(size) + " bytes") + ")");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    return zoneinfo_error(zoneinfo_errc::unreadable, "cannot read " + path.string());
  }
  auto zone = time_zone::from_tzif(name, bytes);
  if (!zone) return zoneinfo_error(zoneinfo_errc::invalid, path.string() + ": " + zone.error().message);
  return zone;
}

}  // namespace sn::node
