#include "actors/sync/sync_journal.hpp"

#include <charconv>
#include <vector>

namespace sn::sync {
namespace {

constexpr std::string_view journal_version = "sync-journal 1";

std::string clean_text(std::string s) {
  for (char& c : s) {
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

bool number(std::string_view s, std::uint64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

void sync_journal::add(journal_row r) {
  r.peer = clean_text(std::move(r.peer));
  r.error = clean_text(std::move(r.error));
  while (rows_.size() >= rows_max_) rows_.pop_front();
  rows_.push_back(std::move(r));
  dirty_ = urgent_ = true;
}

void sync_journal::set_state(const journal_state& s) {
  if (s.last_sync_ms == state_.last_sync_ms && s.last_error == state_.last_error &&
      s.last_error_ms == state_.last_error_ms) {
    return;
  }
  const std::string error = clean_text(s.last_error);
  if (error != state_.last_error || s.last_error_ms != state_.last_error_ms) urgent_ = true;
  state_ = s;
  state_.last_error = error;
  dirty_ = true;
}

std::string sync_journal::encode() const {
  std::string out(journal_version);
  out += '\n';
  out += std::to_string(state_.last_sync_ms) + '\t' + std::to_string(state_.last_error_ms) + '\t' + state_.last_error +
         '\n';
  for (const auto& r : rows_) {
    out += std::to_string(r.time_ms) + '\t' + r.peer + '\t' + r.operation + '\t' + std::to_string(r.count) + '\t' +
           (r.ok ? "ok" : "failed") + '\t' + r.error + '\n';
  }
  return out;
}

bool sync_journal::decode(std::string_view text) {
  auto lines = split(text, '\n');
  if (lines.size() < 2 || lines[0] != journal_version) return false;
  journal_state st;
  auto head = split(lines[1], '\t');
  if (head.size() != 3 || !number(head[0], st.last_sync_ms) || !number(head[1], st.last_error_ms)) return false;
  st.last_error = std::string(head[2]);
  std::deque<journal_row> rows;
  for (std::size_t i = 2; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    auto f = split(lines[i], '\t');
    journal_row r;
    if (f.size() != 6 || !number(f[0], r.time_ms) || !number(f[3], r.count) || (f[4] != "ok" && f[4] != "failed")) {
      return false;
    }
    r.peer = std::string(f[1]);
    r.operation = std::string(f[2]);
    r.ok = f[4] == "ok";
    r.error = std::string(f[5]);
    rows.push_back(std::move(r));
  }
  while (rows.size() > rows_max_) rows.pop_front();
  rows_ = std::move(rows);
  state_ = st;
  dirty_ = false;
  return true;
}

}  // namespace sn::sync
