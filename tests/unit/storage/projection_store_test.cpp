#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "storage/event_log.hpp"
#include "storage/projection_store.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage {
namespace {

using test::temp_dir;

// Proves: get_many (RocksDB's MultiGet, what a chunk's read-ahead uses)
// answers exactly what get() answers key by key: present rows with their
// values, absent rows as nullopt, repeats and any order; at a snapshot it
// sees the rows as they were then, not a later write.
TEST(ProjectionStore, GetManyAnswersWhatGetAnswersKeyByKey) {
  temp_dir t;
  test::log_with_projections db(t.data());
  projection_store& s = *db.store;

  const std::string v1 = "one", v2 = "two", other = "inventory's";
  std::vector<projection_store::write_ref> w{{0, "a", &v1}, {0, "c", &v2}, {1, "b", &other}};
  ASSERT_TRUE(s.write_all(w));
  const auto at = s.snapshot();

  const std::vector<std::string_view> keys{"c", "b", "a", "zz", "a"};
  std::vector<std::optional<std::string>> got;
  s.get_many(0, keys, got);
  ASSERT_EQ(got.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(got[i], s.get(0, keys[i])) << keys[i];
  EXPECT_EQ(got[0], "two");
  EXPECT_FALSE(got[1].has_value());  // "b" is in the other family only
  EXPECT_EQ(got[2], "one");
  EXPECT_FALSE(got[3].has_value());
  EXPECT_EQ(got[4], "one");

  const std::string v3 = "three";
  std::vector<projection_store::write_ref> later{{0, "a", &v3}, {0, "c", nullptr}};
  ASSERT_TRUE(s.write_all(later));
  s.get_many(0, keys, got, at.get());
  EXPECT_EQ(got[0], "two");
  EXPECT_EQ(got[2], "one");
  s.get_many(0, keys, got);
  EXPECT_FALSE(got[0].has_value());
  EXPECT_EQ(got[2], "three");

  s.get_many(0, {}, got);
  EXPECT_TRUE(got.empty());
}

}  // namespace
}  // namespace sn::storage
