#include "actors/projections/projection_set.hpp"

#include <algorithm>
#include <bitset>
#include <limits>

#include "actors/projections/row_codec.hpp"
#include "events/errc.hpp"
#include "events/upcast.hpp"

namespace sn::projections {

namespace {

template <class P>
expected<payload> decode_as(const event& e, const upcast_context& ctx) {
  auto p = decode_current<P>(e, ctx);
  if (!p) return p.error();
  return payload{std::move(*p)};
}

std::string position_row(const projection_info& i) {
  row_out o;
  o.u64(i.position).u64(i.applied).u64(i.skipped_unknown).u64(i.parked);
  return std::move(o).bytes();
}

} // namespace

expected<payload> decode_payload(const event& e, const retail::store_settings& settings) {
  const upcast_context ctx{&settings.zone};
  switch (static_cast<event_type>(e.type)) {
    case event_type::product_upserted: return decode_as<product_upserted>(e, ctx);
    case event_type::price_changed: return decode_as<price_changed>(e, ctx);
    case event_type::product_deactivated: return decode_as<product_deactivated>(e, ctx);
    case event_type::stock_received: return decode_as<stock_received>(e, ctx);
    case event_type::stock_adjusted: return decode_as<stock_adjusted>(e, ctx);
    case event_type::stock_counted: return decode_as<stock_counted>(e, ctx);
    case event_type::sale_completed: return decode_as<sale_completed>(e, ctx);
    case event_type::sale_returned: return decode_as<sale_returned>(e, ctx);
    case event_type::sale_voided: return decode_as<sale_voided>(e, ctx);
    case event_type::day_closed: return decode_as<day_closed>(e, ctx);
    case event_type::device_registered: return decode_as<device_registered>(e, ctx);
    case event_type::device_updated: return decode_as<device_updated>(e, ctx);
    case event_type::store_created: return decode_as<store_created>(e, ctx);
    case event_type::device_enrolled: return decode_as<device_enrolled>(e, ctx);
    case event_type::device_revoked: return decode_as<device_revoked>(e, ctx);
    case event_type::device_keys_rotated: return decode_as<device_keys_rotated>(e, ctx);
    case event_type::master_changed: return decode_as<master_changed>(e, ctx);
    case event_type::conflict_resolved: return decode_as<conflict_resolved>(e, ctx);
    case event_type::staff_added: return decode_as<staff_added>(e, ctx);
    case event_type::staff_updated: return decode_as<staff_updated>(e, ctx);
    case event_type::staff_removed: return decode_as<staff_removed>(e, ctx);
    case event_type::staff_signed_in: return decode_as<staff_signed_in>(e, ctx);
    case event_type::staff_sign_in_failed: return decode_as<staff_sign_in_failed>(e, ctx);
    case event_type::staff_signed_out: return decode_as<staff_signed_out>(e, ctx);
  }
  return payload{};
}

projection_set::projection_set(retail::store_settings settings, std::vector<std::unique_ptr<projection>> units,
                               row_store& store)
  : settings_(std::move(settings)), store_(store) {
  units_.reserve(units.size());
  for (std::size_t i = 0; i < units.size(); ++i) {
    unit u;
    u.info.name = units[i]->name();
    u.p = std::move(units[i]);
    u.rows = std::make_unique<row_overlay>(store_.rows(i));
    units_.push_back(std::move(u));
  }
}

std::optional<std::size_t> projection_set::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (units_[i].info.name == name) return i;
  }
  return std::nullopt;
}

status projection_set::load(unit& u, std::size_t i) {
  const row_reader& r = store_.rows(i);
  const bool paused = u.info.paused;
  u.info = projection_info{u.info.name};
  u.info.paused = paused;
  u.digest.clear();
  u.rows->discard();
  u.touched = false;
  if (auto pos = r.get(reserved::position)) {
    row_in in(*pos);
    u.info.position = in.u64();
    u.info.applied = in.u64();
    u.info.skipped_unknown = in.u64();
    u.info.parked = in.u64();
    if (in.failed()) return events::make_error(events::errc::malformed, "projection " + u.info.name + ": unreadable position row");
  }
  for (unsigned b = 0; b < digest_bucket_count; ++b) {
    auto bytes = r.get(reserved::bucket_digest(static_cast<std::uint8_t>(b)));
    if (!bytes) continue;
    if (!u.digest.load_bucket(static_cast<std::uint8_t>(b), *bytes)) {
      return events::make_error(events::errc::malformed, "projection " + u.info.name + ": unreadable digest bucket " + std::to_string(b));
    }
  }
  return status::ok();
}

