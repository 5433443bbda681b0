// Test support: a till = one device's command_handler plus its sealed events,
// and a tiny "network" that delivers events between tills.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/retail/command_handler.hpp"
#include "actors/retail/views.hpp"
#include "events/event.hpp"

namespace sn::retail::test {

/// 2026-11-25 08:00:00 UTC in ms.
std::uint64_t morning_ms();

struct till {
  explicit till(std::string id, store_settings s = {});
  /// Runs a command; accepted drafts are sealed (seq assigned) and kept.
  command_reply run(command_kind k, const nlohmann::json& body, const std::string& key = "");
  /// Delivers every event of `from` this till has not seen (per-origin order).
  void pull(const till& from);

  std::string id;
  command_handler handler;
  std::uint64_t wall_ms;
  std::uint64_t next_seq = 1;
  std::vector<event> own;                   // own sealed events in seq order
  std::map<std::string, std::uint64_t> seen;  // origin -> events received
};

/// Every event of the tills, grouped by origin in seq order.
std::map<std::string, std::vector<event>> by_origin(const std::vector<const till*>& tills);

/// A random interleaving that keeps each origin's order.
std::vector<event> interleave(const std::map<std::string, std::vector<event>>& streams, std::mt19937_64& rng);

/// Fresh views folded over `events`.
views replay(const std::vector<event>& events, store_settings s = {});

} // namespace sn::retail::test
