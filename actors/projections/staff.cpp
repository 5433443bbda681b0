#include "actors/projections/staff.hpp"

#include <algorithm>
#include <tuple>

#include "actors/projections/row_codec.hpp"

namespace sn::projections {

namespace {

constexpr char staff_prefix = 's';
constexpr std::uint8_t flag_profile = 1;
constexpr std::uint8_t flag_pin = 2;

// A register version: ordered by (hlc, origin name), seq within one origin.
struct stamp {
  std::uint64_t hlc = 0;
  std::string origin;
  std::uint64_t seq = 0;
};

bool newer(const stamp& a, const stamp& b) {
  if (a.hlc != b.hlc) return a.hlc > b.hlc;
  if (a.origin == b.origin) return a.seq > b.seq;
  return a.origin > b.origin;
}

struct staff_row {
  std::uint8_t flags = 0;
  stamp profile;
  std::string name, role;
  bool active = true, removed = false;
  stamp pin;
  std::string pin_hash;
  std::uint64_t sign_in_hlc = 0;
  std::string sign_in_origin;
};

std::string encode(const staff_row& r) {
  row_out o;
  o.u8(r.flags).u64(r.profile.hlc).str(r.profile.origin).u64(r.profile.seq);
  o.str(r.name).str(r.role).boolean(r.active).boolean(r.removed);
  o.u64(r.pin.hlc).str(r.pin.origin).u64(r.pin.seq).str(r.pin_hash);
  o.u64(r.sign_in_hlc).str(r.sign_in_origin);
  return std::move(o).bytes();
}

std::optional<staff_row> decode(std::string_view bytes) {
  row_in in(bytes);
  staff_row r;
  r.flags = in.u8();
  r.profile.hlc = in.u64();
  r.profile.origin = in.str();
  r.profile.seq = in.u64();
  r.name = in.str();
  r.role = in.str();
  r.active = in.boolean();
  r.removed = in.boolean();
  r.pin.hlc = in.u64();
  r.pin.origin = in.str();
  r.pin.seq = in.u64();
  r.pin_hash = in.str();
  r.sign_in_hlc = in.u64();
  r.sign_in_origin = in.str();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

std::optional<staff_row> read(const row_reader& rows, const std::string& key) {
  auto bytes = rows.get(key);
  if (!bytes) return std::nullopt;
  return decode(*bytes);
}

stamp stamp_of(const event& e) { return stamp{e.hlc.packed(), e.origin.value(), e.seq.value()}; }

/// Applies `change` to the row of `id` and writes it when it changed.
template <class F>
void update_row(row_writer& rows, const std::string& id, F&& change) {
  const std::string key = staff::staff_key(id);
  const auto old = rows.get(key);
  staff_row r = old ? decode(*old).value_or(staff_row{}) : staff_row{};
  change(r);
  std::string bytes = encode(r);
  if (!old || *old != bytes) rows.put(key, std::move(bytes));
}

void write_profile(const event& e, row_writer& rows, const std::string& id, const std::string* name,
                   const std::string* role, bool active, bool removed) {
  const stamp s = stamp_of(e);
  update_row(rows, id, [&](staff_row& r) {
    if ((r.flags & flag_profile) != 0 && !newer(s, r.profile)) return;
    r.flags |= flag_profile;
    r.profile = s;
    if (name != nullptr) r.name = *name;
    if (role != nullptr) r.role = *role;
    r.active = removed ? r.active : active;
    r.removed = removed;
  });
}

void write_pin(const event& e, row_writer& rows, const std::string& id, const std::string& hash) {
  const stamp s = stamp_of(e);
  update_row(rows, id, [&](staff_row& r) {
    if ((r.flags & flag_pin) != 0 && !newer(s, r.pin)) return;
    r.flags |= flag_pin;
    r.pin = s;
    r.pin_hash = hash;
  });
}

staff::staff_info info_of(std::string id, const staff_row& r) {
  staff::staff_info i;
  i.id = std::move(id);
  i.name = r.name;
  i.role = r.role;
  i.active = r.active;
  i.pin_set = !r.pin_hash.empty();
  i.updated_hlc = r.profile.hlc;
  i.last_sign_in_hlc = r.sign_in_hlc;
  i.last_sign_in_device = r.sign_in_origin;
  return i;
}

bool listed(const staff_row& r) { return (r.flags & flag_profile) != 0 && !r.removed; }

}  // namespace

const char* staff_projection::apply(const folded_event& fe, row_writer& rows, fold_context&) {
  const event& e = fe.ev;
  if (const auto* p = std::get_if<staff_added>(&fe.p)) {
    if (p->id.empty()) return "empty staff id";
    write_profile(e, rows, p->id, &p->name, &p->role, p->active, false);
    write_pin(e, rows, p->id, p->pin_hash);
  } else if (const auto* p = std::get_if<staff_updated>(&fe.p)) {
    if (p->id.empty()) return "empty staff id";
    write_profile(e, rows, p->id, &p->name, &p->role, p->active, false);
    if (!p->pin_hash.empty()) write_pin(e, rows, p->id, p->pin_hash);
  } else if (const auto* p = std::get_if<staff_removed>(&fe.p)) {
    if (p->id.empty()) return "empty staff id";
    write_profile(e, rows, p->id, nullptr, nullptr, true, true);
  } else if (const auto* p = std::get_if<staff_signed_in>(&fe.p)) {
    if (p->staff_id.empty()) return "empty staff id";
    const std::uint64_t hlc = e.hlc.packed();
    update_row(rows, p->staff_id, [&](staff_row& r) {
      if (std::tie(hlc, e.origin.value()) <= std::tie(r.sign_in_hlc, r.sign_in_origin)) return;
      r.sign_in_hlc = hlc;
      r.sign_in_origin = e.origin.value();
    });
  }
  return nullptr;
}

namespace staff {

std::string staff_key(const std::string& id) {
  row_out o;
  o.u8(static_cast<std::uint8_t>(staff_prefix)).key(id);
  return std::move(o).bytes();
}

std::optional<staff_info> find(const row_reader& rows, const std::string& id) {
  auto r = read(rows, staff_key(id));
  if (!r || !listed(*r)) return std::nullopt;
  return info_of(id, *r);
}

page<staff_info> list(const row_reader& rows, const page_request& req) {
  page<staff_info> out;
  const std::size_t limit = std::clamp<std::size_t>(req.limit, 1, page_limit_max);
  const std::string prefix(1, staff_prefix);
  rows.scan(prefix, std::max(req.from, prefix), [&](std::string_view k, std::string_view v) {
    auto r = decode(v);
    if (!r || k.size() < 2 || !listed(*r)) return true;
    if (out.items.size() >= limit) {
      out.next = std::string(k);
      return false;
    }
    out.items.push_back(info_of(std::string(k.substr(1, k.size() - 2)), *r));
    return true;
  });
  out.total = out.items.size();
  return out;
}

std::size_t count(const row_reader& rows) {
  std::size_t n = 0;
  const std::string prefix(1, staff_prefix);
  rows.scan(prefix, prefix, [&](std::string_view, std::string_view v) {
    auto r = decode(v);
    if (r && listed(*r)) ++n;
    return true;
  });
  return n;
}

void for_each_profile(const row_reader& rows, const std::function<void(const profile_register&)>& fn) {
  const std::string prefix(1, staff_prefix);
  rows.scan(prefix, prefix, [&](std::string_view k, std::string_view v) {
    auto r = decode(v);
    if (!r || k.size() < 2 || (r->flags & flag_profile) == 0) return true;
    fn(profile_register{std::string(k.substr(1, k.size() - 2)), r->name, r->role, r->active, r->removed,
                        r->profile.hlc, r->profile.origin, r->profile.seq});
    return true;
  });
}

std::optional<staff_credentials> credentials_of(const row_reader& rows, const std::string& id) {
  auto r = read(rows, staff_key(id));
  if (!r || (r->flags & flag_profile) == 0) return std::nullopt;
  return staff_credentials{r->name, r->role, r->active, r->removed, r->pin_hash};
}

}  // namespace staff
}  // namespace sn::projections
