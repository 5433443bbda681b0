#include "events/codec.hpp"

#include <sodium.h>

#include <cstring>
#include <limits>

#include "events/errc.hpp"
#include "events/msgpack_util.hpp"

namespace sn {
namespace detail {

bool unpack_one(msgpack::zone& zone, std::string_view bytes, const msgpack::unpack_limit& limit,
                msgpack::object& out, sn::error& err) {
  using events::errc;
  using events::make_error;
  if (bytes.empty()) {
    err = make_error(errc::truncated, "empty input");
    return false;
  }
  try {
    std::size_t off = 0;
    bool referenced = false;
    out = msgpack::unpack(zone, bytes.data(), bytes.size(), off, referenced, &reference_all, nullptr, limit);
    if (off == 0) {  // msgpack reports neither success nor an exception: incomplete
      err = make_error(errc::truncated, "incomplete msgpack value");
      return false;
    }
    if (off != bytes.size()) {
      err = make_error(errc::malformed, std::to_string(bytes.size() - off) + " trailing bytes");
      return false;
    }
    return true;
  } catch (const msgpack::insufficient_bytes&) {
    err = make_error(errc::truncated, "input ends inside a msgpack value");
  } catch (const msgpack::size_overflow& e) {
    err = make_error(errc::too_large, std::string("msgpack limit: ") + e.what());
  } catch (const std::bad_alloc&) {
    err = make_error(errc::too_large, "allocation refused");
  } catch (const std::exception& e) {
    err = make_error(errc::malformed, std::string("msgpack: ") + e.what());
  }
  return false;
}

} // namespace detail

namespace {

using events::errc;
using events::make_error;

constexpr std::size_t envelope_elements = 10;
// A newer format may carry more elements; allow a few so that such bytes are
// reported as unsupported_format rather than as an oversized array.
constexpr std::size_t envelope_array_max = 32;
constexpr std::size_t envelope_depth_max = 1;

// The 9 canonical elements, without an array header.
void pack_body(detail::string_packer& pk, const event& e) {
  pk.pack_uint8(envelope_format_version);
  pk.pack_str(static_cast<std::uint32_t>(e.origin.value().size()));
  pk.pack_str_body(e.origin.value().data(), static_cast<std::uint32_t>(e.origin.value().size()));
  pk.pack_uint64(e.seq.value());
  pk.pack_uint64(e.hlc.packed());
  pk.pack_uint64(e.term.value());
  pk.pack_uint16(e.type);
  pk.pack_uint16(e.schema);
  pk.pack_bin(static_cast<std::uint32_t>(e.payload.size()));
  pk.pack_bin_body(e.payload.data(), static_cast<std::uint32_t>(e.payload.size()));
  pk.pack_bin(32);
  pk.pack_bin_body(reinterpret_cast<const char*>(e.prev_hash.data()), 32);
}

// Encoded sizes in shortest form (what msgpack-c's packer writes).
std::size_t uint_size(std::uint64_t v) {
  if (v < 128) return 1;
  if (v <= 0xff) return 2;
  if (v <= 0xffff) return 3;
  if (v <= 0xffffffffULL) return 5;
  return 9;
}
std::size_t str_header_size(std::size_t n) { return n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5; }
std::size_t bin_header_size(std::size_t n) { return n <= 0xff ? 2 : n <= 0xffff ? 3 : 5; }

std::size_t canonical_size(const event& e) {
  return 1 /*array header*/ + 1 /*version*/ + str_header_size(e.origin.value().size()) + e.origin.value().size() +
         uint_size(e.seq.value()) + uint_size(e.hlc.packed()) + uint_size(e.term.value()) + uint_size(e.type) +
         uint_size(e.schema) + bin_header_size(e.payload.size()) + e.payload.size() + 2 * (2 + 32);
}

// Checks that the integer elements of a canonical-length envelope use
// unsigned markers. Offsets follow from the decoded values and the sizes
// already verified equal.
bool unsigned_markers(const event& e, std::string_view b) {
  auto is_unsigned = [&](std::size_t pos) {
    const auto c = static_cast<unsigned char>(b[pos]);
    return c < 0x80 || (c >= 0xcc && c <= 0xcf);
  };
  std::size_t pos = 2 + str_header_size(e.origin.value().size()) + e.origin.value().size();
  for (std::uint64_t v : {e.seq.value(), e.hlc.packed(), e.term.value(), std::uint64_t{e.type}, std::uint64_t{e.schema}}) {
    if (!is_unsigned(pos)) return false;
    pos += uint_size(v);
  }
  return true;
}

bool get_uint(const msgpack::object& o, std::uint64_t max, std::uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > max) return false;
  out = o.via.u64;
  return true;
}

bool get_hash(const msgpack::object& o, hash256& out) {
  if (o.type != msgpack::type::BIN || o.via.bin.size != out.size()) return false;
  std::memcpy(out.data(), o.via.bin.ptr, out.size());
  return true;
}

sn::error field_error(const char* field, const char* want) {
  return make_error(errc::malformed, std::string("envelope field ") + field + " is not " + want);
}

} // namespace

