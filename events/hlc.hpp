// Hybrid logical clock (Kulkarni et al.). Pure: the caller passes wall time in.
#pragma once

#include <cstdint>
#include <string>

namespace sn {

/// An HLC timestamp packed in 64 bits: the upper 48 bits are milliseconds since
/// the Unix epoch, the lower 16 bits a logical counter. Ordering the packed
/// integer orders the timestamps. Encoded on the wire as that integer.
class hlc_timestamp {
public:
  static constexpr int logical_bits = 16;
  static constexpr std::uint64_t logical_max = (1u << logical_bits) - 1;

  constexpr hlc_timestamp() = default;
  constexpr explicit hlc_timestamp(std::uint64_t packed) : packed_(packed) {}
  static constexpr hlc_timestamp from_parts(std::uint64_t wall_ms, std::uint64_t logical) {
    return hlc_timestamp{(wall_ms << logical_bits) | (logical & logical_max)};
  }

  constexpr std::uint64_t packed() const noexcept { return packed_; }
  constexpr std::uint64_t wall_ms() const noexcept { return packed_ >> logical_bits; }
  constexpr std::uint64_t logical() const noexcept { return packed_ & logical_max; }

  friend constexpr bool operator==(hlc_timestamp a, hlc_timestamp b) { return a.packed_ == b.packed_; }
  friend constexpr bool operator!=(hlc_timestamp a, hlc_timestamp b) { return a.packed_ != b.packed_; }
  friend constexpr bool operator<(hlc_timestamp a, hlc_timestamp b) { return a.packed_ < b.packed_; }
  friend constexpr bool operator<=(hlc_timestamp a, hlc_timestamp b) { return a.packed_ <= b.packed_; }
  friend constexpr bool operator>(hlc_timestamp a, hlc_timestamp b) { return a.packed_ > b.packed_; }
  friend constexpr bool operator>=(hlc_timestamp a, hlc_timestamp b) { return a.packed_ >= b.packed_; }

  /// RFC 3339 UTC with milliseconds, e.g. "2026-11-25T14:03:07.123Z".
  std::string to_rfc3339() const;

private:
  std::uint64_t packed_ = 0;
};

/// The clock itself. Monotonic even when the wall clock steps back: `now`
/// never returns a timestamp <= one it returned or observed before.
/// Not thread-safe: owned by one actor (the command actor of a node).
class hybrid_logical_clock {
public:
  /// Timestamp for a local event, given the current wall time.
  hlc_timestamp now(std::uint64_t wall_ms) noexcept;
  /// Merge rule on receive: after this, `now` is greater than `remote`.
  /// Returns the updated clock value.
  hlc_timestamp observe(hlc_timestamp remote, std::uint64_t wall_ms) noexcept;
  /// observe() with a bound on how far a remote clock may drag this one (the
  /// max-offset rule, docs/protocol.md 1.3): a `remote` whose wall time is
  /// more than `max_skew_ms` ahead of `wall_ms` is not merged (the clock does
  /// not move) and false is returned; otherwise as observe(), true.
  bool observe_within(hlc_timestamp remote, std::uint64_t wall_ms, std::uint64_t max_skew_ms) noexcept;
  /// True when `remote` is more than `max_skew_ms` ahead of `wall_ms`.
  static constexpr bool too_far_ahead(hlc_timestamp remote, std::uint64_t wall_ms, std::uint64_t max_skew_ms) noexcept {
    return remote.wall_ms() > wall_ms && remote.wall_ms() - wall_ms > max_skew_ms;
  }
  /// The last timestamp issued or observed.
  hlc_timestamp last() const noexcept { return last_; }
  /// Restores the clock after a restart (from the newest event in the log).
  void restore(hlc_timestamp last) noexcept;

private:
  hlc_timestamp last_;
};

} // namespace sn
