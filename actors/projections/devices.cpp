#include "actors/projections/devices.hpp"

#include <algorithm>
#include <tuple>

#include <nlohmann/json.hpp>

#include "actors/projections/row_codec.hpp"

namespace sn::projections {

namespace {

constexpr char device_prefix = 'd';
constexpr char master_prefix = 'm';
constexpr char member_prefix = 'e';
constexpr char store_prefix = 's';
constexpr std::uint8_t flag_written = 1;
constexpr std::uint8_t flag_registered = 2;

const std::string& master_key() {
  static const std::string k(1, master_prefix);
  return k;
}

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

std::string ref(const stamp& s) { return s.origin + ":" + std::to_string(s.seq); }

struct device_row {
  std::uint8_t flags = 0;
  stamp reg;
  std::string name;
  std::int32_t priority = 0;
  bool active = true;
  std::uint64_t last_seen = 0;
  std::uint64_t created = 0;  ///< oldest register write's HLC (0: never written)

  bool written() const noexcept { return (flags & flag_written) != 0; }
  bool registered() const noexcept { return (flags & flag_registered) != 0; }
};

std::string encode(const device_row& d) {
  row_out o;
  o.u8(d.flags).u64(d.reg.hlc).str(d.reg.origin).u64(d.reg.seq);
  o.str(d.name).i32(d.priority).boolean(d.active).u64(d.last_seen).u64(d.created);
  return std::move(o).bytes();
}

// nullopt for a row that does not decode (corruption: treated as absent).
std::optional<device_row> decode(std::string_view bytes) {
  row_in in(bytes);
  device_row d;
  d.flags = in.u8();
  d.reg.hlc = in.u64();
  d.reg.origin = in.str();
  d.reg.seq = in.u64();
  d.name = in.str();
  d.priority = in.i32();
  d.active = in.boolean();
  d.last_seen = in.u64();
  // Layout 1 rows (read-only inspection of an older data dir) lack it.
  d.created = !in.failed() && !in.at_end() ? in.u64() : d.reg.hlc;
  if (in.failed() || !in.at_end()) return std::nullopt;
  return d;
}

std::optional<device_row> read(const row_reader& rows, const std::string& key) {
  auto bytes = rows.get(key);
  if (!bytes) return std::nullopt;
  return decode(*bytes);
}

struct master_row {
  std::uint64_t term = 0;
  std::uint64_t hlc = 0;
  std::string origin;
  std::uint64_t seq = 0;
  std::string new_master;
};

std::optional<master_row> read_master(const row_reader& rows) {
  auto bytes = rows.get(master_key());
  if (!bytes) return std::nullopt;
  row_in in(*bytes);
  master_row m;
  m.term = in.u64();
  m.hlc = in.u64();
  m.origin = in.str();
  m.seq = in.u64();
  m.new_master = in.str();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return m;
}

void note_seen(row_writer& rows, const std::string& origin, std::uint64_t hlc) {
  if (hlc == 0) return;  // views: a last seen of 0 is "never"
  const std::string key = devices::device_key(origin);
  device_row d = read(rows, key).value_or(device_row{});
  if (hlc <= d.last_seen) return;
  d.last_seen = hlc;
  rows.put(key, encode(d));
}

void write_device(const event& e, row_writer& rows, fold_context& ctx, const std::string& id, const std::string& name,
                  std::int32_t priority, bool active, bool registered) {
  const std::string key = devices::device_key(id);
  device_row d = read(rows, key).value_or(device_row{});
  const device_row before = d;
  if (registered) d.flags |= flag_registered;
  const stamp s{e.hlc.packed(), e.origin.value(), e.seq.value()};
  // created: the smallest HLC of any register write (a min: order-independent).
  if (!d.written() || s.hlc < d.created) d.created = s.hlc;
  if (!d.written() || newer(s, d.reg)) {
    d.flags |= flag_written;
    d.reg = s;
    d.name = name;
    d.priority = priority;
    d.active = active;
  } else if (d.reg.origin != s.origin && ctx.conflicts != nullptr) {
    using nlohmann::json;
    ctx.conflicts->push_back(retail::register_conflict{
        "device", id, ref(d.reg), ref(s), "lww_hlc_origin",
        json{{"name", name}, {"priority", priority}, {"active", active}},
        json{{"name", d.name}, {"priority", d.priority}, {"active", d.active}}, hlc_timestamp{d.reg.hlc}, e.hlc});
  }
  const bool changed = d.flags != before.flags || d.reg.hlc != before.reg.hlc || d.reg.origin != before.reg.origin ||
                       d.reg.seq != before.reg.seq || d.created != before.created;
  if (changed) rows.put(key, encode(d));
}

void write_master(const event& e, row_writer& rows, const master_changed& p) {
  master_row m{p.term, e.hlc.packed(), e.origin.value(), e.seq.value(), p.new_master};
  if (auto cur = read_master(rows)) {
    if (std::tie(m.term, m.hlc, m.origin, m.seq) <= std::tie(cur->term, cur->hlc, cur->origin, cur->seq)) return;
  }
  row_out o;
  o.u64(m.term).u64(m.hlc).str(m.origin).u64(m.seq).str(m.new_master);
  rows.put(master_key(), std::move(o).bytes());
}

struct member_row {
  stamp enrolled;  ///< seq 0: never enrolled
  std::string signing_key, curve_key;
  std::int32_t priority = 0;
  std::string approved_by;
  bool revoked = false;
};

std::string member_key(const std::string& id) {
  row_out o;
  o.u8(static_cast<std::uint8_t>(member_prefix)).key(id);
  return std::move(o).bytes();
}

std::string encode(const member_row& m) {
  row_out o;
  o.u64(m.enrolled.hlc).str(m.enrolled.origin).u64(m.enrolled.seq).str(m.signing_key).str(m.curve_key);
  o.i32(m.priority).str(m.approved_by).boolean(m.revoked);
  return std::move(o).bytes();
}

std::optional<member_row> decode_member(std::string_view bytes) {
  row_in in(bytes);
  member_row m;
  m.enrolled.hlc = in.u64();
  m.enrolled.origin = in.str();
  m.enrolled.seq = in.u64();
  m.signing_key = in.str();
  m.curve_key = in.str();
  m.priority = in.i32();
  m.approved_by = in.str();
  m.revoked = in.boolean();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return m;
}

std::optional<member_row> read_member(const row_reader& rows, const std::string& id) {
  auto bytes = rows.get(member_key(id));
  if (!bytes) return std::nullopt;
  return decode_member(*bytes);
}

void write_enrolled(const event& e, row_writer& rows, const device_enrolled& p) {
  member_row m = read_member(rows, p.device_id).value_or(member_row{});
  const stamp s{e.hlc.packed(), e.origin.value(), e.seq.value()};
  if (m.enrolled.seq != 0 && !newer(s, m.enrolled)) return;
  const bool rotated_first = m.enrolled.seq == 0 && !m.curve_key.empty();  // write_rotated
  m.enrolled = s;
  if (!rotated_first) {
    m.signing_key = p.signing_key;
    m.curve_key = p.curve_key;
  }
  m.priority = p.priority;
  m.approved_by = p.approved_by;
  rows.put(member_key(p.device_id), encode(m));
}

/// A member's own key rotation (the origin gate let it in: signed by its old
/// key): its current keys. A device's rotations come from its own chain only,
/// so they fold in seq order; the device itself may fold its own before its
/// enrollment reaches it (a joined device): then the row holds the rotated
/// keys with no enrollment stamp, and write_enrolled keeps them. Either order
/// gives the same row.
void write_rotated(const event& e, row_writer& rows, const device_keys_rotated& p) {
  if (p.device_id != e.origin.value()) return;
  member_row m = read_member(rows, p.device_id).value_or(member_row{});
  m.signing_key = p.signing_key;
  m.curve_key = p.curve_key;
  rows.put(member_key(p.device_id), encode(m));
}

void write_revoked(row_writer& rows, const device_revoked& p) {
  member_row m = read_member(rows, p.device_id).value_or(member_row{});
  if (m.revoked) return;
  m.revoked = true;
  rows.put(member_key(p.device_id), encode(m));
}

const std::string& store_key() {
  static const std::string k(1, store_prefix);
  return k;
}

struct store_row {
  stamp created;
  std::string store_id, name;
};

std::optional<store_row> read_store(const row_reader& rows) {
  auto bytes = rows.get(store_key());
  if (!bytes) return std::nullopt;
  row_in in(*bytes);
  store_row r;
  r.created.hlc = in.u64();
  r.created.origin = in.str();
  r.created.seq = in.u64();
  r.store_id = in.str();
  r.name = in.str();
  if (in.failed() || !in.at_end()) return std::nullopt;
  return r;
}

void write_store(const event& e, row_writer& rows, const store_created& p) {
  const stamp s{e.hlc.packed(), e.origin.value(), e.seq.value()};
  if (auto cur = read_store(rows); cur && !newer(cur->created, s)) return;  // the oldest wins
  row_out o;
  o.u64(s.hlc).str(s.origin).u64(s.seq).str(p.store_id).str(p.name);
  rows.put(store_key(), std::move(o).bytes());
}

devices::enrollment enrollment_of_row(std::string id, const member_row& m) {
  return devices::enrollment{std::move(id), m.signing_key, m.curve_key, m.priority, m.approved_by, m.revoked};
}

std::size_t limit_of(const page_request& req) { return std::clamp<std::size_t>(req.limit, 1, page_limit_max); }

devices::device_info info_of(const std::string& id, const device_row& d, const std::string& master) {
  devices::device_info i;
  i.id = id;
  i.name = d.name;
  i.priority = d.priority;
  i.active = d.active;
  i.registered = d.registered();
  i.master = master == id;
  i.last_seen_hlc = d.last_seen;
  if (d.written()) {
    i.created_hlc = d.created;
    i.updated_hlc = d.reg.hlc;
  }
  return i;
}

}  // namespace

const char* devices_projection::apply(const folded_event& fe, row_writer& rows, fold_context& ctx) {
  const event& e = fe.ev;
  note_seen(rows, e.origin.value(), e.hlc.packed());  // every event, whatever its type
  if (const auto* p = std::get_if<device_registered>(&fe.p)) {
    if (p->device_id.empty()) return "empty device id";
    write_device(e, rows, ctx, p->device_id, p->name, p->priority, true, true);
  } else if (const auto* p = std::get_if<device_updated>(&fe.p)) {
    if (p->device_id.empty()) return "empty device id";
    write_device(e, rows, ctx, p->device_id, p->name, p->priority, p->active, false);
  } else if (const auto* p = std::get_if<master_changed>(&fe.p)) {
    write_master(e, rows, *p);
  } else if (const auto* p = std::get_if<device_enrolled>(&fe.p)) {
    if (p->device_id.empty()) return "empty device id";
    write_enrolled(e, rows, *p);
  } else if (const auto* p = std::get_if<device_revoked>(&fe.p)) {
    if (p->device_id.empty()) return "empty device id";
    write_revoked(rows, *p);
  } else if (const auto* p = std::get_if<device_keys_rotated>(&fe.p)) {
    if (p->device_id.empty()) return "empty device id";
    write_rotated(e, rows, *p);
  } else if (const auto* p = std::get_if<store_created>(&fe.p)) {
    if (p->store_id.empty()) return "empty store id";
    write_store(e, rows, *p);
  }
  return nullptr;
}

namespace devices {

std::string device_key(const std::string& id) {
  row_out o;
  o.u8(static_cast<std::uint8_t>(device_prefix)).key(id);
  return std::move(o).bytes();
}

std::string current_master(const row_reader& rows) {
  auto m = read_master(rows);
  return m ? m->new_master : std::string{};
}

std::optional<device_info> find(const row_reader& rows, const std::string& id) {
  const std::string master = current_master(rows);
  auto d = read(rows, device_key(id));
  // views: known when the register was written, it wrote an event, or it is
  // the master ("" compares equal to an empty id, as views' did).
  if (!d && master != id) return std::nullopt;
  return info_of(id, d.value_or(device_row{}), master);
}

device_list list(const row_reader& rows, const page_request& req) {
  device_list out;
  out.master = current_master(rows);
  const std::size_t limit = limit_of(req);
  const std::string prefix(1, device_prefix);
  const std::string start = std::max(req.from, prefix);
  // The master is listed even without a row of its own: merge it in at its
  // place in id order.
  std::string mkey;
  bool master_pending = false;
  if (!out.master.empty()) {
    mkey = device_key(out.master);
    master_pending = mkey >= start && !rows.get(mkey);
  }
  auto& items = out.devices.items;
  bool full = false;
  const auto emit = [&](std::string_view key, device_info i) {
    if (items.size() >= limit) {
      out.devices.next = std::string(key);
      full = true;
      return false;
    }
    items.push_back(std::move(i));
    return true;
  };
  const auto master_only = [&] { return info_of(out.master, device_row{}, out.master); };
  rows.scan(prefix, start, [&](std::string_view k, std::string_view v) {
    if (master_pending && mkey < k) {
      master_pending = false;
      if (!emit(mkey, master_only())) return false;
    }
    auto d = decode(v);
    if (!d || k.size() < 2) return true;  // unreadable row: not listed
    return emit(k, info_of(std::string(k.substr(1, k.size() - 2)), *d, out.master));
  });
  if (master_pending && !full) emit(mkey, master_only());
  out.devices.total = items.size();
  return out;
}

std::optional<device_register> register_of(const row_reader& rows, const std::string& id) {
  auto d = read(rows, device_key(id));
  if (!d || !d->written()) return std::nullopt;
  return device_register{d->registered(), d->name, d->priority, d->active};
}

std::optional<enrollment> enrollment_of(const row_reader& rows, const std::string& id) {
  auto m = read_member(rows, id);
  if (!m) return std::nullopt;
  return enrollment_of_row(id, *m);
}

std::vector<enrollment> enrollments(const row_reader& rows) {
  std::vector<enrollment> out;
  const std::string prefix(1, member_prefix);
  rows.scan(prefix, prefix, [&](std::string_view k, std::string_view v) {
    if (out.size() >= enrollments_max) return false;
    auto m = decode_member(v);
    if (!m || k.size() < 2) return true;  // unreadable row: not a member
    out.push_back(enrollment_of_row(std::string(k.substr(1, k.size() - 2)), *m));
    return true;
  });
  return out;
}

store_info store_of(const row_reader& rows) {
  auto r = read_store(rows);
  if (!r) return {};
  return store_info{r->store_id, r->name, r->created.origin};
}

}  // namespace devices
}  // namespace sn::projections
