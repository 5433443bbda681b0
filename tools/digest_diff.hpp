// The descent of `storectl diff` (docs/operations.md "diff"): two states'
// projection digests compared bucket by bucket, then row by row in the
// buckets that differ, naming the keys present on one side only or whose
// values differ. A side is a node (GET /v1/digest/{p} and
// /v1/digest/{p}/buckets/{i}, paged) or rows read locally (a data dir
// replayed into a scratch state) through the same functions the node serves
// them with (actors/projections/digest_rows.hpp).
//
// Bounds: at most `keys_max` keys are named per projection (walking stops
// after the bucket that reaches it; the count covers the buckets walked);
// a bucket of more than bucket_rows_max rows on one side is an error (a
// 256th of a projection: far beyond any store's).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "actors/projections/rows.hpp"
#include "events/expected.hpp"
#include "tools/node_client.hpp"

namespace sn::tools {

/// Keys `diff` names per projection (the rest are counted).
constexpr std::size_t diff_keys_listed_max = 50;
/// Rows one side's bucket may have.
constexpr std::size_t bucket_rows_max = 1'000'000;

/// A row as a diff sees it: its key (bytes) and the hash of its value (hex).
struct keyed_hash {
  std::string key;
  std::string value_hash;
};

struct bucket_rows_page {
  std::vector<keyed_hash> rows;
  std::string next;  ///< opaque to the caller; "" = last page
};

class digest_source {
 public:
  virtual ~digest_source() = default;
  /// The 256 bucket digests of projection p (hex), bucket 0 first.
  virtual expected<std::vector<std::string>> buckets(const std::string& p) = 0;
  /// One page of bucket b's rows in key order; cursor "" = the first page.
  virtual expected<bucket_rows_page> bucket_rows(const std::string& p, std::uint8_t b, const std::string& cursor) = 0;
};

/// A running node's digest endpoints.
std::unique_ptr<digest_source> node_digest_source(node_client node);

/// Rows read locally; `rows_of` gives a projection's rows (null: unknown).
std::unique_ptr<digest_source> rows_digest_source(
    std::function<const projections::row_reader*(const std::string& projection)> rows_of);

enum class key_state { only_a, only_b, value_differs };
const char* to_string(key_state s) noexcept;

struct key_difference {
  std::string key;   ///< bytes
  std::string text;  ///< projections::key_text ("" when the layout does not parse)
  key_state state = key_state::value_differs;
};

struct projection_difference {
  std::size_t buckets_differing = 0;
  std::size_t buckets_walked = 0;
  std::uint64_t keys_differing = 0;  ///< in the buckets walked
  std::vector<key_difference> keys;  ///< the first keys_max, bucket by bucket, key order within one
  bool complete() const noexcept { return buckets_walked == buckets_differing; }
};

/// Descends into projection p on both sides. `stop` is polled between
/// pages (an interrupt): when it returns true the error says so.
expected<projection_difference> descend(digest_source& a, digest_source& b, const std::string& p,
                                        std::size_t keys_max = diff_keys_listed_max,
                                        const std::function<bool()>& stop = {});

}  // namespace sn::tools
