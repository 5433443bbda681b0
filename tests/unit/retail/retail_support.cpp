#include "tests/unit/retail/retail_support.hpp"

#include <algorithm>

#include "actors/retail/business_day.hpp"
#include "events/codec.hpp"

namespace sn::retail::test {

std::uint64_t morning_ms() {
  return static_cast<std::uint64_t>(*day_from_string("2026-11-25")) * 86400000ULL + 8ULL * 3600000ULL;
}

till::till(std::string id_, store_settings s)
  : id(std::move(id_)), node(device_id{id}, s), handler(s, device_id{id}, node.source()), state(s), wall_ms(morning_ms()) {
  state.set_detect_conflicts(false);
}

upsert_product product(std::string sku, std::string name, std::int64_t price_cents, std::int32_t tax_rate_bp,
                       std::int64_t low_stock_threshold, bool active) {
  upsert_product c;
  c.sku = std::move(sku);
  c.name = std::move(name);
  c.price_cents = price_cents;
  c.tax_rate_bp = tax_rate_bp;
  c.low_stock_threshold = low_stock_threshold;
  c.active = active;
  return c;
}

sale_line_input line(std::string sku, std::int64_t qty, std::optional<std::int64_t> unit_price_cents,
                     std::int64_t discount_cents) {
  return sale_line_input{std::move(sku), qty, unit_price_cents, discount_cents};
}

payment_input pay(std::string method, std::int64_t amount_cents) { return payment_input{std::move(method), amount_cents}; }

complete_sale sale(std::vector<sale_line_input> lines, std::optional<std::vector<payment_input>> payments) {
  return complete_sale{std::move(lines), std::move(payments)};
}

return_sale give_back(std::string receipt, std::vector<return_line_input> lines, std::optional<std::string> method) {
  return return_sale{std::move(receipt), std::move(lines), std::move(method)};
}

std::optional<command_errc> errc_of(const command_outcome& o) {
  if (o.is_accepted()) return std::nullopt;
  return std::get<rejected>(o.decision).errc;
}

const std::vector<event>& events_of(const command_outcome& o) {
  static const std::vector<event> none;
  return o.is_accepted() ? std::get<accepted>(o.decision).events : none;
}

command_outcome till::run(const command& c, const std::string& key) {
  wall_ms += 1000;
  command_outcome r = handler.handle(c, key, command_context{device_id{id}, wall_ms, term_id{1}});
  if (!r.is_accepted()) return r;
  for (event& e : std::get<accepted>(r.decision).events) {
    event sealed_event = e;
    sealed_event.seq = origin_seq{next_seq++};
    sealed_event.prev_hash = own.empty() ? hash256{} : own.back().hash;
    seal(sealed_event);
    own.push_back(sealed_event);
    handler.committed_own(sealed_event.seq.value(), node.append(sealed_event));
    state.apply(sealed_event);
    e = sealed_event;
  }
  if (r.idempotency_record) node.store_record(r.idempotency_record->first, r.idempotency_record->second);
  return r;
}

void till::pull(const till& from) {
  std::uint64_t& n = seen[from.id];
  for (; n < from.own.size(); ++n) {
    // The tills share one real clock: the puller's is not behind the sender's.
    handler.observe(node.append(from.own[n]), from.own[n], std::max(wall_ms, from.wall_ms));
    state.apply(from.own[n]);
  }
}

std::map<std::string, std::vector<event>> by_origin(const std::vector<const till*>& tills) {
  std::map<std::string, std::vector<event>> out;
  for (const till* t : tills) out[t->id] = t->own;
  return out;
}

std::vector<event> interleave(const std::map<std::string, std::vector<event>>& streams, std::mt19937_64& rng) {
  std::vector<const std::vector<event>*> lists;
  std::vector<std::size_t> pos;
  std::size_t total = 0;
  for (const auto& [origin, list] : streams) {
    lists.push_back(&list);
    pos.push_back(0);
    total += list.size();
  }
  std::vector<event> out;
  out.reserve(total);
  while (out.size() < total) {
    std::vector<std::size_t> open;
    for (std::size_t i = 0; i < lists.size(); ++i) {
      if (pos[i] < lists[i]->size()) open.push_back(i);
    }
    const std::size_t pick = open[std::uniform_int_distribution<std::size_t>(0, open.size() - 1)(rng)];
    out.push_back((*lists[pick])[pos[pick]++]);
  }
  return out;
}

views replay(const std::vector<event>& events, store_settings s) {
  views v(s);
  for (const event& e : events) v.apply(e);
  return v;
}

} // namespace sn::retail::test
