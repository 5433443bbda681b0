#include "actors/projections/elections.hpp"

#include <algorithm>

#include "actors/projections/row_codec.hpp"
#include "events/hlc.hpp"

namespace sn::projections {

namespace {

constexpr char election_prefix = 'e';
constexpr char count_prefix = 'c';

const std::string& count_key() {
  static const std::string k(1, count_prefix);
  return k;
}

// A key part that sorts strings in descending order: each byte complemented,
// then 0xff (device ids never hold "\0", whose complement is 0xff).
void descending(row_out& o, std::string_view s) {
  for (unsigned char c : s) o.u8(static_cast<std::uint8_t>(~c));
  o.u8(0xff);
}

std::string election_key(const event& e, std::uint64_t term) {
  row_out o;
  o.u8(static_cast<std::uint8_t>(election_prefix)).u64(~term).u64(newest_first(e.hlc.packed()));
  descending(o, e.origin.value());
  o.u64(~e.seq.value());
  return std::move(o).bytes();
}

std::string encode(const event& e, const master_changed& p) {
  row_out o;
  o.u64(p.term).u64(e.hlc.packed()).str(e.origin.value()).u64(e.seq.value());
  o.str(p.previous_master).str(p.new_master).str(p.reason);
  o.u32(static_cast<std::uint32_t>(p.participants.size()));
  for (const std::string& s : p.participants) o.str(s);
  return std::move(o).bytes();
}

std::optional<elections::election> decode(std::string_view bytes) {
  row_in in(bytes);
  elections::election r;
  r.term = in.u64();
  r.hlc = in.u64();
  r.recorded_by = in.str();
  in.u64();  // seq
  r.previous_master = in.str();
  r.new_master = in.str();
  r.reason = in.str();
  const std::uint32_t n = in.u32();
  for (std::uint32_t i = 0; i < n && !in.failed(); ++i) r.participants.push_back(in.str());
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

std::uint64_t read_count(const row_reader& rows) {
  auto bytes = rows.get(count_key());
  if (!bytes) return 0;
  row_in in(*bytes);
  const std::uint64_t n = in.u64();
  return in.failed() ? 0 : n;
}

}  // namespace

const char* elections_projection::apply(const folded_event& fe, row_writer& rows, fold_context&) {
  const auto* p = std::get_if<master_changed>(&fe.p);
  if (p == nullptr) return nullptr;
  const std::string key = election_key(fe.ev, p->term);
  if (rows.get(key)) return nullptr;  // applied already (the set never does this; the count stays a count)
  rows.put(key, encode(fe.ev, *p));
  rows.put(count_key(), row_out().u64(read_count(rows) + 1).bytes());
  return nullptr;
}

namespace elections {

page<election> list(const row_reader& rows, const page_request& req) {
  page<election> out;
  const std::size_t limit = std::clamp<std::size_t>(req.limit, 1, page_limit_max);
  const std::string prefix(1, election_prefix);
  rows.scan(prefix, std::max(req.from, prefix), [&](std::string_view k, std::string_view v) {
    if (out.items.size() >= limit) {
      out.next = std::string(k);
      return false;
    }
    if (auto r = decode(v)) out.items.push_back(std::move(*r));
    return true;
  });
  out.total = static_cast<std::size_t>(read_count(rows));
  return out;
}

bool matches(const election& e, const filter& f) {
  if (f.device && *f.device != e.previous_master && *f.device != e.new_master && *f.device != e.recorded_by)
    return false;
  if (f.reason && *f.reason != e.reason) return false;
  const std::uint64_t ms = hlc_timestamp{e.hlc}.wall_ms();
  if (f.since_ms && ms < *f.since_ms) return false;
  if (f.until_ms && ms > *f.until_ms) return false;
  return true;
}

page<election> list(const row_reader& rows, const filter& f, const page_request& req) {
  if (f.empty()) return list(rows, req);
  page<election> out;
  const std::size_t limit = std::clamp<std::size_t>(req.limit, 1, page_limit_max);
  const std::string prefix(1, election_prefix);
  rows.scan(prefix, std::max(req.from, prefix), [&](std::string_view k, std::string_view v) {
    auto r = decode(v);
    if (!r || !matches(*r, f)) return true;
    if (out.items.size() >= limit) {
      out.next = std::string(k);
      return false;
    }
    out.items.push_back(std::move(*r));
    return true;
  });
  out.total = out.items.size();
  return out;
}

}  // namespace elections
}  // namespace sn::projections
