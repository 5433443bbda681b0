// Test helper: a device with a real Ed25519 key writing its own hash chain
// (genesis, enrollments, revocations, products) and signing seqs of it.
#pragma once

#include <sodium.h>

#include <string>
#include <vector>

#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "trust/signature.hpp"

namespace sn::trust::testing {

inline const std::string test_store = "0123456789abcdef0123456789abcdef";

inline std::string hex(const public_key& k) { return sn::to_hex(sn::hash256(k)); }

struct device {
  std::string id;
  public_key pub{};
  secret_key secret{};
  std::vector<event> chain;

  explicit device(std::string name) : id(std::move(name)) {
    if (sodium_init() < 0) std::abort();
    crypto_sign_keypair(pub.data(), secret.data());
  }

  template <class P>
  const event& write(const P& payload) {
    const std::uint64_t seq = chain.size() + 1;
    event e = make_event(device_id{id}, origin_seq{seq}, hlc_timestamp::from_parts(1'700'000'000'000 + seq, 0),
                         term_id{1}, payload);
    e.prev_hash = chain.empty() ? hash256{} : chain.back().hash;
    seal(e);
    chain.push_back(std::move(e));
    return chain.back();
  }
  const event& product(const std::string& sku) {
    product_upserted p;
    p.sku = sku;
    p.name = sku;
    p.price_cents = 100;
    return write(p);
  }
  /// store.created + device.enrolled of itself (the genesis).
  void found(const std::string& store = test_store) {
    write(store_created{store, "shop"});
    write(device_enrolled{id, hex(pub), hex(pub), 100, ""});
  }
  void enroll(const device& d) { write(device_enrolled{d.id, hex(d.pub), hex(d.pub), 10, id}); }
  void revoke(const device& d, std::uint64_t after) {
    device_revoked r;
    r.device_id = d.id;
    r.reason = "stolen";
    r.approved_by = id;
    r.revoked_after_seq = after;
    write(r);
  }
  /// device.keys_rotated of itself naming a fresh key pair; the old pair is
  /// kept in `old_secret` (sign_seq signs with `secret`: the new one after this).
  const event& rotate() {
    old_secret = secret;
    old_pub = pub;
    crypto_sign_keypair(pub.data(), secret.data());
    device_keys_rotated r;
    r.device_id = id;
    r.signing_key = hex(pub);
    r.curve_key = hex(pub);
    r.approved_by = "admin";
    return write(r);
  }
  /// `seq` signed with the key before the last rotate().
  origin_signature sign_old(std::uint64_t seq, const std::string& store = test_store) const {
    return {id, seq, trust::sign(old_secret, store, id, seq, chain.at(seq - 1).hash)};
  }
  public_key old_pub{};
  secret_key old_secret{};

  origin_signature sign_seq(std::uint64_t seq, const std::string& store = test_store) const {
    return {id, seq, trust::sign(secret, store, id, seq, chain.at(seq - 1).hash)};
  }
  /// Pointers to chain[from-1 .. to-1].
  std::vector<const event*> run(std::uint64_t from, std::uint64_t to) const {
    std::vector<const event*> r;
    for (std::uint64_t s = from; s <= to; ++s) r.push_back(&chain.at(s - 1));
    return r;
  }
};

}  // namespace sn::trust::testing
