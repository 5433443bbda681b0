#include "actors/retail/command_codec.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cstdint>
#include <new>
#include <type_traits>

#include <sodium.h>

#include "actors/retail/errc.hpp"
#include "actors/retail/types.hpp"

namespace sn::retail {

namespace {

// ---- the one field list per type (wire order; append only) ----

template <class F> void fields(F& f, upsert_product& c) {
  f(c.sku); f(c.name); f(c.barcode); f(c.price_cents); f(c.tax_rate_bp); f(c.low_stock_threshold); f(c.active);
}
template <class F> void fields(F& f, change_price& c) { f(c.sku); f(c.price_cents); }
template <class F> void fields(F& f, deactivate_product& c) { f(c.sku); }
template <class F> void fields(F& f, receive_stock& c) { f(c.sku); f(c.qty); f(c.supplier_ref); }
template <class F> void fields(F& f, adjust_stock& c) { f(c.sku); f(c.delta); f(c.reason); f(c.note); }
template <class F> void fields(F& f, count_stock& c) { f(c.sku); f(c.counted_qty); }
template <class F> void fields(F& f, sale_line_input& c) { f(c.sku); f(c.qty); f(c.unit_price_cents); f(c.discount_cents); }
template <class F> void fields(F& f, payment_input& c) {
  f(c.method); f(c.amount_cents); f(c.brand); f(c.last4); f(c.auth_code); f(c.processor_ref);
}
template <class F> void fields(F& f, complete_sale& c) { f(c.lines); f(c.payments); }
template <class F> void fields(F& f, return_line_input& c) { f(c.sku); f(c.qty); }
template <class F> void fields(F& f, return_sale& c) { f(c.receipt); f(c.lines); f(c.method); }
template <class F> void fields(F& f, void_sale& c) { f(c.receipt); f(c.reason); }
template <class F> void fields(F& f, close_day& c) { f(c.day); }
template <class F> void fields(F& f, register_device& c) { f(c.device_id); f(c.name); f(c.priority); }
template <class F> void fields(F& f, update_device& c) { f(c.device_id); f(c.name); f(c.priority); f(c.active); }
template <class F> void fields(F& f, add_staff& c) { f(c.staff_id); f(c.name); f(c.role); f(c.pin_hash); }
template <class F> void fields(F& f, update_staff& c) { f(c.staff_id); f(c.name); f(c.role); f(c.active); f(c.pin_hash); }
template <class F> void fields(F& f, remove_staff& c) { f(c.staff_id); }

template <class F> void fields(F& f, product_row& r) {
  f(r.sku); f(r.name); f(r.barcode); f(r.price_cents); f(r.tax_rate_bp); f(r.low_stock_threshold); f(r.active);
  f(r.updated_at);
}
template <class F> void fields(F& f, sale_row_line& r) {
  f(r.sku); f(r.qty); f(r.unit_price_cents); f(r.discount_cents); f(r.tax_rate_bp); f(r.tax_cents); f(r.total_cents);
  f(r.returned_qty);
}
template <class F> void fields(F& f, sale_row_payment& r) { f(r.method); f(r.amount_cents); }
template <class F> void fields(F& f, sale_row_void& r) { f(r.reason); f(r.device); f(r.time); }
template <class F> void fields(F& f, sale_row_card& r) {
  f(r.brand); f(r.last4); f(r.auth_code); f(r.processor_ref); f(r.amount_cents);
}
template <class F> void fields(F& f, sale_row& r) {
  f(r.receipt); f(r.device); f(r.time); f(r.day); f(r.lines); f(r.gross_cents); f(r.discount_cents); f(r.tax_cents);
  f(r.total_cents); f(r.payments); f(r.change_cents); f(r.voided); f(r.refunded_cents); f(r.returns); f(r.void_info);
  f(r.cards);  // appended: records written before it hold 15 fields
}
template <class F> void fields(F& f, device_row& r) {
  f(r.device_id); f(r.name); f(r.priority); f(r.active); f(r.registered); f(r.master); f(r.last_event_time);
}
template <class F> void fields(F& f, upsert_product_result& r) { f(r.product); f(r.created); }
template <class F> void fields(F& f, change_price_result& r) { f(r.sku); f(r.price_cents); f(r.previous_price_cents); }
template <class F> void fields(F& f, deactivate_product_result& r) { f(r.product); }
template <class F> void fields(F& f, receive_stock_result& r) { f(r.sku); f(r.qty); f(r.supplier_ref); f(r.on_hand); }
template <class F> void fields(F& f, adjust_stock_result& r) {
  f(r.sku); f(r.delta); f(r.reason); f(r.note); f(r.on_hand);
}
template <class F> void fields(F& f, count_stock_result& r) {
  f(r.sku); f(r.counted_qty); f(r.expected_qty); f(r.adjustment); f(r.on_hand);
}
template <class F> void fields(F& f, complete_sale_result& r) { f(r.sale); f(r.paid_cents); }
template <class F> void fields(F& f, return_line_result& r) { f(r.sku); f(r.qty); f(r.refund_cents); f(r.tax_cents); }
template <class F> void fields(F& f, return_sale_result& r) {
  f(r.return_id); f(r.receipt); f(r.lines); f(r.refund_cents); f(r.method); f(r.day);
}
template <class F> void fields(F& f, void_sale_result& r) { f(r.receipt); f(r.reason); }
template <class F> void fields(F& f, method_amount& r) { f(r.method); f(r.amount_cents); }
template <class F> void fields(F& f, close_day_result& r) {
  f(r.day); f(r.device); f(r.gross_cents); f(r.discounts_cents); f(r.tax_cents); f(r.returns_cents); f(r.net_cents);
  f(r.by_method); f(r.transactions);
}
template <class F> void fields(F& f, register_device_result& r) { f(r.device); }
template <class F> void fields(F& f, update_device_result& r) { f(r.device); }
template <class F> void fields(F& f, staff_row& r) { f(r.staff_id); f(r.name); f(r.role); f(r.active); }
template <class F> void fields(F& f, add_staff_result& r) { f(r.staff); }
template <class F> void fields(F& f, update_staff_result& r) { f(r.staff); f(r.pin_changed); }
template <class F> void fields(F& f, remove_staff_result& r) { f(r.staff_id); }

template <class T> struct is_optional : std::false_type {};
template <class T> struct is_optional<std::optional<T>> : std::true_type {};
template <class T> struct is_vector : std::false_type {};
template <class T> struct is_vector<std::vector<T>> : std::true_type {};

struct counter {
  std::uint32_t n = 0;
  template <class T> void operator()(T&) { ++n; }
};
template <class S> std::uint32_t field_count() {
  counter c;
  S s{};
  fields(c, s);
  return c.n;
}
// The fewest fields a stored struct may hold: fields appended to a result
// after records were written read as their defaults from older records (a
// replay answers what the first run answered then). Every other struct: all.
template <class S> std::uint32_t fields_min() { return field_count<S>(); }
template <> std::uint32_t fields_min<sale_row>() { return 15; }

// ---- writer ----

struct string_writer {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};
using packer = msgpack::packer<string_writer>;

struct writer {
  packer& pk;

