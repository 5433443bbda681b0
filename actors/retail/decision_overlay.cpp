#include "actors/retail/decision_overlay.hpp"

#include <algorithm>

namespace sn::retail {

void decision_overlay::add_own(event e) { entries_.push_back(entry{std::move(e), std::nullopt}); }

void decision_overlay::add_committed(std::uint64_t position, event e) {
  // Committed events are reported in log order and after every event before
  // them: this one goes after the committed entries, before the drafts
  // (which the log writer has not committed yet, so they will follow it).
  entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(committed_), entry{std::move(e), position});
  ++committed_;
}

bool decision_overlay::own_committed(std::uint64_t seq, std::uint64_t position) {
  // Own events are committed in the order they were drafted: normally the
  // first draft. Search on anyway (an entry never moves out of log order:
  // drafts before it were committed before it, or are still waiting).
  for (std::size_t i = committed_; i < entries_.size(); ++i) {
    entry& x = entries_[i];
    if (x.ev.seq.value() != seq) continue;
    x.position = position;
    if (i != committed_) std::swap(entries_[i], entries_[committed_]);
    ++committed_;
    return true;
  }
  return false;
}

void decision_overlay::drop_front() {
  const std::uint64_t pos = *entries_.front().position;
  for (auto& r : required_) r = std::max(r, pos);
  entries_.pop_front();
  --committed_;
}

void decision_overlay::prune(const part_positions& folded) {
  const std::uint64_t low = *std::min_element(folded.begin(), folded.end());
  while (committed_ > 0 && *entries_.front().position <= low) drop_front();
  while (entries_.size() > entries_max_ && committed_ > 0) drop_front();
}

}  // namespace sn::retail
