// The replay bench's event mix as a stream (bench_replay, bench_scale): sealed,
// chained retail events from 3 origins (POS1, POS2, BACKOFFICE). First the
// catalogue (2,000 product.upserted from BACKOFFICE), the three devices and
// BACKOFFICE as master; then, per event, 55 % sales of 1-4 lines, 7 % returns,
// 2 % voids, 16 % stock receipts, 8 % adjustments, 5 % price changes, 4 %
// counts, 1 % conflict records, 2 % product upserts, over 2,000 skus. Seeded
// (42): the same options give the same bytes.
//
// By default no event names a person and card payments carry no card fields:
// the mix as tills wrote it before staff sign-in (issue 10). With
// cashiers_per_origin, the set-up adds that many cashiers per origin and each
// origin works in shifts (one cashier signed in, staff.signed_in / _out
// between shifts) and stamps its cashier on every event it writes, as a till
// does since every request needs a staff session; with card_details, card
// payments carry what the terminal printed. Either changes the bytes from the
// first event after the set-up.
//
// Memory stays O(sales) in small integers (a 10 M-event stream holds ~45 MB),
// so a benchmark can write any number of events without holding them.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "events/civil_date.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/election.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/staff.hpp"
#include "events/stock.hpp"
#include "events/sync.hpp"
#include "events/time_zone.hpp"

namespace sn::bench {

struct replay_mix_options {
  /// HLC wall time of the first event (default 2026-11-18).
  std::uint64_t first_wall_ms = 1795000000000ULL;
  /// Wall time between two events (default 3 ms: bench_replay's dense history).
  std::uint64_t spacing_ms = 3;
  /// Zone the business days of sales and returns are stamped in (default UTC+1, bench_replay's store).
  time_zone zone = time_zone::fixed(60);
  /// Cashiers per origin (0: no staff events, nothing attributed).
  int cashiers_per_origin = 0;
  /// An origin's events per shift (its cashier signs out, the next one in).
  std::size_t shift_events = 1500;
  /// Card payments carry brand, last4, auth code and processor reference.
  bool card_details = false;
};

class replay_mix {
 public:
  static constexpr int sku_count = 2000;
  static constexpr int origin_count = 3;
  static const char* origin(int o) {
    static const char* const names[] = {"POS1", "POS2", "BACKOFFICE"};
    return names[o];
  }
  static std::string sku_name(int i) { return "SKU-" + std::to_string(100000 + i); }
  /// Receipt `n` (from 1) of origin `o`: six digits, more from the millionth on.
  static std::string receipt_name(int o, std::uint64_t n) { return std::string(origin(o)) + "-" + digits(n); }
  /// Cashier `k` (from 0) of origin `o`.
  static std::string cashier_name(int o, int k) { return std::string(origin(o)) + "-C" + std::to_string(k + 1); }

  /// At least `n` events: the set-up events are written whole even when `n` is smaller.
  explicit replay_mix(std::size_t n, replay_mix_options o = {}) : n_(n), o_(std::move(o)), wall_(o_.first_wall_ms) {}

  bool done() const { return setup_done_ && emitted_ >= n_; }
  std::size_t emitted() const { return emitted_; }
  /// Sales written so far by origin `o` (their receipts are receipt_name(o, 1..sales(o))).
  std::uint64_t sales(int o) const { return receipts_[o]; }
  /// Wall time (ms) of the last event written.
  std::uint64_t last_wall_ms() const { return wall_; }

  /// Continues origin `o`'s chain after (seq, hash): events the mix did not
  /// write come first (a store's genesis). Call before the first next().
  void continue_origin(int o, std::uint64_t seq, const hash256& hash) {
    seq_[o] = seq;
    prev_[o] = hash;
  }

