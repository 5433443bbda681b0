#include "actors/sync/messages.hpp"

#include <msgpack.hpp>

#include <limits>
#include <new>

#include "actors/sync/errc.hpp"
#include "events/codec.hpp"
#include "events/types.hpp"

namespace sn::sync {

namespace {

struct string_writer {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};
using packer = msgpack::packer<string_writer>;

constexpr std::size_t depth_max = 3;  // body array > events array / versions map > leaf

// Bins and strings point into the body instead of being copied into the zone.
bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

// Unpacks exactly one value spanning `body`. Limits are proportional to the
// input (every element needs at least one byte) and to the protocol bounds, so
// a forged length prefix cannot make msgpack allocate.
status unpack_body(msgpack::zone& zone, std::string_view body, msgpack::object& out) {
  if (body.size() > message_bytes_max) {
    return make_error(errc::too_large, "body of " + std::to_string(body.size()) + " bytes > message_bytes_max");
  }
  const std::size_t n = body.size();
  const std::size_t array_max = std::min(n, message_events_max + 16);
  const std::size_t map_max = std::min(n / 2, origins_max);
  const msgpack::unpack_limit limit(array_max, map_max, std::min(n, device_id_length_max), std::min(n, event_bytes_max),
                                    0, depth_max);
  try {
    std::size_t off = 0;
    bool referenced = false;
    out = msgpack::unpack(zone, body.data(), body.size(), off, referenced, &reference_all, nullptr, limit);
    if (off != body.size()) return make_error(errc::malformed, "trailing bytes after the body");
    return status::ok();
  } catch (const msgpack::insufficient_bytes&) {
    return make_error(errc::malformed, "body ends inside a msgpack value");
  } catch (const msgpack::size_overflow& e) {
    return make_error(errc::too_large, std::string("msgpack limit: ") + e.what());
  } catch (const std::bad_alloc&) {
    return make_error(errc::too_large, "allocation refused");
  } catch (const std::exception& e) {
    return make_error(errc::malformed, std::string("msgpack: ") + e.what());
  }
}

bool get_uint(const msgpack::object& o, std::uint64_t& v) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) return false;
  v = o.via.u64;
  return true;
}

// Checks the array shape and version; `fields` = elements this build reads.
status check_header(const msgpack::object& o, std::size_t fields) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < 1) {
    return make_error(errc::malformed, "body is not a non-empty array");
  }
  std::uint64_t version = 0;
  if (!get_uint(o.via.array.ptr[0], version)) return make_error(errc::malformed, "version is not an unsigned integer");
  if (version != protocol_version) {
    return make_error(errc::unsupported_version, "protocol version " + std::to_string(version));
  }
  if (o.via.array.size < fields) return make_error(errc::malformed, "body has too few elements");
  return status::ok();
}

status get_events(const msgpack::object& o, std::vector<std::string_view>& out) {
  if (o.type != msgpack::type::ARRAY) return make_error(errc::malformed, "events is not an array");
  if (o.via.array.size > message_events_max) return make_error(errc::too_large, "too many events");
  out.reserve(o.via.array.size);
  for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object& e = o.via.array.ptr[i];
    if (e.type != msgpack::type::BIN) return make_error(errc::malformed, "event is not a bin");
    out.emplace_back(e.via.bin.ptr, e.via.bin.size);
  }
  return status::ok();
}

status get_versions(const msgpack::object& o, version_vector& out) {
  if (o.type != msgpack::type::MAP) return make_error(errc::malformed, "versions is not a map");
  if (o.via.map.size > origins_max) return make_error(errc::too_large, "too many origins");
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const msgpack::object_kv& kv = o.via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR) return make_error(errc::malformed, "origin is not a string");
    std::uint64_t seq = 0;
    if (!get_uint(kv.val, seq)) return make_error(errc::malformed, "seq is not an unsigned integer");
    std::string origin(kv.key.via.str.ptr, kv.key.via.str.size);
    if (!valid_device_id(origin)) return make_error(errc::malformed, "origin is not a valid device id");
    if (!out.emplace(std::move(origin), seq).second) return make_error(errc::malformed, "origin repeated");
  }
  return status::ok();
}

