// Origin signatures: what they cost (issue 9 item 7). Not a test.
//
//   bench_signed_catchup [--events N] [--rounds R]
//
// 1. Sign and verify: R Ed25519 signatures (trust::sign) and verifications
//    (trust::verify) of signed_message(...): cost per commit batch (the
//    writer signs one per batch, plus one per 256 events) and per received
//    batch (the gate verifies one per origin and batch when peers are honest).
// 2. Catch-up of the sync append path, same run, same event shapes:
//    node A's RocksDB event log (durability os) holds N events of origin A
//    (~150 B product/price events) in commit batches of 1000; B, an empty log,
//    pulls them with sync_fsm (batches of 1000: request, reply, decode, gate,
//    append with the real storage::event_log, hash and chain checks).
//    - signed: A's log is a store (genesis, then the events), signed as the
//      log writer signs (last of each batch, every 256th), signatures stored;
//      B pins the store and refuses unenrolled origins: every batch is cut at
//      a signature, verified, and its signature stored with it.
//    - unsigned ("checks off"): the same events without a store or signatures;
//      B admits unenrolled origins: nothing cut, verified or stored.
//    ev/s of each and their ratio. What it leaves out: the broker (ZeroMQ) and
//    the projections' folds (a node's catch-up to queryable views), identical
//    in both runs (docs/benchmarks.md).
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <string>
#include <variant>

#include "actors/sync/sync_fsm.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "storage/event_log.hpp"
#include "trust/signature.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t commit_batch = 1000;
const std::string store = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

class log_adapter final : public sn::sync::log_reader {
 public:
  explicit log_adapter(const sn::storage::event_log& l) : log_(l) {}
  sn::sync::version_vector versions() const override { return log_.versions(); }
  std::vector<std::string> read_origin_bytes(const std::string& origin, std::uint64_t from, std::size_t count_max,
                                             std::size_t bytes_max) const override {
    std::vector<std::string> out;
    std::size_t bytes = 0;
    for (auto& r : log_.read_origin_bytes(sn::device_id{origin}, sn::origin_seq{from}, count_max)) {
      if (!out.empty() && bytes + r.bytes.size() > bytes_max) break;
      bytes += r.bytes.size();
      out.push_back(std::move(r.bytes));
    }
    return out;
  }
  std::vector<sn::trust::origin_signature> signatures(const std::string& origin, std::uint64_t from,
                                                      std::uint64_t to) const override {
    return log_.signatures(sn::device_id{origin}, sn::origin_seq{from}, sn::origin_seq{to},
                           sn::sync::message_events_max);
  }
  std::optional<sn::trust::origin_signature> signature_at_or_after(const std::string& origin,
                                                                   std::uint64_t from) const override {
    return log_.signature_at_or_after(sn::device_id{origin}, sn::origin_seq{from});
  }

 private:
  const sn::storage::event_log& log_;
};

std::unique_ptr<sn::storage::event_log> open_log(const std::filesystem::path& dir) {
  sn::storage::log_options o;
  o.data_dir = dir.string();
  o.sync = sn::storage::durability::os;
  auto l = sn::storage::event_log::open(o);
  if (!l) {
    std::fprintf(stderr, "cannot open %s: %s\n", dir.c_str(), l.error().message.c_str());
    std::exit(2);
  }
  return std::move(*l);
}

