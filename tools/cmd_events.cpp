// storectl events [list] | events tail | events show ORIGIN:SEQ
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "events/codec.hpp"
#include "tools/commands.hpp"
#include "tools/event_format.hpp"
#include "tools/source.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

using json = nlohmann::json;

/// How often a --follow on a data dir looks for new events.
constexpr std::chrono::milliseconds follow_poll_interval{250};
/// Events buffered between the SSE reader thread and the printer; the reader
/// blocks (TCP backpressure on the node) when it is full.
constexpr std::size_t stream_queue_max = 65536;
/// How long tail --follow waits for the node to open its stream.
constexpr std::chrono::seconds stream_open_timeout{10};
/// Pages `events show --node` walks looking for one event.
constexpr std::size_t show_pages_max = 100000;

// Prints events as aligned lines or JSON lines on stdout.
class event_printer {
public:
  event_printer(bool as_json, palette p) : json_(as_json), p_(p) {
    header_ = !as_json && is_terminal(stdout);
  }
  void print(event_record& rec) {
    if (!json_ && rec.ev) {
      write(format_event_line(*rec.ev, rec.position, p_));
    } else {
      print(rec.json());
    }
  }
  void print(const json& ev) {
    write(json_ ? ev.dump(-1, ' ', false, json::error_handler_t::replace) : format_event_line(ev, p_));
  }
  void flush() { std::fflush(stdout); }
  std::uint64_t printed() const noexcept { return printed_; }

private:
  void write(std::string line) {
    if (header_) {
      const std::string h = format_event_header(p_) + "\n";
      std::fwrite(h.data(), 1, h.size(), stdout);
      header_ = false;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
    ++printed_;
  }
  bool json_;
  palette p_;
  bool header_ = false;
  std::uint64_t printed_ = 0;
};

struct list_options {
  source_options src;
  filter_options filter;
  std::uint64_t from = 1;
  std::uint64_t to = 0;
  std::size_t limit = 100;
  bool json = false;
};

struct tail_options {
  source_options src;
  filter_options filter;
  std::size_t lines = 20;
  std::uint64_t from = 0;
  bool follow = false;
  bool json = false;
};

struct show_options {
  source_options src;
  std::string ref;
  bool json = false;
};

int run_list(const list_options& o, cli_context& ctx) {
  auto f = event_filter::make(o.filter, wall_now_ms());
  if (!f) return report_error(f.error());
  auto src = open_source(o.src, *f);
  if (!src) return report_error(src.error());
  event_printer out(o.json, ctx.out_palette());
  std::uint64_t from = std::max<std::uint64_t>(o.from, 1);
  const std::uint64_t to = o.to == 0 ? UINT64_MAX : o.to;
  while (from <= to && (o.limit == 0 || out.printed() < o.limit)) {
    auto page = src->reader->read(from, event_reader::page_events_max);
    if (!page) return report_error(page.error());
    for (auto& ev : page->events) {
      if (ev.position > to) break;
      if (o.limit != 0 && out.printed() >= o.limit) {
        out.flush();
        std::fprintf(stderr, "storectl: stopped at --limit %zu; continue with --from %llu\n", o.limit,
                     static_cast<unsigned long long>(ev.position));
        return exit_ok;
      }
      out.print(ev);
    }
    if (page->end || page->next <= from) break;
    from = page->next;
  }
  out.flush();
  return exit_ok;
}

// Follows a data dir: catches up with the node's appends every poll interval.
int follow_log(event_reader& r, event_printer& out, std::uint64_t next) {
  for (;;) {
    auto page = r.read(next, event_reader::page_events_max);
    if (!page) return report_error(page.error());
    for (auto& ev : page->events) out.print(ev);
    out.flush();
    if (page->next > next) next = page->next;
    if (page->end) {
      std::this_thread::sleep_for(follow_poll_interval);
      auto st = r.refresh();
      if (!st) return report_error(st.error());
    }
  }
}

// Follows a node: subscribe first, then print the backlog, then the stream,
// skipping what the backlog already printed, so nothing falls between them.
// State shared with the SSE reader thread. Owned jointly (shared_ptr): the
// thread is detached and may outlive follow_node's frame until the process exits.
struct stream_state {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<json> queue;  // at most stream_queue_max
  bool opened = false, done = false;
  sn::error error;
};

int follow_node(const node_client& node, event_reader& r, const event_filter& f, event_printer& out,
                const tail_options& o) {
  auto st = std::make_shared<stream_state>();
  // status=0: the node status kinds (sync.status, ...) are not log events.
  std::string q = "/v1/events/stream?status=0&";
  if (!f.type_glob().empty()) q += "type=" + url_encode(f.type_glob()) + "&";
  if (!f.origin().empty()) q += "origin=" + url_encode(f.origin()) + "&";
  q.pop_back();
  std::thread reader([st, node, q] {
    auto result = node.stream(
        q,
        [&] {
          std::lock_guard<std::mutex> lk(st->mu);
          st->opened = true;
          st->cv.notify_all();
        },
        [&](const sse_message& m) {
          // Log events come under their type name (older nodes: "event"), always with an id.
          if (m.id.empty() || m.data.empty()) return true;
          auto ev = json::parse(m.data, nullptr, false);
          if (!ev.is_object()) return true;
          if (!ev.contains("position") && !m.id.empty()) ev["position"] = std::strtoull(m.id.c_str(), nullptr, 10);
          std::unique_lock<std::mutex> lk(st->mu);
          st->cv.wait(lk, [&] { return st->queue.size() < stream_queue_max; });
          st->queue.push_back(std::move(ev));
          st->cv.notify_all();
          return true;
        });
    std::lock_guard<std::mutex> lk(st->mu);
    st->error = result ? sn::error{} : result.error();
    st->done = true;
    st->cv.notify_all();
  });
  reader.detach();  // ends with the process: the stream only stops when the node closes it
  {
    std::unique_lock<std::mutex> lk(st->mu);
    if (!st->cv.wait_for(lk, stream_open_timeout, [&] { return st->opened || st->done; })) {
      return report_error(make_error(errc::unreachable, "the node at " + node.url() + " did not open its event stream"));
    }
    if (st->done && !st->opened) return report_error(st->error);
  }
  // The subscription is live: print the backlog, then the stream, skipping
  // what the backlog already printed, so nothing falls between them.
  std::uint64_t last = 0;
  auto backlog = o.from != 0 || !o.filter.since.empty() ? read_range(r, std::max<std::uint64_t>(o.from, 1), UINT64_MAX)
                                                        : read_last(r, o.lines);
  if (!backlog) return report_error(backlog.error());
  for (auto& ev : *backlog) {
    out.print(ev);
    last = std::max(last, ev.position);
  }
  out.flush();
  for (;;) {
    std::deque<json> batch;
    {
      std::unique_lock<std::mutex> lk(st->mu);
      st->cv.wait(lk, [&] { return !st->queue.empty() || st->done; });
      batch.swap(st->queue);
      st->cv.notify_all();
      if (batch.empty() && st->done) {
        return report_error(st->error.message.empty()
                                ? make_error(errc::unreachable, "the node closed the event stream")
                                : st->error);
      }
    }
    for (const auto& ev : batch) {
      const auto pos = ev.value("position", std::uint64_t{0});
      if (pos != 0 && pos <= last) continue;  // already printed from the backlog
      if (!f.matches(ev)) continue;
      out.print(ev);
      if (pos != 0) last = pos;
    }
    out.flush();
  }
}

int run_tail(const tail_options& o, cli_context& ctx) {
  auto f = event_filter::make(o.filter, wall_now_ms());
  if (!f) return report_error(f.error());
  auto src = open_source(o.src, *f);
  if (!src) return report_error(src.error());
  event_printer out(o.json, ctx.out_palette());
  if (o.follow && src->node) return follow_node(*src->node, *src->reader, *f, out, o);
  // Without --from/--since: the last N matching events. With them: everything from there.
  const bool from_start = o.from != 0 || !o.filter.since.empty();
  std::uint64_t next = 1;
  if (from_start) {
    next = std::max<std::uint64_t>(o.from, 1);
    for (;;) {
      auto page = src->reader->read(next, event_reader::page_events_max);
      if (!page) return report_error(page.error());
      for (auto& ev : page->events) out.print(ev);
      if (page->next > next) next = page->next;
      if (page->end) break;
    }
  } else {
    auto last = src->reader->last_position();
    if (!last) return report_error(last.error());
    auto backlog = read_last(*src->reader, o.lines);
    if (!backlog) return report_error(backlog.error());
    for (auto& ev : *backlog) out.print(ev);
    next = *last + 1;
  }
  out.flush();
  if (!o.follow) return exit_ok;
  return follow_log(*src->reader, out, next);
}

// ORIGIN:SEQ -> (origin, seq); the origin may itself contain ':'-free ids only.
bool parse_ref(const std::string& ref, std::string& origin, std::uint64_t& seq) {
  const auto colon = ref.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == ref.size()) return false;
  origin = ref.substr(0, colon);
  const std::string s = ref.substr(colon + 1);
  if (s.find_first_not_of("0123456789") != std::string::npos || s.size() > 19) return false;
  seq = std::stoull(s);
  return seq > 0 && valid_device_id(origin);
}

