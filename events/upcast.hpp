// Upcasters (ARCHITECTURE.md §4): a payload decoded from an older schema is
// brought up to the schema this build writes, so the folds see one shape.
// The stored bytes never change (the hash chain covers them): upcasting
// happens on every read that folds an event, never by rewriting the log.
//
// What an older event lacks is derived from its envelope and the store's
// settings, which the caller passes in (pure: no clock, no disk).
//
// | type           | schema 1 -> 2                                            |
// |----------------|----------------------------------------------------------|
// | sale.completed | business_day = the HLC's local day in the store's zone   |
// | sale.returned  | business_day = the HLC's local day in the store's zone   |
//
// A schema 2 sale or return whose business_day is empty (a writer that broke
// its contract) gets the same treatment rather than losing its stock and
// money; a non-empty day that is not a date is left for the fold to park.
// Every other type is at schema 1 and decodes as it is.
#pragma once

#include "events/event.hpp"
#include "events/expected.hpp"
#include "events/payload_codec.hpp"
#include "events/sale.hpp"
#include "events/time_zone.hpp"

namespace sn {

/// What upcasters may use besides the event itself.
struct upcast_context {
  /// The store's time zone (store.time_zone): the business day of a sale or
  /// return written before the till stamped one. Must outlive the call.
  const time_zone* zone = nullptr;
};

/// sale.completed below schema 2 (or with an empty business_day): fills
/// business_day. A stamped day is never changed.
void upcast(sale_completed& p, const event& e, const upcast_context& ctx);
/// sale.returned: as for sale.completed.
void upcast(sale_returned& p, const event& e, const upcast_context& ctx);
/// Types without an upcaster: unchanged.
template <class Payload>
void upcast(Payload&, const event&, const upcast_context&) {}

/// The payload of `e` as `Payload` at the schema this build writes: decoded
/// (error wrong_type or malformed as payload_of) and upcast.
template <class Payload>
expected<Payload> decode_current(const event& e, const upcast_context& ctx) {
  auto p = payload_of<Payload>(e);
  if (p) upcast(*p, e, ctx);
  return p;
}

}  // namespace sn
