#include "events/time_text.hpp"

#include "events/civil_date.hpp"

namespace sn {
namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

std::optional<std::uint64_t> parse_relative(std::string_view s, std::uint64_t now_ms) {
  // s is what follows the '-': one or more <number><unit>.
  if (s.empty()) return std::nullopt;
  std::uint64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::uint64_t n = 0;
    std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (n > (std::uint64_t{1} << 40)) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;
    std::uint64_t unit = 0;
    if (s.substr(i, 2) == "ms") {
      unit = 1;
      i += 2;
    } else if (i < s.size()) {
      switch (s[i]) {
        case 's':
          unit = 1000;
          break;
        case 'm':
          unit = 60'000;
          break;
        case 'h':
          unit = 3'600'000;
          break;
        case 'd':
          unit = 86'400'000;
          break;
        case 'w':
          unit = 7 * 86'400'000ull;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    } else {
      return std::nullopt;
    }
    total += n * unit;
  }
  if (total > now_ms) return std::nullopt;
  return now_ms - total;
}

}  // namespace

std::optional<std::uint64_t> parse_time_text(std::string_view text, std::uint64_t now_ms) {
  if (text == "now") return now_ms;
  if (!text.empty() && text[0] == '-') return parse_relative(text.substr(1), now_ms);
  int year = 0, month = 0, day = 0;
  if (!digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, month) || text[7] != '-' ||
      !digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || year < 1970) return std::nullopt;
  std::int64_t ms = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86'400'000;
  if (text.size() == 10) return static_cast<std::uint64_t>(ms);
  const char sep = text[10];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  int hh = 0, mi = 0, ss = 0;
  if (!digits(text, 11, 2, hh) || text.size() < 19 || text[13] != ':' || !digits(text, 14, 2, mi) || text[16] != ':' ||
      !digits(text, 17, 2, ss)) {
    return std::nullopt;
  }
  if (hh > 23 || mi > 59 || ss > 60) return std::nullopt;
  ms += (hh * 3600 + mi * 60 + ss) * 1000ll;
  std::size_t i = 19;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int scale = 100, frac = 0;
    std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      frac += (text[i] - '0') * scale;  // digits past ms are dropped
      scale /= 10;
      ++i;
    }
    if (i == start) return std::nullopt;
    ms += frac;
  }
  if (i >= text.size()) return std::nullopt;  // RFC 3339 needs an offset
  if (text[i] == 'Z' || text[i] == 'z') {
    if (i + 1 != text.size()) return std::nullopt;
  } else if (text[i] == '+' || text[i] == '-') {
    int oh = 0, om = 0;
    if (text.size() != i + 6 || !digits(text, i + 1, 2, oh) || text[i + 3] != ':' || !digits(text, i + 4, 2, om) ||
        oh > 23 || om > 59) {
      return std::nullopt;
    }
    const std::int64_t offset = (oh * 60 + om) * 60'000ll;
    ms += text[i] == '+' ? -offset : offset;
  } else {
    return std::nullopt;
  }
  if (ms < 0) return std::nullopt;
  return static_cast<std::uint64_t>(ms);
}

}  // namespace sn
