// audit: the conflict.resolved records (the master's register conflict
// judgements), newest first, filtered as retail::views::audit() filters them
// (retail::audit_filter: device, operation, since/until).
//
// Semantics: one record per conflict.resolved event, ordered newest first by
// (HLC, recording origin name) (then seq: only two events of one origin with
// one HLC could need it, which a valid log never holds). A record matches
// `device` when it is the recording origin or the origin of the winner's or
// the loser's ref ("origin:seq": the text before the last ':', the whole
// text without one); since/until (inclusive) compare the HLC's wall ms;
// `op` must be "conflict_resolution" (any other: no records). Nothing is
// ever removed, so the rows are a function of the set of events.
//
// Row layout (keys: row_codec.hpp; values: row_out, identical on every node):
//   suffix = u64 ~hlc, desc(origin), u64 ~seq   (newest first; desc(s) =
//            every byte complemented, then 0xff: origins in descending order)
//   'a' suffix -> record: u64 hlc, str origin, u64 seq, str register,
//        str key, str winner, str loser, str method, str old_value,
//        str new_value
//   'i' str(device) suffix -> "" : the record 'a' suffix, once per distinct
//        device it matches (recorder, winner's and loser's origin). str() is
//        length-prefixed, so a device's rows are exactly one key prefix.
//   'N' -> u64 records;                'n' u32 day -> u64 records that day
//   'K' str(device) -> u64 records;    'k' str(device) u32 day -> u64
//        (day = HLC wall ms / 86,400,000: the UTC day; counts are sums of
//        +1s, so they do not depend on the order events came in)
//
// Queries: a time range is a key range of 'a' (or of the device's 'i' rows):
// a page costs O(limit) row reads (with a device, one more point read per
// item). The total is one read without a time range; with one, a scan of the
// day counts inside the range plus the records of the (at most two) days the
// range cuts.
#pragma once

#include <cstdint>
#include <string>

#include "actors/projections/paging.hpp"
#include "actors/projections/projection.hpp"
#include "actors/retail/types.hpp"

namespace sn::projections {

class audit_projection final : public projection {
 public:
  const char* name() const noexcept override { return "audit"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
};

namespace audit {

struct entry {
  std::uint64_t hlc = 0;  ///< of the conflict.resolved event
  std::string device;     ///< recording origin
  std::string register_name, key, winner, loser, method;
  std::string old_value;  ///< JSON text as recorded (the edge parses it)
  std::string new_value;
};

/// Matching records, newest first (paged; total: every matching record).
page<entry> list(const row_reader& rows, const retail::audit_filter& f, const page_request& req);

}  // namespace audit
}  // namespace sn::projections
