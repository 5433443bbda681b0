#include "events/upcast.hpp"

#include "events/assert.hpp"
#include "events/civil_date.hpp"

namespace sn {
namespace {

// Before schema 2 the fold computed the day from the HLC and the store's
// configured zone (or offset): the upcaster does exactly that. A schema 2
// event whose writer left the day empty is treated the same way (its stock
// and money still count; only its day then depends on the reader's zone).
std::string day_of(const event& e, const upcast_context& ctx) {
  SN_ASSERT(ctx.zone != nullptr, "an upcaster that fills a business day needs the store's time zone");
  return format_day(ctx.zone->local_day(static_cast<std::int64_t>(e.hlc.wall_ms())));
}

}  // namespace

void upcast(sale_completed& p, const event& e, const upcast_context& ctx) {
  if (e.schema < 2 || p.business_day.empty()) p.business_day = day_of(e, ctx);
}

void upcast(sale_returned& p, const event& e, const upcast_context& ctx) {
  if (e.schema < 2 || p.business_day.empty()) p.business_day = day_of(e, ctx);
}

}  // namespace sn
