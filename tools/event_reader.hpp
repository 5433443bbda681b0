// Reading events page by page from either a data dir or a node, filtered, in
// position order, as the JSON objects storectl prints (event_format.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "events/expected.hpp"
#include "storage/event_log.hpp"
#include "tools/event_filter.hpp"
#include "tools/node_client.hpp"

namespace sn::tools {

/// One event to print: decoded (from a data dir: printed without building
/// JSON unless JSON is asked for) or as the node sent it.
struct event_record {
  std::uint64_t position = 0;
  std::optional<event> ev;  ///< set when read from a data dir
  nlohmann::json j;         ///< the node's JSON, or rendered from ev by json()
  /// event_to_json + "position" (rendered once, on first use).
  const nlohmann::json& json();
};

struct event_page {
  std::vector<event_record> events;  ///< matching events, position order
  std::uint64_t next = 0;              ///< first position not yet looked at
  bool end = false;                    ///< nothing at or after `next` yet
};

class event_reader {
public:
  /// Events looked at per read(): bounds memory and the latency of a page.
  static constexpr std::size_t page_events_max = 4096;
  virtual ~event_reader() = default;
  /// Newest position held (0 when empty).
  virtual expected<std::uint64_t> last_position() = 0;
  /// Looks at up to `count` (<= page_events_max) events from position `from`.
  virtual expected<event_page> read(std::uint64_t from, std::size_t count) = 0;
  /// Sees events appended since open (data dir: catch up; node: no-op).
  virtual status refresh() = 0;
};

/// Reader over an open log (read-only). Filters before rendering JSON.
std::unique_ptr<event_reader> make_log_reader(storage::event_log& log, event_filter f);
/// Reader over a node's GET /v1/events.
std::unique_ptr<event_reader> make_node_reader(node_client node, event_filter f);

/// Every matching event with lo <= position <= hi.
expected<std::vector<event_record>> read_range(event_reader& r, std::uint64_t lo, std::uint64_t hi);
/// The newest `n` matching events, oldest first (scans backwards in windows).
expected<std::vector<event_record>> read_last(event_reader& r, std::size_t n);

} // namespace sn::tools
