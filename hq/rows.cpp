#include "hq/rows.hpp"

#include <cstring>

namespace sn::hq {

namespace {

class writer {
public:
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void u8(std::uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void str(std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out_.append(s);
  }
  void raw(const void* p, std::size_t n) { out_.append(static_cast<const char*>(p), n); }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

class reader {
public:
  explicit reader(std::string_view b) : b_(b) {}
  bool u64(std::uint64_t& v) {
    if (b_.size() - at_ < 8 || at_ > b_.size()) return fail();
    v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b_[at_ + i])) << (8 * i);
    at_ += 8;
    return true;
  }
  bool i64(std::int64_t& v) {
    std::uint64_t u = 0;
    if (!u64(u)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  bool u8(std::uint8_t& v) {
    if (at_ >= b_.size()) return fail();
    v = static_cast<std::uint8_t>(b_[at_++]);
    return true;
  }
  bool flag(bool& v) {
    std::uint8_t u = 0;
    if (!u8(u)) return false;
    v = u != 0;
    return true;
  }
  bool str(std::string& s) {
    if (b_.size() - at_ < 4) return fail();
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(b_[at_ + i])) << (8 * i);
    at_ += 4;
    if (b_.size() - at_ < n) return fail();
    s.assign(b_.substr(at_, n));
    at_ += n;
    return true;
  }
  bool raw(void* p, std::size_t n) {
    if (b_.size() - at_ < n) return fail();
    std::memcpy(p, b_.data() + at_, n);
    at_ += n;
    return true;
  }
  bool done() const { return ok_ && at_ == b_.size(); }

private:
  bool fail() {
    ok_ = false;
    return false;
  }
  std::string_view b_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

template <class T>
std::optional<T> finish(reader& r, T v) {
  if (!r.done()) return std::nullopt;
  return v;
}

} // namespace

std::string key(char family, std::initializer_list<std::string_view> parts) {
  std::string k(1, family);
  for (auto p : parts) {
    k.push_back('\0');
    k.append(p);
  }
  return k;
}

std::vector<std::string_view> key_parts(std::string_view key) {
  std::vector<std::string_view> out;
  if (key.size() < 2) return out;
  std::size_t at = 2;
  for (;;) {
    const auto nul = key.find('\0', at);
    out.push_back(key.substr(at, nul == std::string_view::npos ? std::string_view::npos : nul - at));
    if (nul == std::string_view::npos) break;
    at = nul + 1;
  }
  return out;
}

void figures::add(const figures& o) {
  gross += o.gross;
  discounts += o.discounts;
  tax += o.tax;
  returns += o.returns;
  returns_tax += o.returns_tax;
  for (std::size_t m = 0; m < by_method.size(); ++m) by_method[m] += o.by_method[m];
  transactions += o.transactions;
  return_count += o.return_count;
  voids += o.voids;
}

std::string encode(const head_row& r) {
  writer w;
  w.u64(r.seq);
  w.raw(r.hash.data(), r.hash.size());
  return w.take();
}
std::optional<head_row> decode_head(std::string_view b) {
  reader r(b);
  head_row v;
  r.u64(v.seq);
  r.raw(v.hash.data(), v.hash.size());
  return finish(r, v);
}

std::string encode(const store_row& r) {
  writer w;
  w.u64(r.events);
  w.u64(r.refused);
  w.u64(r.duplicates);
  return w.take();
}
std::optional<store_row> decode_store(std::string_view b) {
  reader r(b);
  store_row v;
  r.u64(v.events);
  r.u64(v.refused);
  r.u64(v.duplicates);
  return finish(r, v);
}

std::string encode(const figures& f) {
  writer w;
  for (auto v : {f.gross, f.discounts, f.tax, f.returns, f.returns_tax, f.by_method[0], f.by_method[1], f.by_method[2],
                 f.transactions, f.return_count, f.voids}) {
    w.i64(v);
  }
  return w.take();
}
std::optional<figures> decode_figures(std::string_view b) {
  reader r(b);
  figures f;
  for (auto* v : {&f.gross, &f.discounts, &f.tax, &f.returns, &f.returns_tax, &f.by_method[0], &f.by_method[1],
                  &f.by_method[2], &f.transactions, &f.return_count, &f.voids}) {
    r.i64(*v);
  }
  return finish(r, f);
}

std::string encode(const sale_row& s) {
  writer w;
  w.u8(s.present);
  w.u8(s.voided);
  w.str(s.day);
  w.str(s.origin);
  for (auto v : {s.gross, s.discount, s.tax, s.change, s.paid[0], s.paid[1], s.paid[2]}) w.i64(v);
  w.u64(s.lines.size());
  for (const auto& [sku, qty] : s.lines) {
    w.str(sku);
    w.i64(qty);
  }
  return w.take();
}
std::optional<sale_row> decode_sale(std::string_view b) {
  reader r(b);
  sale_row s;
  r.flag(s.present);
  r.flag(s.voided);
  r.str(s.day);
  r.str(s.origin);
  for (auto* v : {&s.gross, &s.discount, &s.tax, &s.change, &s.paid[0], &s.paid[1], &s.paid[2]}) r.i64(*v);
  std::uint64_t n = 0;
  if (!r.u64(n) || n > b.size()) return std::nullopt;
  for (std::uint64_t i = 0; i < n; ++i) {
    std::string sku;
    std::int64_t qty = 0;
    if (!r.str(sku) || !r.i64(qty)) return std::nullopt;
    s.lines.emplace_back(std::move(sku), qty);
  }
  return finish(r, s);
}

std::string encode(const device_row& d) {
  writer w;
  w.str(d.name);
  w.i64(d.priority);
  w.u8(d.active);
  w.u8(d.registered);
  w.u64(d.stamp_hlc);
  w.str(d.stamp_origin);
  w.u64(d.last_event_hlc);
  return w.take();
}
std::optional<device_row> decode_device(std::string_view b) {
  reader r(b);
  device_row d;
  r.str(d.name);
  r.i64(d.priority);
  r.flag(d.active);
  r.flag(d.registered);
  r.u64(d.stamp_hlc);
  r.str(d.stamp_origin);
  r.u64(d.last_event_hlc);
  return finish(r, d);
}

std::string encode(const master_row& m) {
  writer w;
  w.u64(m.term);
  w.str(m.device);
  w.str(m.reason);
  w.u64(m.hlc);
  return w.take();
}
std::optional<master_row> decode_master(std::string_view b) {
  reader r(b);
  master_row m;
  r.u64(m.term);
  r.str(m.device);
  r.str(m.reason);
  r.u64(m.hlc);
  return finish(r, m);
}

std::string encode_i64(std::int64_t v) {
  writer w;
  w.i64(v);
  return w.take();
}
std::optional<std::int64_t> decode_i64(std::string_view b) {
  reader r(b);
  std::int64_t v = 0;
  r.i64(v);
  return finish(r, v);
}

} // namespace sn::hq
