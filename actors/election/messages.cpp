#include "actors/election/messages.hpp"

#include <msgpack.hpp>

#include <limits>

#include "events/types.hpp"

namespace sn::election {
namespace {

struct string_writer {
  std::string* out;
  void write(const char* p, std::size_t n) { out->append(p, n); }
};
using packer = msgpack::packer<string_writer>;

// Elements after the 4-element common head, per type (index = type value).
constexpr std::size_t fields_after_head[] = {0, 9, 3, 2, 6, 2, 2, 2, 0, 1};
constexpr std::size_t head_elements = 4;
// Depth: body array -> summary map -> values.
constexpr std::size_t depth_max = 3;

void pack_string(packer& pk, const std::string& s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_summary(packer& pk, const log_summary& s) {
  pk.pack_map(static_cast<std::uint32_t>(s.size()));
  for (const auto& [origin, seq] : s) {
    pack_string(pk, origin);
    pk.pack_uint64(seq);
  }
}

// Strings point into the input; decode copies what it keeps.
bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

bool get_uint(const msgpack::object& o, std::uint64_t max, std::uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > max) return false;
  out = o.via.u64;
  return true;
}

bool get_int32(const msgpack::object& o, std::int32_t& out) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    if (o.via.u64 > static_cast<std::uint64_t>(std::numeric_limits<std::int32_t>::max())) return false;
    out = static_cast<std::int32_t>(o.via.u64);
    return true;
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    if (o.via.i64 < std::numeric_limits<std::int32_t>::min()) return false;
    out = static_cast<std::int32_t>(o.via.i64);
    return true;
  }
  return false;
}

bool get_bool(const msgpack::object& o, bool& out) {
  if (o.type != msgpack::type::BOOLEAN) return false;
  out = o.via.boolean;
  return true;
}

bool get_text(const msgpack::object& o, std::size_t max, std::string& out) {
  if (o.type != msgpack::type::STR || o.via.str.size > max) return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

// A device id field; "" allowed only when `optional`.
bool get_device(const msgpack::object& o, bool optional, std::string& out) {
  if (!get_text(o, device_id_length_max, out)) return false;
  if (out.empty()) return optional;
  return valid_device_id(out);
}

bool get_summary(const msgpack::object& o, log_summary& out) {
  if (o.type != msgpack::type::MAP || o.via.map.size > summary_origins_max) return false;
  for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& kv = o.via.map.ptr[i];
    std::string origin;
    std::uint64_t seq = 0;
    if (!get_device(kv.key, false, origin) || !get_uint(kv.val, std::numeric_limits<std::uint64_t>::max(), seq)) {
      return false;
    }
    if (!out.emplace(std::move(origin), seq).second) return false;  // duplicate key
  }
  return true;
}

bool get_enum(const msgpack::object& o, std::uint64_t last, std::uint64_t& out) { return get_uint(o, last, out); }

sn::error malformed(const char* what) { return make_error(errc::malformed, what); }

} // namespace

std::string encode(const election_message& m) {
  std::string out;
  string_writer w{&out};
  packer pk(w);
  const auto t = static_cast<std::uint8_t>(m.type);
  std::size_t n = head_elements + (t < std::size(fields_after_head) ? fields_after_head[t] : 0);
  const bool with_http = m.type == message_type::heartbeat && !m.http.empty();
  const bool gossip = m.type == message_type::heartbeat && (!m.known_peers.empty() || with_http);
  if (gossip) ++n;
  if (with_http) ++n;
  pk.pack_array(static_cast<std::uint32_t>(n));
  pk.pack_uint8(protocol_version);
  pack_string(pk, m.from);
  pack_string(pk, m.boot_id);
  pk.pack_uint64(m.term);
  switch (m.type) {
    case message_type::heartbeat:
      pk.pack_int32(m.priority);
      pk.pack_uint8(static_cast<std::uint8_t>(m.sender_role));
      pack_string(pk, m.master);
      pack_summary(pk, m.summary);
      pack_string(pk, m.address);
      pk.pack_uint64(m.stamp);
      pack_string(pk, m.echo_master);
      pk.pack_uint64(m.echo_term);
      pk.pack_uint64(m.echo_stamp);
      if (gossip) {
        const auto count = std::min(m.known_peers.size(), known_peers_max);
        pk.pack_array(static_cast<std::uint32_t>(count));
        for (std::size_t i = 0; i < count; ++i) pack_string(pk, m.known_peers[i]);
      }
      if (with_http) pack_string(pk, m.http);
      break;
    case message_type::pre_vote_request:
      pk.pack_uint64(m.proposed_term);
      pk.pack_int32(m.priority);
      pack_summary(pk, m.summary);
      break;
    case message_type::pre_vote_reply:
      pk.pack_uint64(m.proposed_term);
      if (m.granted) pk.pack_true(); else pk.pack_false();
      break;
    case message_type::vote_request:
      pk.pack_int32(m.priority);
      pack_summary(pk, m.summary);
      pk.pack_uint64(m.stamp);
      if (m.transfer) pk.pack_true(); else pk.pack_false();
      pack_string(pk, m.from_master);
      pk.pack_uint8(static_cast<std::uint8_t>(m.reason));
      break;
    case message_type::vote_reply:
      if (m.granted) pk.pack_true(); else pk.pack_false();
      pk.pack_uint64(m.stamp);
      break;
    case message_type::handoff:
      pk.pack_uint8(static_cast<std::uint8_t>(m.reason));
      pack_summary(pk, m.summary);
      break;
    case message_type::handoff_ack:
      pk.pack_uint8(static_cast<std::uint8_t>(m.status));
      pack_summary(pk, m.summary);
      break;
    case message_type::shutdown_notice:
      break;
    case message_type::master_request:
      pack_string(pk, m.target);
      break;
  }
  return out;
}

