// The pieces of `storectl diff`'s descent in-process: every row key the
// projections write has a readable form (key_text), bucket rows page
// exactly, and the descent names a changed, an added and a removed key and
// stays within its bound — over memory rows folded through the real
// projection set, the same functions the node and the scratch state use.
#include <gtest/gtest.h>

#include <set>

#include "actors/projections/digest_rows.hpp"
#include "actors/projections/key_text.hpp"
#include "actors/projections/memory_rows.hpp"
#include "actors/projections/projection_set.hpp"
#include "events/codec.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "storage/event_log.hpp"
#include "tests/unit/tools/support.hpp"
#include "tools/digest_diff.hpp"

namespace sn::tools::test {
namespace {

namespace pj = sn::projections;

/// A projection set over memory rows holding the sample store's events,
/// plus `extra` after them.
struct folded {
  pj::memory_row_store store{pj::all_projections().size()};
  pj::projection_set set{retail::store_settings{}, pj::all_projections(), store};
  explicit folded(const std::vector<event>& extra = {}) {
    EXPECT_TRUE(set.open());
    temp_dir dir;
    auto sample = sample_store::write(dir.path() + "/data");
    std::uint64_t pos = 0;
    for (const auto& p : sample.events) set.apply(++pos, p.ev, false);
    for (const auto& e : extra) set.apply(++pos, e, false);
    EXPECT_TRUE(set.flush());
  }
  const pj::row_reader* rows(const std::string& name) const {
    auto i = set.index_of(name);
    return i ? &store.rows(*i) : nullptr;
  }
  std::unique_ptr<digest_source> source() const {
    return rows_digest_source([this](const std::string& p) { return rows(p); });
  }
};

template <class Payload>
event bo_event(std::uint64_t seq, std::uint64_t at_ms, const Payload& payload) {
  event e = make_event(device_id{"BO"}, origin_seq{seq}, hlc_timestamp::from_parts(at_ms, 0), term_id{1}, payload);
  seal(e);
  return e;
}

// Proves: every non-reserved row key of every projection, after folding a
// store with products, stock, sales, an adjustment, an election and a
// conflict record, parses under its projection's layout (diff never falls
// back to hex for keys this build writes), and a few read as documented.
TEST(key_text, every_row_key_the_projections_write_reads) {
  folded f;
  std::set<std::string> texts;
  for (std::size_t i = 0; i < f.set.size(); ++i) {
    const std::string name = f.set.info(i).name;
    for (const auto& [key, value] : f.store.family(i).all()) {
      if (key[0] == pj::reserved_key_byte) {
        EXPECT_EQ(pj::key_text(name, key), "");
        continue;
      }
      const std::string text = pj::key_text(name, key);
      EXPECT_FALSE(text.empty()) << name << " key " << pj::hex_of(key);
      texts.insert(name + ": " + text);
      if (std::getenv("SHOW_KEYS")) std::printf("%s: %s\n", name.c_str(), text.c_str());
    }
  }
  for (const char* want : {"catalog: product SKU-A", "catalog: product count", "inventory: item SKU-B",
                           "sales: receipt POS1-000001", "sales: counters POS2", "sales: by_product[device POS1] SKU-A",
                           "sales: list[device POS1] 2026-11-24T10:00:00.000Z POS1-000001",
                           "daily: figures 2026-11-24 POS2", "daily: newest day", "devices: device BO",
                           "devices: current master", "elections: election term 1 2026-11-24T00:30:00.000Z BO:1",
                           "audit: record 2026-11-24T17:00:00.000Z BO:9", "audit: record count 2026-11-24"}) {
    EXPECT_EQ(texts.count(want), 1u) << want;
  }
  EXPECT_EQ(pj::key_text("catalog", std::string("p\x01", 2)), "");  // no terminator: hex instead
  EXPECT_EQ(pj::key_text("stocks", "pSKU-A"), "");
}

// Proves: a bucket's rows paged one at a time are exactly its rows unpaged,
// each in that bucket, in key order; the bucket digests sum to the total
// (a bucket digest differs exactly where a row differs).
TEST(digest_rows, bucket_rows_page_exactly) {
  folded f;
  const auto& rows = *f.rows("sales");
  std::size_t seen = 0;
  for (unsigned b = 0; b < pj::digest_bucket_count; ++b) {
    pj::page_request all;
    all.limit = pj::page_limit_max;
    auto whole = pj::bucket_rows(rows, static_cast<std::uint8_t>(b), all);
    std::vector<std::string> paged;
    pj::page_request one;
    one.limit = 1;
    for (;;) {
      auto p = pj::bucket_rows(rows, static_cast<std::uint8_t>(b), one);
      for (auto& r : p.items) paged.push_back(r.key);
      if (p.next.empty()) break;
      one.from = p.next;
    }
    ASSERT_EQ(paged.size(), whole.items.size()) << "bucket " << b;
    for (std::size_t i = 0; i < paged.size(); ++i) {
      EXPECT_EQ(paged[i], whole.items[i].key);
      EXPECT_EQ(pj::digest_buckets::bucket_of(paged[i]), b);
      if (i > 0) {
        EXPECT_LT(paged[i - 1], paged[i]);
      }
    }
    seen += paged.size();
  }
  EXPECT_GT(seen, 10u);
  EXPECT_EQ(pj::stored_bucket_hexes(rows).size(), pj::digest_bucket_count);
  EXPECT_EQ(pj::stored_digest_hex(rows), f.set.digest_hex(*f.set.index_of("sales")));
}

// Proves: the descent over two states that differ by one price change and
// one new product names exactly the keys that differ — the changed product
// (value), the new one (only on B), the product count — and nothing in the
// projections that agree.
TEST(digest_descent, names_changed_and_added_keys) {
  folded a;
  folded b({bo_event(10, day0_ms + 21 * hour_ms, price_changed{"SKU-A", 275}),
            bo_event(11, day0_ms + 21 * hour_ms + 1, product_upserted{"SKU-C", "Cheese", "4000003", 500, 700, 0, true})});
  auto sa = a.source(), sb = b.source();
  auto d = descend(*sa, *sb, "catalog");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->complete());
  std::map<std::string, key_state> keys;
  for (const auto& k : d->keys) keys[k.text] = k.state;
  EXPECT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys.at("product SKU-A"), key_state::value_differs);
  EXPECT_EQ(keys.at("product SKU-C"), key_state::only_b);
  EXPECT_EQ(keys.at("product count"), key_state::value_differs);
  EXPECT_EQ(d->keys_differing, 3u);
  // Reversed, the new product is only on A.
  auto r = descend(*sb, *sa, "catalog");
  ASSERT_TRUE(r);
  bool only_a = false;
  for (const auto& k : r->keys) only_a = only_a || (k.text == "product SKU-C" && k.state == key_state::only_a);
  EXPECT_TRUE(only_a);
  // The elections agree: no bucket differs, nothing named.
  auto same = descend(*sa, *sb, "elections");
  ASSERT_TRUE(same);
  EXPECT_EQ(same->buckets_differing, 0u);
  EXPECT_TRUE(same->keys.empty());
  auto unknown = descend(*sa, *sb, "stocks");
  EXPECT_FALSE(unknown);
}

// Proves: keys_max bounds the keys named; walking stops after the bucket
// that reached it and says so (complete() false when buckets were left).
TEST(digest_descent, names_at_most_keys_max) {
  folded a;
  std::vector<event> more;
  for (std::uint64_t i = 0; i < 40; ++i) {
    more.push_back(bo_event(10 + i, day0_ms + 21 * hour_ms + i,
                            product_upserted{"NEW-" + std::to_string(i), "New", "", 100, 0, 0, true}));
  }
  folded b(more);
  auto sa = a.source(), sb = b.source();
  auto d = descend(*sa, *sb, "catalog", 1);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->keys.size(), 1u);
  EXPECT_GE(d->keys_differing, 1u);
  EXPECT_GT(d->buckets_differing, 1u);
  EXPECT_LT(d->buckets_walked, d->buckets_differing);
  EXPECT_FALSE(d->complete());
  auto all = descend(*sa, *sb, "catalog", 1000);
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->complete());
  EXPECT_EQ(all->keys_differing, 41u);  // 40 products and the count
}

}  // namespace
}  // namespace sn::tools::test
