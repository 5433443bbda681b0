#include "node/join_protocol.hpp"

#include <msgpack.hpp>
#include <sodium.h>

namespace sn::node {

namespace {

using packer = msgpack::packer<msgpack::sbuffer>;

std::string to_string(const msgpack::sbuffer& b) { return std::string(b.data(), b.size()); }

void pack_str(packer& p, const std::string& s) { p.pack(s); }
void pack_bin(packer& p, const std::string& s) {
  p.pack_bin(static_cast<std::uint32_t>(s.size()));
  p.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

/// Unpacks bytes into an object; nullopt on any msgpack error or trailing bytes.
std::optional<msgpack::object_handle> unpack(std::string_view bytes) {
  try {
    std::size_t off = 0;
    auto oh = msgpack::unpack(bytes.data(), bytes.size(), off);
    if (off != bytes.size()) return std::nullopt;
    return oh;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool get_str(const msgpack::object& o, std::string& out) {
  if (o.type == msgpack::type::STR) {
    out.assign(o.via.str.ptr, o.via.str.size);
    return true;
  }
  if (o.type == msgpack::type::BIN) {
    out.assign(o.via.bin.ptr, o.via.bin.size);
    return true;
  }
  return false;
}

bool is_array(const msgpack::object& o, std::size_t n) { return o.type == msgpack::type::ARRAY && o.via.array.size == n; }

std::pair<std::string, std::string> seal(const std::string& plain, const join_key& key) {
  std::string nonce(crypto_secretbox_NONCEBYTES, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  std::string box(plain.size() + crypto_secretbox_MACBYTES, '\0');
  crypto_secretbox_easy(reinterpret_cast<unsigned char*>(box.data()), reinterpret_cast<const unsigned char*>(plain.data()),
                        plain.size(), reinterpret_cast<const unsigned char*>(nonce.data()), key.data());
  return {nonce, box};
}

std::optional<std::string> open(const std::string& nonce, const std::string& box, const join_key& key) {
  if (nonce.size() != crypto_secretbox_NONCEBYTES || box.size() < crypto_secretbox_MACBYTES) return std::nullopt;
  std::string plain(box.size() - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 reinterpret_cast<const unsigned char*>(box.data()), box.size(),
                                 reinterpret_cast<const unsigned char*>(nonce.data()), key.data()) != 0)
    return std::nullopt;
  return plain;
}

}  // namespace

std::string seal_join_request(const join_request& r, const join_key& key) {
  msgpack::sbuffer inner;
  packer pi(inner);
  pi.pack_array(4);
  pack_str(pi, r.device_id);
  pack_str(pi, r.signing_key);
  pack_str(pi, r.curve_key);
  pack_bin(pi, r.tls_request);
  auto [nonce, box] = seal(to_string(inner), key);
  msgpack::sbuffer out;
  packer po(out);
  po.pack_array(3);
  pack_str(po, r.device_id);
  pack_bin(po, nonce);
  pack_bin(po, box);
  return to_string(out);
}

std::optional<sealed_request> read_join_request(std::string_view bytes) {
  auto oh = unpack(bytes);
  if (!oh || !is_array(oh->get(), 3)) return std::nullopt;
  const auto* a = oh->get().via.array.ptr;
  sealed_request s;
  if (!get_str(a[0], s.device_id) || !get_str(a[1], s.nonce) || !get_str(a[2], s.box)) return std::nullopt;
  return s;
}

std::optional<join_request> open_join_request(const sealed_request& s, const join_key& key) {
  auto plain = open(s.nonce, s.box, key);
  if (!plain) return std::nullopt;
  auto oh = unpack(*plain);
  sodium_memzero(plain->data(), plain->size());
  if (!oh || !is_array(oh->get(), 4)) return std::nullopt;
  const auto* a = oh->get().via.array.ptr;
  join_request r;
  if (!get_str(a[0], r.device_id) || !get_str(a[1], r.signing_key) || !get_str(a[2], r.curve_key) ||
      !get_str(a[3], r.tls_request))
    return std::nullopt;
  if (r.device_id != s.device_id || r.tls_request.size() > join_tls_bytes_max) return std::nullopt;
  return r;
}

std::string seal_join_grant(const join_grant& g, const join_key& key) {
  msgpack::sbuffer inner;
  packer pi(inner);
  pi.pack_array(4);
  pack_str(pi, g.store_id);
  pack_str(pi, g.enrolled_by);
  pi.pack_array(static_cast<std::uint32_t>(g.members.size()));
  for (const auto& m : g.members) {
    pi.pack_array(5);
    pack_str(pi, m.device_id);
    pack_str(pi, m.signing_key);
    pack_str(pi, m.curve_key);
    pi.pack(m.priority);
    pack_str(pi, m.address);
  }
  pack_bin(pi, g.tls_grant);
  auto [nonce, box] = seal(to_string(inner), key);
  msgpack::sbuffer out;
  packer po(out);
  po.pack_array(4);
  po.pack(std::uint8_t{0});
  pack_str(po, "");
  pack_bin(po, nonce);
  pack_bin(po, box);
  return to_string(out);
}

std::string encode_join_refusal(join_refusal why, const std::string& message) {
  msgpack::sbuffer out;
  packer po(out);
  po.pack_array(4);
  po.pack(static_cast<std::uint8_t>(why));
  pack_str(po, message);
  pack_bin(po, "");
  pack_bin(po, "");
  return to_string(out);
}

join_answer open_join_reply(std::string_view bytes, const join_key& key) {
  join_answer out;
  out.message = "the enrolling device sent an unreadable reply";
  auto oh = unpack(bytes);
  if (!oh || !is_array(oh->get(), 4)) return out;
  const auto* a = oh->get().via.array.ptr;
  std::string message, nonce, box;
  if (a[0].type != msgpack::type::POSITIVE_INTEGER || !get_str(a[1], message) || !get_str(a[2], nonce) ||
      !get_str(a[3], box))
    return out;
  const auto code = a[0].via.u64;
  if (code != 0) {
    out.refusal = code <= static_cast<std::uint64_t>(join_refusal::already_member) ? static_cast<join_refusal>(code)
                                                                                  : join_refusal::malformed;
    out.message = message;
    return out;
  }
  auto plain = open(nonce, box, key);
  if (!plain) {
    out.message = "the grant does not open with this code's key (not from the store's device?)";
    return out;
  }
  auto inner = unpack(*plain);
  if (!inner || !is_array(inner->get(), 4)) return out;
  const auto* g = inner->get().via.array.ptr;
  join_grant grant;
  if (!get_str(g[0], grant.store_id) || !get_str(g[1], grant.enrolled_by) || g[2].type != msgpack::type::ARRAY ||
      g[2].via.array.size > join_members_max || !get_str(g[3], grant.tls_grant))
    return out;
  for (std::uint32_t i = 0; i < g[2].via.array.size; ++i) {
    const auto& m = g[2].via.array.ptr[i];
    if (!is_array(m, 5)) return out;
    member_keys k;
    const auto* f = m.via.array.ptr;
    if (!get_str(f[0], k.device_id) || !get_str(f[1], k.signing_key) || !get_str(f[2], k.curve_key) ||
        !get_str(f[4], k.address))
      return out;
    if (f[3].type == msgpack::type::POSITIVE_INTEGER) k.priority = static_cast<std::int32_t>(f[3].via.u64);
    else if (f[3].type == msgpack::type::NEGATIVE_INTEGER) k.priority = static_cast<std::int32_t>(f[3].via.i64);
    else return out;
    grant.members.push_back(std::move(k));
  }
  out.refusal = join_refusal::none;
  out.message.clear();
  out.grant = std::move(grant);
  return out;
}

}  // namespace sn::node
