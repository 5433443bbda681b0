// The elections projection against retail::views (the specification), on
// seeded random histories (device_history.hpp). A failure prints its seed
// (SN_TEST_SEED=N replays just that one).
#include <gtest/gtest.h>

#include "actors/projections/elections.hpp"
#include "actors/projections/row_codec.hpp"
#include "node/views_json/elections_json.hpp"
#include "tests/unit/projections/device_history.hpp"

namespace sn::projections::device_history_test {
namespace {

using nlohmann::json;

std::vector<event> shuffled(const streams& s, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  return interleave(s, rng);
}

// (b) Two interleavings (each origin's order kept), and the node's batched
// fold through a row_overlay, give byte-identical rows.
TEST(ElectionsProjection, RowsAreAFunctionOfTheSetOfEvents) {
  for (std::uint64_t seed : seeds(60)) {
    const streams s = random_history(seed);
    elections_projection p;
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

// (c) The list's JSON equals views' (next_cursor/truncated aside): same
// records, same newest-first order by (term, HLC, origin), same count.
TEST(ElectionsProjection, ListEqualsViews) {
  for (std::uint64_t seed : seeds(100)) {
    const streams s = random_history(seed);
    const std::vector<event> events = shuffled(s, seed);
    const retail::views v = replay(events);
    elections_projection p;
    memory_rows rows;
    EXPECT_TRUE(fold(p, events, rows).empty());
    const json mine = node::elections_json(elections::list(rows, page_request{}));
    EXPECT_EQ(without(mine, {"next_cursor", "truncated"}), v.elections()) << "seed " << seed << "\n"
                                                                          << mine.dump() << "\n"
                                                                          << v.elections().dump();
    EXPECT_EQ(mine["truncated"], false);
  }
}

// (d) Pages of small limits, followed through their opaque cursors,
// concatenate to the whole list; every page says the whole count.
TEST(ElectionsProjection, PagesConcatenateToTheWholeList) {
  for (std::uint64_t seed : seeds(40)) {
    const streams s = random_history(seed);
    elections_projection p;
    memory_rows rows;
    fold(p, shuffled(s, seed), rows);
    const json whole = node::elections_json(elections::list(rows, page_request{}));
    for (std::size_t limit : {1, 2, 3, 7}) {
      json got = json::array();
      page_request req{limit, ""};
      for (int guard = 0; guard < 200; ++guard) {
        const json page = node::elections_json(elections::list(rows, req));
        EXPECT_EQ(page["count"], whole["count"]);
        EXPECT_LE(page["elections"].size(), limit);
        for (const auto& e : page["elections"]) got.push_back(e);
        if (page["next_cursor"].is_null()) {
          EXPECT_EQ(page["truncated"], false);
          break;
        }
        EXPECT_EQ(page["truncated"], true);
        auto from = decode_cursor(page["next_cursor"].get<std::string>());
        ASSERT_TRUE(from);
        req.from = *from;
      }
      EXPECT_EQ(got, whole["elections"]) << "seed " << seed << " limit " << limit;
    }
  }
}

}  // namespace
}  // namespace sn::projections::device_history_test