void print_show_human(const json& ev, const json& chain, const palette& p) {
  auto ok = [&](bool good) { return std::string(good ? p.green() : p.red()) + (good ? "ok" : "BROKEN") + p.reset(); };
  std::printf("%sevent %s:%llu%s at position %llu\n", p.bold(), ev.value("origin", "").c_str(),
              static_cast<unsigned long long>(ev.value("seq", 0ull)), p.reset(),
              static_cast<unsigned long long>(ev.value("position", 0ull)));
  std::printf("  type       %s (id %u, schema %u)\n", ev.value("type", "").c_str(), ev.value("type_id", 0u),
              ev.value("schema", 0u));
  std::printf("  time       %s (hlc %llu)\n", ev.value("time", "").c_str(),
              static_cast<unsigned long long>(ev.value("hlc", 0ull)));
  std::printf("  term       %llu\n", static_cast<unsigned long long>(ev.value("term", 0ull)));
  std::printf("  hash       %s", ev.value("hash", "").c_str());
  if (chain.contains("hash_ok")) std::printf("  %s", ok(chain["hash_ok"].get<bool>()).c_str());
  std::printf("\n  prev_hash  %s", ev.value("prev_hash", "").c_str());
  if (chain.contains("prev_ok")) {
    std::printf("  %s (%s)", ok(chain["prev_ok"].get<bool>()).c_str(), chain.value("prev", "").c_str());
  }
  std::printf("\n  chain      seq %llu of %llu held for %s",
              static_cast<unsigned long long>(ev.value("seq", 0ull)),
              static_cast<unsigned long long>(chain.value("head_seq", 0ull)), ev.value("origin", "").c_str());
  if (chain.contains("next")) {
    std::printf("; next %s", chain["next"].get<std::string>().c_str());
    if (chain.contains("next_ok")) std::printf(" links %s", ok(chain["next_ok"].get<bool>()).c_str());
  }
  std::printf("\n  summary    %s\n", summarise_payload(ev).c_str());
  std::printf("payload:\n%s\n", ev.contains("payload") ? ev["payload"].dump(2).c_str() : "{}");
}

