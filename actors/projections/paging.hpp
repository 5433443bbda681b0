// Paged lists (every list query): at most `limit` items from `cursor` on, in
// the list's order, and the cursor of the next page (empty: no more). A
// cursor is opaque to clients (row_codec.hpp encode_cursor: the hex of the
// next row's key); a cursor that does not decode is the caller's 400.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace sn::projections {

/// Items a page holds when the client names no limit, and at most.
constexpr std::size_t page_limit_default = 1000;
constexpr std::size_t page_limit_max = 1000;

struct page_request {
  std::size_t limit = page_limit_default;  ///< 1..page_limit_max (the edge clamps)
  std::string from;                        ///< decoded cursor: first row key of this page ("" = start)
};

template <class T>
struct page {
  std::vector<T> items;
  std::string next;  ///< row key the next page starts at ("" = last page); the edge encodes it
  std::size_t total = 0;  ///< items of the whole list (when the query can tell cheaply; else items.size())
};

} // namespace sn::projections
