// elections: every master.changed, newest first (ARCHITECTURE.md §5), as
// retail::views::elections() lists them.
//
// Semantics: one record per master.changed event, ordered newest first by
// (term, HLC, recording origin name) (then seq, which only two events of one
// origin with one HLC could need: a valid log never holds them). Nothing is
// ever removed, so the rows are a function of the set of events.
//
// Row layout (keys: row_codec.hpp; values: row_out, identical on every node):
//   'e' u64 ~term, u64 ~hlc, desc(origin), u64 ~seq -> election:
//        u64 term, u64 hlc, str origin (recorded_by), u64 seq,
//        str previous_master, str new_master, str reason,
//        u32 participant count, str participant...
//      desc(s) = every byte complemented, then 0xff: sorts origins in
//      descending order (device ids never hold "\0"). Ascending keys are
//      the list's order: newest first.
//   'c' -> u64 number of elections (the list's total, one read)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/projections/paging.hpp"
#include "actors/projections/projection.hpp"

namespace sn::projections {

class elections_projection final : public projection {
 public:
  const char* name() const noexcept override { return "elections"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
};

namespace elections {

struct election {
  std::uint64_t term = 0;
  std::uint64_t hlc = 0;        ///< of the master.changed event
  std::string previous_master;  ///< "" when none
  std::string new_master;
  std::string reason;
  std::vector<std::string> participants;
  std::string recorded_by;  ///< the event's origin
};

/// What GET /v1/elections filters on (issue 11 item 10); unset: any.
struct filter {
  std::optional<std::string> device;                ///< previous or new master, or the recorder
  std::optional<std::string> reason;                ///< startup, failure, shutdown, manual, split_brain, lease_lost
  std::optional<std::uint64_t> since_ms, until_ms;  ///< inclusive, on the event's HLC wall time
  bool empty() const { return !device && !reason && !since_ms && !until_ms; }
};

/// True when `e` passes `f`.
bool matches(const election& e, const filter& f);

/// Every election, newest first (paged; total: every election, one read).
page<election> list(const row_reader& rows, const page_request& req);

/// The elections that pass `f`, newest first, paged like list(). Elections
/// are few (one per master change), so a filter scans the rows from the
/// cursor until the page is full; total counts the matches of this page
/// (and is the whole list's count without a filter).
page<election> list(const row_reader& rows, const filter& f, const page_request& req);

}  // namespace elections
}  // namespace sn::projections
