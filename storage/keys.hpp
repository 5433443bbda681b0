// Key and value layouts of the event log's column families (event_log.hpp).
// Pure byte helpers, shared by the log, the audit and the test helpers.
//
//   log    : position u64 BE                 -> event bytes (codec.hpp)
//   index  : origin "\0" seq u64 BE           -> position u64 BE
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
