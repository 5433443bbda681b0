#include "tools/terminal.hpp"

#include <unistd.h>

#include <cstdlib>

namespace sn::tools {

bool is_terminal(std::FILE* stream) { return ::isatty(::fileno(stream)) == 1; }

palette palette::for_stream(std::FILE* stream, colour_mode mode) {
  palette p;
  switch (mode) {
    case colour_mode::never: p.on_ = false; break;
    case colour_mode::always: p.on_ = true; break;
    case colour_mode::auto_detect: {
      const char* no_color = std::getenv("NO_COLOR");
      const bool suppressed = no_color != nullptr && no_color[0] != '\0';
      const char* term = std::getenv("TERM");
      const bool dumb = term != nullptr && std::string(term) == "dumb";
      p.on_ = !suppressed && !dumb && is_terminal(stream);
      break;
    }
  }
  return p;
}

const char* palette::for_type(const std::string& t) const noexcept {
  if (!on_) return "";
  if (t.rfind("sale.", 0) == 0 || t.rfind("day.", 0) == 0) return green();
  if (t.rfind("stock.", 0) == 0) return cyan();
  if (t.rfind("product.", 0) == 0 || t.rfind("price.", 0) == 0) return blue();
  if (t.rfind("master.", 0) == 0 || t.rfind("device.", 0) == 0) return magenta();
  if (t.rfind("conflict.", 0) == 0) return yellow();
  return dim();
}

progress_bar::progress_bar(bool enabled, std::uint64_t total, std::string label)
    : enabled_(enabled), total_(total), label_(std::move(label)), start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

progress_bar::~progress_bar() { finish(); }

void progress_bar::update(std::uint64_t done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < redraw_interval) return;
  last_draw_ = now;
  draw(done);
}

void progress_bar::draw(std::uint64_t done) {
  constexpr int width = 30;
  const double frac = total_ == 0 ? 1.0 : std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
  const int filled = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  std::fprintf(stderr, "\r%s [%s] %5.1f%% %s/%s  %.0f ev/s ", label_.c_str(), bar.c_str(), frac * 100.0,
               group_thousands(done).c_str(), group_thousands(total_).c_str(), rate);
  std::fflush(stderr);
  drawn_ = true;
}

void progress_bar::finish() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r\x1b[2K");
  std::fflush(stderr);
  drawn_ = false;
}

std::string group_thousands(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

std::string format_cents(std::int64_t cents) {
  const bool neg = cents < 0;
  const std::uint64_t a = neg ? static_cast<std::uint64_t>(-(cents + 1)) + 1 : static_cast<std::uint64_t>(cents);
  std::string frac = std::to_string(a % 100);
  if (frac.size() < 2) frac = "0" + frac;
  return (neg ? "-" : "") + std::to_string(a / 100) + "." + frac;
}

} // namespace sn::tools
