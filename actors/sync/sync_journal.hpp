// sync_journal: the seed's sync_state and push/pull audit rows as they
// survive a restart (issue 11 item 10). Device-local, never replicated (a
// replicated row per sync round would feed sync itself: ARCHITECTURE.md §6).
// The sync actor adds the fsm's new rows in wall-clock time, keeps at most
// `rows_max` (the retention setting sync.audit_entries_max, oldest dropped
// first) and stores encode() in the log's metadata at most once a second
// when urgent() (a new row, a changed error), else at most once a minute (a
// later last_sync_ms alone: an idle store completes a round every second).
//
// Pure: no clock, no storage (tests/unit/sync/sync_journal_test.cpp).
// Thread: the sync actor's.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace sn::sync {

struct journal_row {
  std::uint64_t time_ms = 0;  ///< wall clock, ms since the epoch
  std::string peer;           ///< the peer's device id (or address when unknown)
  std::string operation;      ///< push or pull
  std::uint64_t count = 0;    ///< events sent (push) or appended (pull)
  bool ok = true;             ///< false: the round failed (error says why)
  std::string error;
};

struct journal_state {
  std::uint64_t last_sync_ms = 0;   ///< wall clock; 0: never
  std::string last_error;           ///< empty: none
  std::uint64_t last_error_ms = 0;  ///< wall clock
};

class sync_journal {
 public:
  explicit sync_journal(std::size_t rows_max) : rows_max_(rows_max == 0 ? 1 : rows_max) {}

  /// Adds a row (dropping the oldest beyond rows_max); marks the journal dirty.
  void add(journal_row r);
  /// Records the state when it differs from the one held (then dirty).
  void set_state(const journal_state& s);

  const std::deque<journal_row>& rows() const noexcept { return rows_; }
  const journal_state& state() const noexcept { return state_; }
  bool dirty() const noexcept { return dirty_; }
  /// Dirty with a new row or a changed error, not only a later last_sync_ms
  /// (which moves with every round, once a second on an idle store): the
  /// sync actor stores an urgent journal within a second, the rest slowly.
  bool urgent() const noexcept { return urgent_; }
  void clean() noexcept { dirty_ = urgent_ = false; }

  /// The text stored in the log's metadata: a version line, the state, then
  /// one line per row (tab-separated; tabs and newlines in text become spaces).
  std::string encode() const;
  /// Restores rows and state from encode()'s text; false (journal unchanged)
  /// for text it does not recognise. Keeps at most rows_max, the newest.
  bool decode(std::string_view text);

 private:
  std::size_t rows_max_;
  std::deque<journal_row> rows_;
  journal_state state_;
  bool dirty_ = false;
  bool urgent_ = false;
};

}  // namespace sn::sync
