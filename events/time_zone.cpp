#include "events/time_zone.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "events/civil_date.hpp"
#include "events/errc.hpp"

namespace sn {
namespace detail {

// One end of daylight saving time in a POSIX TZ rule (POSIX.1-2017 §8.3,
// with the RFC 8536 §3.3.1 extension of rule times to -167..167 hours).
struct rule_date {
  enum class kind : std::uint8_t { julian_no_leap, zero_based, month_week_day };
  kind k = kind::month_week_day;
  int day = 0;    ///< Jn: 1..365 (Feb 29 never counted); n: 0..365; Mm.w.d: weekday 0..6 (Sunday 0)
  int month = 0;  ///< Mm.w.d: 1..12
  int week = 0;   ///< Mm.w.d: 1..5 (5 = the last such weekday of the month)
  std::int32_t time_seconds = 2 * 3600;  ///< local time of the change on that day
};

struct posix_rule {
  std::int32_t std_offset = 0;  ///< seconds east of UTC
  std::int32_t dst_offset = 0;
  bool has_dst = false;
  rule_date start;  ///< given in standard time
  rule_date end;    ///< given in daylight saving time
};

}  // namespace detail

struct time_zone::rules {
  std::string name;
  std::vector<std::int64_t> times;           ///< transition instants (UTC seconds), strictly ascending
  std::vector<std::int32_t> offsets;         ///< offset in force from times[i] on
  std::int32_t initial = 0;                  ///< offset before the first transition (TZif time type 0)
  std::optional<detail::posix_rule> footer;  ///< after the last transition; all instants when there is none
};

namespace {

using detail::posix_rule;
using detail::rule_date;
using events::errc;
using events::make_error;

constexpr std::int64_t seconds_per_day = 86400;
constexpr std::int64_t ms_per_day = seconds_per_day * 1000;
constexpr std::int32_t posix_offset_hours_max = 24;  ///< POSIX: the std/dst offsets
constexpr std::int32_t rule_time_hours_max = 167;    ///< RFC 8536 §3.3.1: rule times

constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// ------------------------------------------------------------ POSIX TZ rule

class posix_parser {
 public:
  explicit posix_parser(std::string_view s) : s_(s) {}

  expected<posix_rule> parse() {
    posix_rule r;
    if (!name()) return fail("expected a zone abbreviation of 3+ letters or <...>");
    std::int32_t west = 0;
    if (!hms(west, posix_offset_hours_max, true)) return fail("expected a UTC offset [+-]hh[:mm[:ss]]");
    r.std_offset = -west;  // POSIX offsets count west of Greenwich
    if (done()) return r;
    if (!name()) return fail("expected a daylight saving abbreviation");
    r.has_dst = true;
    r.dst_offset = r.std_offset + 3600;
    if (!done() && peek() != ',') {
      if (!hms(west, posix_offset_hours_max, true)) return fail("expected the daylight saving UTC offset");
      r.dst_offset = -west;
    }
    if (done()) return fail("daylight saving without a rule (,start[/time],end[/time])");
    if (!eat(',') || !date(r.start) || !eat(',') || !date(r.end)) {
      return fail("expected the rule ,start[/time],end[/time] with dates Jn, n or Mm.w.d");
    }
    if (!done()) return fail("unexpected text after the rule");
    return r;
  }

 private:
  sn::error fail(const char* what) const {
    return make_error(errc::invalid_time_zone,
                      "TZ rule \"" + std::string(s_) + "\" at offset " + std::to_string(i_) + ": " + what);
  }
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }
  static bool alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
  static bool digit(char c) { return c >= '0' && c <= '9'; }

  // An abbreviation: 3+ letters, or <...> of 3+ letters, digits, '+' or '-'.
  bool name() {
    std::size_t n = 0;
    if (eat('<')) {
      while (!done() && peek() != '>') {
        const char c = peek();
        if (!alpha(c) && !digit(c) && c != '+' && c != '-') return false;
        ++i_;
        ++n;
      }
      return eat('>') && n >= 3;
    }
    while (alpha(peek())) {
      ++i_;
      ++n;
    }
    return n >= 3;
  }

