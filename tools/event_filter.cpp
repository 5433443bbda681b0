#include "tools/event_filter.hpp"

#include <fnmatch.h>

#include <nlohmann/json.hpp>

#include "events/event_type.hpp"
#include "events/types.hpp"
#include "tools/errc.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

// Catalog ids are blocks of 100 (event_type.hpp) below 800: bit (id % 100) of word (id / 100).
constexpr std::uint16_t mask_block_count = 8;
constexpr std::uint16_t mask_block_size = 64;

std::string known_type_list() {
  std::string out;
  for (std::uint16_t id = 0; id < mask_block_count * 100; ++id) {
    if (auto n = event_type_name(id)) {
      if (!out.empty()) out += ", ";
      out += std::string(*n);
    }
  }
  return out;
}

} // namespace

bool glob_match(const std::string& pattern, const std::string& text) {
  return fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::string type_name_of(std::uint16_t type) {
  if (auto n = event_type_name(type)) return std::string(*n);
  return "unknown";
}

expected<event_filter> event_filter::make(const filter_options& o, std::uint64_t now_ms) {
  event_filter f;
  f.type_glob_ = o.type_glob;
  f.origin_ = o.origin;
  f.term_ = o.term;
  if (!o.type_glob.empty()) {
    bool any = false;
    for (std::uint16_t id = 0; id < mask_block_count * 100; ++id) {
      if (id % 100 >= mask_block_size) continue;
      auto n = event_type_name(id);
      if (n && glob_match(o.type_glob, std::string(*n))) {
        f.type_mask_[id / 100] |= std::uint64_t{1} << (id % 100);
        any = true;
      }
    }
    // "unknown" selects events of types newer than this build (event_to_json names them so).
    f.unknown_types_match_ = glob_match(o.type_glob, "unknown");
    if (!any && !f.unknown_types_match_) {
      return make_error(errc::usage, "--type '" + o.type_glob + "' matches no event type; known types: " +
                                         known_type_list() + " (globs like 'sale.*' work)");
    }
  }
  if (!o.origin.empty() && !valid_device_id(o.origin)) {
    return make_error(errc::usage, "--origin '" + o.origin +
                                       "' is not a device id (1-64 characters of A-Z a-z 0-9 _ . -)");
  }
  if (!o.since.empty()) {
    auto t = parse_time(o.since, now_ms);
    if (!t) return make_error(errc::usage, "--since: " + t.error().message);
    f.since_ms_ = *t;
  }
  if (!o.until.empty()) {
    auto t = parse_time(o.until, now_ms);
    if (!t) return make_error(errc::usage, "--until: " + t.error().message);
    f.until_ms_ = *t;
  }
  if (f.since_ms_ && f.until_ms_ && *f.since_ms_ > *f.until_ms_) {
    return make_error(errc::usage, "--since " + o.since + " is after --until " + o.until);
  }
  return f;
}

bool event_filter::active() const noexcept {
  return !type_glob_.empty() || !origin_.empty() || since_ms_ || until_ms_ || term_;
}

bool event_filter::type_matches(std::uint16_t type) const {
  if (type_glob_.empty()) return true;
  if (is_known_event_type(type) && type / 100 < mask_block_count && type % 100 < mask_block_size) {
    return (type_mask_[type / 100] >> (type % 100)) & 1u;
  }
  if (!unknown_types_match_) return false;
  return glob_match(type_glob_, type_name_of(type));
}

bool event_filter::matches(const event& e) const {
  if (!type_matches(e.type)) return false;
  if (!origin_.empty() && e.origin.value() != origin_) return false;
  const std::uint64_t ms = e.hlc.wall_ms();
  if (since_ms_ && ms < *since_ms_) return false;
  if (until_ms_ && ms > *until_ms_) return false;
  if (term_ && e.term.value() != *term_) return false;
  return true;
}

bool event_filter::matches(const nlohmann::json& e) const {
  if (!type_glob_.empty()) {
    if (e.contains("type_id") && e["type_id"].is_number_unsigned()) {
      if (!type_matches(e["type_id"].get<std::uint16_t>())) return false;
    } else if (!glob_match(type_glob_, e.value("type", std::string{}))) {
      return false;
    }
  }
  if (!origin_.empty() && e.value("origin", std::string{}) != origin_) return false;
  if (since_ms_ || until_ms_) {
    std::uint64_t ms = 0;
    if (e.contains("hlc") && e["hlc"].is_number_unsigned()) {
      ms = hlc_timestamp(e["hlc"].get<std::uint64_t>()).wall_ms();
    } else if (e.contains("time") && e["time"].is_string()) {
      auto t = parse_time(e["time"].get<std::string>(), 0);
      if (t) ms = *t;
    }
    if (since_ms_ && ms < *since_ms_) return false;
    if (until_ms_ && ms > *until_ms_) return false;
  }
  if (term_ && e.value("term", std::uint64_t{0}) != *term_) return false;
  return true;
}

} // namespace sn::tools