  /// The next event, sealed and chained to its origin's previous one.
  event next() {
    if (products_ < sku_count && emitted_ < n_) {
      const int i = products_++;
      return emit(2, product_upserted{sku_name(i), "Product " + std::to_string(i), "400" + std::to_string(i),
                                      100 + pick(5000), pick(3) * 1000, 5, true});
    }
    if (!setup_done_) {
      products_ = sku_count;
      if (devices_ < origin_count) {
        const int o = devices_++;
        return emit(2, device_registered{origin(o), origin(o), 10 * o});
      }
      setup_done_ = true;
      return emit(2, master_changed{"", "BACKOFFICE", 1, "startup", {"POS1", "POS2", "BACKOFFICE"}});
    }
    if (const int c = o_.cashiers_per_origin; c > 0) {
      if (staff_added_ < origin_count * c) {
        const int k = staff_added_++;
        const std::string id = cashier_name(k / c, k % c);
        return emit(2, staff_added{id, "Cashier " + id, "cashier", cashier_pin_hash, true, "", ""});
      }
      for (int o = 0; o < origin_count; ++o) {
        if (on_shift_[o].empty()) {
          on_shift_[o] = cashier_name(o, static_cast<int>(shifts_[o]++ % static_cast<std::uint64_t>(c)));
          shift_left_[o] = o_.shift_events;
          return emit(o, staff_signed_in{on_shift_[o], "cashier"});
        }
      }
    }
    for (;;) {
      const int r = pick(100);
      const int o = pick(origin_count);
      const int sku = pick(sku_count);
      if (o_.cashiers_per_origin > 0 && shift_left_[o]-- == 0) {
        staff_signed_out out{on_shift_[o]};
        on_shift_[o].clear();
        return emit(o, std::move(out));
      }
      if (r < 55) {  // sale with 1-4 lines
        sale_completed s;
        s.receipt = receipt_name(o, ++receipts_[o]);
        const int lines = 1 + pick(4);
        int first_sku = 0;
        for (int l = 0; l < lines; ++l) {
          const int line_sku = pick(sku_count);
          if (l == 0) first_sku = line_sku;
          sale_line line{sku_name(line_sku), 1 + pick(3), 100 + pick(2000), pick(4) == 0 ? 10 : 0, 2000, 0};
          line.tax_cents = (line.qty * line.unit_price_cents - line.discount_cents) / 6;
          s.gross_cents += line.qty * line.unit_price_cents;
          s.discount_cents += line.discount_cents;
          s.tax_cents += line.tax_cents;
          s.lines.push_back(std::move(line));
        }
        s.total_cents = s.gross_cents - s.discount_cents;
        payment pay{pick(2) ? "cash" : "card", s.total_cents};
        if (o_.card_details && pay.method == "card") {
          static const char* const brands[] = {"visa", "mastercard", "amex", "maestro"};
          pay.brand = brands[pick(4)];
          pay.last4 = std::to_string(10000 + pick(10000)).substr(1);
          pay.auth_code = std::to_string(100000 + pick(900000));
          pay.processor_ref = "TX" + std::to_string(1000000000LL + emitted_);
        }
        s.payments.push_back(std::move(pay));
        sold_.push_back(sold{static_cast<std::uint32_t>(receipts_[o]), static_cast<std::uint16_t>(first_sku),
                             static_cast<std::uint8_t>(o)});
        return emit(o, std::move(s));
      }
      if (r < 62 && !sold_.empty()) {
        const sold& x = sold_[static_cast<std::size_t>(pick(static_cast<int>(sold_.size())))];
        return emit(o, sale_returned{std::string(origin(o)) + "-R" + digits(++returns_[o]),
                                     receipt_name(x.origin, x.receipt),
                                     {return_line{sku_name(x.sku), 1, 500, 83}},
                                     500,
                                     "cash",
                                     ""});
      }
      if (r < 64 && !sold_.empty()) {
        const sold& x = sold_[static_cast<std::size_t>(pick(static_cast<int>(sold_.size())))];
        return emit(o, sale_voided{receipt_name(x.origin, x.receipt), "customer"});
      }
      // (A return or void drawn before the first sale falls through to a stock receipt.)
      if (r < 80) return emit(o, stock_received{sku_name(sku), 10 + pick(50), "PO-" + std::to_string(pick(100000))});
      if (r < 88) return emit(o, stock_adjusted{sku_name(sku), -1 - pick(3), "damage", ""});
      if (r < 93) return emit(o, price_changed{sku_name(sku), 100 + pick(5000)});
      if (r < 97) return emit(o, stock_counted{sku_name(sku), pick(100), pick(100)});
      if (r < 98) {
        return emit(2, conflict_resolved{"product.price", sku_name(sku), "POS1:1", "POS2:1", "lww_hlc_origin",
                                         "{\"price_cents\":1}", "{\"price_cents\":2}"});
      }
      return emit(o, product_upserted{sku_name(sku), "Renamed", "", 100 + pick(5000), 2000, 5, pick(10) != 0});
    }
  }

 private:
  /// A receipt sold (for returns and voids): its origin, number and first line's sku.
  struct sold {
    std::uint32_t receipt;
    std::uint16_t sku;
    std::uint8_t origin;
  };

  static std::string digits(std::uint64_t n) {
    return n < 1000000 ? std::to_string(1000000 + n).substr(1) : std::to_string(n);
  }

  template <class P, class... Ts>
  static constexpr bool is_one_of = (std::is_same_v<P, Ts> || ...);
  /// The PIN hash every generated cashier gets (the fold stores it; nobody signs in with it).
  static constexpr const char* cashier_pin_hash =
      "$argon2id$v=19$m=65536,t=2,p=1$YmVuY2hiZW5jaGJlbmNo$3tXv1l0G0kBvXcT5m6f3uQm0bY3l9gE2cXr5b1oHq1E";

  int pick(int k) { return std::uniform_int_distribution<int>(0, k - 1)(rng_); }

  template <class P>
  event emit(int o, P payload) {
    wall_ += o_.spacing_ms;
    // Sales and returns carry their business day, as tills stamp it (schema 2).
    if constexpr (std::is_same_v<P, sale_completed> || std::is_same_v<P, sale_returned>) {
      payload.business_day = format_day(o_.zone.local_day(static_cast<std::int64_t>(wall_)));
    }
    // Every command event names who wrote it (a conflict record is the master's own).
    if constexpr (is_one_of<P, sale_completed, sale_returned, sale_voided, stock_received, stock_adjusted, stock_counted,
                            product_upserted, price_changed>) {
      if (o < origin_count && !on_shift_[o].empty()) payload.staff_id = on_shift_[o];
    }
    event e = make_event(device_id{origin(o)}, origin_seq{++seq_[o]}, hlc_timestamp::from_parts(wall_, 0), term_id{1},
                         payload);
    e.prev_hash = prev_[o];
    seal(e);
    prev_[o] = e.hash;
    ++emitted_;
    return e;
  }

  std::size_t n_;
  replay_mix_options o_;
  std::mt19937_64 rng_{42};
  std::uint64_t wall_;
  std::size_t emitted_ = 0;
  int products_ = 0;
  int devices_ = 0;
  bool setup_done_ = false;
  std::uint64_t seq_[origin_count] = {0, 0, 0};
  std::uint64_t receipts_[origin_count] = {0, 0, 0};
  std::uint64_t returns_[origin_count] = {0, 0, 0};
  hash256 prev_[origin_count]{};
  std::vector<sold> sold_;
  int staff_added_ = 0;
  std::string on_shift_[origin_count];       // "" between shifts
  std::uint64_t shifts_[origin_count] = {0, 0, 0};
  std::size_t shift_left_[origin_count] = {0, 0, 0};  // the origin's events left in the shift
};

}  // namespace sn::bench
