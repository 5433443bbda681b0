// event_log: append/read/reopen, the acceptance rules, metadata, projections,
// idempotency records, the data dir lock and read-only opens.
#include <algorithm>
#include <atomic>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "events/codec.hpp"
#include "storage/errc.hpp"
#include "storage/event_log.hpp"
#include "tests/unit/storage/helpers.hpp"

namespace sn::storage::test {
namespace {

std::unique_ptr<event_log> open_ok(const log_options& o) {
  auto log = event_log::open(o);
  if (!log) ADD_FAILURE() << log.error().to_string();
  return log ? std::move(*log) : nullptr;
}

append_result append_ok(event_log& log, const std::vector<event>& batch, const std::vector<side_write>& side = {}) {
  auto r = log.append(batch, side);
  if (!r) ADD_FAILURE() << r.error().to_string();
  return r ? std::move(*r) : append_result{};
}

// Proves: appended events come back identical, in order, through every read
// path, before and after a reopen; positions are dense from 1.
TEST(event_log, append_read_reopen) {
  temp_dir t;
  chain a("POS1"), b("POS2");
  std::vector<event> all;
  {
    auto log = open_ok(rw_options(t.data()));
    ASSERT_TRUE(log);
    EXPECT_EQ(log->last_position().value(), 0u);
    EXPECT_EQ(log->size(), 0u);
    EXPECT_TRUE(log->read_from(log_position{1}, 10).empty());
    for (int round = 0; round < 3; ++round) {
      std::vector<event> batch = a.take(2);
      batch.push_back(b.next());
      auto r = append_ok(*log, batch);
      ASSERT_EQ(r.appended, 3u);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        EXPECT_EQ(r.outcomes[i], append_outcome::appended);
        EXPECT_EQ(r.positions[i].value(), all.size() + i + 1);
      }
      all.insert(all.end(), batch.begin(), batch.end());
    }
  }
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  EXPECT_EQ(log->last_position().value(), 9u);
  EXPECT_EQ(log->size(), 9u);

  auto events = log->read_from(log_position{1}, 100);
  ASSERT_EQ(events.size(), all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(events[i].position.value(), i + 1);
    EXPECT_EQ(events[i].ev, all[i]);
  }
  auto page = log->read_from(log_position{4}, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].position.value(), 4u);
  EXPECT_EQ(page[1].ev, all[4]);

  auto bytes = log->read_bytes_from(log_position{8}, 10);
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(bytes[0].bytes, encode(all[7]));
  EXPECT_EQ(bytes[1].bytes, encode(all[8]));

  std::vector<std::uint64_t> scanned;
  ASSERT_TRUE(log->scan(log_position{2}, log_position{6}, [&](log_position p, std::string_view v) {
    EXPECT_EQ(std::string(v), encode(all[p.value() - 1]));
    scanned.push_back(p.value());
    return true;
  }));
  EXPECT_EQ(scanned, (std::vector<std::uint64_t>{2, 3, 4, 5}));
  scanned.clear();
  ASSERT_TRUE(log->scan(log_position{1}, log_position{0}, [&](log_position p, std::string_view) {
    scanned.push_back(p.value());
    return scanned.size() < 3;  // stops early
  }));
  EXPECT_EQ(scanned.size(), 3u);

  auto pos1 = log->read_origin(device_id{"POS1"}, origin_seq{2}, 3);
  ASSERT_EQ(pos1.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(pos1[i].ev.seq.value(), i + 2);
  EXPECT_EQ(pos1[0].position.value(), 2u);  // POS1:2 was the second event
  auto pos2_bytes = log->read_origin_bytes(device_id{"POS2"}, origin_seq{1}, 100);
  ASSERT_EQ(pos2_bytes.size(), 3u);
  EXPECT_EQ(pos2_bytes[2].bytes, encode(all[8]));
  EXPECT_TRUE(log->read_origin(device_id{"POS9"}, origin_seq{1}, 10).empty());
  // "POS1" must not match the index keys of an origin it prefixes.
  {
    chain c("POS10");
    ASSERT_EQ(append_ok(*log, c.take(2)).appended, 2u);
    EXPECT_EQ(log->read_origin(device_id{"POS1"}, origin_seq{1}, 100).size(), 6u);
  }

  auto got = log->get(device_id{"POS2"}, origin_seq{2});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->ev, all[5]);
  EXPECT_EQ(got->position.value(), 6u);
  EXPECT_FALSE(log->get(device_id{"POS2"}, origin_seq{4}));
  EXPECT_EQ(log->index_position(device_id{"POS2"}, origin_seq{2})->value(), 6u);

