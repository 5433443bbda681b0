#include "events/payload_codec.hpp"

#include <limits>
#include <type_traits>
#include <vector>

#include "events/codec.hpp"
#include "events/errc.hpp"
#include "events/msgpack_util.hpp"
#include "events/payload_fields.hpp"

namespace sn {
namespace {

using events::errc;
using events::make_error;

template <class T> struct is_vector : std::false_type {};
template <class T> struct is_vector<std::vector<T>> : std::true_type {};

struct field_counter {
  std::uint32_t n = 0;
  template <class T> void operator()(const char*, T&) { ++n; }
};

template <class P> std::uint32_t field_count() {
  field_counter c;
  P p{};
  detail::fields(c, p);
  return c.n;
}

// Packs each field in shortest form (msgpack-c's packer picks the smallest
// encoding of every integer and header).
struct field_writer {
  detail::string_packer& pk;

  void operator()(const char*, std::string& v) {
    pk.pack_str(static_cast<std::uint32_t>(v.size()));
    pk.pack_str_body(v.data(), static_cast<std::uint32_t>(v.size()));
  }
  void operator()(const char*, std::int64_t& v) { pk.pack_int64(v); }
  void operator()(const char*, std::int32_t& v) { pk.pack_int64(v); }
  void operator()(const char*, std::uint64_t& v) { pk.pack_uint64(v); }
  void operator()(const char*, bool& v) { v ? pk.pack_true() : pk.pack_false(); }
  template <class S> void operator()(const char* name, std::vector<S>& v) {
    pk.pack_array(static_cast<std::uint32_t>(v.size()));
    for (auto& x : v) {
      if constexpr (std::is_same_v<S, std::string>) {
        (*this)(name, x);
      } else {
        write_struct(x);
      }
    }
  }
  template <class S> void write_struct(S& s) {
    pk.pack_array(field_count<S>());
    detail::fields(*this, s);
  }
};

// Reads fields positionally from a msgpack array. Missing trailing fields
// (older schema) keep their defaults; extra ones (newer schema) are ignored.
// The first type error is kept and stops further reads.
struct field_reader {
  const msgpack::object* items;
  std::uint32_t size;
  std::uint32_t next = 0;
  const char* bad_field = nullptr;

  const msgpack::object* take(const char* /*name*/) {
    if (bad_field != nullptr || next >= size) return nullptr;
    return &items[next++];
  }
  void fail(const char* name) {
    if (bad_field == nullptr) bad_field = name;
  }
  static bool read_int(const msgpack::object& o, std::int64_t lo, std::int64_t hi, std::int64_t& out) {
    if (o.type == msgpack::type::POSITIVE_INTEGER) {
      if (o.via.u64 > static_cast<std::uint64_t>(hi)) return false;
      out = static_cast<std::int64_t>(o.via.u64);
      return true;
    }
    if (o.type == msgpack::type::NEGATIVE_INTEGER) {
      if (o.via.i64 < lo) return false;
      out = o.via.i64;
      return true;
    }
    return false;
  }

  void operator()(const char* name, std::string& v) {
    if (const auto* o = take(name)) {
      if (o->type != msgpack::type::STR) return fail(name);
      v.assign(o->via.str.ptr, o->via.str.size);
    }
  }
  void operator()(const char* name, std::int64_t& v) {
    if (const auto* o = take(name)) {
      if (!read_int(*o, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), v)) {
        fail(name);
      }
    }
  }
  void operator()(const char* name, std::int32_t& v) {
    if (const auto* o = take(name)) {
      std::int64_t x = 0;
      if (!read_int(*o, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), x)) {
        return fail(name);
      }
      v = static_cast<std::int32_t>(x);
    }
  }
  void operator()(const char* name, std::uint64_t& v) {
    if (const auto* o = take(name)) {
      if (o->type != msgpack::type::POSITIVE_INTEGER) return fail(name);
      v = o->via.u64;
    }
  }
  void operator()(const char* name, bool& v) {
    if (const auto* o = take(name)) {
      if (o->type != msgpack::type::BOOLEAN) return fail(name);
      v = o->via.boolean;
    }
  }
  template <class S> void operator()(const char* name, std::vector<S>& v) {
    const auto* o = take(name);
    if (o == nullptr) return;
    if (o->type != msgpack::type::ARRAY) return fail(name);
    v.clear();
    v.resize(o->via.array.size);
    for (std::uint32_t i = 0; i < o->via.array.size && bad_field == nullptr; ++i) {
      const msgpack::object& item = o->via.array.ptr[i];
      if constexpr (std::is_same_v<S, std::string>) {
        if (item.type != msgpack::type::STR) return fail(name);
        v[i].assign(item.via.str.ptr, item.via.str.size);
      } else {
        if (item.type != msgpack::type::ARRAY) return fail(name);
        field_reader sub{item.via.array.ptr, item.via.array.size};
        detail::fields(sub, v[i]);
        if (sub.bad_field != nullptr) return fail(sub.bad_field);
      }
    }
  }
};

} // namespace

