// A projection's digest as stored rows, and the rows of one digest bucket:
// what GET /v1/digest/{p}[/buckets/{i}] serves and what `storectl diff`
// computes from a data dir it replayed, with the same functions, so a node
// and a replayed data dir are compared byte for byte.
//
// Contract
// - Every function reads only `rows` (a projection's rows with the set's
//   reserved rows, projection_set.hpp) and keeps no state: call it on any
//   thread over a reader of that thread (a snapshot: one instant).
// - Digests are the short form (hex of BLAKE2b-256 over the LtHash16 state,
//   lthash.hpp); an absent state is the empty multiset's.
// - bucket_rows() walks every row of the projection to pick the bucket's
//   (keys are bucketed by hash, so a bucket is no key range): O(rows) per
//   page. An operator's tool, never a hot path.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/projections/lthash.hpp"
#include "actors/projections/paging.hpp"
#include "actors/projections/rows.hpp"

namespace sn::projections {

/// What a digest reads as when its stored rows do not parse (never a hex digest).
constexpr std::string_view unreadable_digest = "unreadable";

/// The projection's total digest (its short digest row: O(1)).
std::string stored_digest_hex(const row_reader& rows);

/// The digest of bucket `b` (its bucket row and the journal's records of b).
std::string stored_bucket_hex(const row_reader& rows, std::uint8_t b);

/// Every bucket's digest, bucket 0 first (digest_bucket_count of them): the
/// bucket rows with the journal replayed (digest_journal.hpp).
std::vector<std::string> stored_bucket_hexes(const row_reader& rows);

/// Lower-case hex of bytes (keys and value hashes on the wire).
std::string hex_of(std::string_view bytes);

/// A row of a bucket: its key and the BLAKE2b-256 of its value.
struct bucket_row {
  std::string key;
  std::array<std::uint8_t, 32> value_hash{};
  std::string value_hash_hex() const {
    return hex_of(std::string_view(reinterpret_cast<const char*>(value_hash.data()), value_hash.size()));
  }
};

/// The rows of bucket `b` in key order, from req.from on, at most req.limit
/// of them; next = the key of the bucket's next row ("" = last page).
page<bucket_row> bucket_rows(const row_reader& rows, std::uint8_t b, const page_request& req);

}  // namespace sn::projections
