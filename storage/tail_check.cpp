#include "storage/tail_check.hpp"

#include "events/codec.hpp"

namespace sn::storage {

namespace {

void check_origin(const event_log& log, const std::string& origin, const origin_head& head,
                  std::vector<tail_problem>& out) {
  const device_id id{origin};
  const std::uint64_t seq = head.seq.value();
  auto problem = [&](std::uint64_t s, std::string what) { out.push_back({origin, s, std::move(what)}); };
  if (seq == 0) {
    problem(0, "the head names seq 0");
    return;
  }
  if (log.index_position(id, origin_seq{seq + 1})) {
    problem(seq + 1, "the log holds an event beyond the head (the heads are behind the log)");
  }
  if (!log.index_position(id, origin_seq{seq})) {
    problem(seq, "the index has no entry for the head (the heads are ahead of the log)");
    return;
  }
  auto newest = log.get(id, origin_seq{seq});
  if (!newest) {
    problem(seq, "the event at the head's position is missing or does not decode");
    return;
  }
  if (newest->ev.origin.value() != origin || newest->ev.seq.value() != seq) {
    problem(seq, "the index points the head at another event (" + event_ref(newest->ev) + ")");
    return;
  }
  if (newest->ev.hash != head.hash) {
    problem(seq, "the head's hash differs from the hash of the event the log holds");
    return;
  }
  if (!verify_hash(newest->ev)) {
    problem(seq, "the head's event does not match its own hash (tampered)");
    return;
  }
  if (seq > 1) {
    auto before = log.get(id, origin_seq{seq - 1});
    if (!before) {
      problem(seq - 1, "the event before the head is missing or does not decode");
    } else if (before->ev.hash != newest->ev.prev_hash) {
      problem(seq, "the head does not chain to the event before it");
    }
  }
}

} // namespace

std::vector<tail_problem> check_tail(const event_log& log) {
  std::vector<tail_problem> out;
  const auto heads = log.heads();
  for (const auto& [origin, head] : heads) check_origin(log, origin, head, out);
  const log_position last = log.last_position();
  if (last.value() == 0) return out;
  auto tail = log.read_from(last, 1);
  if (tail.empty() || tail.front().position != last) {
    out.push_back({"", last.value(), "the log's last position does not hold a decodable event"});
    return out;
  }
  const event& e = tail.front().ev;
  const auto indexed = log.index_position(e.origin, e.seq);
  if (!indexed || *indexed != last) {
    out.push_back({e.origin.value(), e.seq.value(), "the log's last event is not indexed at its position"});
  }
  const auto it = heads.find(e.origin.value());
  if (it == heads.end() || it->second.seq.value() < e.seq.value()) {
    out.push_back({e.origin.value(), e.seq.value(), "the log's last event is beyond its origin's head"});
  }
  return out;
}

std::string to_string(const tail_problem& p) {
  return (p.origin.empty() ? std::string("position ") : p.origin + ":") + std::to_string(p.seq) + ": " + p.what;
}

} // namespace sn::storage
