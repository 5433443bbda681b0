#include "actors/projections/key_text.hpp"

#include <cstdint>
#include <optional>

#include "events/civil_date.hpp"
#include "events/hlc.hpp"

namespace sn::projections {

namespace {

/// Reads key parts in the encodings of row_codec.hpp; any read past the end
/// or a missing terminator fails the whole parse.
class key_in {
 public:
  explicit key_in(std::string_view s) : s_(s) {}
  bool ok() const noexcept { return ok_; }
  bool done() const noexcept { return ok_ && p_ == s_.size(); }
  char kind() { return need(1) ? s_[p_++] : '\0'; }
  std::uint32_t u32() {
    std::uint32_t v = 0;
    if (!need(4)) return 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<std::uint8_t>(s_[p_++]);
    return v;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    if (!need(8)) return 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<std::uint8_t>(s_[p_++]);
    return v;
  }
  std::int32_t i32() { return static_cast<std::int32_t>(u32() ^ (std::uint32_t{1} << 31)); }
  /// A "\0"-terminated key part.
  std::string text() { return until('\0', false); }
  /// A descending key part: complemented bytes, then 0xff.
  std::string descending() { return until('\xff', true); }
  /// A u32-length-prefixed string (audit's device prefixes).
  std::string str() {
    const std::uint32_t n = u32();
    if (!need(n)) return {};
    std::string v(s_.substr(p_, n));
    p_ += n;
    return v;
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || s_.size() - p_ < n) ok_ = false;
    return ok_;
  }
  std::string until(char end, bool complement) {
    if (!ok_) return {};
    const auto at = s_.find(end, p_);
    if (at == std::string_view::npos) {
      ok_ = false;
      return {};
    }
    std::string v(s_.substr(p_, at - p_));
    if (complement) {
      for (char& c : v) c = static_cast<char>(~static_cast<unsigned char>(c));
    }
    p_ = at + 1;
    return v;
  }
  std::string_view s_;
  std::size_t p_ = 0;
  bool ok_ = true;
};

std::string day(std::int32_t d) { return format_day(d); }
std::string time_of(std::uint64_t hlc) { return hlc_timestamp(hlc).to_rfc3339(); }
/// An origin and a seq that sort newest first (~seq).
std::string ref(const std::string& origin, std::uint64_t not_seq) { return origin + ":" + std::to_string(~not_seq); }

/// The key when the parse consumed it exactly, else "".
std::string result(const key_in& in, std::string text) { return in.done() ? text : std::string(); }

std::string catalog_key(key_in& in) {
  switch (in.kind()) {
    case 'p': return result(in, "product " + in.text());
    case 'q': return result(in, "pending product " + in.text());
    case 'n': return result(in, "product count");
  }
  return {};
}

std::string inventory_key(key_in& in) {
  switch (in.kind()) {
    case 'i': return result(in, "item " + in.text());
    case 'l': return result(in, "low stock " + in.text());
    case 'r': return result(in, "sale lines " + in.text());
    case 'x': return result(in, "return " + in.text());
    case 'n': return result(in, "list totals");
  }
  return {};
}

/// A sales list scope: 'g' all, 'd' day, 'v' device, 'w' day and device,
/// 's' staff, 't' day and staff.
std::optional<std::string> sales_scope(key_in& in) {
  switch (in.kind()) {
    case 'g': return std::string("[all]");
    case 'd': return "[day " + day(in.i32()) + "]";
    case 'v': return "[device " + in.text() + "]";
    case 'w': {
      const std::string d = day(in.i32());
      return "[day " + d + " device " + in.text() + "]";
    }
    case 's': return "[staff " + in.text() + "]";
    case 't': {
      const std::string d = day(in.i32());
      return "[day " + d + " staff " + in.text() + "]";
    }
  }
  return std::nullopt;
}

std::string sales_key(key_in& in) {
  const char k = in.kind();
  switch (k) {
    case 'r': return result(in, "receipt " + in.text());
    case 'x': return result(in, "return " + in.text());
    case 'o': return result(in, "counters " + in.text());
    case 'l': case 'n': case 'p': {
      auto scope = sales_scope(in);
      if (!scope) return {};
      if (k == 'n') return result(in, "count" + *scope);
      if (k == 'p') return result(in, "by_product" + *scope + " " + in.text());
      const std::uint64_t hlc = ~in.u64();
      const std::string receipt = in.descending();
      return result(in, "list" + *scope + " " + time_of(hlc) + " " + receipt);
    }
  }
  return {};
}

std::string daily_key(key_in& in) {
  const char k = in.kind();
  switch (k) {
    case 'f': case 'c': {
      const std::string d = day(in.i32());
      return result(in, std::string(k == 'f' ? "figures " : "closure ") + d + " " + in.text());
    }
    case 'e': {
      const std::uint32_t r = in.u32();
      return result(in, "day rows " + day(static_cast<std::int32_t>(~r ^ (std::uint32_t{1} << 31))));
    }
    case 'm': return result(in, "newest day");
    case 'r': return result(in, "receipt " + in.text());
    case 'x': return result(in, "return " + in.text());
  }
  return {};
}

std::string devices_key(key_in& in) {
  switch (in.kind()) {
    case 'd': return result(in, "device " + in.text());
    case 'm': return result(in, "current master");
  }
  return {};
}

std::string elections_key(key_in& in) {
  switch (in.kind()) {
    case 'e': {
      const std::uint64_t term = ~in.u64();
      const std::uint64_t hlc = ~in.u64();
      const std::string origin = in.descending();
      const std::uint64_t not_seq = in.u64();
      return result(in, "election term " + std::to_string(term) + " " + time_of(hlc) + " " + ref(origin, not_seq));
    }
    case 'c': return result(in, "election count");
  }
  return {};
}

/// audit's record suffix: u64 ~hlc, desc(origin), u64 ~seq.
std::string audit_suffix(key_in& in) {
  const std::uint64_t hlc = ~in.u64();
  const std::string origin = in.descending();
  const std::uint64_t not_seq = in.u64();
  return time_of(hlc) + " " + ref(origin, not_seq);
}

std::string audit_key(key_in& in) {
  switch (in.kind()) {
    case 'a': return result(in, "record " + audit_suffix(in));
    case 'i': {
      const std::string device = in.str();
      return result(in, "record of " + device + " " + audit_suffix(in));
    }
    case 'N': return result(in, "record count");
    case 'n': return result(in, "record count " + day(static_cast<std::int32_t>(in.u32())));
    case 'K': return result(in, "record count of " + in.str());
    case 'k': {
      const std::string device = in.str();
      return result(in, "record count of " + device + " " + day(static_cast<std::int32_t>(in.u32())));
    }
  }
  return {};
}

}  // namespace

std::string key_text(std::string_view projection, std::string_view key) {
  if (key.empty() || key[0] == '\xff') return {};
  key_in in(key);
  if (projection == "catalog") return catalog_key(in);
  if (projection == "inventory") return inventory_key(in);
  if (projection == "sales") return sales_key(in);
  if (projection == "daily") return daily_key(in);
  if (projection == "devices") return devices_key(in);
  if (projection == "elections") return elections_key(in);
  if (projection == "audit") return audit_key(in);
  return {};
}

}  // namespace sn::projections