  void operator()(const std::string& v) {
    pk.pack_str(static_cast<std::uint32_t>(v.size()));
    pk.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
  }
  void operator()(const std::int64_t& v) { pk.pack_int64(v); }
  void operator()(const std::int32_t& v) { pk.pack_int64(v); }
  void operator()(const bool& v) { v ? pk.pack_true() : pk.pack_false(); }
  void operator()(const hlc_timestamp& v) { pk.pack_uint64(v.packed()); }
  template <class T> void operator()(const std::optional<T>& v) {
    if (v) {
      (*this)(*v);
    } else {
      pk.pack_nil();
    }
  }
  template <class T> void operator()(const std::vector<T>& v) {
    pk.pack_array(static_cast<std::uint32_t>(v.size()));
    for (const T& x : v) (*this)(x);
  }
  template <class S, std::enable_if_t<std::is_class_v<S>, int> = 0> void operator()(const S& s) {
    pk.pack_array(field_count<S>());
    // fields() takes non-const references (one list for reader and writer).
    fields(*this, const_cast<S&>(s));
  }
};

// ---- reader: exact shapes only ----

struct bad_shape {};

struct reader {
  const msgpack::object* at = nullptr;  // the value the next field reads

  static void need(bool ok) {
    if (!ok) throw bad_shape{};
  }
  void operator()(std::string& v) {
    need(at->type == msgpack::type::STR);
    v.assign(at->via.str.ptr, at->via.str.size);
  }
  void operator()(std::int64_t& v) {
    if (at->type == msgpack::type::POSITIVE_INTEGER) {
      need(at->via.u64 <= static_cast<std::uint64_t>(INT64_MAX));
      v = static_cast<std::int64_t>(at->via.u64);
    } else {
      need(at->type == msgpack::type::NEGATIVE_INTEGER);
      v = at->via.i64;
    }
  }
  void operator()(std::int32_t& v) {
    std::int64_t w = 0;
    (*this)(w);
    need(w >= INT32_MIN && w <= INT32_MAX);
    v = static_cast<std::int32_t>(w);
  }
  void operator()(bool& v) {
    need(at->type == msgpack::type::BOOLEAN);
    v = at->via.boolean;
  }
  void operator()(hlc_timestamp& v) {
    need(at->type == msgpack::type::POSITIVE_INTEGER);
    v = hlc_timestamp{at->via.u64};
  }
  template <class T> void operator()(std::optional<T>& v) {
    if (at->type == msgpack::type::NIL) {
      v.reset();
      return;
    }
    T x{};
    (*this)(x);
    v = std::move(x);
  }
  template <class T> void operator()(std::vector<T>& v) {
    need(at->type == msgpack::type::ARRAY);
    const msgpack::object_array arr = at->via.array;
    v.clear();
    v.reserve(arr.size);
    for (std::uint32_t i = 0; i < arr.size; ++i) {
      reader r{&arr.ptr[i]};
      T x{};
      r(x);
      v.push_back(std::move(x));
    }
  }
  template <class S, std::enable_if_t<std::is_class_v<S>, int> = 0> void operator()(S& s) {
    need(at->type == msgpack::type::ARRAY && at->via.array.size >= fields_min<S>() &&
         at->via.array.size <= field_count<S>());
    walker w{at->via.array.ptr, at->via.array.size};
    fields(w, s);
  }

