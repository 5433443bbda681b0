// The projection set's own rows in each projection's rows: keys starting with
// 0xff (reserved_key_byte), which no projection writes, so they sort after
// every row and a scan of the rows stops at the first of them.
//
// Layout (docs/protocol.md §5, "Projection families"):
//   0xff 'b' B      bucket B's LtHash16 state as of the last digest checkpoint
//   0xff 'd'        the short digest (32 bytes, BLAKE2b-256 of the total state), current
//   0xff 'j' N      digest journal entry N (u64 BE): the element changes since
//                   the checkpoint, oldest first (digest_journal.hpp)
//   0xff 'p'        position, applied, skipped unknown, parked (u64 BE each)
//   0xff 't'        the total LtHash16 state (written before the journal existed;
//                   read only as a fallback, deleted at the next checkpoint)
#pragma once

#include <cstdint>
#include <string>

namespace sn::projections::reserved {

inline const std::string position("\xff" "p", 2);        ///< u64 position, applied, skipped, parked
inline const std::string total_digest("\xff" "t", 2);    ///< lthash16 bytes (older data dirs)
inline const std::string short_digest("\xff" "d", 2);    ///< 32 bytes: BLAKE2b-256 of the total state
inline const std::string journal_prefix("\xff" "j", 2);  ///< + u64 BE entry number
inline std::string bucket_digest(std::uint8_t b) { return std::string("\xff" "b", 2) + static_cast<char>(b); }
inline std::string journal_entry(std::uint64_t n) {
  std::string k = journal_prefix;
  for (int shift = 56; shift >= 0; shift -= 8) k.push_back(static_cast<char>((n >> shift) & 0xff));
  return k;
}

}  // namespace sn::projections::reserved