  auto h = log->head(device_id{"POS1"});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seq.value(), 6u);
  EXPECT_EQ(h->hash, all[7].hash);
  EXPECT_FALSE(log->head(device_id{"NOPE"}));
  auto heads = log->heads();
  ASSERT_EQ(heads.size(), 3u);
  EXPECT_EQ(heads["POS2"].seq.value(), 3u);
  EXPECT_EQ(heads["POS2"].hash, all[8].hash);
  EXPECT_EQ(log->stored_heads().size(), 3u);
  EXPECT_EQ(log->stored_heads()["POS2"].hash, all[8].hash);
  EXPECT_EQ(log->versions(), (version_vector{{"POS1", 6}, {"POS2", 3}, {"POS10", 2}}));

  std::size_t index_entries = 0;
  ASSERT_TRUE(log->scan_index([&](std::string_view, origin_seq, log_position) {
    ++index_entries;
    return true;
  }));
  EXPECT_EQ(index_entries, 11u);
}

// Proves: the next seq of an origin counts the events accepted earlier in the
// same batch, so a new origin's seq 1..n can arrive in one batch.
TEST(event_log, batch_counts_its_own_earlier_events) {
  temp_dir t;
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  chain a("A"), b("B");
  std::vector<event> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(a.next());
    batch.push_back(b.next());
  }
  auto r = append_ok(*log, batch);
  EXPECT_EQ(r.appended, 10u);
  EXPECT_EQ(log->versions(), (version_vector{{"A", 5}, {"B", 5}}));
}

// Proves: gap, fork, duplicate, bad hash, bad prev_hash, oversized and
// malformed events are refused with their outcome, nothing of them is
// written, and the valid events of the same batch are still appended.
TEST(event_log, refuses_bad_events_and_keeps_the_rest) {
  temp_dir t;
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  chain a("A");
  auto first = a.take(3);
  ASSERT_EQ(append_ok(*log, first).appended, 3u);

  chain b("B");
  event b1 = b.next();
  event b2 = b.next();
  event b3 = b.next();

  event fork = first[1];  // a different event at held A:2
  fork.hlc = hlc_timestamp{fork.hlc.packed() + 1};
  seal(fork);
  event dup = first[2];  // the identical A:3 again

  chain gap_chain("A", 5, first[2].hash);
  event gap = gap_chain.next();  // A:5 while the log holds up to A:3

  event a4 = a.next();
  event bad_hash = a4;  // payload changed after sealing
  bad_hash.payload.back() ^= 1;
  event bad_prev = a4;  // chains to the wrong event
  bad_prev.prev_hash = first[0].hash;
  seal(bad_prev);

  chain c("C");
  event huge = c.next();
  huge.payload = std::string(event_bytes_max, '\xc0');  // msgpack nil bytes, too many
  seal(huge);
  event seq0 = c.next();
  seq0.seq = origin_seq{0};
  seal(seq0);
  event bad_origin = chain("bad origin!").next();

  const std::vector<event> batch{b1, fork, dup, gap, bad_hash, bad_prev, huge, seq0, bad_origin, a4, b2, b3};
  auto r = append_ok(*log, batch);
  const std::vector<append_outcome> want{
      append_outcome::appended, append_outcome::fork,      append_outcome::duplicate, append_outcome::gap,
      append_outcome::bad_hash, append_outcome::bad_hash,  append_outcome::too_large, append_outcome::invalid,
      append_outcome::invalid,  append_outcome::appended,  append_outcome::appended,  append_outcome::appended};
  ASSERT_EQ(r.outcomes.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(r.outcomes[i], want[i]) << "event " << i << ": " << to_string(r.outcomes[i]);
    EXPECT_EQ(r.positions[i].value() != 0, want[i] == append_outcome::appended) << "event " << i;
  }
  EXPECT_EQ(r.appended, 4u);
  EXPECT_EQ(r.positions[0].value(), 4u);
  EXPECT_EQ(r.positions[9].value(), 5u);
  EXPECT_EQ(r.positions[11].value(), 7u);

  // Nothing of the refused ones is stored.
  EXPECT_EQ(log->size(), 7u);
  EXPECT_EQ(log->versions(), (version_vector{{"A", 4}, {"B", 3}}));
  EXPECT_EQ(log->get(device_id{"A"}, origin_seq{2})->ev, first[1]);
  EXPECT_FALSE(log->get(device_id{"A"}, origin_seq{5}));
  EXPECT_FALSE(log->head(device_id{"C"}));
  EXPECT_EQ(log->get(device_id{"A"}, origin_seq{4})->ev, a4);

  // Within one batch: the same new event twice is a duplicate, a different
  // event at a seq accepted earlier in the batch is a fork.
  event a5 = a.next();
  event a5_fork = a5;
  a5_fork.term = term_id{9};
  seal(a5_fork);
  auto r2 = append_ok(*log, {a5, a5, a5_fork});
  EXPECT_EQ(r2.outcomes, (std::vector<append_outcome>{append_outcome::appended, append_outcome::duplicate,
                                                      append_outcome::fork}));
  EXPECT_EQ(log->size(), 8u);

  // An all-refused batch writes nothing and reports no error.
  auto r3 = append_ok(*log, {gap});
  EXPECT_EQ(r3.appended, 0u);
  EXPECT_EQ(log->size(), 8u);
  auto r4 = append_ok(*log, {});
  EXPECT_TRUE(r4.outcomes.empty());
}

