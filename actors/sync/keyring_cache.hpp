// keyring_cache: the log's membership events (store created, device enrolled,
// revoked, keys rotated) in log order, with the log position up to which it
// holds every one of them. The sync actor keeps it in the log's metadata so
// that a restart folds the keyring from it and scans only the log after
// `covered()`, not the whole history (10 M events: ~20 s of a core after
// every start, and sync unable to judge peers until then).
//
// Safe by construction: it is written after the events it covers are in the
// log (the sync actor sees committed batches), so a crash can only leave it
// behind the log, never ahead (a longer scan, not a missing member); one that
// is unreadable or ahead of the log is ignored (a full scan, as before).
//
// Pure: no clock, no storage (tests/unit/sync/keyring_cache_test.cpp).
// Thread: the sync actor's.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sn::sync {

class keyring_cache {
 public:
  /// A membership event (its encoded bytes) at `position`; ignored at or
  /// below covered() (already held: a batch committed while the log was
  /// scanned at start-up).
  void add(std::uint64_t position, std::string event_bytes);
  /// Every membership event up to `position` has been add()ed. Never goes back.
  void cover(std::uint64_t position);

  std::uint64_t covered() const noexcept { return covered_; }
  const std::vector<std::string>& events() const noexcept { return events_; }
  /// An event was added since clean(): store soon.
  bool has_new_events() const noexcept { return new_events_; }
  /// Anything changed since clean() (covered() moved): store when convenient.
  bool dirty() const noexcept { return dirty_; }
  void clean() noexcept { dirty_ = new_events_ = false; }

  /// msgpack: ["keyring-cache", 1 (format version), covered, [event bytes
  /// (bin), ...]].
  std::string encode() const;
  /// Replaces the content with encode()'s; false (content cleared) for
  /// anything else, truncated or trailing bytes included.
  bool decode(std::string_view bytes);

 private:
  std::uint64_t covered_ = 0;
  std::vector<std::string> events_;
  bool dirty_ = false;
  bool new_events_ = false;
};

}  // namespace sn::sync