int run_show(const show_options& o, cli_context& ctx) {
  std::string origin;
  std::uint64_t seq = 0;
  if (!parse_ref(o.ref, origin, seq)) {
    return report_error(make_error(errc::usage, "'" + o.ref + "' is not ORIGIN:SEQ (e.g. POS1:42)"));
  }
  event_filter none;
  auto src = open_source(o.src, none);
  if (!src) return report_error(src.error());
  json ev;
  json chain = json::object();
  if (src->log) {
    auto& log = *src->log;
    auto found = log.get(device_id(origin), origin_seq(seq));
    auto head = log.head(device_id(origin));
    if (!found) {
      return report_error(make_error(errc::not_found, "no event " + o.ref + " in " + o.src.data + " (" + origin +
                                                          "'s head is seq " +
                                                          std::to_string(head ? head->seq.value() : 0) + ")"));
    }
    ev = event_json(found->ev, found->position.value());
    chain["hash_ok"] = static_cast<bool>(verify_hash(found->ev));
    chain["head_seq"] = head ? head->seq.value() : 0;
    if (seq > 1) {
      auto prev = log.get(device_id(origin), origin_seq(seq - 1));
      chain["prev"] = origin + ":" + std::to_string(seq - 1) +
                      (prev ? " at position " + std::to_string(prev->position.value()) : " missing");
      chain["prev_ok"] = prev && prev->ev.hash == found->ev.prev_hash;
    } else {
      chain["prev"] = "first event of " + origin + ": prev_hash must be zero";
      chain["prev_ok"] = found->ev.prev_hash == hash256{};
    }
    if (auto next = log.get(device_id(origin), origin_seq(seq + 1))) {
      chain["next"] = origin + ":" + std::to_string(seq + 1) + " at position " + std::to_string(next->position.value());
      chain["next_ok"] = next->ev.prev_hash == found->ev.hash;
    }
  } else {
    // The node lists by position; walk its pages of this origin's events.
    json prev;
    bool have = false;
    std::uint64_t from = 1;
    for (std::size_t pages = 0; pages < show_pages_max && !have; ++pages) {
      auto page = src->node->get("/v1/events?origin=" + url_encode(origin) + "&from=" + std::to_string(from) +
                                 "&limit=" + std::to_string(event_reader::page_events_max));
      if (!page) return report_error(page.error());
      const auto& evs = (*page)["events"];
      if (!evs.is_array() || evs.empty()) break;
      std::uint64_t max_pos = from;
      for (const auto& e : evs) {
        max_pos = std::max(max_pos, e.value("position", std::uint64_t{0}));
        if (e.value("origin", "") != origin) continue;
        const auto s = e.value("seq", std::uint64_t{0});
        if (have && s == seq + 1) {
          chain["next"] = origin + ":" + std::to_string(s) + " at position " + std::to_string(e.value("position", 0ull));
          chain["next_ok"] = e.value("prev_hash", "") == ev.value("hash", "");
          break;
        }
        if (s == seq - 1) prev = e;
        if (s == seq) {
          ev = e;
          have = true;
        }
      }
      from = std::max(page->value("next", max_pos + 1), max_pos + 1);
    }
    if (!have) return report_error(make_error(errc::not_found, "no event " + o.ref + " on " + src->node->url()));
    if (!prev.is_null()) {
      chain["prev"] = origin + ":" + std::to_string(seq - 1) + " at position " + std::to_string(prev.value("position", 0ull));
      chain["prev_ok"] = prev.value("hash", "") == ev.value("prev_hash", "");
    }
    auto st = src->node->get("/v1/status");
    if (st && (*st).contains("version_vector")) chain["head_seq"] = (*st)["version_vector"].value(origin, 0ull);
  }
  const bool broken = (chain.contains("hash_ok") && !chain["hash_ok"].get<bool>()) ||
                      (chain.contains("prev_ok") && !chain["prev_ok"].get<bool>()) ||
                      (chain.contains("next_ok") && !chain["next_ok"].get<bool>());
  if (o.json) {
    json out = ev;
    out["chain"] = chain;
    std::printf("%s\n", out.dump().c_str());
  } else {
    print_show_human(ev, chain, ctx.out_palette());
  }
  return broken ? exit_problem : exit_ok;
}

} // namespace

