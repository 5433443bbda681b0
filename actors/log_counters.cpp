#include "actors/log_counters.hpp"

#include "actors/projections/projection_set.hpp"
#include "events/event_type.hpp"

namespace sn::actors {

namespace {

/// Events read per origin-index read.
constexpr std::size_t window = 4096;

bool numbered_type(std::uint16_t type) {
  return type == static_cast<std::uint16_t>(event_type::sale_completed) ||
         type == static_cast<std::uint16_t>(event_type::sale_returned);
}

}  // namespace

projections::sales::receipt_counters own_counters_from_log(const storage::event_log& log, const device_id& self,
                                                           const retail::store_settings& settings) {
  projections::sales::receipt_counters c;
  std::uint64_t from = 1;
  for (;;) {
    const auto events = log.read_origin(self, origin_seq{from}, window);
    for (const auto& se : events) {
      if (!numbered_type(se.ev.type)) continue;
      // A payload that does not decode is parked by the fold: it numbers nothing.
      if (auto p = projections::decode_payload(se.ev, settings)) projections::sales::count_number(se.ev, *p, c);
    }
    if (events.size() < window) break;
    from = events.back().ev.seq.value() + 1;
  }
  return c;
}

projections::sales::receipt_counters own_counters_after(const storage::event_log& log, const device_id& self,
                                                        const retail::store_settings& settings,
                                                        projections::sales::receipt_counters at,
                                                        std::uint64_t position) {
  std::uint64_t from = position + 1;
  for (;;) {
    const auto events = log.read_from(log_position{from}, window);
    for (const auto& se : events) {
      if (se.ev.origin != self || !numbered_type(se.ev.type)) continue;
      if (auto p = projections::decode_payload(se.ev, settings)) projections::sales::count_number(se.ev, *p, at);
    }
    if (events.size() < window) break;
    from = events.back().position.value() + 1;
  }
  return at;
}

}  // namespace sn::actors
