// The devices projection against retail::views (the specification), on
// seeded random histories (device_history.hpp). Each test says what it
// proves; a failure prints its seed (SN_TEST_SEED=N replays just that one).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "actors/projections/audit.hpp"
#include "actors/projections/devices.hpp"
#include "actors/projections/elections.hpp"
#include "actors/projections/row_codec.hpp"
#include "node/views_json/devices_json.hpp"
#include "tests/unit/projections/device_history.hpp"

namespace sn::projections::device_history_test {
namespace {

using nlohmann::json;

// Every id a query could name: origins, registered ids, the ghost master,
// an unknown id and the empty id (views finds "" while no master is known).
std::vector<std::string> candidate_ids(const streams& s) {
  std::set<std::string> ids{"KIOSK", "POS9", "GHOST", "nobody", "", "ZERO"};
  for (const auto& [o, evs] : s) ids.insert(o);
  return {ids.begin(), ids.end()};
}

std::vector<event> shuffled(const streams& s, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return interleave(s, rng);
}

// (b) Two interleavings (each origin's order kept) give byte-identical rows;
// so does the node's way of folding (batches through a row_overlay with a
// small cache).
TEST(DevicesProjection, RowsAreAFunctionOfTheSetOfEvents) {
  for (std::uint64_t seed : seeds(60)) {
    const streams s = random_history(seed);
    devices_projection p;
    memory_rows a, b, c;
    fold(p, shuffled(s, seed * 3 + 1), a);
    fold(p, shuffled(s, seed * 3 + 2), b);
    std::mt19937_64 rng(seed);
    fold_in_batches(p, shuffled(s, seed * 3 + 3), c, rng);
    ASSERT_FALSE(a.all().empty()) << "seed " << seed;
    EXPECT_EQ(a.all(), b.all()) << "seed " << seed;
    EXPECT_EQ(a.all(), c.all()) << "seed " << seed;
  }
}

// (c) The JSON rendered from the queries equals views' for every devices
// query: the list (next_cursor/truncated aside), each id (404s included),
// the current master; the command side's register equals what views' handler
// reads; events views parks are parked here too.
TEST(DevicesProjection, QueriesEqualViews) {
  for (std::uint64_t seed : seeds(100)) {
    const streams s = random_history(seed);
    const std::vector<event> events = shuffled(s, seed);
    retail::views v = replay(events);
    devices_projection p;
    memory_rows rows;
    const auto parked = fold(p, events, rows);
    EXPECT_EQ(parked.size(), v.parked()) << "seed " << seed;
    for (const auto& r : parked) EXPECT_STREQ(r.c_str(), "empty device id") << "seed " << seed;

    const json mine = node::devices_json(devices::list(rows, page_request{}));
    EXPECT_EQ(without(mine, {"next_cursor", "truncated"}), v.devices()) << "seed " << seed << "\n"
                                                                        << mine.dump() << "\n"
                                                                        << v.devices().dump();
    EXPECT_EQ(mine["truncated"], false);
    EXPECT_EQ(devices::current_master(rows), v.current_master()) << "seed " << seed;
    for (const std::string& id : candidate_ids(s)) {
      const auto want = v.device(id);
      const auto got = devices::find(rows, id);
      ASSERT_EQ(got.has_value(), want.has_value()) << "seed " << seed << " id '" << id << "'";
      if (got) {
        EXPECT_EQ(node::device_json(*got), *want) << "seed " << seed << " id '" << id << "'";
      }
      // The command side: a register exists once a registration or update
      // was folded (the generator never writes an empty name).
      const auto reg = devices::register_of(rows, id);
      const bool written = want && !want->at("name").get<std::string>().empty();
      ASSERT_EQ(reg.has_value(), written) << "seed " << seed << " id '" << id << "'";
      if (reg) {
        EXPECT_EQ(reg->registered, want->at("registered").get<bool>());
        EXPECT_EQ(reg->name, want->at("name").get<std::string>());
        EXPECT_EQ(reg->priority, want->at("priority").get<std::int32_t>());
        EXPECT_EQ(reg->active, want->at("active").get<bool>());
      }
    }
  }
}

// (d) Pages of any small limit, followed by their cursors (through the
// opaque encoding the edge uses), concatenate to the whole list; the last
// page has no cursor; each page costs only its own rows.
TEST(DevicesProjection, PagesConcatenateToTheWholeList) {
  for (std::uint64_t seed : seeds(40)) {
    const streams s = random_history(seed);
    devices_projection p;
    memory_rows rows;
    fold(p, shuffled(s, seed), rows);
    const json whole = node::devices_json(devices::list(rows, page_request{}))["devices"];
    for (std::size_t limit : {1, 2, 3, 5}) {
      json got = json::array();
      page_request req{limit, ""};
      for (int guard = 0; guard < 100; ++guard) {
        const devices::device_list l = devices::list(rows, req);
        EXPECT_LE(l.devices.items.size(), limit);
        for (const auto& d : l.devices.items) got.push_back(node::device_json(d));
        if (l.devices.next.empty()) break;
        EXPECT_EQ(l.devices.items.size(), limit) << "a page before the last is full";
        auto from = decode_cursor(encode_cursor(l.devices.next));
        ASSERT_TRUE(from);
        req.from = *from;
      }
      EXPECT_EQ(got, whole) << "seed " << seed << " limit " << limit;
    }
  }
}

std::vector<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                       std::uint64_t, std::uint64_t>>
normal(const std::vector<retail::register_conflict>& cs, bool devices_only) {
  std::vector<std::tuple<std::string, std::string, std::string, std::string, std::string, std::string, std::string,
                         std::uint64_t, std::uint64_t>>
      out;
  for (const auto& c : cs) {
    if (devices_only && c.register_name != "device") continue;
    out.emplace_back(c.register_name, c.key, c.winner, c.loser, c.method, c.old_value.dump(), c.new_value.dump(),
                     c.winner_hlc.packed(), c.loser_hlc.packed());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// (e) With detection on, the "device" register writes reported as lost on
// arrival are exactly views' (same registers, refs, values and HLCs), in
// every interleaving; with detection off (ctx.conflicts null) nothing is
// reported and the rows are the same.
TEST(DevicesProjection, ConflictReportsEqualViews) {
  std::size_t reported = 0;
  for (std::uint64_t seed : seeds(100)) {
    const streams s = random_history(seed);
    const std::vector<event> events = shuffled(s, seed + 11);
    retail::views v = replay(events);
    devices_projection p;
    memory_rows rows, quiet;
    std::vector<retail::register_conflict> mine;
    fold(p, events, rows, &mine);
    fold(p, events, quiet, nullptr);
    EXPECT_EQ(rows.all(), quiet.all()) << "seed " << seed;
    const auto want = normal(v.take_conflicts(), true);
    EXPECT_EQ(normal(mine, false), want) << "seed " << seed;
    reported += want.size();
  }
  if (seeds(100).size() > 1) {  // not when replaying one seed
    EXPECT_GT(reported, 20u) << "the histories must hold lost writes for this test to prove anything";
  }
}

// The three projections in a projection set, fed two interleavings with
// flushes at random points: equal digests on both "nodes", rows equal to the
// bare fold's, parked and unknown counts and conflict reports as views'.
TEST(DevicesProjection, ThroughTheProjectionSet) {
  for (std::uint64_t seed : seeds(30)) {
    const streams s = random_history(seed);
    std::vector<std::vector<event>> orders{shuffled(s, seed + 1), shuffled(s, seed + 2)};
    std::vector<std::string> digests[2];
    for (int n = 0; n < 2; ++n) {
      std::vector<std::unique_ptr<projection>> units;
      units.push_back(std::make_unique<devices_projection>());
      units.push_back(std::make_unique<elections_projection>());
      units.push_back(std::make_unique<audit_projection>());
      memory_store store(units.size());
      projection_set set(retail::store_settings{}, std::move(units), store);
      ASSERT_TRUE(set.open());
      std::mt19937_64 rng(seed + static_cast<std::uint64_t>(n));
      std::uint64_t pos = 0;
      for (const event& e : orders[n]) {
        set.apply(++pos, e, true);
        if (rng() % 7 == 0) {
          ASSERT_TRUE(set.flush());
        }
      }
      ASSERT_TRUE(set.flush());
      for (std::size_t i = 0; i < set.size(); ++i) digests[n].push_back(set.digest_hex(i));

      retail::views v = replay(orders[n]);
      EXPECT_EQ(set.info(0).parked, v.parked()) << "seed " << seed;
      EXPECT_EQ(set.info(0).skipped_unknown, v.skipped_unknown()) << "seed " << seed;
      EXPECT_EQ(normal(set.take_conflicts(), false), normal(v.take_conflicts(), true)) << "seed " << seed;

      devices_projection d;
      elections_projection el;
      audit_projection a;
      projection* bare[] = {&d, &el, &a};
      for (std::size_t i = 0; i < 3; ++i) {
        memory_rows rows;
        fold(*bare[i], orders[n], rows);
        EXPECT_EQ(own_rows(store.family(i)), rows.all()) << "seed " << seed << " " << bare[i]->name();
      }
      EXPECT_EQ(node::devices_json(devices::list(store.family(0), page_request{}))["devices"], v.devices()["devices"]);
    }
    EXPECT_EQ(digests[0], digests[1]) << "seed " << seed;
  }
}

// Row layout: one row per listed device and the master row; device rows sort
// by id; nothing node-local (two nodes' rows are compared byte for byte above).
TEST(DevicesProjection, RowLayoutIsAsDocumented) {
  devices_projection p;
  memory_rows rows;
  device_registered r;
  r.device_id = "POS2";
  r.name = "Till 2";
  r.priority = 20;
  master_changed m;
  m.new_master = "GHOST";
  m.term = 3;
  fold(p,
       {make_event(device_id{"POS1"}, origin_seq{1}, hlc_timestamp::from_parts(1000, 0), term_id{1}, r),
        make_event(device_id{"POS1"}, origin_seq{2}, hlc_timestamp::from_parts(2000, 0), term_id{1}, m)},
       rows);
  std::vector<std::string> keys;
  for (const auto& [k, v] : rows.all()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{devices::device_key("POS1"), devices::device_key("POS2"), "m"}));
  const auto l = devices::list(rows, page_request{});
  ASSERT_EQ(l.devices.items.size(), 3u);  // GHOST (master, no row), POS1 (seen), POS2 (registered)
  EXPECT_EQ(l.devices.items[0].id, "GHOST");
  EXPECT_TRUE(l.devices.items[0].master);
  EXPECT_EQ(l.devices.items[1].id, "POS1");
  EXPECT_EQ(l.devices.items[1].last_seen_hlc, hlc_timestamp::from_parts(2000, 0).packed());
  EXPECT_FALSE(l.devices.items[1].registered);
  EXPECT_EQ(l.devices.items[2].id, "POS2");
  EXPECT_TRUE(l.devices.items[2].registered);
  EXPECT_EQ(l.devices.items[2].last_seen_hlc, 0u);
  EXPECT_FALSE(devices::register_of(rows, "POS1").has_value());
  ASSERT_TRUE(devices::register_of(rows, "POS2").has_value());
  EXPECT_EQ(devices::register_of(rows, "POS2")->priority, 20);
}

// created_at / updated_at (issue 11 item 10): created is the oldest register
// write, updated the write that stands, whatever order the origins' events
// arrive in (every permutation of three writes from three origins); a device
// that only wrote events has neither.
TEST(DevicesProjection, CreatedAndUpdatedComeFromTheRegistersHlcs) {
  device_registered r;
  r.device_id = "POS2";
  r.name = "Till 2";
  device_updated u1;
  u1.device_id = "POS2";
  u1.name = "Till two";
  u1.priority = 5;
  device_updated u2 = u1;
  u2.priority = 7;
  std::vector<event> evs{
      make_event(device_id{"BO"}, origin_seq{1}, hlc_timestamp::from_parts(1000, 0), term_id{1}, r),
      make_event(device_id{"POS1"}, origin_seq{1}, hlc_timestamp::from_parts(3000, 0), term_id{1}, u2),
      make_event(device_id{"POS3"}, origin_seq{1}, hlc_timestamp::from_parts(2000, 0), term_id{1}, u1),
  };
  std::vector<std::size_t> order{0, 1, 2};
  std::optional<std::map<std::string, std::string, std::less<>>> first;
  do {
    devices_projection p;
    memory_rows rows;
    std::vector<event> in;
    for (std::size_t i : order) in.push_back(evs[i]);
    fold(p, in, rows);
    const auto d = devices::find(rows, "POS2");
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->created_hlc, hlc_timestamp::from_parts(1000, 0).packed());
    EXPECT_EQ(d->updated_hlc, hlc_timestamp::from_parts(3000, 0).packed());
    EXPECT_EQ(d->priority, 7);
    const auto seen_only = devices::find(rows, "POS3");
    ASSERT_TRUE(seen_only.has_value());
    EXPECT_EQ(seen_only->created_hlc, 0u);
    EXPECT_EQ(seen_only->updated_hlc, 0u);
    const json j = node::device_json(*d);
    EXPECT_EQ(j["created_at"], hlc_timestamp::from_parts(1000, 0).to_rfc3339());
    EXPECT_EQ(j["updated_at"], hlc_timestamp::from_parts(3000, 0).to_rfc3339());
    EXPECT_TRUE(node::device_json(*seen_only)["created_at"].is_null());
    if (!first) first = rows.all();
    EXPECT_EQ(rows.all(), *first) << "rows depend on arrival order";
  } while (std::next_permutation(order.begin(), order.end()));
}

// Membership (issue 9): device.enrolled keys are a last-writer-wins register,
// device.revoked is sticky, and the rows are the same whatever order the
// events of different origins arrive in (every permutation of four events).
TEST(DevicesProjection, MembershipIsOrderIndependentAndRevocationSticks) {
  const auto at = [](const char* origin, std::uint64_t seq, std::uint64_t ms, auto payload) {
    return make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(ms, 0), term_id{1}, payload);
  };
  std::vector<event> evs{
      at("BO", 1, 1000, store_created{"00112233445566778899aabbccddeeff", "shop"}),
      at("BO", 2, 1001, device_enrolled{"POS2", std::string(64, 'a'), std::string(64, 'b'), 20, "BO"}),
      at("POS1", 1, 1500, device_enrolled{"POS2", std::string(64, 'c'), std::string(64, 'd'), 30, "POS1"}),
      at("POS3", 1, 900, device_revoked{"POS2", "stolen", "POS3"}),
  };
  std::vector<std::size_t> order{0, 1, 2, 3};
  std::optional<std::map<std::string, std::string, std::less<>>> first;
  do {
    // Within one origin the seq order is fixed: skip orders that break it.
    const auto pos = [&](std::size_t i) { return std::find(order.begin(), order.end(), i) - order.begin(); };
    if (pos(0) > pos(1)) continue;
    devices_projection p;
    memory_rows rows;
    std::vector<event> batch;
    for (auto i : order) batch.push_back(evs[i]);
    fold(p, batch, rows);
    if (!first) first = rows.all();
    EXPECT_EQ(rows.all(), *first);
    const auto e = devices::enrollment_of(rows, "POS2");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->signing_key, std::string(64, 'c'));  // the later enrollment (HLC 1500) wins
    EXPECT_EQ(e->priority, 30);
    EXPECT_TRUE(e->revoked);  // even though the revocation's HLC is older
    EXPECT_FALSE(e->member());
    EXPECT_EQ(devices::store_of(rows).store_id, "00112233445566778899aabbccddeeff");
    EXPECT_EQ(devices::store_of(rows).created_by, "BO");
  } while (std::next_permutation(order.begin(), order.end()));
  // Membership rows do not show up as listed devices' register, and the list
  // still walks only 'd' rows.
  devices_projection p;
  memory_rows rows;
  fold(p, {evs[1]}, rows);
  ASSERT_EQ(devices::enrollments(rows).size(), 1u);
  EXPECT_TRUE(devices::enrollments(rows)[0].member());
  EXPECT_FALSE(devices::register_of(rows, "POS2").has_value());
  EXPECT_FALSE(devices::enrollment_of(rows, "POS9").has_value());
  EXPECT_TRUE(devices::store_of(rows).store_id.empty());
}


