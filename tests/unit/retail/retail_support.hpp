// Test support: a till = one device's command_handler over its own log and
// projection set in memory (tests/support/memory_decision.hpp), its sealed
// events, the reference model of everything it holds, and a tiny "network"
// that delivers events between tills.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include "actors/retail/command_handler.hpp"
#include "tests/support/memory_decision.hpp"
#include "tests/support/reference_views/views.hpp"
#include "events/event.hpp"

namespace sn::retail::test {

/// 2026-11-25 08:00:00 UTC in ms.
std::uint64_t morning_ms();

// ---- typed command builders (the shapes node/command_parser would build) ----

upsert_product product(std::string sku, std::string name, std::int64_t price_cents, std::int32_t tax_rate_bp = 0,
                       std::int64_t low_stock_threshold = 0, bool active = true);
sale_line_input line(std::string sku, std::int64_t qty, std::optional<std::int64_t> unit_price_cents = std::nullopt,
                     std::int64_t discount_cents = 0);
payment_input pay(std::string method, std::int64_t amount_cents);
complete_sale sale(std::vector<sale_line_input> lines, std::optional<std::vector<payment_input>> payments);
return_sale give_back(std::string receipt, std::vector<return_line_input> lines,
                      std::optional<std::string> method = std::nullopt);

/// The result of an accepted outcome (fails the test and throws otherwise).
template <class R>
const R& result_of(const command_outcome& o) {
  if (!o.is_accepted()) {
    const auto& r = std::get<rejected>(o.decision);
    ADD_FAILURE() << "rejected " << to_string(r.errc) << ": " << r.message;
    throw std::runtime_error("rejected");
  }
  return std::get<R>(std::get<accepted>(o.decision).result);
}
/// The errc of a rejected outcome (nullopt when accepted).
std::optional<command_errc> errc_of(const command_outcome& o);
/// Events of an accepted outcome (empty when rejected).
const std::vector<event>& events_of(const command_outcome& o);

struct till {
  explicit till(std::string id, store_settings s = {});
  /// Runs a command; accepted drafts are sealed (seq assigned), appended to
  /// the till's log (folded into its projections) and kept.
  command_outcome run(const command& c, const std::string& key = "");
  /// Delivers every event of `from` this till has not seen (per-origin order).
  void pull(const till& from);

  std::string id;
  sn::test::memory_node node;  ///< the till's log and projections (the handler's rows)
  command_handler handler;
  views state;  ///< the reference model over every event the till holds (the oracle of the tests)
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
