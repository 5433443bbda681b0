// Options of the event log. Every field documents its default.
#pragma once

#include <string>
#include <vector>

namespace sn::storage {

enum class durability {
  fsync,  ///< default: an append is acknowledged after fsync (WAL sync)
  os,     ///< acknowledged once in the OS page cache: survives kill -9, not power loss
};

enum class open_mode {
  read_write,  ///< default: the node; takes the data dir's lock
  read_only,   ///< tools: a consistent read-only view; works while a node runs
};

struct log_options {
  std::string data_dir;                     ///< required; created when missing (read_write)
  durability sync = durability::fsync;      ///< default fsync
  open_mode mode = open_mode::read_write;   ///< default read_write
  /// The node's memory budget for RocksDB (storage.cache_mb): one block cache
  /// shared by every column family, which the write buffers (memtables) are
  /// charged to as well (a WriteBufferManager). Default 64 MiB.
  std::size_t block_cache_bytes = 64 << 20;
  /// Projection column families to open (created when missing), one per
  /// projection name; RocksDB names them "p.<name>". Families a data dir
  /// already holds are opened whether listed or not.
  std::vector<std::string> projection_families;
  /// False: a new data dir gets no `signatures` family, so that a build from
  /// before origin signatures (issue 9) can open it — what bench_scale writes
  /// for its pre-change baseline. Appends carrying signatures are then
  /// refused. A data dir that has the family keeps it.
  bool signatures_family = true;
};

} // namespace sn::storage