  // An unsigned number of at most `digits_max` digits.
  bool number(int& out, int digits_max) {
    int n = 0;
    out = 0;
    while (digit(peek()) && n < digits_max) {
      out = out * 10 + (peek() - '0');
      ++i_;
      ++n;
    }
    return n > 0 && !digit(peek());
  }

  // [+-]h[h[h]][:mm[:ss]] in seconds.
  bool hms(std::int32_t& out, int hours_max, bool signed_ok) {
    int sign = 1;
    if (signed_ok && (peek() == '+' || peek() == '-')) sign = s_[i_++] == '-' ? -1 : 1;
    int h = 0, m = 0, sec = 0;
    if (!number(h, 3) || h > hours_max) return false;
    if (eat(':')) {
      if (!number(m, 2) || m > 59) return false;
      if (eat(':') && (!number(sec, 2) || sec > 59)) return false;
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }

  bool date(rule_date& d) {
    if (eat('J')) {
      d.k = rule_date::kind::julian_no_leap;
      if (!number(d.day, 3) || d.day < 1 || d.day > 365) return false;
    } else if (eat('M')) {
      d.k = rule_date::kind::month_week_day;
      if (!number(d.month, 2) || d.month < 1 || d.month > 12 || !eat('.')) return false;
      if (!number(d.week, 1) || d.week < 1 || d.week > 5 || !eat('.')) return false;
      if (!number(d.day, 1) || d.day > 6) return false;
    } else {
      d.k = rule_date::kind::zero_based;
      if (!number(d.day, 3) || d.day > 365) return false;
    }
    if (eat('/')) return hms(d.time_seconds, rule_time_hours_max, true);
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// The day number of a rule date in year y.
std::int64_t rule_day(const rule_date& d, std::int64_t y) noexcept {
  const std::int64_t jan1 = days_from_civil(y, 1, 1);
  switch (d.k) {
    case rule_date::kind::julian_no_leap:
      return jan1 + d.day - 1 + (is_leap_year(y) && d.day >= 60 ? 1 : 0);
    case rule_date::kind::zero_based:
      return jan1 + d.day;
    case rule_date::kind::month_week_day:
      break;
  }
  const auto m = static_cast<unsigned>(d.month);
  const std::int64_t first = days_from_civil(y, m, 1);
  const std::int64_t next = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
  std::int64_t day = first + (d.day - static_cast<int>(weekday_from_days(first)) + 7) % 7 + 7 * (d.week - 1);
  while (day >= next) day -= 7;  // week 5: the last one of the month
  return day;
}

std::int32_t posix_offset(const posix_rule& r, std::int64_t t) noexcept {
  if (!r.has_dst) return r.std_offset;
  // The changes of the years around t, in order; the newest at or before t
  // decides. Four years cover rules whose times run days past a year's end
  // (up to 167 h) and year-round daylight saving ("0/0,J365/25").
  struct change {
    std::int64_t at;
    bool to_dst;
  };
  std::array<change, 8> changes{};
  const std::int64_t y = civil_from_days(floor_div(t, seconds_per_day)).year;
  std::size_t n = 0;
  for (std::int64_t yy = y - 2; yy <= y + 1; ++yy) {
    changes[n++] = {rule_day(r.start, yy) * seconds_per_day + r.start.time_seconds - r.std_offset, true};
    changes[n++] = {rule_day(r.end, yy) * seconds_per_day + r.end.time_seconds - r.dst_offset, false};
  }
  // At equal instants the end sorts first, so year-round DST stays on.
  std::sort(changes.begin(), changes.end(),
            [](const change& a, const change& b) { return a.at != b.at ? a.at < b.at : a.to_dst < b.to_dst; });
  bool dst = false;
  for (const change& c : changes) {
    if (c.at > t) break;
    dst = c.to_dst;
  }
  return dst ? r.dst_offset : r.std_offset;
}

// ------------------------------------------------------------ TZif

// Big-endian reads over the file's bytes; every read is bounds-checked by
// the caller through has().
struct tzif_reader {
  std::string_view b;
  std::size_t pos = 0;

  bool has(std::uint64_t n) const { return n <= b.size() - pos; }
  std::uint8_t u8() { return static_cast<std::uint8_t>(b[pos++]); }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | u8();
    return v;
  }
  std::int64_t i64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
    return static_cast<std::int64_t>(v);
  }
};

struct tzif_counts {
  std::uint32_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
};

bool read_header(tzif_reader& r, char& version, tzif_counts& c) {
  if (!r.has(44) || r.b.substr(r.pos, 4) != "TZif") return false;
  r.pos += 4;
  version = static_cast<char>(r.u8());
  r.pos += 15;
  c.isut = r.u32();
  c.isstd = r.u32();
  c.leap = r.u32();
  c.time = r.u32();
  c.type = r.u32();
  c.chars = r.u32();
  return true;
}

std::uint64_t block_bytes(const tzif_counts& c, std::uint64_t time_size) {
  return std::uint64_t{c.time} * time_size + c.time + std::uint64_t{c.type} * 6 + c.chars +
         std::uint64_t{c.leap} * (time_size + 4) + c.isstd + c.isut;
}

// "05" for 5 (0 <= v < 100).
std::string two_digits(std::int32_t v) {
  return std::string{static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
}

}  // namespace

time_zone::time_zone() : rules_(std::make_shared<rules>(rules{"UTC", {}, {}, 0, std::nullopt})) {}

time_zone time_zone::fixed(std::int32_t offset_minutes) {
  if (offset_minutes == 0) return time_zone{};
  const std::int32_t a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  std::string name =
      std::string("UTC") + (offset_minutes < 0 ? "-" : "+") + two_digits(a / 60) + ":" + two_digits(a % 60);
  return time_zone{std::make_shared<rules>(rules{std::move(name), {}, {}, offset_minutes * 60, std::nullopt})};
}

expected<time_zone> time_zone::from_posix(std::string name, std::string_view rule) {
  auto r = posix_parser(rule).parse();
  if (!r) return r.error();
  return time_zone{std::make_shared<rules>(rules{std::move(name), {}, {}, r->std_offset, *r})};
}

expected<time_zone> time_zone::from_tzif(std::string name, std::string_view bytes) {
  auto bad = [&name](const std::string& what) {
    return make_error(errc::invalid_time_zone, "time zone " + name + ": " + what);
  };
  if (bytes.size() > tzif_bytes_max) return bad("TZif data of " + std::to_string(bytes.size()) + " bytes is too large");
  tzif_reader r{bytes};
  char version = 0;
  tzif_counts c;
  if (!read_header(r, version, c)) return bad("not a TZif file");
  if (version == '\0' || version == '1') {
    return bad("TZif version 1 (32-bit times only) is not supported; version 2 or later is");
  }
  // Skip the version 1 block: version 2+ repeats everything with 64-bit times.
  const std::uint64_t v1 = block_bytes(c, 4);
  if (!r.has(v1)) return bad("TZif data is truncated");
  r.pos += static_cast<std::size_t>(v1);
  char version2 = 0;
  if (!read_header(r, version2, c)) return bad("TZif version 2 header is missing");
  if (c.leap != 0) return bad("leap-second (\"right/\") time zones are not supported");
  if (c.type == 0 || c.type > 256 || c.chars == 0) return bad("TZif data has no local time types");
  if ((c.isut != 0 && c.isut != c.type) || (c.isstd != 0 && c.isstd != c.type)) return bad("TZif counts disagree");
  if (c.time > tzif_transitions_max) return bad("TZif data has too many transitions");
  if (!r.has(block_bytes(c, 8))) return bad("TZif data is truncated");

  std::vector<std::int64_t> times(c.time);
  for (auto& t : times) t = r.i64();
  std::vector<std::uint8_t> index(c.time);
  for (auto& i : index) i = r.u8();
  std::vector<std::int32_t> type_offset(c.type);
  for (auto& off : type_offset) {
    off = static_cast<std::int32_t>(r.u32());
    const std::uint8_t is_dst = r.u8();
    const std::uint8_t desig = r.u8();
    if (off < utc_offset_seconds_min || off > utc_offset_seconds_max) return bad("TZif offset out of range");
    if (is_dst > 1 || desig >= c.chars) return bad("TZif local time type is malformed");
  }
  r.pos += std::size_t{c.chars} + c.isstd + c.isut;  // abbreviations and indicators: not needed for offsets

  auto z = std::make_shared<rules>();
  z->name = std::move(name);
  z->initial = type_offset[0];  // RFC 8536 §3.2: before the first transition, type 0
  z->times = std::move(times);
  z->offsets.reserve(c.time);
  for (std::size_t i = 0; i < z->times.size(); ++i) {
    if (index[i] >= c.type) return bad("TZif transition names an unknown local time type");
    if (i > 0 && z->times[i] <= z->times[i - 1]) return bad("TZif transitions are not in ascending order");
    z->offsets.push_back(type_offset[index[i]]);
  }
  // The footer: "\n<POSIX TZ rule or nothing>\n", and then the end.
  const std::string_view rest = bytes.substr(r.pos);
  if (rest.size() < 2 || rest.front() != '\n' || rest.back() != '\n' ||
      rest.substr(1, rest.size() - 2).find('\n') != std::string_view::npos) {
    return bad("TZif footer is malformed");
  }
  const std::string_view footer = rest.substr(1, rest.size() - 2);
  if (!footer.empty()) {
    auto rule = posix_parser(footer).parse();
    if (!rule) return bad("TZif footer: " + rule.error().message);
    z->footer = *rule;
  }
  return time_zone{std::move(z)};
}

const std::string& time_zone::name() const noexcept { return rules_->name; }

std::int32_t time_zone::offset_seconds(std::int64_t t) const noexcept {
  const rules& z = *rules_;
  if (z.times.empty()) return z.footer ? posix_offset(*z.footer, t) : z.initial;
  if (t < z.times.front()) return z.initial;
  const auto i = static_cast<std::size_t>(std::upper_bound(z.times.begin(), z.times.end(), t) - z.times.begin()) - 1;
  if (i + 1 == z.times.size() && z.footer) return posix_offset(*z.footer, t);
  return z.offsets[i];
}

std::int64_t time_zone::to_local_ms(std::int64_t utc_ms) const noexcept {
  return utc_ms + std::int64_t{offset_seconds(floor_div(utc_ms, 1000))} * 1000;
}

std::int64_t time_zone::local_day(std::int64_t utc_ms) const noexcept {
  return floor_div(to_local_ms(utc_ms), ms_per_day);
}

std::optional<std::int32_t> time_zone::fixed_offset_minutes() const noexcept {
  const rules& z = *rules_;
  if (!z.times.empty() || (z.footer && z.footer->has_dst)) return std::nullopt;
  const std::int32_t off = z.footer ? z.footer->std_offset : z.initial;
  if (off % 60 != 0) return std::nullopt;
  return off / 60;
}

bool valid_time_zone_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > time_zone_name_length_max) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t slash = name.find('/', start);
    const std::string_view part =
        name.substr(start, slash == std::string_view::npos ? name.size() - start : slash - start);
    if (part.empty() || part == "." || part == ".." || part.front() == '-') return false;
    for (char c : part) {
      const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '+' || c == '-';
      if (!ok) return false;
    }
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace sn
