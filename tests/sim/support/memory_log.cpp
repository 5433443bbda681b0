#include "tests/sim/support/memory_log.hpp"

#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "events/sale.hpp"
#include "events/stock.hpp"

namespace sn::sim {

using storage::append_outcome;

memory_log::memory_log(std::string owner)
    : owner_(std::move(owner)),
      rows_(std::make_unique<projections::memory_row_store>(projections::all_projections().size())),
      set_(std::make_unique<projections::projection_set>(retail::store_settings{}, projections::all_projections(), *rows_)) {
  (void)set_->open();  // memory rows: nothing to load
}

std::map<std::string, std::string> memory_log::digests() const {
  // Fold batches end here: the set writes rows and digests when asked (as a
  // node's actor does per commit batch), so a check sees every held event.
  (void)set_->flush();  // memory rows never fail
  std::map<std::string, std::string> out;
  for (std::size_t i = 0; i < set_->size(); ++i) out[set_->info(i).name] = set_->digest_hex(i);
  return out;
}

append_outcome memory_log::append_one(const sn::event& e) {
  const std::string bytes = sn::encode(e);
  if (bytes.size() > sn::event_bytes_max) return append_outcome::too_large;
  if (!sn::valid_device_id(e.origin.value()) || e.seq.value() == 0) return append_outcome::invalid;
  origin_stream& s = streams_[e.origin.value()];
  const std::uint64_t seq = e.seq.value();
  const std::uint64_t head = s.bytes.size();
  if (seq <= head) return s.bytes[seq - 1] == bytes ? append_outcome::duplicate : append_outcome::fork;
  if (seq > head + 1) return append_outcome::gap;
  if (!sn::verify_hash(e)) return append_outcome::bad_hash;
  const sn::hash256 want_prev = head == 0 ? sn::hash256{} : s.hashes[head - 1];
  if (e.prev_hash != want_prev) return append_outcome::bad_hash;

  if (!hashes_.insert(e.hash).second) ++double_applies_;  // cannot happen: the sim asserts it
  s.bytes.push_back(bytes);
  s.hashes.push_back(e.hash);
  if (auto p = sn::payload_of<sn::stock_adjusted>(e)) delta_sum_ += p->delta;
  set_->apply(++position_, e, /*detect_conflicts=*/false);
  return append_outcome::appended;
}

bool memory_log::add_signature(const trust::origin_signature& sig) {
  auto it = streams_.find(sig.origin);
  if (it == streams_.end() || sig.seq == 0 || sig.seq > it->second.bytes.size()) return false;
  sigs_[sig.origin][sig.seq] = sig;
  return true;
}

std::optional<sn::hash256> memory_log::hash_of(const std::string& origin, std::uint64_t seq) const {
  auto it = streams_.find(origin);
  if (it == streams_.end() || seq == 0 || seq > it->second.hashes.size()) return std::nullopt;
  return it->second.hashes[seq - 1];
}

std::vector<trust::origin_signature> memory_log::signatures(const std::string& origin, std::uint64_t from_seq,
                                                            std::uint64_t to_seq) const {
  std::vector<trust::origin_signature> out;
  auto it = sigs_.find(origin);
  if (it == sigs_.end()) return out;
  for (auto s = it->second.lower_bound(from_seq); s != it->second.end() && s->first <= to_seq; ++s) {
    out.push_back(s->second);
  }
  return out;
}

std::optional<trust::origin_signature> memory_log::signature_at_or_after(const std::string& origin,
                                                                        std::uint64_t from_seq) const {
  auto it = sigs_.find(origin);
  if (it == sigs_.end()) return std::nullopt;
  auto s = it->second.lower_bound(from_seq);
  if (s == it->second.end()) return std::nullopt;
  return s->second;
}

std::vector<append_outcome> memory_log::append(const std::vector<sn::event>& batch,
                                               const std::vector<trust::origin_signature>& signatures) {
  std::vector<append_outcome> out;
  out.reserve(batch.size());
  for (const auto& e : batch) {
    out.push_back(append_one(e));
    ++outcomes_[out.back()];
  }
  for (const auto& sig : signatures) add_signature(sig);
  return out;
}

std::string memory_log::write_own(std::uint64_t hlc_ms, std::int64_t delta) {
  origin_stream& s = streams_[owner_];
  const std::uint64_t seq = s.bytes.size() + 1;
  const std::string sku = "SKU-" + std::to_string(seq % 7);
  const auto hlc = sn::hlc_timestamp::from_parts(hlc_ms, 0);
  // A mix that exercises the order-independence of the real projections:
  // last-writer-wins registers written concurrently on several devices
  // (prices, products), sums of deltas (stock), and sales.
  sn::event e;
  switch (seq % 4) {
    case 0: {
      sn::price_changed p;
      p.sku = sku;
      p.price_cents = 100 + (delta + 10) * 7;
      e = sn::make_event(sn::device_id{owner_}, sn::origin_seq{seq}, hlc, sn::term_id{1}, p);
      break;
    }
    case 1: {
      sn::product_upserted p;
      p.sku = sku;
      p.name = owner_ + " names it " + std::to_string(seq);
      p.price_cents = 200 + delta;
      p.tax_rate_bp = 700;
      e = sn::make_event(sn::device_id{owner_}, sn::origin_seq{seq}, hlc, sn::term_id{1}, p);
      break;
    }
    case 2: {
      sn::sale_completed p;
      p.receipt = owner_ + "-" + std::to_string(seq);
      p.lines.push_back({sku, 1 + (delta < 0 ? -delta : delta) % 3, 150, 0, 700, 10});
      p.gross_cents = p.lines[0].qty * 150;
      p.total_cents = p.gross_cents;
      p.tax_cents = 10;
      p.payments.push_back({"card", p.total_cents});
      e = sn::make_event(sn::device_id{owner_}, sn::origin_seq{seq}, hlc, sn::term_id{1}, p);
      break;
    }
    default: {
      sn::stock_adjusted p;
      p.sku = sku;
      p.delta = delta;
      p.reason = "other";
      e = sn::make_event(sn::device_id{owner_}, sn::origin_seq{seq}, hlc, sn::term_id{1}, p);
    }
  }
  e.prev_hash = seq == 1 ? sn::hash256{} : s.hashes.back();
  sn::seal(e);
  [[maybe_unused]] const append_outcome o = append_one(e);
  ++outcomes_[o];
  return sn::encode(e);
}

sn::event memory_log::write_own_event(sn::event e) {
  origin_stream& s = streams_[owner_];
  const std::uint64_t seq = s.bytes.size() + 1;
  e.origin = sn::device_id{owner_};
  e.seq = sn::origin_seq{seq};
  e.prev_hash = seq == 1 ? sn::hash256{} : s.hashes.back();
  sn::seal(e);
  [[maybe_unused]] const append_outcome o = append_one(e);
  ++outcomes_[o];
  return e;
}

sync::version_vector memory_log::versions() const {
  sync::version_vector v;
  for (const auto& [origin, s] : streams_) {
    if (!s.bytes.empty()) v.emplace(origin, s.bytes.size());
  }
  return v;
}

std::vector<std::string> memory_log::read_origin_bytes(const std::string& origin, std::uint64_t from_seq,
                                                       std::size_t count_max, std::size_t bytes_max) const {
  std::vector<std::string> out;
  auto it = streams_.find(origin);
  if (it == streams_.end() || from_seq == 0) return out;
  const auto& b = it->second.bytes;
  std::size_t bytes = 0;
  for (std::uint64_t seq = from_seq; seq <= b.size() && out.size() < count_max; ++seq) {
    const std::string& e = b[seq - 1];
    if (!out.empty() && bytes + e.size() > bytes_max) break;
    bytes += e.size();
    out.push_back(e);
  }
  return out;
}

} // namespace sn::sim