// Proves: seq 1 must carry the all-zero prev_hash.
TEST(event_log, first_event_needs_zero_prev_hash) {
  temp_dir t;
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  event e = chain("A").next();
  e.prev_hash[0] = 1;
  seal(e);
  EXPECT_EQ(append_ok(*log, {e}).outcomes[0], append_outcome::bad_hash);
  EXPECT_EQ(log->size(), 0u);
}

// Proves: metadata and projection state persist across a reopen, and a
// projection's state and checkpoint are stored together.
TEST(event_log, meta_and_projections) {
  temp_dir t;
  {
    auto log = open_ok(rw_options(t.data()));
    ASSERT_TRUE(log);
    EXPECT_FALSE(log->get_meta("term"));
    EXPECT_FALSE(log->load_projection("stock"));
    ASSERT_TRUE(log->put_meta("device_id", "POS1"));
    ASSERT_TRUE(log->put_meta("term", "7"));
    ASSERT_TRUE(log->put_meta("term", "8"));
    ASSERT_TRUE(log->save_projection("stock", std::string("state\0bytes", 11), log_position{42}));
    ASSERT_TRUE(log->save_projection("empty", "", log_position{0}));
  }
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  EXPECT_EQ(log->get_meta("device_id"), "POS1");
  EXPECT_EQ(log->get_meta("term"), "8");
  auto p = log->load_projection("stock");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, std::string("state\0bytes", 11));
  EXPECT_EQ(p->second.value(), 42u);
  auto e = log->load_projection("empty");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first, "");
  EXPECT_EQ(e->second.value(), 0u);
}

// Proves: idempotency records ride in the append's batch (present exactly
// when the events are) and persist across a reopen.
TEST(event_log, idempotency_records_with_the_batch) {
  temp_dir t;
  chain a("A");
  {
    auto log = open_ok(rw_options(t.data()));
    ASSERT_TRUE(log);
    auto r = append_ok(*log, a.take(2), {{"key-1", "reply-1"}});
    EXPECT_EQ(r.appended, 2u);
    EXPECT_EQ(log->get_idempotency("key-1"), "reply-1");
    EXPECT_EQ(log->size(), 2u);
    // A record with no events (a command whose events were all refused) is still written.
    append_ok(*log, {}, {{"key-2", "reply-2"}});
    EXPECT_FALSE(log->get_idempotency("key-3"));
  }
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  EXPECT_EQ(log->get_idempotency("key-1"), "reply-1");
  EXPECT_EQ(log->get_idempotency("key-2"), "reply-2");
  EXPECT_FALSE(log->get_idempotency("key-3"));
}

// Proves: a second read-write open of one data dir is refused with
// errc::locked and a message naming the dir; the first keeps working.
TEST(event_log, second_writer_is_locked_out) {
  temp_dir t;
  auto first = open_ok(rw_options(t.data()));
  ASSERT_TRUE(first);
  auto second = event_log::open(rw_options(t.data()));
  ASSERT_FALSE(second);
  EXPECT_STREQ(second.error().domain, "storage");
  EXPECT_EQ(second.error().code, static_cast<int>(errc::locked));
  EXPECT_NE(second.error().message.find("data dir " + t.data() + " is in use by another storenode process"),
            std::string::npos)
      << second.error().message;
  chain a("A");
  EXPECT_EQ(append_ok(*first, a.take(1)).appended, 1u);
}

