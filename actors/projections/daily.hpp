// The daily projection: the daily report per business day and device (the
// figures of sales, returns and voids), the Z closures (day.closed) per day
// and device, and the newest day with figures (the report's default day).
// Semantics: retail::views (actors/retail/README.md), except for duplicates
// across origins (as in sales.hpp: the oldest by (HLC, origin, seq) wins).
//
// Fold (sale.completed, sale.returned, sale.voided, day.closed)
// - A sale counts on its own stamped day and device: gross, discounts, tax,
//   by_method (payments, cash net of change), transactions. A void (only the
//   first counts) takes the sale's figures out again and counts one void on
//   the sale's day and device; a void seen before its sale waits in the
//   receipt row and the sale then only counts the void. A return counts on
//   its own day and device: returns, returns_tax, by_method (refund out of
//   its method), returns count.
// - A closure is a register per (day, device) (the device that closed),
//   newest (HLC, seq) wins. Closures never make a day "have figures".
// - Parks as views does: "empty receipt", "invalid business_day",
//   "empty return id or receipt", "duplicate receipt", "duplicate return id",
//   "invalid day" (day.closed). No register conflicts are reported (views
//   reports none for these registers).
// - This projection reads only its own rows: it keeps the per-receipt
//   figures it needs to undo a voided (or displaced) sale.
//
// Rows (key -> value; i32/u64 big-endian as row_codec; rday(d) = u32 of
// ~(d + 2^31): days newest first):
// - 'f' i32 day device "\0" -> figures: u64 refs (sales + returns counted
//     here: the row exists while some sale or return falls on this day and
//     device, exactly when views has its entry), i64 gross, discounts, tax,
//     returns, returns_tax, 3 x i64 by_method (cash, card, other), i64
//     transactions, return_count, voids.
// - 'c' i32 day device "\0" -> closure: u64 hlc, u64 seq, i64 gross,
//     discounts, tax, returns, net, transactions, u32 n, n x (str method,
//     i64 amount) as the event gave them.
// - 'e' rday(day) -> u64 figures rows of that day (newest first: the max
//     day is the first row; read only when a day's last row goes away).
// - 'm' -> i32 the newest day with a figures row (absent: none).
// - 'r' receipt "\0" -> the receipt's facts: bool present; if present:
//     stamp (u64 hlc, str origin, u64 seq), i32 day, i64 gross, discount,
//     tax, change, 3 x i64 paid; bool voided; str staff (who rang it;
//     absent in rows written before attribution: read as "").
// - 'x' return_id "\0" -> the applied return: stamp (u64 hlc, str origin,
//     u64 seq), i32 day, i64 refund, i64 tax, u8 method, str staff.
// - 'g' i32 day staff "\0" device "\0" -> the figures (as 'f') of the sales
//     that staff rang and the returns they took back on that device: the
//     per-staff totals (issue 10). Only attributed events (staff_id not "")
//     have one; the day index counts only 'f' rows.
//
// Queries cost: report(): with a device, two row reads; without, the day's
// figures and closure rows (one per device of that day); the default day is
// one row read. closed(): one row read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actors/projections/pay_method.hpp"
#include "actors/projections/projection.hpp"

namespace sn::projections {

class daily_projection final : public projection {
 public:
  const char* name() const noexcept override { return "daily"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
  /// A sale's or void's receipt row; a return's row.
  void rows_to_read(const folded_event& e, std::vector<std::string>& keys) const override;
};

namespace daily {

/// The folded figures of a (day, device), or their sum. What the report
/// shows derives from them: tax = tax - returns_tax, net = gross -
/// discounts - returns.
struct figures {
  std::int64_t gross_cents = 0, discounts_cents = 0, tax_cents = 0, returns_cents = 0, returns_tax_cents = 0;
  method_amounts by_method{};  ///< money kept per method
  std::int64_t transactions = 0, returns = 0, voids = 0;

  std::int64_t report_tax_cents() const noexcept { return tax_cents - returns_tax_cents; }
  std::int64_t net_cents() const noexcept { return gross_cents - discounts_cents - returns_cents; }
};

/// A Z close as the closing device recorded it.
struct closure {
  std::uint64_t hlc = 0;
  std::int64_t gross_cents = 0, discounts_cents = 0, tax_cents = 0, returns_cents = 0, net_cents = 0;
  std::int64_t transactions = 0;
  std::vector<std::pair<std::string, std::int64_t>> by_method;  ///< as the event gave them
};

struct device_day {
  std::string device;
  figures f;  ///< zero when the device only closed the day
  std::optional<closure> closed;
};

/// GET /v1/reports/daily.
struct report_result {
  std::optional<std::int32_t> day;    ///< nullopt: an invalid day was asked, or no day has figures
  std::optional<std::string> device;  ///< the filter, echoed
  std::optional<std::string> staff;   ///< the filter, echoed
  figures total;                      ///< over the listed devices' figures
  std::vector<device_day> devices;    ///< device ascending
  /// Per staff id (ascending), over the listed devices: the sales each rang
  /// (and their voids) and the returns each took back. Unattributed events
  /// (before schema attribution) are in no one's figures.
  std::vector<std::pair<std::string, figures>> by_staff;
};

/// day "YYYY-MM-DD" (not a date: day null, nothing listed); absent: the
/// newest business day with figures. device: only that device. staff: every
/// figure (total and per device) only of that person's sales and returns;
/// the devices' closures are listed as they are (a Z is the device's).
report_result report(const row_reader& rows, const std::optional<std::string>& day,
                     const std::optional<std::string>& device, const std::optional<std::string>& staff = std::nullopt);

// ---- command side (close_day) ----

/// Whether `device` closed `day` (a day.closed of it was folded).
bool closed(const row_reader& rows, std::int32_t day, const std::string& device);

/// The newest business day with figures (the report's default), if any.
std::optional<std::int32_t> newest_day(const row_reader& rows);

}  // namespace daily
}  // namespace sn::projections