template <class Payload>
std::string encode_payload(const Payload& p) {
  std::string out;
  detail::string_writer w{&out};
  detail::string_packer pk(w);
  field_writer fw{pk};
  // The writer only reads; the field lists take non-const references so
  // that one list serves reading and writing.
  fw.write_struct(const_cast<Payload&>(p));
  return out;
}

template <class Payload>
expected<Payload> decode_payload(std::string_view bytes) {
  if (bytes.size() > event_bytes_max) {
    return make_error(errc::too_large, "payload of " + std::to_string(bytes.size()) + " bytes");
  }
  thread_local msgpack::zone zone;
  detail::zone_clear clear_on_exit{zone};

  msgpack::object root;
  sn::error err;
  if (!detail::unpack_one(zone, bytes, detail::limits_for(bytes.size(), bytes.size(), payload_depth_max, event_bytes_max), root,
                          err)) {
    return err;
  }
  if (root.type != msgpack::type::ARRAY) return make_error(errc::malformed, "payload is not an array");
  Payload p{};
  field_reader r{root.via.array.ptr, root.via.array.size};
  detail::fields(r, p);
  if (r.bad_field != nullptr) {
    return make_error(errc::malformed, std::string("payload field ") + r.bad_field + " has the wrong type or range");
  }
  return p;
}

sn::error wrong_type_error(std::uint16_t have, std::uint16_t want) {
  auto name = [](std::uint16_t t) {
    const auto n = event_type_name(t);
    return n ? std::string(*n) + " (" + std::to_string(t) + ")" : "unknown type " + std::to_string(t);
  };
  return make_error(errc::wrong_type, "event is " + name(have) + ", not " + name(want));
}

#define SN_INSTANTIATE_PAYLOAD(P)                                   \
  template std::string encode_payload<P>(const P&);                 \
  template expected<P> decode_payload<P>(std::string_view);

SN_INSTANTIATE_PAYLOAD(product_upserted)
SN_INSTANTIATE_PAYLOAD(price_changed)
SN_INSTANTIATE_PAYLOAD(product_deactivated)
SN_INSTANTIATE_PAYLOAD(stock_received)
SN_INSTANTIATE_PAYLOAD(stock_adjusted)
SN_INSTANTIATE_PAYLOAD(stock_counted)
SN_INSTANTIATE_PAYLOAD(sale_completed)
SN_INSTANTIATE_PAYLOAD(sale_returned)
SN_INSTANTIATE_PAYLOAD(sale_voided)
SN_INSTANTIATE_PAYLOAD(day_closed)
SN_INSTANTIATE_PAYLOAD(device_registered)
SN_INSTANTIATE_PAYLOAD(device_updated)
SN_INSTANTIATE_PAYLOAD(store_created)
SN_INSTANTIATE_PAYLOAD(device_enrolled)
SN_INSTANTIATE_PAYLOAD(device_revoked)
SN_INSTANTIATE_PAYLOAD(device_keys_rotated)
SN_INSTANTIATE_PAYLOAD(master_changed)
SN_INSTANTIATE_PAYLOAD(conflict_resolved)
SN_INSTANTIATE_PAYLOAD(staff_added)
SN_INSTANTIATE_PAYLOAD(staff_updated)
SN_INSTANTIATE_PAYLOAD(staff_removed)
SN_INSTANTIATE_PAYLOAD(staff_signed_in)
SN_INSTANTIATE_PAYLOAD(staff_sign_in_failed)
SN_INSTANTIATE_PAYLOAD(staff_signed_out)

#undef SN_INSTANTIATE_PAYLOAD

} // namespace sn
