// Sample payloads with every field set to a non-default value, shared by the
// events tests, so that a field the codec dropped would be noticed.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>

#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/staff.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"

namespace sn::test {

inline product_upserted sample_product_upserted() {
  return {"SKU-1", "Green tea 500 g", "4006381333931", 1299, 700, 5, false, "m1", "a1"};
}
inline price_changed sample_price_changed() { return {"SKU-1", 1349, "m1", "a1"}; }
inline product_deactivated sample_product_deactivated() { return {"SKU-1", "m1", "a1"}; }
inline stock_received sample_stock_received() { return {"SKU-1", 24, "SUP-77/2026", "s1", "m1"}; }
inline stock_adjusted sample_stock_adjusted() { return {"SKU-1", -3, "damage", "dropped a box", "s1", "m1"}; }
inline stock_counted sample_stock_counted() { return {"SKU-1", 17, 19, "s1", "m1"}; }
inline sale_completed sample_sale_completed() {
  sale_completed s;
  s.receipt = "POS1-000042";
  s.lines = {{"SKU-1", 2, 1299, 100, 700, 162}, {"SKU-2", 1, 250, 0, 2000, 42}, {"SKU-3", 3, 99, 0, 0, 0}};
  s.gross_cents = 3145;
  s.discount_cents = 100;
  s.tax_cents = 204;
  s.total_cents = 3045;
  s.payments = {{"card", 2000, "visa", "4242", "A1B2C3", "ch_3PqR.77"}, {"cash", 1100}};
  s.change_cents = 55;
  s.business_day = "2026-11-25";
  s.staff_id = "c1";
  s.approver_id = "s1";
  return s;
}
inline sale_returned sample_sale_returned() {
  return {"POS2-R000007", "POS1-000042", {{"SKU-1", 1, 1249, 81}}, 1249, "cash", "2026-11-25", "c1", "s1"};
}

/// The payload bytes a schema 1 writer made of `p` (sale.completed and
/// sale.returned, the types that gained business_day as their last field in
/// schema 2): the schema 2 encoding without that field.
template <class P>
std::string schema1_payload(P p) {
  // Schema 1 had neither business_day nor the attribution (staff_id,
  // approver_id): the last three fields, all "" (0xa0) here.
  p.business_day.clear();
  p.staff_id.clear();
  p.approver_id.clear();
  std::string b = encode_payload(p);  // fixarray header, ..., "", "", "" last
  if constexpr (std::is_same_v<P, sale_completed>) {
    // Before schema 4 a payment was [method, amount_cents]: splice those in
    // where this build writes its 6-field payments.
    P none = p;
    none.payments.clear();
    const std::string without = encode_payload(none);  // payments: 0x90
    std::size_t at = 0;
    while (at < without.size() && without[at] == b[at]) ++at;
    std::string old(1, static_cast<char>(0x90 | p.payments.size()));
    for (const payment& m : p.payments) {
      old += static_cast<char>(0x92);
      old += static_cast<char>(0xa0 | m.method.size());
      old += m.method;
      const std::uint64_t v = static_cast<std::uint64_t>(m.amount_cents);
      if (v < 128) {
        old += static_cast<char>(v);
      } else if (v < 256) {
        old += "\xcc";
        old += static_cast<char>(v);
      } else {
        old += "\xcd";
        old += static_cast<char>(v >> 8);
        old += static_cast<char>(v & 0xff);
      }
    }
    b = without.substr(0, at) + old + without.substr(at + 1);
  }
  b[0] = static_cast<char>(b[0] - 3);
  b.resize(b.size() - 3);
  return b;
}

/// A sealed schema 1 event of `p` at wall time `wall_ms` (ms since the epoch).
template <class P>
event schema1_event(const P& p, std::uint64_t wall_ms, std::uint64_t seq = 1, const std::string& origin = "POS1") {
  event e = make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(wall_ms, 0), term_id{1}, p);
  e.schema = 1;
  e.payload = schema1_payload(p);
  seal(e);
  return e;
}
inline sale_voided sample_sale_voided() { return {"POS1-000042", "customer left", "c1", "s1"}; }
inline day_closed sample_day_closed() {
  return {"2026-11-25", 314500, 1200, 20400, 1249, 312051, {{"cash", 100000}, {"card", 212051}}, 57, "s1", "m1"};
}
inline device_registered sample_device_registered() { return {"POS1", "Front till", 10, "admin", "a2"}; }
inline device_updated sample_device_updated() { return {"POS1", "Front till (new)", 20, false, "m1", "a1"}; }
inline store_created sample_store_created() { return {"00112233445566778899aabbccddeeff", "shop-1"}; }
inline device_enrolled sample_device_enrolled() {
  return {"POS2", std::string(64, 'a'), std::string(64, 'b'), 20, "BO"};
}
inline device_revoked sample_device_revoked() { return {"POS2", "stolen", "admin", 42}; }
inline device_keys_rotated sample_device_keys_rotated() {
  return {"POS1", std::string(64, 'c'), std::string(64, 'd'), "admin"};
}
inline master_changed sample_master_changed() {
  return {"POS1", "POS2", 7, "failure", {"POS2", "POS3"}};
}
inline conflict_resolved sample_conflict_resolved() {
  return {"product.price", "SKU-1", "POS2:10", "POS1:12", "lww_hlc_origin", "{\"price_cents\":1299}",
          "{\"price_cents\":1349}"};
}

inline staff_added sample_staff_added() {
  return {"c1", "Anna", "cashier", "$argon2id$v=19$m=16384,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", false, "m1", "a1"};
}
inline staff_updated sample_staff_updated() {
  return {"c1", "Anna B", "supervisor", "$argon2id$v=19$m=16384,t=2,p=1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2g", false, "m1", "a1"};
}
inline staff_removed sample_staff_removed() { return {"c1", "m1", "a1"}; }
inline staff_signed_in sample_staff_signed_in() { return {"c1", "cashier"}; }
inline staff_sign_in_failed sample_staff_sign_in_failed() { return {"c9", "wrong_pin"}; }
inline staff_signed_out sample_staff_signed_out() { return {"c1"}; }

/// Every payload sample, for typed tests over the whole catalog.
inline auto all_samples() {
  return std::make_tuple(sample_product_upserted(), sample_price_changed(), sample_product_deactivated(),
                         sample_stock_received(), sample_stock_adjusted(), sample_stock_counted(),
                         sample_sale_completed(), sample_sale_returned(), sample_sale_voided(), sample_day_closed(),
                         sample_device_registered(), sample_device_updated(), sample_master_changed(),
                         sample_conflict_resolved(), sample_staff_added(), sample_staff_updated(),
                         sample_staff_removed(), sample_staff_signed_in(), sample_staff_sign_in_failed(),
                         sample_staff_signed_out(), sample_store_created(),
                         sample_device_enrolled(), sample_device_revoked(), sample_device_keys_rotated());
}

/// A sealed event of `p` at a fixed time, as the golden tests pin it.
template <class P>
event sample_event(const P& p, std::uint64_t seq = 42, const std::string& origin = "POS1") {
  event e = make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(1795615387123ULL, 3),
                       term_id{7}, p);
  for (std::size_t i = 0; i < e.prev_hash.size(); ++i) e.prev_hash[i] = static_cast<std::uint8_t>(i);
  seal(e);
  return e;
}

inline std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

inline std::string unhex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  return out;
}

} // namespace sn::test
