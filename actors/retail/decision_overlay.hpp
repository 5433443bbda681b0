// The events the command handler has seen that the projections may not have
// folded yet: its own drafts (from the moment it decides them) and committed
// events of other origins (from the moment the log writer reports them).
// The decision source (decision_source.hpp) folds them on top of the
// projections' rows, so a decision sees everything the handler has seen,
// whichever of the projection actor and the command actor is ahead.
//
// Why reading the rows and the overlay never counts an event twice (or
// misses one): every entry knows its log position (or will: an own draft's
// position is found by its seq once it is committed). A read takes ONE
// snapshot of a projection's rows and reads the position P those rows were
// folded to from the same snapshot (rows and position are written in one
// atomic batch). It then folds exactly the entries at positions > P, and the
// drafts not yet in the log, in log order. An entry at a position <= P is in
// the rows and is skipped; one above P is not and is folded: never twice,
// never missed, even when the projection folded an event the command actor
// has not processed yet (that event is then read from the rows). Stock and
// the day's figures are sums, so this positional rule is what keeps them
// exact; the projections' own keys (receipt, return id, the void flag) would
// also make a repeated sale, return or void a no-op.
//
// Pruning: an entry leaves once every projection the source reads has
// folded its position (prune()). Past entries_max (a projection paused or
// rebuilding for long) the oldest committed entries are dropped anyway; the
// overlay then remembers that those projections must reach that position
// before they can answer (required()), and the source reports "behind"
// until they do (the handler refuses with projection_behind, never decides
// from incomplete rows). Drafts that are not committed yet are never dropped
// (the log writer bounds how many can wait).
//
// Not thread-safe: owned by the command handler.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "events/event.hpp"

namespace sn::retail {

/// The projections the decision source reads, as indices of part_positions.
enum class source_part : std::uint8_t { sales = 0, inventory = 1, daily = 2, devices = 3 };
constexpr std::size_t source_part_count = 4;
using part_positions = std::array<std::uint64_t, source_part_count>;

/// Bound of the overlay (entries): a few seconds of a busy store's events.
constexpr std::size_t overlay_entries_max = 65536;

class decision_overlay {
 public:
  struct entry {
    event ev;                               ///< own drafts carry the seq the log writer will give them
    std::optional<std::uint64_t> position;  ///< nullopt: an own draft not yet reported committed
  };

  explicit decision_overlay(std::size_t entries_max = overlay_entries_max) : entries_max_(entries_max) {}

  /// Start-up: the handler's state was read from projections that had
  /// folded every event through `position`.
  void start_at(std::uint64_t position) { required_.fill(position); }
  /// An own draft the handler applied (e.seq: the seq it will be committed under).
  void add_own(event e);
  /// A committed event of another origin at `position` (reported in log order).
  void add_committed(std::uint64_t position, event e);
  /// Own event `seq` was committed at `position`; false when no draft waits under that seq.
  bool own_committed(std::uint64_t seq, std::uint64_t position);
  /// Drops the entries every part has folded (folded: each part's position),
  /// then the oldest committed entries past the bound.
  void prune(const part_positions& folded);

  /// Part p's rows answer only when folded to at least this position.
  std::uint64_t required(source_part p) const { return required_[static_cast<std::size_t>(p)]; }
  /// Committed entries by position, then own drafts in decision order (log order).
  const std::deque<entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  std::size_t committed() const noexcept { return committed_; }

 private:
  void drop_front();

  std::size_t entries_max_;
  std::deque<entry> entries_;
  std::size_t committed_ = 0;  ///< entries_[0, committed_) have a position
  part_positions required_{};
};

}  // namespace sn::retail
