// Vocabulary types shared by every folder (STYLE.md rule 3). Pure: no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

namespace sn {

/// A value of `Rep` that cannot be mixed up with another strong type of the
/// same representation (a term is not a seq is not a position).
template <class Tag, class Rep>
class strong_type {
public:
  using rep_type = Rep;
  constexpr strong_type() = default;
  constexpr explicit strong_type(Rep v) : value_(std::move(v)) {}
  constexpr const Rep& value() const noexcept { return value_; }
  Rep& value() noexcept { return value_; }
  friend constexpr bool operator==(const strong_type& a, const strong_type& b) { return a.value_ == b.value_; }
  friend constexpr bool operator!=(const strong_type& a, const strong_type& b) { return a.value_ != b.value_; }
  friend constexpr bool operator<(const strong_type& a, const strong_type& b) { return a.value_ < b.value_; }
  friend constexpr bool operator<=(const strong_type& a, const strong_type& b) { return a.value_ <= b.value_; }
  friend constexpr bool operator>(const strong_type& a, const strong_type& b) { return a.value_ > b.value_; }
  friend constexpr bool operator>=(const strong_type& a, const strong_type& b) { return a.value_ >= b.value_; }

private:
  Rep value_{};
};

/// A device's stable name, e.g. "POS1". Non-empty, at most device_id_length_max
/// bytes of [A-Za-z0-9_.-].
using device_id = strong_type<struct device_id_tag, std::string>;
/// Per-origin sequence number: 1, 2, 3 ... without gaps. 0 means "none yet".
using origin_seq = strong_type<struct origin_seq_tag, std::uint64_t>;
/// Master term: persisted, never reused, 0 before the first election.
using term_id = strong_type<struct term_id_tag, std::uint64_t>;
/// Local position of an event in one node's log: 1, 2, 3 ... (node-local).
using log_position = strong_type<struct log_position_tag, std::uint64_t>;

constexpr std::size_t device_id_length_max = 64;

/// True when `id` is a valid device id (see device_id).
bool valid_device_id(const std::string& id) noexcept;

/// BLAKE2b-256 digest.
using hash256 = std::array<std::uint8_t, 32>;

/// Lower-case hex of a digest.
std::string to_hex(const hash256& h);

} // namespace sn

template <class Tag, class Rep>
struct std::hash<sn::strong_type<Tag, Rep>> {
  std::size_t operator()(const sn::strong_type<Tag, Rep>& x) const noexcept {
    return std::hash<Rep>{}(x.value());
  }
};
