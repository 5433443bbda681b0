// The rows of storenode-hq's chain views: key layouts and value codecs,
// shared by the fold (writes) and the HTTP edge (reads). Pure: no RocksDB.
//
// Keys are a one-letter family and components separated by a NUL byte:
//   h \0 store \0 origin           chain head: seq u64, hash 32 bytes (the high-water mark)
//   s \0 store                     store summary: events, refused, duplicates (u64 each)
//   d \0 store \0 day \0 device    daily figures (figures)
//   r \0 store \0 receipt          a sale, for voids (sale_row)
//   t \0 store \0 return_id        a return id already folded ("")
//   k \0 sku \0 store              stock on hand (i64)
//   v \0 store \0 device           a device (device_row)
//   m \0 store                     the store's newest master (master_row)
// Values are fixed-width little-endian integers and u32-length-prefixed strings.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/types.hpp"

namespace sn::hq {

std::string key(char family, std::initializer_list<std::string_view> parts);
/// The components after the family letter.
std::vector<std::string_view> key_parts(std::string_view key);

struct head_row {
  std::uint64_t seq = 0;
  hash256 hash{};
};
struct store_row {
  std::uint64_t events = 0;
  std::uint64_t refused = 0;
  std::uint64_t duplicates = 0;
};
/// One device's day, as the store's daily report folds it (retail::views).
struct figures {
  std::int64_t gross = 0, discounts = 0, tax = 0, returns = 0, returns_tax = 0;
  std::array<std::int64_t, 3> by_method{};  ///< cash, card, other
  std::int64_t transactions = 0, return_count = 0, voids = 0;
  void add(const figures& o);
};
struct sale_row {
  bool present = false;
  bool voided = false;
  std::string day;
  std::string origin;
  std::int64_t gross = 0, discount = 0, tax = 0, change = 0;
  std::array<std::int64_t, 3> paid{};
  std::vector<std::pair<std::string, std::int64_t>> lines;  ///< sku, qty
};
struct device_row {
  std::string name;
  std::int64_t priority = 0;
  bool active = true;
  bool registered = false;
  std::uint64_t stamp_hlc = 0;  ///< of the newest registration/update (last writer wins)
  std::string stamp_origin;
  std::uint64_t last_event_hlc = 0;
};
struct master_row {
  std::uint64_t term = 0;
  std::string device;
  std::string reason;
  std::uint64_t hlc = 0;
};

std::string encode(const head_row& r);
std::string encode(const store_row& r);
std::string encode(const figures& r);
std::string encode(const sale_row& r);
std::string encode(const device_row& r);
std::string encode(const master_row& r);
std::string encode_i64(std::int64_t v);

/// nullopt when the bytes are not a row of that kind (a corrupt store).
std::optional<head_row> decode_head(std::string_view b);
std::optional<store_row> decode_store(std::string_view b);
std::optional<figures> decode_figures(std::string_view b);
std::optional<sale_row> decode_sale(std::string_view b);
std::optional<device_row> decode_device(std::string_view b);
std::optional<master_row> decode_master(std::string_view b);
std::optional<std::int64_t> decode_i64(std::string_view b);

} // namespace sn::hq
