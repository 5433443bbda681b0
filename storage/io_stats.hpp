// What RocksDB wrote and what it holds on disk, per column family: the
// figures that show how a node's write cost grows with its store's age
// (issue 12: compaction rewrites the projections' rows more often the larger
// they are). Plain values, no RocksDB types (event_log::io() fills them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sn::storage {

/// One column family. The counters run from the open of the data dir by this
/// process; the sizes are now.
struct family_io {
  std::string name;                            ///< "log", "index", "p.sales", ...
  std::uint64_t sst_bytes = 0;                 ///< its table files on disk now
  std::uint64_t pending_compaction_bytes = 0;  ///< RocksDB's estimate of what compaction still has to rewrite
  std::uint64_t flushes = 0;                   ///< memtables written to table files
  std::uint64_t flushed_bytes = 0;             ///< the table files those flushes wrote
  std::uint64_t compactions = 0;               ///< compactions finished
  std::uint64_t compaction_read_bytes = 0;     ///< table files they read
  std::uint64_t compaction_written_bytes = 0;  ///< table files they wrote
  std::uint64_t compaction_cpu_us = 0;         ///< CPU they used (RocksDB's count)
};

/// Every open column family, and what is running now.
struct storage_io {
  std::vector<family_io> families;
  std::uint64_t compactions_running = 0;
  std::uint64_t flushes_running = 0;
};

/// Bytes written to table files per byte flushed, flushes and compactions of
/// `f` together: 1 when nothing was compacted, 0 when nothing was flushed.
inline double write_amplification(const family_io& f) noexcept {
  return f.flushed_bytes == 0 ? 0.0 : double(f.flushed_bytes + f.compaction_written_bytes) / double(f.flushed_bytes);
}

} // namespace sn::storage
