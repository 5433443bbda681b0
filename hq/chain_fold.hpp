// storenode-hq's pure ingest: verifies each message of a store's stream
// against the origin's hash chain and folds the accepted events into the
// chain views (hq/rows.hpp), idempotently by the per-(store, origin)
// high-water mark.
//
// Contract
// - ingest() judges one message: the subject must be
//   storenode.<store>.events.<origin>; the bytes one event (docs/protocol.md
//   §1) whose origin is the subject's, whose hash verifies and which is the
//   next seq of that origin with prev_hash = the held head's hash. Then it is
//   accepted and folded. A seq at or below the head is a duplicate (nothing
//   changes but a counter); a seq beyond head+1 is a gap (nothing changes:
//   the caller lets the stream redeliver it later); anything else is refused
//   and counted against the store: a forged or corrupted publish never
//   reaches a view.
// - Writes go to an overlay that later ingest() calls read through; the
//   caller writes take_writes() (rows AND heads) in one atomic batch, so the
//   views and the high-water mark can never disagree after a crash.
// - Folds mirror the store's own projections (actors/retail/views.cpp) for
//   daily figures (sales, returns, voids, payment methods), stock on hand per
//   SKU, devices and the master, so HQ's daily totals equal the store's.
//   Schema-1 sales and returns (no stamped business day) take the UTC day:
//   HQ does not know a store's time zone.
// Thread safety: none; one owner (the ingest thread).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "events/event.hpp"

namespace sn::hq {

/// Reads a committed row; nullopt when absent.
using row_reader = std::function<std::optional<std::string>(const std::string& key)>;

enum class verdict : std::uint8_t {
  accepted = 0,
  duplicate = 1,        ///< seq at or below the high-water mark
  gap = 2,              ///< seq beyond the high-water mark + 1: redeliver later
  refused_subject = 3,  ///< not storenode.<store>.events.<origin>
  refused_decode = 4,   ///< not one well-formed event
  refused_origin = 5,   ///< the event's origin is not the subject's
  refused_hash = 6,     ///< its hash does not verify
  refused_chain = 7,    ///< prev_hash is not the held head's hash
};
inline constexpr std::size_t verdict_count = 8;
const char* to_string(verdict v) noexcept;
inline bool is_refused(verdict v) noexcept { return v >= verdict::refused_subject; }

struct ingest_result {
  verdict v = verdict::accepted;
  std::string store;   ///< "" when the subject does not parse
  std::string origin;
  std::uint64_t seq = 0;
  std::uint64_t hlc = 0;  ///< of the accepted event (wall ms in the top 48 bits)
};

class chain_fold {
public:
  explicit chain_fold(row_reader committed);

  ingest_result ingest(std::string_view subject, std::string_view data);
  /// Counts a refusal the caller decided (a gap redelivered too often).
  void count_refusal(const std::string& store);
  /// The rows changed since the last take (key -> value), for one batch.
  std::map<std::string, std::string> take_writes();
  /// Forgets the overlay (the batch was not written).
  void discard() { overlay_.clear(); }

  /// Events of known types that did not fold (bad day, empty receipt,
  /// duplicate receipt or return id), and of types this build does not know.
  std::uint64_t unfolded() const noexcept { return unfolded_; }
  std::uint64_t unknown_types() const noexcept { return unknown_types_; }

private:
  std::optional<std::string> get(const std::string& key) const;
  void put(std::string key, std::string value) { overlay_[std::move(key)] = std::move(value); }
  void fold(const std::string& store, const event& e);
  void bump_store(const std::string& store, std::uint64_t events, std::uint64_t refused, std::uint64_t duplicates);
  void add_daily(const std::string& store, const std::string& day, const std::string& device, const struct figures& f);
  void add_stock(const std::string& store, const std::string& sku, std::int64_t delta);

  row_reader committed_;
  std::map<std::string, std::string> overlay_;
  std::uint64_t unfolded_ = 0;
  std::uint64_t unknown_types_ = 0;
};

} // namespace sn::hq