// Key rotation (issue 9): a member's own device.keys_rotated replaces its
// keys in the membership row, whether it folds after the enrollment (every
// other node) or before it (the rotated device itself, joined, before its
// enrollment reached it); a rotation another origin writes is ignored.
TEST(DevicesProjection, KeyRotationReplacesTheKeysInEitherOrder) {
  const auto at = [](const char* origin, std::uint64_t seq, std::uint64_t ms, auto payload) {
    return make_event(device_id{origin}, origin_seq{seq}, hlc_timestamp::from_parts(ms, 0), term_id{1}, payload);
  };
  const event enrolled = at("BO", 2, 1000, device_enrolled{"POS2", std::string(64, 'a'), std::string(64, 'b'), 20, "BO"});
  const event rotated = at("POS2", 7, 2000, device_keys_rotated{"POS2", std::string(64, 'c'), std::string(64, 'd'), "admin"});
  const event forged = at("BO", 3, 3000, device_keys_rotated{"POS2", std::string(64, 'e'), std::string(64, 'f'), "admin"});
  std::optional<std::map<std::string, std::string, std::less<>>> first;
  for (const auto& batch : {std::vector<event>{enrolled, rotated, forged}, std::vector<event>{rotated, enrolled, forged},
                            std::vector<event>{rotated, forged, enrolled}}) {
    devices_projection p;
    memory_rows rows;
    fold(p, batch, rows);
    const auto e = devices::enrollment_of(rows, "POS2");
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->signing_key, std::string(64, 'c'));
    EXPECT_EQ(e->curve_key, std::string(64, 'd'));
    EXPECT_EQ(e->priority, 20);
    EXPECT_EQ(e->approved_by, "BO");
    EXPECT_TRUE(e->member());
    if (!first) first = rows.all();
    EXPECT_EQ(rows.all(), *first) << "rows depend on arrival order";
  }
}

}  // namespace
}  // namespace sn::projections::device_history_test
