// Byte layouts of projection rows: keys that sort the way queries walk them
// and values every node encodes identically (the digest hashes these bytes).
//
// Integers are fixed-width big-endian (so keys sort numerically; signed
// values in keys are offset by 2^63 first), strings are u32-length-prefixed
// in values and "\0"-terminated in keys (device ids, skus and receipts never
// hold "\0"; the command edge refuses them). newest_first() turns an HLC into
// a key part that sorts newest first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sn::projections {

class row_out {
 public:
  row_out& u8(std::uint8_t v) {
    s_.push_back(static_cast<char>(v));
    return *this;
  }
  row_out& u32(std::uint32_t v) {
    for (int i = 3; i >= 0; --i) s_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  row_out& u64(std::uint64_t v) {
    for (int i = 7; i >= 0; --i) s_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  row_out& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63)); }
  row_out& i32(std::int32_t v) { return u32(static_cast<std::uint32_t>(v) ^ (std::uint32_t{1} << 31)); }
  row_out& boolean(bool v) { return u8(v ? 1 : 0); }
  /// A value string: u32 length + bytes.
  row_out& str(std::string_view v) {
    u32(static_cast<std::uint32_t>(v.size()));
    s_.append(v.data(), v.size());
    return *this;
  }
  /// A key part: bytes + "\0" (sorts by the string, then by what follows).
  row_out& key(std::string_view v) {
    s_.append(v.data(), v.size());
    s_.push_back('\0');
    return *this;
  }
  row_out& raw(std::string_view v) {
    s_.append(v.data(), v.size());
    return *this;
  }
  const std::string& bytes() const& noexcept { return s_; }
  std::string bytes() && noexcept { return std::move(s_); }

 private:
  std::string s_;
};

/// Reads what row_out wrote. A read past the end sets failed() and returns 0 /
/// "" (rows are written by this code only, so failure means corruption; the
/// caller treats the row as absent and the projection set counts it).
class row_in {
 public:
  explicit row_in(std::string_view s) : s_(s) {}
  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(s_[p_++]);
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s_[p_++]);
    return v;
  }
  std::uint64_t u64() {
    if (!need(8)) return 0;
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(s_[p_++]);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64() ^ (std::uint64_t{1} << 63)); }
  std::int32_t i32() { return static_cast<std::int32_t>(u32() ^ (std::uint32_t{1} << 31)); }
  bool boolean() { return u8() != 0; }
  std::string str() {
    const std::uint32_t n = u32();
    if (!need(n)) return {};
    std::string v(s_.substr(p_, n));
    p_ += n;
    return v;
  }
  std::string key() {
    const auto end = s_.find('\0', p_);
    if (end == std::string_view::npos) {
      failed_ = true;
      return {};
    }
    std::string v(s_.substr(p_, end - p_));
    p_ = end + 1;
    return v;
  }
  bool failed() const noexcept { return failed_; }
  bool at_end() const noexcept { return p_ == s_.size(); }

 private:
  bool need(std::size_t n) {
    if (failed_ || s_.size() - p_ < n) {
      failed_ = true;
      return false;
    }
    return true;
  }
  std::string_view s_;
  std::size_t p_ = 0;
  bool failed_ = false;
};

/// An HLC as a key part that sorts newest first.
inline std::uint64_t newest_first(std::uint64_t hlc) noexcept { return ~hlc; }

/// The smallest key after every key that starts with `prefix`
/// ("" when there is none: the prefix is all 0xff).
inline std::string prefix_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = reinterpret_cast<unsigned char&>(prefix.back());
    if (c != 0xff) {
      ++c;
      return prefix;
    }
    prefix.pop_back();
  }
  return prefix;
}

/// Opaque list cursors: the hex of the next row's key (paging resumes there).
std::string encode_cursor(std::string_view key);
/// nullopt when `cursor` is not one encode_cursor() made.
std::optional<std::string> decode_cursor(std::string_view cursor);

} // namespace sn::projections
