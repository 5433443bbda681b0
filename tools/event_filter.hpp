// The event filters every storectl command shares (--type GLOB, --origin ID,
// --since T, --until T, --term N) and their validation. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "events/event.hpp"
#include "events/expected.hpp"

namespace sn::tools {

/// Filter options as typed by the operator (strings not yet parsed).
struct filter_options {
  std::string type_glob;  ///< "" = any; shell glob over type names ("sale.*")
  std::string origin;     ///< "" = any; exact device id
  std::string since;      ///< "" = no lower bound; see time_spec.hpp
  std::string until;      ///< "" = no upper bound (inclusive)
  std::optional<std::uint64_t> term;  ///< exact master term
};

class event_filter {
public:
  /// Validates and parses: a glob that matches no type this build knows, an
  /// invalid device id or a bad time is a usage error naming the option.
  static expected<event_filter> make(const filter_options& o, std::uint64_t now_ms);

  bool matches(const event& e) const;
  /// Same rules on an event rendered by event_to_json (from a node).
  bool matches(const nlohmann::json& e) const;

  const std::string& type_glob() const noexcept { return type_glob_; }
  const std::string& origin() const noexcept { return origin_; }
  std::optional<std::uint64_t> since_ms() const noexcept { return since_ms_; }
  std::optional<std::uint64_t> until_ms() const noexcept { return until_ms_; }
  std::optional<std::uint64_t> term() const noexcept { return term_; }
  /// True when some option is set.
  bool active() const noexcept;

private:
  bool type_matches(std::uint16_t type) const;
  std::string type_glob_;
  std::string origin_;
  std::optional<std::uint64_t> since_ms_, until_ms_, term_;
  // Which known type ids the glob matches, precomputed (index: type id / 100, id % 100).
  std::uint64_t type_mask_[8] = {};
  bool unknown_types_match_ = true;
};

/// fnmatch(3)-style glob (*, ?, [...]) over a whole string.
bool glob_match(const std::string& pattern, const std::string& text);

/// The type name event_to_json uses for a type id ("sale.completed", or
/// "unknown" for a type this build does not know, as event_to_json does).
std::string type_name_of(std::uint16_t type);

} // namespace sn::tools
