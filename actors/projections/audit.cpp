#include "actors/projections/audit.hpp"

#include <algorithm>
#include <vector>

#include "actors/projections/row_codec.hpp"

namespace sn::projections {

namespace {

constexpr char record_prefix = 'a';
constexpr char device_index_prefix = 'i';
constexpr char total_prefix = 'N';
constexpr char day_count_prefix = 'n';
constexpr char device_total_prefix = 'K';
constexpr char device_day_count_prefix = 'k';

constexpr std::uint64_t day_ms = 86400000;
constexpr std::uint64_t wall_ms_max = (std::uint64_t{1} << (64 - hlc_timestamp::logical_bits)) - 1;

// A key part that sorts strings in descending order: each byte complemented,
// then 0xff (device ids never hold "\0", whose complement is 0xff).
void descending(row_out& o, std::string_view s) {
  for (unsigned char c : s) o.u8(static_cast<std::uint8_t>(~c));
  o.u8(0xff);
}

std::string prefix_of(char kind) { return std::string(1, kind); }

std::string device_prefix_of(char kind, std::string_view device) {
  row_out o;
  o.u8(static_cast<std::uint8_t>(kind)).str(device);
  return std::move(o).bytes();
}

std::string day_key(std::string prefix, std::uint64_t day) {
  return std::move(row_out().raw(prefix).u32(static_cast<std::uint32_t>(day))).bytes();
}

std::uint64_t read_u64(const row_reader& rows, const std::string& key) {
  auto bytes = rows.get(key);
  if (!bytes) return 0;
  row_in in(*bytes);
  const std::uint64_t n = in.u64();
  return in.failed() ? 0 : n;
}

void bump(row_writer& rows, const std::string& key) { rows.put(key, row_out().u64(read_u64(rows, key) + 1).bytes()); }

// "origin:seq" -> "origin" (the whole text when it has no ':'), as views.
std::string origin_of_ref(const std::string& r) { return r.substr(0, r.rfind(':')); }

// The HLC a record key holds right after its scope prefix.
std::uint64_t hlc_at(std::string_view key, std::size_t at) {
  if (key.size() < at + 8) return 0;
  row_in in(key.substr(at, 8));
  return ~in.u64();
}

std::optional<audit::entry> decode(std::string_view bytes) {
  row_in in(bytes);
  audit::entry r;
  r.hlc = in.u64();
  r.device = in.str();
  in.u64();  // seq
  r.register_name = in.str();
  r.key = in.str();
  r.winner = in.str();
  r.loser = in.str();
  r.method = in.str();
  r.old_value = in.str();
  r.new_value = in.str();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

// Records of one scope (prefix) whose HLC lies in [lo, hi], newest first:
// fn(key, value) per row until it returns false.
void walk(const row_reader& rows, const std::string& prefix, std::uint64_t hlc_lo, std::uint64_t hlc_hi,
          const std::string& from, const row_visitor& fn) {
  const std::string start = std::move(row_out().raw(prefix).u64(newest_first(hlc_hi))).bytes();
  rows.scan(prefix, std::max(from, start), [&](std::string_view k, std::string_view v) {
    if (hlc_at(k, prefix.size()) < hlc_lo) return false;
    return fn(k, v);
  });
}

struct scope {
  std::string records;  // 'a' or 'i' str(device)
  std::string total;    // 'N' or 'K' str(device)
  std::string days;     // 'n' or 'k' str(device)
};

scope scope_of(const retail::audit_filter& f) {
  if (!f.device) return {prefix_of(record_prefix), prefix_of(total_prefix), prefix_of(day_count_prefix)};
  return {device_prefix_of(device_index_prefix, *f.device), device_prefix_of(device_total_prefix, *f.device),
          device_prefix_of(device_day_count_prefix, *f.device)};
}

std::size_t count_in(const row_reader& rows, const scope& s, std::uint64_t lo_ms, std::uint64_t hi_ms) {
  std::size_t n = 0;
  walk(rows, s.records, lo_ms << hlc_timestamp::logical_bits,
       (hi_ms << hlc_timestamp::logical_bits) | hlc_timestamp::logical_max, {},
       [&](std::string_view, std::string_view) {
         ++n;
         return true;
       });
  return n;
}

// Matching records in [lo_ms, hi_ms]: the day counts of the days inside the
// range, and the records themselves on the days the range cuts.
std::size_t count(const row_reader& rows, const scope& s, std::uint64_t lo_ms, std::uint64_t hi_ms, bool whole) {
  if (whole) return static_cast<std::size_t>(read_u64(rows, s.total));
  std::size_t n = 0;
  std::vector<std::uint64_t> cut;  // at most two days
  const std::uint64_t last_day = hi_ms / day_ms;
  rows.scan(s.days, day_key(s.days, lo_ms / day_ms), [&](std::string_view k, std::string_view v) {
    if (k.size() != s.days.size() + 4) return true;
    row_in kin(k.substr(s.days.size()));
    const std::uint64_t day = kin.u32();
    if (day > last_day) return false;
    const std::uint64_t first_ms = day * day_ms, end_ms = first_ms + day_ms - 1;
    if (first_ms >= lo_ms && end_ms <= hi_ms) {
      row_in vin(v);
      n += static_cast<std::size_t>(vin.u64());
    } else {
      cut.push_back(day);
    }
    return true;
  });
  for (std::uint64_t day : cut) {
    n += count_in(rows, s, std::max(lo_ms, day * day_ms), std::min(hi_ms, day * day_ms + day_ms - 1));
  }
  return n;
}

}  // namespace

const char* audit_projection::apply(const folded_event& fe, row_writer& rows, fold_context&) {
  const auto* p = std::get_if<conflict_resolved>(&fe.p);
  if (p == nullptr) return nullptr;
  const event& e = fe.ev;
  row_out suffix_out;
  suffix_out.u64(newest_first(e.hlc.packed()));
  descending(suffix_out, e.origin.value());
  suffix_out.u64(~e.seq.value());
  const std::string suffix = std::move(suffix_out).bytes();
  const std::string key = prefix_of(record_prefix) + suffix;
  if (rows.get(key)) return nullptr;  // applied already (the set never does this; counts stay counts)

  row_out o;
  o.u64(e.hlc.packed()).str(e.origin.value()).u64(e.seq.value());
  o.str(p->register_name).str(p->key).str(p->winner).str(p->loser).str(p->method).str(p->old_value).str(p->new_value);
  rows.put(key, std::move(o).bytes());

  const std::uint64_t day = e.hlc.wall_ms() / day_ms;
  bump(rows, prefix_of(total_prefix));
  bump(rows, day_key(prefix_of(day_count_prefix), day));
  std::vector<std::string> devices{e.origin.value(), origin_of_ref(p->winner), origin_of_ref(p->loser)};
  std::sort(devices.begin(), devices.end());
  devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
  for (const std::string& d : devices) {
    rows.put(device_prefix_of(device_index_prefix, d) + suffix, std::string{});
    bump(rows, device_prefix_of(device_total_prefix, d));
    bump(rows, day_key(device_prefix_of(device_day_count_prefix, d), day));
  }
  return nullptr;
}

namespace audit {

page<entry> list(const row_reader& rows, const retail::audit_filter& f, const page_request& req) {
  page<entry> out;
  if (f.op && *f.op != "conflict_resolution") return out;
  const std::uint64_t lo_ms = f.since_ms.value_or(0);
  const std::uint64_t hi_ms = std::min(f.until_ms.value_or(wall_ms_max), wall_ms_max);
  if (lo_ms > hi_ms) return out;  // (a since past every HLC too)
  const std::size_t limit = std::clamp<std::size_t>(req.limit, 1, page_limit_max);
  const scope s = scope_of(f);
  const std::string records = prefix_of(record_prefix);
  walk(rows, s.records, lo_ms << hlc_timestamp::logical_bits,
       (hi_ms << hlc_timestamp::logical_bits) | hlc_timestamp::logical_max, req.from,
       [&](std::string_view k, std::string_view v) {
         if (out.items.size() >= limit) {
           out.next = std::string(k);
           return false;
         }
         if (f.device) {
           // An index row: the record is 'a' + the same suffix.
           if (auto bytes = rows.get(records + std::string(k.substr(s.records.size())))) {
             if (auto r = decode(*bytes)) out.items.push_back(std::move(*r));
           }
         } else if (auto r = decode(v)) {
           out.items.push_back(std::move(*r));
         }
         return true;
       });
  out.total = count(rows, s, lo_ms, hi_ms, !f.since_ms && !f.until_ms);
  return out;
}

}  // namespace audit
}  // namespace sn::projections