/// A's log: [genesis,] then n events, commit batches of 1000, signed like the log writer when `sign`.
void write_source(sn::storage::event_log& log, std::size_t n, bool sign, const sn::trust::secret_key& secret,
                  const sn::trust::public_key& pub) {
  std::vector<sn::event> batch;
  std::vector<sn::trust::origin_signature> sigs;
  sn::hash256 prev{};
  std::uint64_t seq = 0;
  auto add = [&](sn::event e) {
    e.seq = sn::origin_seq{++seq};
    e.prev_hash = prev;
    sn::seal(e);
    prev = e.hash;
    batch.push_back(std::move(e));
  };
  auto flush = [&] {
    if (batch.empty()) return;
    if (sign) {
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& e = batch[i];
        if (!sn::trust::signs_seq(e.seq.value(), i + 1 == batch.size())) continue;
        sigs.push_back({"A", e.seq.value(), sn::trust::sign(secret, store, "A", e.seq.value(), e.hash)});
      }
    }
    sn::storage::append_options o;
    o.sealed_here = batch.size();
    o.signatures = &sigs;
    auto r = log.append(batch, {}, o);
    if (!r || r->appended != batch.size()) std::exit(3);
    batch.clear();
    sigs.clear();
  };
  const auto hlc = sn::hlc_timestamp::from_parts(1'700'000'000'000, 0);
  if (sign) {
    const std::string key = sn::to_hex(sn::hash256(pub));
    add(sn::make_event(sn::device_id{"A"}, sn::origin_seq{1}, hlc, sn::term_id{1}, sn::store_created{store, "bench"}));
    add(sn::make_event(sn::device_id{"A"}, sn::origin_seq{1}, hlc, sn::term_id{1},
                       sn::device_enrolled{"A", key, key, 1, ""}));
  }
  for (std::size_t i = 0; i < n; ++i) {
    sn::product_upserted p;
    p.sku = "SKU-" + std::to_string(i % 5000);
    p.name = "Product number " + std::to_string(i);
    p.price_cents = 100 + static_cast<std::int64_t>(i % 900);
    p.tax_rate_bp = 700;
    add(sn::make_event(sn::device_id{"A"}, sn::origin_seq{1}, sn::hlc_timestamp::from_parts(1'700'000'000'000 + i, 0),
                       sn::term_id{1}, p));
    if (batch.size() == commit_batch) flush();
  }
  flush();
}

struct catchup_result {
  std::uint64_t events = 0;
  double secs = 0;
  std::uint64_t verified = 0;
  std::uint64_t signatures_stored = 0;
  bool complete = false;
};

