// The start-up check of a log's tail (issue 16): cheap (a few point reads per
// origin, independent of the log's size), run by the node before it serves.
//
// For every origin's head (seq, hash) in the `heads` column family it checks
// that the index holds that seq, that the event there decodes with that origin,
// seq and hash and that hash verifies, that it chains to the event before it (prev_hash = hash of
// seq - 1), and that the index holds nothing beyond the head. For the log's
// last position it checks that the event there decodes, is indexed at that
// position and is covered by its origin's head. Deeper damage (a hole in the
// middle of a chain) is `storectl audit verify`'s job.
//
// Thread safety: read-only; callable from any thread (event_log's readers).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/event_log.hpp"

namespace sn::storage {

/// One disagreement between the heads and the log, named by origin:seq.
struct tail_problem {
  std::string origin;
  std::uint64_t seq = 0;
  std::string what;  ///< "the index has no entry for the head", ...
};

/// Problems found, in origin order; empty when the tail is consistent.
std::vector<tail_problem> check_tail(const event_log& log);

/// "POS1:42: the index has no entry for the head".
std::string to_string(const tail_problem& p);

} // namespace sn::storage
