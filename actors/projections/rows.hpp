// The rows a projection keeps (ARCHITECTURE.md §5): byte keys -> byte values,
// read and written through these interfaces so that the projections stay pure
// (no RocksDB here). The node backs them with a RocksDB column family per
// projection (storage/projection_store.hpp via actors/projection_rows.hpp);
// tests and the simulation back them with memory_rows.
//
// Keys starting with byte 0xff are reserved for the projection set's own
// bookkeeping (position, digest buckets) and are never a projection's row.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sn::projections {

/// First byte of the set's reserved keys (never a row).
constexpr char reserved_key_byte = '\xff';

/// Called per row in key order; return false to stop.
using row_visitor = std::function<bool(std::string_view key, std::string_view value)>;

class row_reader {
 public:
  virtual ~row_reader() = default;
  /// The value of `key`, nullopt when absent.
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  /// get() of every key at once: out[i] is the value of keys[i]. A store may
  /// batch them (RocksDB's MultiGet costs about half a get() per key).
  virtual void get_many(const std::vector<std::string_view>& keys, std::vector<std::optional<std::string>>& out) const {
    out.clear();
    out.reserve(keys.size());
    for (const std::string_view k : keys) out.push_back(get(k));
  }
  /// Rows whose key starts with `prefix` and is >= `from` (from empty or below
  /// the prefix: from the first), in ascending key order.
  virtual void scan(std::string_view prefix, std::string_view from, const row_visitor& fn) const = 0;
};

class row_writer : public row_reader {
 public:
  virtual void put(std::string_view key, std::string value) = 0;
  virtual void erase(std::string_view key) = 0;
  /// put() of a row the caller knows is absent unless this fold batch wrote
  /// or erased it (a new sale's index entries: their keys hold the sale's
  /// HLC and receipt). The same outcome as put(); a row_overlay then skips
  /// reading the durable row, which for a new key is a miss at every level
  /// of the store. Putting a key that is in the durable rows and untouched
  /// by this batch would leave the digest wrong: never do that.
  virtual void put_new(std::string_view key, std::string value) { put(key, std::move(value)); }
};

} // namespace sn::projections