  // Reads a struct's fields from consecutive array elements (the ones an
  // older record lacks keep their defaults).
  struct walker {
    const msgpack::object* next;
    std::uint32_t left;
    template <class T> void operator()(T& x) {
      if (left == 0) return;
      --left;
      reader r{next++};
      r(x);
    }
  };
};

constexpr std::size_t record_bytes_max = 1u << 20;  // a sale result is < 100 KiB
constexpr std::size_t depth_max = 8;

bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

// Unpacks exactly one value spanning `bytes` (limits proportional to the input).
bool unpack(msgpack::zone& zone, std::string_view bytes, msgpack::object& out) {
  if (bytes.size() > record_bytes_max) return false;
  const std::size_t n = bytes.size();
  const msgpack::unpack_limit limit(n, n / 2, n, n, 0, depth_max);
  try {
    std::size_t off = 0;
    bool referenced = false;
    out = msgpack::unpack(zone, bytes.data(), bytes.size(), off, referenced, &reference_all, nullptr, limit);
    return off == bytes.size();
  } catch (const std::bad_alloc&) {
    return false;
  } catch (const std::exception&) {
    return false;
  }
}

template <class Variant, std::size_t I = 0>
bool read_alternative(std::size_t index, const msgpack::object& o, Variant& out) {
  if constexpr (I < std::variant_size_v<Variant>) {
    if (index != I) return read_alternative<Variant, I + 1>(index, o, out);
    std::variant_alternative_t<I, Variant> value{};
    reader r{&o};
    r(value);
    out = std::move(value);
    return true;
  } else {
    return false;
  }
}

// [kind, fields...] of one alternative.
template <class Variant> void write_tagged(packer& pk, const Variant& v) {
  std::visit(
      [&](const auto& alt) {
        pk.pack_array(2);
        pk.pack_uint8(static_cast<std::uint8_t>(v.index()));
        writer{pk}(alt);
      },
      v);
}

template <class Variant> bool read_tagged(const msgpack::object& o, Variant& out) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 2) return false;
  const msgpack::object& kind = o.via.array.ptr[0];
  if (kind.type != msgpack::type::POSITIVE_INTEGER || kind.via.u64 >= std::variant_size_v<Variant>) return false;
  try {
    return read_alternative(static_cast<std::size_t>(kind.via.u64), o.via.array.ptr[1], out);
  } catch (const bad_shape&) {
    return false;
  }
}

