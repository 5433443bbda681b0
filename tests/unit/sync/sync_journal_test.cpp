// sync_journal (actors/sync/sync_journal.hpp): the push/pull rows and sync
// state that survive a restart. Proves the retention bound (oldest dropped
// first, also when restoring), that encode/decode round-trips every field
// (text with tabs and newlines made safe), that unknown text leaves the
// journal as it was, and that only a real change makes it dirty.
#include <gtest/gtest.h>

#include "actors/sync/sync_journal.hpp"

namespace {

using sn::sync::journal_row;
using sn::sync::journal_state;
using sn::sync::sync_journal;

TEST(sync_journal, keeps_the_newest_rows_max) {
  sync_journal j(3);
  for (std::uint64_t i = 1; i <= 5; ++i) j.add(journal_row{i, "POS2", "push", i, true, ""});
  ASSERT_EQ(j.rows().size(), 3u);
  EXPECT_EQ(j.rows().front().time_ms, 3u);
  EXPECT_EQ(j.rows().back().time_ms, 5u);
  EXPECT_TRUE(j.dirty());
}

TEST(sync_journal, round_trips_rows_and_state) {
  sync_journal a(10);
  a.add(journal_row{1000, "POS2", "pull", 42, true, ""});
  a.add(journal_row{2000, "POS\t3", "pull", 0, false, "timeout\nafter 5 s"});
  a.set_state(journal_state{1500, "timeout after 5 s", 2000});
  sync_journal b(10);
  ASSERT_TRUE(b.decode(a.encode()));
  ASSERT_EQ(b.rows().size(), 2u);
  EXPECT_EQ(b.rows()[0].count, 42u);
  EXPECT_TRUE(b.rows()[0].ok);
  EXPECT_EQ(b.rows()[1].peer, "POS 3");
  EXPECT_FALSE(b.rows()[1].ok);
  EXPECT_EQ(b.rows()[1].error, "timeout after 5 s");
  EXPECT_EQ(b.state().last_sync_ms, 1500u);
  EXPECT_EQ(b.state().last_error_ms, 2000u);
  EXPECT_FALSE(b.dirty());
  sync_journal small(1);
  ASSERT_TRUE(small.decode(a.encode()));
  ASSERT_EQ(small.rows().size(), 1u);
  EXPECT_EQ(small.rows()[0].time_ms, 2000u);
}

TEST(sync_journal, unknown_text_changes_nothing) {
  sync_journal j(5);
  j.add(journal_row{7, "POS2", "push", 1, true, ""});
  EXPECT_FALSE(j.decode("something else\n"));
  EXPECT_FALSE(j.decode("sync-journal 1\nx\ty\n"));
  EXPECT_EQ(j.rows().size(), 1u);
}

TEST(sync_journal, same_state_is_not_a_change) {
  sync_journal j(5);
  j.set_state(journal_state{10, "", 0});
  j.clean();
  j.set_state(journal_state{10, "", 0});
  EXPECT_FALSE(j.dirty());
  j.set_state(journal_state{11, "", 0});
  EXPECT_TRUE(j.dirty());
}

// An idle store completes a sync round every second: a later last_sync_ms
// alone is a change worth storing slowly, a row or an error soon.
TEST(sync_journal, only_rows_and_errors_are_urgent) {
  sync_journal j(5);
  j.set_state(journal_state{10, "", 0});
  j.clean();
  j.set_state(journal_state{11, "", 0});
  EXPECT_TRUE(j.dirty());
  EXPECT_FALSE(j.urgent());
  j.set_state(journal_state{12, "peer P2 unreachable", 12});
  EXPECT_TRUE(j.urgent());
  j.clean();
  EXPECT_FALSE(j.dirty());
  EXPECT_FALSE(j.urgent());
  j.set_state(journal_state{13, "peer P2 unreachable", 12});  // the same error, a later round
  EXPECT_TRUE(j.dirty());
  EXPECT_FALSE(j.urgent());
  j.add(journal_row{14, "P2", "pull", 3, true, ""});
  EXPECT_TRUE(j.urgent());
  j.clean();
  j.set_state(journal_state{15, "", 0});  // the error cleared
  EXPECT_TRUE(j.urgent());
}

}  // namespace