void add_events_command(CLI::App& app, cli_context& ctx) {
  auto list = std::make_shared<list_options>();
  auto tail = std::make_shared<tail_options>();
  auto show = std::make_shared<show_options>();
  auto* events = app.add_subcommand("events", "list, tail and show events");
  events->footer(R"(
`storectl events` lists events in log-position order (--from/--to/--limit).

Examples:
  storectl events --data /var/lib/storenode --type 'stock.*' --limit 50
  storectl events --node http://127.0.0.1:8080 --origin POS2 --from 1200 --json | jq .payload
  storectl events tail -n 5
  storectl events show POS1:42 --data /var/lib/storenode)");
  add_source_options(*events, list->src);
  add_filter_options(*events, list->filter);
  events->add_option("--from", list->from, "first log position (default 1)")->type_name("POS");
  events->add_option("--to", list->to, "last log position (default: the end)")->type_name("POS");
  events->add_option("--limit", list->limit, "print at most N events (default 100; 0 = all)")->type_name("N");
  events->add_flag("--json", list->json, "one complete JSON object per line");
  events->require_subcommand(0, 1);

  auto* t = events->add_subcommand("tail", "the newest events, and with --follow the ones that arrive");
  t->footer(R"(
Without --from/--since: the last -n events that match. With --follow it keeps
printing new events in order (from a node's SSE stream, or by polling a data
dir read-only). Ctrl-C stops it.

Examples:
  storectl events tail --follow --type 'sale.*'
  storectl events tail --data /var/lib/storenode --origin POS2 -n 50
  storectl events tail --since -15m --json | jq -c '{ref: (.origin+":"+(.seq|tostring)), type}'
  storectl events tail --term 7 --type master.changed)");
  add_source_options(*t, tail->src);
  add_filter_options(*t, tail->filter);
  t->add_option("-n,--lines", tail->lines, "how many of the newest events to print first (default 20)");
  t->add_option("--from", tail->from, "start at this log position instead of the last -n")->type_name("POS");
  t->add_flag("-f,--follow", tail->follow, "keep printing events as they arrive");
  t->add_flag("--json", tail->json, "one complete JSON object per line");

  auto* s = events->add_subcommand("show", "one event whole: fields, payload, hash and chain links");
  s->footer(R"(
Exit 0 when the event's hash verifies and it links to its neighbours, 1 when
a link is broken, 2 when it cannot be read.

Examples:
  storectl events show POS1:42 --data /var/lib/storenode
  storectl events show BO:7 --node http://127.0.0.1:8080 --json | jq .chain)");
  s->add_option("ref", show->ref, "the event, as ORIGIN:SEQ")->required()->type_name("ORIGIN:SEQ");
  add_source_options(*s, show->src);
  s->add_flag("--json", show->json, "the event as one JSON object, with a \"chain\" member");

  events->callback([events, list, t, s, &ctx] {
    if (t->parsed() || s->parsed()) return;
    ctx.exit_code = run_list(*list, ctx);
  });
  t->callback([tail, &ctx] { ctx.exit_code = run_tail(*tail, ctx); });
  s->callback([show, &ctx] { ctx.exit_code = run_show(*show, ctx); });
}

} // namespace sn::tools