// Proves: a read-only open next to an open writer sees its data, refuses
// writes, sees later appends after catch_up, and leaves the writer unharmed.
TEST(event_log, read_only_next_to_a_writer) {
  temp_dir t;
  auto writer = open_ok(rw_options(t.data()));
  ASSERT_TRUE(writer);
  chain a("A");
  auto first = a.take(5);
  ASSERT_EQ(append_ok(*writer, first).appended, 5u);
  ASSERT_TRUE(writer->put_meta("device_id", "A"));

  auto reader = open_ok(ro_options(t.data()));
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->size(), 5u);
  EXPECT_EQ(reader->read_from(log_position{1}, 10).size(), 5u);
  EXPECT_EQ(reader->head(device_id{"A"})->hash, first.back().hash);
  EXPECT_EQ(reader->get_meta("device_id"), "A");

  auto refused = reader->append(a.take(1));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, static_cast<int>(errc::read_only));
  EXPECT_FALSE(reader->put_meta("x", "y"));

  chain b("B");
  ASSERT_EQ(append_ok(*writer, b.take(3)).appended, 3u);
  EXPECT_EQ(reader->size(), 5u);  // a stable view until catch_up
  ASSERT_TRUE(reader->catch_up());
  EXPECT_EQ(reader->size(), 8u);
  EXPECT_EQ(reader->versions(), (version_vector{{"A", 5}, {"B", 3}}));
  EXPECT_EQ(reader->read_origin(device_id{"B"}, origin_seq{1}, 10).size(), 3u);
  reader.reset();
  chain a2("A", 6, first.back().hash);
  EXPECT_EQ(append_ok(*writer, a2.take(1)).appended, 1u);
}

// Proves: a read-only open of a dir without a log fails with not_found and
// creates nothing there.
TEST(event_log, read_only_of_a_missing_dir) {
  temp_dir t;
  auto log = event_log::open(ro_options(t.data()));
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, static_cast<int>(errc::not_found));
  EXPECT_FALSE(std::filesystem::exists(t.data()));
  auto empty = event_log::open(log_options{});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, static_cast<int>(errc::invalid_argument));
}

// Proves: readers on other threads see a consistent, growing log while the
// one writer appends (run under the sanitizer build for races).
TEST(event_log, concurrent_readers) {
  temp_dir t;
  log_options o = rw_options(t.data());
  o.sync = durability::os;  // this test is about concurrency, not fsync
  auto log = open_ok(o);
  ASSERT_TRUE(log);
  constexpr int batches = 200;
  std::atomic<bool> done{false};
  std::atomic<int> reader_errors{0};
  std::thread reader([&] {
    std::uint64_t seen = 0;
    while (!done.load()) {
      const std::uint64_t last = log->last_position().value();
      if (last < seen) ++reader_errors;
      seen = last;
      auto v = log->versions();
      auto events = log->read_from(log_position{1}, 1000000);
      if (events.size() < last) ++reader_errors;  // everything up to last is readable
      if (!v.empty() && log->get(device_id{"A"}, origin_seq{v["A"]}) == std::nullopt) ++reader_errors;
    }
  });
  chain a("A");
  for (int i = 0; i < batches; ++i) ASSERT_EQ(append_ok(*log, a.take(5)).appended, 5u);
  done = true;
  reader.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_EQ(log->size(), batches * 5u);
}

} // namespace
} // namespace sn::storage::test

namespace sn::storage::test {
namespace {

// Proves: append_options::sealed_here skips only the re-hash, and only for
// the batch's first `sealed_here` events; a broken chain and a gap are still
// refused.
TEST(event_log, sealed_here_still_checks_the_chain) {
  temp_dir t;
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  chain a("A");
  auto first = a.take(2);
  event a3 = a.next();
  event wrong_hash = a3;
  wrong_hash.hash[0] ^= 1;  // not what seal() computed
  event bad_prev = a3;
  bad_prev.prev_hash = first[0].hash;
  seal(bad_prev);
  event gap = chain("A", 9, a3.hash).next();
  auto r = log->append({first[0], first[1], bad_prev, gap, wrong_hash}, {}, append_options{5});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->outcomes, (std::vector<append_outcome>{append_outcome::appended, append_outcome::appended,
                                                      append_outcome::bad_hash, append_outcome::gap,
                                                      append_outcome::appended}));
  // Past the sealed-here prefix, and by default, hashes are verified.
  chain a4_chain("A", 4, wrong_hash.hash);
  event a4 = a4_chain.next();
  event a5 = a4_chain.next();
  a5.hash[0] ^= 1;
  auto r2 = log->append({a4, a5}, {}, append_options{1});
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->outcomes, (std::vector<append_outcome>{append_outcome::appended, append_outcome::bad_hash}));
  EXPECT_EQ(append_ok(*log, {a5}).outcomes[0], append_outcome::bad_hash);
}

} // namespace
} // namespace sn::storage::test