sn::expected<election_message> decode(std::uint8_t type, std::string_view body) {
  if (!is_election_message_type(type)) return malformed("not an election message type");
  if (body.empty() || body.size() > message_bytes_max) return malformed("empty or oversized body");
  const std::size_t n = body.size();
  // Element tables are bounded by the input size (each element needs a byte).
  const msgpack::unpack_limit limit(n, n / 2, text_bytes_max, text_bytes_max, text_bytes_max, depth_max);
  msgpack::zone zone;
  msgpack::object root;
  try {
    std::size_t off = 0;
    bool referenced = false;
    root = msgpack::unpack(zone, body.data(), n, off, referenced, &reference_all, nullptr, limit);
    if (off != n) return malformed("trailing or missing bytes");
  } catch (const std::exception&) {  // insufficient_bytes, size_overflow, parse_error, bad_alloc
    return malformed("not a bounded msgpack value");
  }
  if (root.type != msgpack::type::ARRAY || root.via.array.size < 1) return malformed("body is not an array");
  const auto* f = root.via.array.ptr;
  std::uint64_t version = 0;
  if (!get_uint(f[0], 255, version)) return malformed("bad version field");
  if (version != protocol_version) return make_error(errc::unsupported_version, "version " + std::to_string(version));
  if (root.via.array.size < head_elements + fields_after_head[type]) return malformed("too few fields");

  election_message m;
  m.type = static_cast<message_type>(type);
  if (!get_device(f[1], false, m.from) || !get_text(f[2], text_bytes_max, m.boot_id) ||
      !get_uint(f[3], std::numeric_limits<std::uint64_t>::max(), m.term)) {
    return malformed("bad common head");
  }
  const auto* x = f + head_elements;
  constexpr auto u64_max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t e = 0;
  bool ok = true;
  switch (m.type) {
    case message_type::heartbeat:
      ok = get_int32(x[0], m.priority) && get_enum(x[1], static_cast<std::uint64_t>(role::stopped), e) &&
           get_device(x[2], true, m.master) && get_summary(x[3], m.summary) &&
           get_text(x[4], text_bytes_max, m.address) && get_uint(x[5], u64_max, m.stamp) &&
           get_device(x[6], true, m.echo_master) && get_uint(x[7], u64_max, m.echo_term) &&
           get_uint(x[8], u64_max, m.echo_stamp);
      m.sender_role = static_cast<role>(e);
      // Optional 10th element: the sender's live peers (older builds omit it).
      if (ok && root.via.array.size > head_elements + fields_after_head[type]) {
        const auto& g = x[9];
        ok = g.type == msgpack::type::ARRAY && g.via.array.size <= known_peers_max;
        for (std::uint32_t i = 0; ok && i < g.via.array.size; ++i) {
          std::string a;
          ok = get_text(g.via.array.ptr[i], text_bytes_max, a);
          if (ok) m.known_peers.push_back(std::move(a));
        }
        // Optional 11th element: the sender's HTTP URL.
        if (ok && root.via.array.size > head_elements + fields_after_head[type] + 1) {
          ok = get_text(x[10], text_bytes_max, m.http);
        }
      }
      break;
    case message_type::pre_vote_request:
      ok = get_uint(x[0], u64_max, m.proposed_term) && get_int32(x[1], m.priority) && get_summary(x[2], m.summary);
      break;
    case message_type::pre_vote_reply:
      ok = get_uint(x[0], u64_max, m.proposed_term) && get_bool(x[1], m.granted);
      break;
    case message_type::vote_request:
      ok = get_int32(x[0], m.priority) && get_summary(x[1], m.summary) && get_uint(x[2], u64_max, m.stamp) &&
           get_bool(x[3], m.transfer) && get_device(x[4], true, m.from_master) &&
           get_enum(x[5], static_cast<std::uint64_t>(change_reason::split_brain), e);
      m.reason = static_cast<change_reason>(e);
      break;
    case message_type::vote_reply:
      ok = get_bool(x[0], m.granted) && get_uint(x[1], u64_max, m.stamp);
      break;
    case message_type::handoff:
      ok = get_enum(x[0], static_cast<std::uint64_t>(change_reason::split_brain), e) && get_summary(x[1], m.summary);
      m.reason = static_cast<change_reason>(e);
      break;
    case message_type::handoff_ack:
      ok = get_enum(x[0], static_cast<std::uint64_t>(handoff_status::refused), e) && get_summary(x[1], m.summary);
      m.status = static_cast<handoff_status>(e);
      break;
    case message_type::shutdown_notice:
      break;
    case message_type::master_request:
      ok = get_device(x[0], false, m.target);
      break;
  }
  if (!ok) return malformed("bad field");
  return m;
}

} // namespace sn::election
