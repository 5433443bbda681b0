// Read access to the node's event log that sync_fsm needs. The shell implements
// it over storage::event_log; the simulation over memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/sync/types.hpp"
#include "trust/signature.hpp"

namespace sn::sync {

/// Contract: called only from the thread that drives the fsm; every call is
/// cheap enough to make once per fsm input (versions() is a few origins).
class log_reader {
public:
  virtual ~log_reader() = default;
  /// origin -> highest contiguous seq durably held.
  virtual version_vector versions() const = 0;
  /// Encoded events (sn::encode bytes) of `origin` with seq from_seq, from_seq+1 ...
  /// in seq order: at most count_max of them, and stopping before their total
  /// size would exceed bytes_max, except that the first event is always returned
  /// when it exists (so a batch can always make progress). Empty when the log
  /// holds no event at from_seq.
  virtual std::vector<std::string> read_origin_bytes(const std::string& origin, std::uint64_t from_seq,
                                                     std::size_t count_max, std::size_t bytes_max) const = 0;
  /// Stored origin signatures of `origin` with from_seq <= seq <= to_seq, ascending.
  virtual std::vector<trust::origin_signature> signatures(const std::string& origin, std::uint64_t from_seq,
                                                          std::uint64_t to_seq) const = 0;
  /// The stored signature of `origin` with the lowest seq >= from_seq, if any.
  virtual std::optional<trust::origin_signature> signature_at_or_after(const std::string& origin,
                                                                      std::uint64_t from_seq) const = 0;
};

} // namespace sn::sync