template <class Variant> std::string encode_tagged(const Variant& v) {
  std::string out;
  string_writer w{&out};
  packer pk(w);
  write_tagged(pk, v);
  return out;
}

template <class Variant> expected<Variant> decode_tagged(std::string_view bytes, const char* what) {
  msgpack::zone zone;
  msgpack::object o;
  Variant v;
  if (!unpack(zone, bytes, o) || !read_tagged(o, v)) {
    return make_error(errc::invalid_record, std::string("bytes are not a ") + what + " of this build");
  }
  return v;
}

} // namespace

std::string encode_command(const command& c) { return encode_tagged(c); }
expected<command> decode_command(std::string_view bytes) { return decode_tagged<command>(bytes, "command"); }

hash256 fingerprint(const command& c) {
  // A staff command's PIN hash is salted afresh for every request, so a retry
  // would never match; and no bytes derived from a PIN belong in an
  // idempotency record. The fingerprint is of the command without it (a
  // retry is judged on the rest, and marks only whether a PIN was given).
  std::string bytes;
  if (const auto* a = std::get_if<add_staff>(&c)) {
    add_staff copy = *a;
    copy.pin_hash = copy.pin_hash.empty() ? "" : "pin";
    bytes = encode_command(command{copy});
  } else if (const auto* u = std::get_if<update_staff>(&c)) {
    update_staff copy = *u;
    copy.pin_hash = copy.pin_hash.empty() ? "" : "pin";
    bytes = encode_command(command{copy});
  } else {
    bytes = encode_command(c);
  }
  hash256 h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), nullptr,
                     0);
  return h;
}

std::string encode_result(const command_result& r) { return encode_tagged(r); }
expected<command_result> decode_result(std::string_view bytes) {
  return decode_tagged<command_result>(bytes, "command result");
}

std::string encode_record(const idempotency_record& r) {
  std::string out;
  string_writer w{&out};
  packer pk(w);
  pk.pack_array(5);
  pk.pack_uint64(idempotency_record_format);
  pk.pack_bin(static_cast<std::uint32_t>(r.fingerprint.size()));
  pk.pack_bin_body(reinterpret_cast<const char*>(r.fingerprint.data()), static_cast<std::uint32_t>(r.fingerprint.size()));
  write_tagged(pk, r.result);
  writer{pk}(r.staff_id);
  writer{pk}(r.approver_id);
  return out;
}

expected<idempotency_record> decode_record(std::string_view bytes) {
  msgpack::zone zone;
  msgpack::object o;
  idempotency_record r;
  // Format 1: [1, fingerprint, result]; format 2 adds staff_id, approver_id.
  const auto str_at = [&](std::uint32_t i, std::string& out) {
    const msgpack::object& x = o.via.array.ptr[i];
    if (x.type != msgpack::type::STR) return false;
    out.assign(x.via.str.ptr, x.via.str.size);
    return true;
  };
  const bool shape = unpack(zone, bytes, o) && o.type == msgpack::type::ARRAY && o.via.array.size >= 3 &&
                     o.via.array.ptr[0].type == msgpack::type::POSITIVE_INTEGER;
  const std::uint64_t format = shape ? o.via.array.ptr[0].via.u64 : 0;
  const bool ok = shape && ((format == 1 && o.via.array.size == 3) || (format == 2 && o.via.array.size == 5)) &&
                  o.via.array.ptr[1].type == msgpack::type::BIN && o.via.array.ptr[1].via.bin.size == r.fingerprint.size() &&
                  read_tagged(o.via.array.ptr[2], r.result) &&
                  (format == 1 || (str_at(3, r.staff_id) && str_at(4, r.approver_id)));
  if (!ok) return make_error(errc::invalid_record, "bytes are not an idempotency record of format 1 or 2");
  std::copy(o.via.array.ptr[1].via.bin.ptr, o.via.array.ptr[1].via.bin.ptr + r.fingerprint.size(),
            r.fingerprint.begin());
  return r;
}

record_format classify_record(std::string_view bytes) noexcept {
  if (bytes.empty()) return record_format::unknown;
  const auto first = static_cast<unsigned char>(bytes.front());
  if (first >= 0x90 && first <= 0x9f) return record_format::typed;  // fixarray
  if (first == '{') return record_format::legacy_json;
  return record_format::unknown;
}

} // namespace sn::retail