hash256 compute_hash(const event& e) {
  // One buffer per thread: hashing is on the append path of every event.
  thread_local std::string buf;
  buf.clear();
  buf.push_back(static_cast<char>(0x99));  // fixarray of 9
  detail::string_writer w{&buf};
  detail::string_packer pk(w);
  pack_body(pk, e);
  hash256 h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), nullptr, 0);
  return h;
}

void seal(event& e) { e.hash = compute_hash(e); }

void encode(const event& e, std::string& out) {
  out.reserve(out.size() + canonical_size(e));
  out.push_back(static_cast<char>(0x9a));  // fixarray of 10
  detail::string_writer w{&out};
  detail::string_packer pk(w);
  pack_body(pk, e);
  pk.pack_bin(32);
  pk.pack_bin_body(reinterpret_cast<const char*>(e.hash.data()), 32);
}

std::string encode(const event& e) {
  std::string out;
  encode(e, out);
  return out;
}

expected<event> decode(std::string_view bytes) {
  if (bytes.size() > event_bytes_max) {
    return make_error(errc::too_large,
                      std::to_string(bytes.size()) + " bytes > event_bytes_max " + std::to_string(event_bytes_max));
  }
  // Reused per thread: after clear() the zone keeps its first chunk, so a
  // decode allocates nothing in msgpack beyond that.
  thread_local msgpack::zone zone;
  detail::zone_clear clear_on_exit{zone};

  msgpack::object root;
  sn::error err;
  if (!detail::unpack_one(zone, bytes, detail::limits_for(bytes.size(), envelope_array_max, envelope_depth_max, event_bytes_max),
                          root, err)) {
    return err;
  }
  if (root.type != msgpack::type::ARRAY || root.via.array.size == 0) {
    return make_error(errc::malformed, "envelope is not a non-empty array");
  }
  const msgpack::object* f = root.via.array.ptr;
  std::uint64_t version = 0;
  if (!get_uint(f[0], std::numeric_limits<std::uint64_t>::max(), version)) {
    return field_error("format_version", "an unsigned integer");
  }
  if (version != envelope_format_version) {
    return make_error(errc::unsupported_format, "envelope format version " + std::to_string(version) +
                                                    " (this build reads " +
                                                    std::to_string(envelope_format_version) + ")");
  }
  if (root.via.array.size != envelope_elements) {
    return make_error(errc::malformed, "envelope has " + std::to_string(root.via.array.size) + " elements, want 10");
  }

  event e;
  if (f[1].type != msgpack::type::STR) return field_error("origin", "a str");
  e.origin.value().assign(f[1].via.str.ptr, f[1].via.str.size);
  constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
  constexpr auto u16_max = std::numeric_limits<std::uint16_t>::max();
  std::uint64_t v = 0;
  if (!get_uint(f[2], u64_max, v)) return field_error("seq", "an unsigned integer");
  e.seq = origin_seq{v};
  if (!get_uint(f[3], u64_max, v)) return field_error("hlc", "an unsigned integer");
  e.hlc = hlc_timestamp{v};
  if (!get_uint(f[4], u64_max, v)) return field_error("term", "an unsigned integer");
  e.term = term_id{v};
  if (!get_uint(f[5], u16_max, v)) return field_error("type", "an unsigned 16-bit integer");
  e.type = static_cast<std::uint16_t>(v);
  if (!get_uint(f[6], u16_max, v)) return field_error("schema", "an unsigned 16-bit integer");
  e.schema = static_cast<std::uint16_t>(v);
  if (f[7].type != msgpack::type::BIN) return field_error("payload", "a bin");
  e.payload.assign(f[7].via.bin.ptr, f[7].via.bin.size);
  if (!get_hash(f[8], e.prev_hash)) return field_error("prev_hash", "a 32-byte bin");
  if (!get_hash(f[9], e.hash)) return field_error("hash", "a 32-byte bin");

  if (!valid_device_id(e.origin.value())) {
    return make_error(errc::invalid, "origin is not a valid device id");
  }
  // Any other form of an element is longer than its shortest form, except a
  // signed integer form holding a non-negative value (d1/d2/d3, as long as
  // cd/ce/cf). So equal total length plus unsigned integer markers means the
  // input is canonical: re-encoding the decoded event reproduces it exactly.
  if (canonical_size(e) != bytes.size() || !unsigned_markers(e, bytes)) {
    return make_error(errc::malformed, "non-canonical encoding (integers and headers must use the shortest form)");
  }
  return e;
}

status verify_hash(const event& e) {
  const hash256 want = compute_hash(e);
  if (want != e.hash) {
    return make_error(errc::hash_mismatch,
                      event_ref(e) + ": stored hash " + to_hex(e.hash) + " != computed " + to_hex(want));
  }
  return status::ok();
}

} // namespace sn
