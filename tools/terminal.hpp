// Terminal conventions: colour only on a terminal (--no-color and NO_COLOR
// honoured, https://no-color.org), a progress bar on stderr only when stderr
// is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sn::tools {

enum class colour_mode { auto_detect, never, always };

/// ANSI styling that collapses to "" when colour is off.
class palette {
public:
  /// auto_detect: on when `stream` is a TTY and NO_COLOR is unset or empty.
  static palette for_stream(std::FILE* stream, colour_mode mode);
  bool enabled() const noexcept { return on_; }
  const char* bold() const noexcept { return on_ ? "\x1b[1m" : ""; }
  const char* dim() const noexcept { return on_ ? "\x1b[2m" : ""; }
  const char* red() const noexcept { return on_ ? "\x1b[31m" : ""; }
  const char* green() const noexcept { return on_ ? "\x1b[32m" : ""; }
  const char* yellow() const noexcept { return on_ ? "\x1b[33m" : ""; }
  const char* blue() const noexcept { return on_ ? "\x1b[34m" : ""; }
  const char* magenta() const noexcept { return on_ ? "\x1b[35m" : ""; }
  const char* cyan() const noexcept { return on_ ? "\x1b[36m" : ""; }
  const char* reset() const noexcept { return on_ ? "\x1b[0m" : ""; }
  /// Colour for an event type name, by aggregate (sale.* green, stock.* cyan, ...).
  const char* for_type(const std::string& type_name) const noexcept;

private:
  bool on_ = false;
};

/// True when `stream` is a terminal.
bool is_terminal(std::FILE* stream);

/// A one-line progress bar on stderr. Redraws at most every redraw_interval so
/// its cost is a clock read per `update` call; callers call update() once per
/// batch, not per event. Inactive (every call a no-op) when disabled.
class progress_bar {
public:
  static constexpr std::chrono::milliseconds redraw_interval{100};
  progress_bar(bool enabled, std::uint64_t total, std::string label);
  ~progress_bar();
  void update(std::uint64_t done);
  /// Clears the line (before printing results).
  void finish();

private:
  void draw(std::uint64_t done);
  bool enabled_;
  std::uint64_t total_;
  std::string label_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  bool drawn_ = false;
};

/// "1,234,567".
std::string group_thousands(std::uint64_t n);
/// "12.34" from cents (negative keeps its sign).
std::string format_cents(std::int64_t cents);

} // namespace sn::tools
