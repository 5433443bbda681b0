#include "events/json.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <type_traits>
#include <vector>

#include "events/codec.hpp"
#include "events/msgpack_util.hpp"
#include "events/payload_codec.hpp"
#include "events/payload_fields.hpp"

namespace sn {
namespace {

std::string base64(const char* p, std::size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(p), n,
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // drop the terminating NUL
  return out;
}

// Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF).
bool valid_utf8(const unsigned char* s, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    std::size_t len = 0;
    unsigned min = 0, cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

// Strings are UTF-8 by contract, but bytes come off the wire: nlohmann's
// dump() throws on invalid UTF-8, so such a string is rendered as bytes.
nlohmann::json text(const char* p, std::size_t n) {
  if (valid_utf8(reinterpret_cast<const unsigned char*>(p), n)) return std::string(p, n);
  return nlohmann::json{{"$bin", base64(p, n)}};
}

// Generic rendering of any msgpack value (unknown types, newer schemas).
nlohmann::json generic(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return nullptr;
    case msgpack::type::BOOLEAN: return o.via.boolean;
    case msgpack::type::POSITIVE_INTEGER: return o.via.u64;
    case msgpack::type::NEGATIVE_INTEGER: return o.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return o.via.f64;
    case msgpack::type::STR: return text(o.via.str.ptr, o.via.str.size);
    case msgpack::type::BIN: return nlohmann::json{{"$bin", base64(o.via.bin.ptr, o.via.bin.size)}};
    case msgpack::type::EXT:
      return nlohmann::json{{"$ext", o.via.ext.type()}, {"$bin", base64(o.via.ext.data(), o.via.ext.size)}};
    case msgpack::type::ARRAY: {
      auto a = nlohmann::json::array();
      for (std::uint32_t i = 0; i < o.via.array.size; ++i) a.push_back(generic(o.via.array.ptr[i]));
      return a;
    }
    case msgpack::type::MAP: {
      auto m = nlohmann::json::object();
      for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        // Object keys must be UTF-8 text too: anything else is keyed by the
        // JSON text of its generic rendering (which is always valid UTF-8).
        const nlohmann::json k = generic(kv.key);
        const std::string key = k.is_string() ? k.get<std::string>() : k.dump();
        m[key] = generic(kv.val);
      }
      return m;
    }
  }
  return nullptr;
}

nlohmann::json generic_payload(const std::string& payload) {
  thread_local msgpack::zone zone;
  detail::zone_clear clear_on_exit{zone};
  msgpack::object root;
  sn::error err;
  if (!detail::unpack_one(zone, payload, detail::limits_for(payload.size(), payload.size(), payload_depth_max, event_bytes_max), root,
                          err)) {
    return nlohmann::json{{"$bin", base64(payload.data(), payload.size())}, {"$error", err.message}};
  }
  return generic(root);
}

// Number of elements of the msgpack array `payload` starts with (0 when it
// does not start with an array header; the decoder has checked the rest).
std::size_t stored_fields(const std::string& payload) {
  if (payload.empty()) return 0;
  const auto b = [&](std::size_t i) { return i < payload.size() ? static_cast<unsigned char>(payload[i]) : 0u; };
  const unsigned first = b(0);
  if ((first & 0xf0) == 0x90) return first & 0x0f;
  if (first == 0xdc) return (std::size_t{b(1)} << 8) | b(2);
  if (first == 0xdd) return (std::size_t{b(1)} << 24) | (std::size_t{b(2)} << 16) | (std::size_t{b(3)} << 8) | b(4);
  return 0;
}

// Typed rendering: field names from payload_fields.hpp. Only the first
// `fields_max` fields are rendered: an event of an older schema shows the
// fields it was written with, not defaults for fields added since.
struct json_writer {
  nlohmann::json& out;
  std::size_t fields_max = static_cast<std::size_t>(-1);
  std::size_t index = 0;
  template <class T> void operator()(const char* name, T& v) {
    if (index++ >= fields_max) return;
    if (detail::is_secret_field(name)) return;  // a PIN hash is never shown (events/staff.hpp)
    if constexpr (std::is_same_v<T, std::string>) {
      out[name] = text(v.data(), v.size());
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
      auto a = nlohmann::json::array();
      for (const auto& x : v) a.push_back(text(x.data(), x.size()));
      out[name] = std::move(a);
    } else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::int32_t> ||
                         std::is_same_v<T, std::uint64_t> || std::is_same_v<T, bool>) {
      out[name] = v;
    } else {
      auto a = nlohmann::json::array();
      for (auto& x : v) {
        nlohmann::json item = nlohmann::json::object();
        json_writer w{item};
        detail::fields(w, x);
        a.push_back(std::move(item));
      }
      out[name] = std::move(a);
    }
  }
};

template <class P, class = void> struct holds_secret : std::false_type {};
template <class P> struct holds_secret<P, std::void_t<decltype(P::holds_secret)>> : std::bool_constant<P::holds_secret> {};

} // namespace

nlohmann::json payload_to_json(const event& e) {
  nlohmann::json out;
  bool typed = false;
  bool secret = false;
  const bool known = detail::with_payload_type(e.type, [&](auto tag) {
    using P = decltype(tag);
    secret = holds_secret<P>::value;
    // A newer schema may carry fields this build does not know: render it
    // generically so that nothing is hidden. Not a type that holds a secret:
    // its generic rendering would show the secret; it shows the fields this
    // build knows instead (the secret left out).
    if (e.schema > P::schema && !holds_secret<P>::value) return;
    auto p = decode_payload<P>(e.payload);
    if (!p) return;
    out = nlohmann::json::object();
    json_writer w{out, stored_fields(e.payload)};
    detail::fields(w, *p);
    typed = true;
  });
  (void)known;
  // Bytes of a type that holds a secret are never rendered, not even when
  // they do not decode.
  if (!typed) out = secret ? nlohmann::json{{"$error", "payload does not decode"}} : generic_payload(e.payload);
  return out;
}

nlohmann::json event_to_json(const event& e) {
  const auto name = event_type_name(e.type);
  nlohmann::json j = nlohmann::json::object();
  j["origin"] = e.origin.value();
  j["seq"] = e.seq.value();
  j["hlc"] = e.hlc.packed();
  j["time"] = e.hlc.to_rfc3339();
  j["term"] = e.term.value();
  j["type"] = name ? std::string(*name) : "unknown";
  j["type_id"] = e.type;
  j["schema"] = e.schema;
  j["payload"] = payload_to_json(e);
  j["prev_hash"] = to_hex(e.prev_hash);
  j["hash"] = to_hex(e.hash);
  return j;
}

} // namespace sn
