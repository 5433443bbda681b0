// Election payloads (the seed's master_election_log).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "events/event_type.hpp"

namespace sn {

/// The store's master changed. reason: "startup", "failure", "shutdown",
/// "manual" or "split_brain". Written by the new master (or, for a
/// split_brain step-down, by the master that steps down).
struct master_changed {
  static constexpr event_type type = event_type::master_changed;
  static constexpr std::uint16_t schema = 1;
  std::string previous_master;  ///< "" when none
  std::string new_master;
  std::uint64_t term = 0;
  std::string reason;
  std::vector<std::string> participants;  ///< devices that took part (voted / were live)
};

} // namespace sn
