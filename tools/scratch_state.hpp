// The temporary projection state of `storectl replay`, `diff` (a data dir
// side), `elections --data` and `audit log --data`: a fresh RocksDB in a
// scratch directory holding one column family per projection, folded through
// the node's own projection set and row store, so its rows and digests are
// byte for byte what a node holding the same events has — and a large log is
// folded into disk, not memory (RocksDB's block cache and write buffers,
// `cache_bytes`, are the memory bound; the set's overlays are bounded too).
//
// Contract
// - create() makes "<parent>/storectl-scratch-<pid>-XXXXXX" (never inside a
//   data dir: the caller checks) and opens the state there; the destructor
//   closes it and removes the directory. Errors (errc::io) name the dir.
// - Interrupts: create() installs SIGINT/SIGTERM/SIGHUP handlers that only
//   set a flag (interrupted()); a fold stops at the next event, unwinds and
//   the destructor removes the directory. The handlers reset to the default
//   at the first signal, so a second one kills at once; what a killed run
//   leaves behind is removed by the next storectl that creates a scratch
//   state in that parent (a directory whose pid is no longer running).
// - Not thread-safe: one storectl thread uses it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "actors/projections/projection_set.hpp"
#include "events/expected.hpp"

namespace sn::tools {

/// Memory RocksDB may use for the scratch state (block cache and write
/// buffers, charged to one budget): a tool's fold, not a node serving reads.
constexpr std::size_t scratch_cache_bytes_default = 32 << 20;

/// Where scratch states go when --scratch is not given: $TMPDIR, else
/// /var/tmp (on disk on most systems, where /tmp may be memory), else /tmp.
std::string default_scratch_parent();

/// True once SIGINT, SIGTERM or SIGHUP arrived (after create() installed the handlers).
bool interrupted() noexcept;

class scratch_state {
 public:
  struct options {
    std::string parent;                  ///< "" = default_scratch_parent()
    retail::store_settings settings;     ///< the store's (its zone: days of schema 1 sales)
    std::vector<std::string> only;       ///< projections to fold (empty: every one of this build)
    std::size_t cache_bytes = scratch_cache_bytes_default;
  };
  static expected<std::unique_ptr<scratch_state>> create(const options& o);
  ~scratch_state();
  scratch_state(const scratch_state&) = delete;
  scratch_state& operator=(const scratch_state&) = delete;

  projections::projection_set& set() noexcept;
  /// Rows of projection i (the set's order), read straight from RocksDB:
  /// read after set().flush().
  const projections::row_reader& rows(std::size_t i) const;
  const std::string& dir() const noexcept;

 private:
  struct impl;
  explicit scratch_state(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace sn::tools