catchup_result catch_up(sn::storage::event_log& a_log, sn::storage::event_log& b_log, bool signed_store) {
  log_adapter a_reader(a_log), b_reader(b_log);
  sn::sync::sync_config cfg;
  cfg.admit_unenrolled = !signed_store;
  sn::sync::sync_fsm a("A", cfg, a_reader);
  sn::sync::sync_fsm b("B", cfg, b_reader);
  if (signed_store) b.pin_store(store);
  struct msg {
    bool to_b;
    std::uint8_t type;
    std::string body;
  };
  std::deque<msg> wire;
  const std::uint64_t wall = 1'700'000'000'000 + 100'000'000;
  auto carry = [&](bool from_b, std::vector<sn::sync::output> outs, auto& self) -> void {
    for (auto& o : outs) {
      if (auto* s = std::get_if<sn::sync::send_message>(&o)) {
        wire.push_back(msg{!from_b, static_cast<std::uint8_t>(s->type), std::move(s->body)});
      } else if (auto* ap = std::get_if<sn::sync::append_events>(&o)) {
        auto& log = from_b ? b_log : a_log;
        auto& f = from_b ? b : a;
        sn::storage::append_options opt;
        opt.signatures = &ap->signatures;
        auto r = log.append(ap->events, {}, opt);
        if (!r) std::exit(4);
        self(from_b, f.on_appended(r->outcomes, 0), self);
      }
    }
  };
  const auto t0 = clock_type::now();
  b.peer_seen("A", 0);
  a.peer_seen("B", 0);
  carry(true, b.on_tick(0, wall), carry);
  while (!wire.empty()) {
    msg m = std::move(wire.front());
    wire.pop_front();
    if (m.to_b) {
      carry(true, b.on_message("A", m.type, m.body, 0, wall), carry);
    } else {
      carry(false, a.on_message("B", m.type, m.body, 0, wall), carry);
    }
  }
  catchup_result r;
  r.secs = seconds_since(t0);
  r.events = b_log.versions()["A"];
  r.complete = b_log.versions() == a_log.versions();
  r.verified = b.counters().signatures_verified;
  const auto scanned = b_log.scan_signatures([&](const sn::trust::origin_signature&) {
    ++r.signatures_stored;
    return true;
  });
  if (!scanned) r.complete = false;  // the stored signatures could not all be counted
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t events = 1'000'000;
  int rounds = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--events")
      events = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
  }
  if (sodium_init() < 0) return 2;
  sn::trust::public_key pub{};
  sn::trust::secret_key secret{};
  crypto_sign_keypair(pub.data(), secret.data());

  // 1. sign / verify
  sn::hash256 h{};
  h.fill(7);
  auto t0 = clock_type::now();
  sn::trust::signature_bytes sig{};
  for (int i = 0; i < rounds; ++i) sig = sn::trust::sign(secret, store, "POS1", static_cast<std::uint64_t>(i + 1), h);
  const double sign_us = seconds_since(t0) * 1e6 / rounds;
  t0 = clock_type::now();
  int ok = 0;
  for (int i = 0; i < rounds; ++i)
    ok += sn::trust::verify(pub, sig, store, "POS1", static_cast<std::uint64_t>(rounds), h) ? 1 : 0;
  const double verify_us = seconds_since(t0) * 1e6 / rounds;
  std::printf("sign: %.1f us per signature (one per commit batch, plus one per 256 events)\n", sign_us);
  std::printf("verify: %.1f us per signature (%d/%d valid; one per origin and received batch)\n", verify_us, ok,
              rounds);
  std::printf(
      "per 1000-event batch: sign %.1f us (%.2f us/event with 4 interval signatures), verify %.1f us (%.3f us/event)\n",
      sign_us * 5, sign_us * 5 / 1000, verify_us, verify_us / 1000);

  // 2. catch-up, signed vs unsigned, same run
  const auto base = std::filesystem::temp_directory_path() / ("bench_signed_catchup." + std::to_string(::getpid()));
  std::filesystem::remove_all(base);
  catchup_result signed_r, plain_r;
  {
    auto a = open_log(base / "a_signed");
    auto a2 = open_log(base / "a_plain");
    t0 = clock_type::now();
    write_source(*a, events, true, secret, pub);
    const double write_signed = seconds_since(t0);
    t0 = clock_type::now();
    write_source(*a2, events, false, secret, pub);
    const double write_plain = seconds_since(t0);
    std::printf("source logs: %zu events written signed in %.2f s, unsigned in %.2f s (ratio %.2f)\n", events,
                write_signed, write_plain, write_plain / write_signed);
    // Interleave: plain, signed, plain, signed (best of two each) against a noisy machine.
    for (int pass = 0; pass < 2; ++pass) {
      auto b2 = open_log(base / ("b_plain" + std::to_string(pass)));
      auto p = catch_up(*a2, *b2, false);
      auto b = open_log(base / ("b_signed" + std::to_string(pass)));
      auto s = catch_up(*a, *b, true);
      if (!p.complete || !s.complete) {
        std::printf("INCOMPLETE catch-up (plain %d, signed %d)\n", p.complete, s.complete);
        return 1;
      }
      if (pass == 0 || p.secs < plain_r.secs) plain_r = p;
      if (pass == 0 || s.secs < signed_r.secs) signed_r = s;
    }
  }
  std::filesystem::remove_all(base);
  const double plain_eps = plain_r.events / plain_r.secs;
  const double signed_eps = signed_r.events / signed_r.secs;
  std::printf("catch-up, checks off (unsigned): %llu events in %.2f s = %.0f ev/s\n",
              static_cast<unsigned long long>(plain_r.events), plain_r.secs, plain_eps);
  std::printf(
      "catch-up, signatures checked:   %llu events in %.2f s = %.0f ev/s; %llu signatures verified, %llu stored\n",
      static_cast<unsigned long long>(signed_r.events), signed_r.secs, signed_eps,
      static_cast<unsigned long long>(signed_r.verified), static_cast<unsigned long long>(signed_r.signatures_stored));
  std::printf("ratio checked / off: %.0f %% (target >= 80 %%, >= 200k ev/s)\n", 100.0 * signed_eps / plain_eps);
  return 0;
}