void pack_versions(packer& pk, const version_vector& v) {
  pk.pack_map(static_cast<std::uint32_t>(v.size()));
  for (const auto& [origin, seq] : v) {
    pk.pack_str(static_cast<std::uint32_t>(origin.size()));
    pk.pack_str_body(origin.data(), static_cast<std::uint32_t>(origin.size()));
    pk.pack_uint64(seq);
  }
}

void pack_signatures(packer& pk, const signature_list& sigs) {
  pk.pack_array(static_cast<std::uint32_t>(sigs.size()));
  for (const auto& s : sigs) {
    pk.pack_array(3);
    pk.pack_str(static_cast<std::uint32_t>(s.origin.size()));
    pk.pack_str_body(s.origin.data(), static_cast<std::uint32_t>(s.origin.size()));
    pk.pack_uint64(s.seq);
    pk.pack_bin(static_cast<std::uint32_t>(s.sig.size()));
    pk.pack_bin_body(reinterpret_cast<const char*>(s.sig.data()), static_cast<std::uint32_t>(s.sig.size()));
  }
}

status get_signatures(const msgpack::object& o, signature_list& out) {
  if (o.type != msgpack::type::ARRAY) return make_error(errc::malformed, "signatures is not an array");
  if (o.via.array.size > message_events_max) return make_error(errc::too_large, "too many signatures");
  out.reserve(o.via.array.size);
  for (std::uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object& t = o.via.array.ptr[i];
    if (t.type != msgpack::type::ARRAY || t.via.array.size < 3) {
      return make_error(errc::malformed, "signature is not an array of 3");
    }
    const msgpack::object* f = t.via.array.ptr;
    trust::origin_signature s;
    if (f[0].type != msgpack::type::STR) return make_error(errc::malformed, "signature origin is not a string");
    s.origin.assign(f[0].via.str.ptr, f[0].via.str.size);
    if (!valid_device_id(s.origin)) return make_error(errc::malformed, "signature origin is not a valid device id");
    if (!get_uint(f[1], s.seq) || s.seq == 0) return make_error(errc::malformed, "signature seq is not >= 1");
    if (f[2].type != msgpack::type::BIN || f[2].via.bin.size != s.sig.size()) {
      return make_error(errc::malformed, "signature is not a bin of 64 bytes");
    }
    std::copy(f[2].via.bin.ptr, f[2].via.bin.ptr + s.sig.size(), reinterpret_cast<char*>(s.sig.data()));
    out.push_back(std::move(s));
  }
  return status::ok();
}

void pack_bin(packer& pk, const std::string& b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}

} // namespace

std::string encode_live_events(const std::vector<std::string>& events, std::size_t first, std::size_t count,
                               const signature_list& signatures) {
  std::string out;
  std::size_t bytes = 16 + signatures.size() * 90;
  for (std::size_t i = first; i < first + count; ++i) bytes += events[i].size() + 5;
  out.reserve(bytes);
  string_writer w{&out};
  packer pk(w);
  pk.pack_array(signatures.empty() ? 2 : 3);
  pk.pack_uint8(protocol_version);
  pk.pack_array(static_cast<std::uint32_t>(count));
  for (std::size_t i = first; i < first + count; ++i) pack_bin(pk, events[i]);
  if (!signatures.empty()) pack_signatures(pk, signatures);
  return out;
}

std::string encode_sync_request(const sync_request_body& b) {
  std::string out;
  string_writer w{&out};
  packer pk(w);
  pk.pack_array(b.skip.empty() ? 5 : 6);
  pk.pack_uint8(protocol_version);
  pk.pack_uint64(b.request_id);
  pack_versions(pk, b.versions);
  pk.pack_uint64(b.count_max);
  pk.pack_uint64(b.bytes_max);
  if (!b.skip.empty()) {
    pk.pack_array(static_cast<std::uint32_t>(b.skip.size()));
    for (const auto& origin : b.skip) {
      pk.pack_str(static_cast<std::uint32_t>(origin.size()));
      pk.pack_str_body(origin.data(), static_cast<std::uint32_t>(origin.size()));
    }
  }
  return out;
}