namespace sn::storage::test {
namespace {

// Proves: the run-length index maps every (origin, seq) to its position when
// runs extend across batches and reopens and when origins interleave.
TEST(event_log, index_runs_across_batches_reopens_and_interleaving) {
  temp_dir t;
  chain a("A"), b("B");
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> want;  // (origin, seq) -> position
  std::uint64_t pos = 0;
  auto append_and_note = [&](event_log& log, const std::vector<event>& batch) {
    auto r = append_ok(log, batch);
    ASSERT_EQ(r.appended, batch.size());
    for (const auto& e : batch) want[{e.origin.value(), e.seq.value()}] = ++pos;
  };
  for (int reopen = 0; reopen < 3; ++reopen) {
    auto log = open_ok(rw_options(t.data()));
    ASSERT_TRUE(log);
    append_and_note(*log, a.take(3));      // extends A's run from the previous open
    append_and_note(*log, a.take(2));
    append_and_note(*log, {b.next(), a.next(), b.next(), a.next()});  // interleaved: runs of one
    append_and_note(*log, b.take(4));
  }
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  for (const auto& [key, p] : want) {
    auto got = log->get(device_id{key.first}, origin_seq{key.second});
    ASSERT_TRUE(got) << key.first << ":" << key.second;
    EXPECT_EQ(got->position.value(), p);
    EXPECT_EQ(got->ev.seq.value(), key.second);
  }
  std::map<std::pair<std::string, std::uint64_t>, std::uint64_t> scanned;
  ASSERT_TRUE(log->scan_index([&](std::string_view o, origin_seq s, log_position p) {
    scanned[{std::string(o), s.value()}] = p.value();
    return true;
  }));
  EXPECT_EQ(scanned, want);
  for (std::uint64_t from = 1; from <= 21; from += 4) {
    auto events = log->read_origin(device_id{"A"}, origin_seq{from}, 5);
    ASSERT_EQ(events.size(), std::min<std::size_t>(5, 21 - from + 1)) << "from " << from;
    for (std::size_t i = 0; i < events.size(); ++i) {
      EXPECT_EQ(events[i].ev.seq.value(), from + i);
      EXPECT_EQ(events[i].position.value(), (want[{"A", from + i}]));
    }
  }
  EXPECT_EQ(log->versions(), (version_vector{{"A", 21}, {"B", 18}}));
}

} // namespace
} // namespace sn::storage::test

namespace sn::storage::test {
namespace {

// Proves: a batch over append_events_max is an error and writes nothing.
TEST(event_log, oversized_batch_is_refused_whole) {
  temp_dir t;
  auto log = open_ok(rw_options(t.data()));
  ASSERT_TRUE(log);
  std::vector<event> batch(append_events_max + 1);
  batch[0] = chain("A").next();
  auto r = log->append(batch, {{"k", "v"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, static_cast<int>(errc::invalid_argument));
  EXPECT_EQ(log->size(), 0u);
  EXPECT_FALSE(log->get_idempotency("k"));
}

} // namespace
} // namespace sn::storage::test

namespace sn::storage::test {
namespace {

// Proves: a read-only open leaves no scratch dir behind, even while it is
// still open (so a tool killed mid-way leaves nothing under the temp dir),
// and still catches up afterwards.
TEST(event_log, read_only_open_leaves_no_scratch_dir) {
  temp_dir t;
  temp_dir scratch;
  auto writer = open_ok(rw_options(t.data()));
  ASSERT_TRUE(writer);
  chain a("A");
  ASSERT_EQ(append_ok(*writer, a.take(2)).appended, 2u);

  const char* old = std::getenv("TMPDIR");
  const std::string saved = old ? old : "";
  ::setenv("TMPDIR", scratch.path().c_str(), 1);
  auto reader = event_log::open(ro_options(t.data()));
  if (old) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  ASSERT_TRUE(reader) << reader.error().to_string();
  EXPECT_TRUE(std::filesystem::is_empty(scratch.path()));
  ASSERT_EQ(append_ok(*writer, a.take(3)).appended, 3u);
  ASSERT_TRUE((*reader)->catch_up());
  EXPECT_EQ((*reader)->size(), 5u);
}

} // namespace
} // namespace sn::storage::test
