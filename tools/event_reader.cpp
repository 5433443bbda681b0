#include "tools/event_reader.hpp"

#include <algorithm>
#include <deque>

#include "events/codec.hpp"
#include "tools/errc.hpp"
#include "tools/event_format.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

class log_reader final : public event_reader {
public:
  log_reader(storage::event_log& log, event_filter f) : log_(log), filter_(std::move(f)) {}

  expected<std::uint64_t> last_position() override { return log_.last_position().value(); }

  expected<event_page> read(std::uint64_t from, std::size_t count) override {
    event_page page;
    page.next = std::max<std::uint64_t>(from, 1);
    count = std::clamp<std::size_t>(count, 1, page_events_max);
    std::size_t seen = 0;
    sn::error decode_error;
    bool failed = false;
    auto st = log_.scan(log_position(page.next), log_position(0), [&](log_position pos, std::string_view bytes) {
      auto e = decode(bytes);
      if (!e) {
        decode_error = make_error(errc::bad_data_dir, "event at position " + std::to_string(pos.value()) +
                                                          " does not decode: " + e.error().message +
                                                          " (run storectl audit verify)");
        failed = true;
        return false;
      }
      if (filter_.matches(*e)) page.events.push_back(event_record{pos.value(), std::move(*e), json()});
      page.next = pos.value() + 1;
      return ++seen < count;
    });
    if (!st) return make_error(errc::bad_data_dir, "reading the log: " + st.error().message);
    if (failed) return decode_error;
    page.end = seen < count;
    return page;
  }

  status refresh() override { return log_.catch_up(); }

private:
  storage::event_log& log_;
  event_filter filter_;
};

class node_reader final : public event_reader {
public:
  node_reader(node_client node, event_filter f) : node_(std::move(node)), filter_(std::move(f)) {}

  expected<std::uint64_t> last_position() override {
    auto s = node_.get("/v1/status");
    if (!s) return s.error();
    if (s->contains("position") && (*s)["position"].is_number_unsigned()) return (*s)["position"].get<std::uint64_t>();
    return s->value("events_total", std::uint64_t{0});
  }

  expected<event_page> read(std::uint64_t from, std::size_t count) override {
    event_page page;
    page.next = std::max<std::uint64_t>(from, 1);
    std::string q = "/v1/events?from=" + std::to_string(page.next) + "&limit=" + std::to_string(std::min(count, page_events_max));
    // The node filters exact type names and origins; globs, time and term are applied here too.
    if (!filter_.type_glob().empty() && filter_.type_glob().find_first_of("*?[") == std::string::npos) {
      q += "&type=" + url_encode(filter_.type_glob());
    }
    if (!filter_.origin().empty()) q += "&origin=" + url_encode(filter_.origin());
    auto r = node_.get(q);
    if (!r) return r.error();
    if (!r->contains("events") || !(*r)["events"].is_array()) {
      return make_error(errc::bad_reply, "GET /v1/events: reply has no \"events\" array");
    }
    std::uint64_t last_pos = page.next - 1;
    for (auto& ev : (*r)["events"]) {
      const auto pos = ev.value("position", std::uint64_t{0});
      last_pos = std::max(last_pos, pos);
      if (filter_.matches(ev)) page.events.push_back(event_record{pos, std::nullopt, std::move(ev)});
    }
    std::uint64_t next = r->value("next", last_pos + 1);
    if (next < last_pos + 1) next = last_pos + 1;
    page.end = (*r)["events"].empty() && next <= page.next;
    page.next = std::max(next, page.next);
    return page;
  }

  status refresh() override { return status::ok(); }

private:
  node_client node_;
  event_filter filter_;
};

} // namespace

std::unique_ptr<event_reader> make_log_reader(storage::event_log& log, event_filter f) {
  return std::make_unique<log_reader>(log, std::move(f));
}

std::unique_ptr<event_reader> make_node_reader(node_client node, event_filter f) {
  return std::make_unique<node_reader>(std::move(node), std::move(f));
}

const json& event_record::json() {
  if (j.is_null() && ev) j = event_json(*ev, position);
  return j;
}

expected<std::vector<event_record>> read_range(event_reader& r, std::uint64_t lo, std::uint64_t hi) {
  std::vector<event_record> out;
  std::uint64_t from = std::max<std::uint64_t>(lo, 1);
  while (from <= hi) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(hi - from + 1, event_reader::page_events_max));
    auto page = r.read(from, want);
    if (!page) return page.error();
    for (auto& ev : page->events) {
      if (ev.position <= hi) out.push_back(std::move(ev));
    }
    if (page->end || page->next <= from) break;
    from = page->next;
  }
  return out;
}

expected<std::vector<event_record>> read_last(event_reader& r, std::size_t n) {
  auto last = r.last_position();
  if (!last) return last.error();
  std::deque<event_record> found;
  std::uint64_t hi = *last;
  std::uint64_t window = std::max<std::uint64_t>(n, 256);
  // Backwards in growing windows: an unfiltered tail reads about n events, a
  // rare type doubles the window until enough are found or the log's start.
  constexpr std::uint64_t window_max = 1 << 20;
  while (hi >= 1 && found.size() < n) {
    const std::uint64_t lo = hi > window ? hi - window + 1 : 1;
    auto part = read_range(r, lo, hi);
    if (!part) return part.error();
    for (auto it = part->rbegin(); it != part->rend() && found.size() < n; ++it) found.push_front(std::move(*it));
    if (lo == 1) break;
    hi = lo - 1;
    window = std::min(window * 2, window_max);
  }
  return std::vector<event_record>(std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
}

} // namespace sn::tools