std::string encode_sync_reply(std::uint64_t request_id, const version_vector& versions, bool more,
                              const std::vector<std::string>& events, const signature_list& signatures) {
  std::string out;
  std::size_t bytes = 64 + versions.size() * 24 + signatures.size() * 90;
  for (const auto& e : events) bytes += e.size() + 5;
  out.reserve(bytes);
  string_writer w{&out};
  packer pk(w);
  pk.pack_array(signatures.empty() ? 5 : 6);
  pk.pack_uint8(protocol_version);
  pk.pack_uint64(request_id);
  pack_versions(pk, versions);
  if (more) {
    pk.pack_true();
  } else {
    pk.pack_false();
  }
  pk.pack_array(static_cast<std::uint32_t>(events.size()));
  for (const auto& e : events) pack_bin(pk, e);
  if (!signatures.empty()) pack_signatures(pk, signatures);
  return out;
}

expected<live_events_body> decode_live_events(std::string_view body) {
  msgpack::zone zone;
  msgpack::object o;
  if (auto st = unpack_body(zone, body, o); !st) return st.error();
  if (auto st = check_header(o, 2); !st) return st.error();
  live_events_body b;
  if (auto st = get_events(o.via.array.ptr[1], b.events); !st) return st.error();
  if (o.via.array.size >= 3) {
    if (auto st = get_signatures(o.via.array.ptr[2], b.signatures); !st) return st.error();
  }
  return b;
}

expected<sync_request_body> decode_sync_request(std::string_view body) {
  msgpack::zone zone;
  msgpack::object o;
  if (auto st = unpack_body(zone, body, o); !st) return st.error();
  if (auto st = check_header(o, 5); !st) return st.error();
  const msgpack::object* f = o.via.array.ptr;
  sync_request_body b;
  if (!get_uint(f[1], b.request_id)) return make_error(errc::malformed, "request_id is not an unsigned integer");
  if (auto st = get_versions(f[2], b.versions); !st) return st.error();
  if (!get_uint(f[3], b.count_max) || b.count_max == 0) return make_error(errc::malformed, "count_max is not >= 1");
  if (!get_uint(f[4], b.bytes_max) || b.bytes_max == 0) return make_error(errc::malformed, "bytes_max is not >= 1");
  if (o.via.array.size >= 6) {
    const msgpack::object& sk = f[5];
    if (sk.type != msgpack::type::ARRAY) return make_error(errc::malformed, "skip is not an array");
    if (sk.via.array.size > origins_max) return make_error(errc::too_large, "too many origins in skip");
    b.skip.reserve(sk.via.array.size);
    for (std::uint32_t i = 0; i < sk.via.array.size; ++i) {
      const msgpack::object& e = sk.via.array.ptr[i];
      if (e.type != msgpack::type::STR) return make_error(errc::malformed, "skip origin is not a string");
      std::string origin(e.via.str.ptr, e.via.str.size);
      if (!valid_device_id(origin)) return make_error(errc::malformed, "skip origin is not a valid device id");
      b.skip.push_back(std::move(origin));
    }
  }
  return b;
}

expected<sync_reply_body> decode_sync_reply(std::string_view body) {
  msgpack::zone zone;
  msgpack::object o;
  if (auto st = unpack_body(zone, body, o); !st) return st.error();
  if (auto st = check_header(o, 5); !st) return st.error();
  const msgpack::object* f = o.via.array.ptr;
  sync_reply_body b;
  if (!get_uint(f[1], b.request_id)) return make_error(errc::malformed, "request_id is not an unsigned integer");
  if (auto st = get_versions(f[2], b.versions); !st) return st.error();
  if (f[3].type != msgpack::type::BOOLEAN) return make_error(errc::malformed, "more is not a boolean");
  b.more = f[3].via.boolean;
  if (auto st = get_events(f[4], b.events); !st) return st.error();
  if (o.via.array.size >= 6) {
    if (auto st = get_signatures(f[5], b.signatures); !st) return st.error();
  }
  return b;
}

} // namespace sn::sync
