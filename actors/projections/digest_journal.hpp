// A projection's stored digest: 256 bucket states written at checkpoints,
// and between checkpoints a journal of element changes (seeds, 34 bytes per
// changed row side) — so a small fold batch (one live sale) writes a few
// hundred bytes of digest instead of rewriting a 2 KiB state per bucket it
// touched (docs/benchmarks.md "Digest journal").
//
// Contract
// - The digest of a projection's rows = its bucket rows (0xff 'b' B, as of the
//   last checkpoint) + every journal entry (0xff 'j' N) replayed in N order.
//   Both are written in the fold batch's single WriteBatch with the rows, so
//   the stored digest always describes the stored rows.
// - A fold batch journals its changes while the journal holds at most
//   digest_journal_max_changes; otherwise it is a checkpoint: it writes every
//   bucket changed since the last checkpoint and deletes the journal. Reading
//   the digest back costs at most that many ChaCha20 expansions (≈ 6 ms).
// - 0xff 'd' (the short digest of the total) is written with every batch that
//   changes the digest: GET /v1/digest reads it alone, O(1).
// - Pure: rows in, values out; no state of its own. Any thread, over a
//   reader of that thread (a snapshot: one instant).
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/projections/lthash.hpp"
#include "actors/projections/reserved_rows.hpp"
#include "actors/projections/rows.hpp"
#include "events/expected.hpp"

namespace sn::projections {

/// Element changes a journal holds before the next fold batch checkpoints.
constexpr std::size_t digest_journal_max_changes = 4096;
/// Bytes of one journal record: bucket, op (1 add, 0 remove), seed.
constexpr std::size_t digest_journal_record_bytes = 2 + sizeof(lthash_seed);

/// The records of one journal entry, concatenated.
std::string encode_journal(const std::vector<digest_change>& changes);
/// nullopt when `bytes` is not a whole number of well-formed records.
std::optional<std::vector<digest_change>> decode_journal(std::string_view bytes);

/// A projection's digest as its rows store it.
struct stored_digest {
  digest_buckets digest;               ///< buckets with the journal replayed
  std::bitset<digest_bucket_count> unsaved;  ///< buckets the journal changed (a checkpoint rewrites them)
  std::uint64_t journal_first = 1;     ///< first entry number held (== journal_next: none)
  std::uint64_t journal_next = 1;      ///< number of the next entry
  std::size_t journal_changes = 0;     ///< records held
};

/// Reads the bucket rows and replays the journal. `only_bucket`: replay only
/// that bucket's records (a bucket's digest without expanding the others).
/// Errors name `what` (the projection) and the unreadable row.
expected<stored_digest> read_stored_digest(const row_reader& rows, std::string_view what,
                                           std::optional<std::uint8_t> only_bucket = std::nullopt);

}  // namespace sn::projections