status projection_set::open() {
  for (std::size_t i = 0; i < units_.size(); ++i) {
    if (auto st = load(units_[i], i); !st) return st;
  }
  return status::ok();
}

std::uint64_t projection_set::lowest_position() const {
  std::uint64_t low = std::numeric_limits<std::uint64_t>::max();
  for (const unit& u : units_) {
    if (!u.info.paused) low = std::min(low, u.info.position);
  }
  return low;
}

void projection_set::apply(std::uint64_t pos, const event& e, bool detect_conflicts) {
  bool any = false;
  for (const unit& u : units_) any = any || (!u.info.paused && u.info.position + 1 == pos);
  if (!any) return;
  auto decoded = decode_payload(e, settings_);
  const bool known = decoded && decoded->index() != 0;
  std::vector<retail::register_conflict> found;
  fold_context ctx{settings_, detect_conflicts ? &found : nullptr};
  bool parked_listed = false;
  const auto park = [&](const std::string& reason) {
    if (parked_listed || parked_list_.size() >= retail::parked_events_max) return;
    parked_listed = true;
    parked_list_.push_back(retail::parked_event{e.origin.value(), e.seq.value(), e.type, e.hlc.packed(), reason});
  };
  for (unit& u : units_) {
    // Positions are dense: a projection takes exactly its next one (one
    // that is further behind is caught up from the log by the caller).
    if (u.info.paused || u.info.position + 1 != pos) continue;
    u.info.position = pos;
    u.touched = true;
    if (!decoded) {
      ++u.info.parked;
      park("payload: " + decoded.error().message);
      continue;
    }
    if (!known) ++u.info.skipped_unknown;  // still shown: a projection may count any event (devices: last seen)
    if (const char* reason = u.p->apply(folded_event{e, *decoded}, *u.rows, ctx)) {
      ++u.info.parked;
      park(reason);
      continue;
    }
    if (known) ++u.info.applied;
  }
  for (auto& c : found) {
    if (conflicts_.size() >= retail::conflicts_max) {
      conflicts_.erase(conflicts_.begin());
      ++conflicts_dropped_;
    }
    conflicts_.push_back(std::move(c));
  }
}

std::size_t projection_set::pending_rows() const {
  std::size_t n = 0;
  for (const unit& u : units_) n += u.rows->dirty();
  return n;
}

status projection_set::flush() {
  scratch_.clear();
  std::vector<digest_buckets> before;  // to undo the digests if the write fails
  for (std::size_t i = 0; i < units_.size(); ++i) {
    unit& u = units_[i];
    if (!u.touched) continue;
    std::bitset<digest_bucket_count> changed;
    u.rows->for_each_change([&](const std::string& key, const std::optional<std::string>& was,
                                const std::optional<std::string>& now) {
      changed.set(u.digest.change(key, was ? std::optional<std::string_view>(*was) : std::nullopt,
                                  now ? std::optional<std::string_view>(*now) : std::nullopt));
      scratch_.push_back(row_store::write{i, key, now});
    });
    for (unsigned b = 0; b < digest_bucket_count; ++b) {
      if (!changed.test(b)) continue;
      scratch_.push_back(row_store::write{i, reserved::bucket_digest(static_cast<std::uint8_t>(b)),
                                          u.digest.serialize_bucket(b)});
    }
    if (changed.any()) scratch_.push_back(row_store::write{i, reserved::total_digest, u.digest.total().serialize()});
    scratch_.push_back(row_store::write{i, reserved::position, position_row(u.info)});
  }
  if (scratch_.empty()) return status::ok();
  auto st = store_.write_all(scratch_);
  if (!st) {
    // Back to what is durable: positions, counters, digests and rows.
    for (std::size_t i = 0; i < units_.size(); ++i) {
      if (auto lst = load(units_[i], i); !lst) return lst;
    }
    return st;
  }
  for (unit& u : units_) {
    if (!u.touched) continue;
    u.rows->commit();
    u.touched = false;
  }
  return status::ok();
}

status projection_set::rebuild(std::size_t i) {
  unit& u = units_[i];
  u.rows->discard();
  if (auto st = store_.clear(i); !st) return st;
  return load(u, i);
}

std::string projection_set::digest_hex(std::size_t i) const { return units_[i].digest.total().digest_hex(); }

std::string projection_set::bucket_hex(std::size_t i, std::uint8_t bucket) const {
  return units_[i].digest.bucket(bucket).digest_hex();
}

std::vector<retail::register_conflict> projection_set::take_conflicts() {
  std::vector<retail::register_conflict> out;
  out.swap(conflicts_);
  return out;
}

} // namespace sn::projections
