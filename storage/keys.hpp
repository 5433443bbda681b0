// Key and value layouts of the event log's column families (event_log.hpp).
// Pure byte helpers, shared by the log, the audit and the test helpers.
//
//   log    : position u64 BE                 -> event bytes (codec.hpp)
//   index  : origin "\0" first_seq u64 BE     -> first_position u64 BE, count u64 BE
//            a run: (origin, first_seq + k) is at first_position + k for
//            k < count. Appends extend the origin's last run while its events
//            land at consecutive positions, so a node's own events cost one
//            index write per batch, not one per event.
//   heads  : origin                           -> seq u64 BE, hash (32 bytes)
//   projections: name                         -> checkpoint u64 BE, state
// Big-endian integers make RocksDB's bytewise order the numeric order, so a
// log iterator walks positions in order and an index iterator walks one
// origin's seqs in order. A device id never contains "\0" (valid_device_id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "events/types.hpp"

namespace sn::storage::keys {

constexpr std::size_t u64_bytes = 8;
constexpr std::size_t head_value_bytes = u64_bytes + 32;

inline void store_u64_be(char* out, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

inline void put_u64_be(std::string& out, std::uint64_t v) {
  char b[u64_bytes];
  store_u64_be(b, v);
  out.append(b, u64_bytes);
}

inline std::uint64_t get_u64_be(std::string_view s) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < u64_bytes; ++i) v = (v << 8) | static_cast<std::uint8_t>(s[i]);
  return v;
}

inline std::string position_key(std::uint64_t position) {
  std::string k;
  put_u64_be(k, position);
  return k;
}

inline void index_key(std::string& out, std::string_view origin, std::uint64_t seq) {
  out.append(origin.data(), origin.size());
  out.push_back('\0');
  put_u64_be(out, seq);
}

inline std::string index_key(std::string_view origin, std::uint64_t seq) {
  std::string k;
  k.reserve(origin.size() + 1 + u64_bytes);
  index_key(k, origin, seq);
  return k;
}

/// The prefix every index key of `origin` starts with.
inline std::string index_prefix(std::string_view origin) {
  std::string k(origin);
  k.push_back('\0');
  return k;
}

struct index_entry {
  std::string_view origin;
  std::uint64_t seq = 0;
};

/// Splits an index key; nullopt when it does not have the layout above.
inline std::optional<index_entry> parse_index_key(std::string_view k) {
  if (k.size() < 1 + u64_bytes + 1) return std::nullopt;
  const std::size_t origin_len = k.size() - 1 - u64_bytes;
  if (k[origin_len] != '\0') return std::nullopt;
  return index_entry{k.substr(0, origin_len), get_u64_be(k.substr(origin_len + 1))};
}

struct index_run {
  std::uint64_t first_seq = 0;
  std::uint64_t first_position = 0;
  std::uint64_t count = 0;
  bool covers(std::uint64_t seq) const { return seq >= first_seq && seq - first_seq < count; }
  std::uint64_t position_of(std::uint64_t seq) const { return first_position + (seq - first_seq); }
  /// True when (seq, position) is the next event of this run.
  bool extends_to(std::uint64_t seq, std::uint64_t position) const {
    return count != 0 && seq == first_seq + count && position == first_position + count;
  }
};
constexpr std::size_t run_value_bytes = 2 * u64_bytes;

inline void run_value(std::string& out, std::uint64_t first_position, std::uint64_t count) {
  put_u64_be(out, first_position);
  put_u64_be(out, count);
}

inline std::string run_value(std::uint64_t first_position, std::uint64_t count) {
  std::string v;
  run_value(v, first_position, count);
  return v;
}

/// The run an index entry describes; nullopt when key or value is malformed.
struct parsed_run {
  std::string_view origin;
  index_run run;
};
inline std::optional<parsed_run> parse_run(std::string_view key, std::string_view value) {
  auto k = parse_index_key(key);
  if (!k || value.size() != run_value_bytes) return std::nullopt;
  parsed_run r{k->origin, index_run{k->seq, get_u64_be(value), get_u64_be(value.substr(u64_bytes))}};
  if (r.run.count == 0 || r.run.first_seq == 0 || r.run.first_position == 0) return std::nullopt;
  return r;
}

inline void head_value(std::string& out, std::uint64_t seq, const hash256& h) {
  put_u64_be(out, seq);
  out.append(reinterpret_cast<const char*>(h.data()), h.size());
}

struct head_parts {
  std::uint64_t seq = 0;
  hash256 hash{};
};

inline std::optional<head_parts> parse_head_value(std::string_view v) {
  if (v.size() != head_value_bytes) return std::nullopt;
  head_parts p;
  p.seq = get_u64_be(v);
  for (std::size_t i = 0; i < p.hash.size(); ++i) p.hash[i] = static_cast<std::uint8_t>(v[u64_bytes + i]);
  return p;
}

} // namespace sn::storage::keys
