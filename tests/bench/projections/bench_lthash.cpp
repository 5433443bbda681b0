// LtHash16 cost per row (actors/projections/lthash.hpp): what a projection's
// digest adds to every row it writes. Rows are 100 bytes (24-byte key, 76-byte
// value). The baseline, measured in the same run, is one plain BLAKE2b-256 of
// the same 100 bytes: the cheapest hash a digest could possibly cost per row.
//
// Usage: bench_lthash [--benchmark_repetitions=5 --benchmark_report_aggregates_only=true]
// Each benchmark reports ns per row (Time) and rows/s (items_per_second).
#include <benchmark/benchmark.h>

#include <sodium.h>

#include <string>
#include <vector>

#include "actors/projections/lthash.hpp"

namespace {

using sn::projections::digest_buckets;
using sn::projections::lthash16;
using sn::projections::lthash_element;
using sn::projections::lthash_element_of;

constexpr std::size_t rows_max = 4096;  // a working set that stays in cache, as a fold's batch does
constexpr std::size_t key_bytes = 24;
constexpr std::size_t value_bytes = 76;

struct row {
  std::string key, value;
};

const std::vector<row>& rows() {
  static const std::vector<row> r = [] {
    std::vector<row> out;
    for (std::size_t i = 0; i < rows_max; ++i) {
      std::string k = "sale:POS1:" + std::to_string(1000000 + i);
      k.resize(key_bytes, '.');
      std::string v(value_bytes, '\0');
      for (std::size_t j = 0; j < value_bytes; ++j) v[j] = static_cast<char>((i * 131 + j * 7) & 0xff);
      out.push_back({std::move(k), std::move(v)});
    }
    return out;
  }();
  return r;
}

// Baseline: BLAKE2b-256 of the 100 row bytes.
void bm_blake2b_baseline(benchmark::State& state) {
  if (sodium_init() < 0) state.SkipWithError("sodium_init");
  const auto& r = rows();
  unsigned char out[32];
  std::size_t i = 0;
  for (auto _ : state) {
    const row& x = r[i++ % rows_max];
    crypto_generichash_state st;
    crypto_generichash_init(&st, nullptr, 0, sizeof(out));
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(x.key.data()), x.key.size());
    crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(x.value.data()), x.value.size());
    crypto_generichash_final(&st, out, sizeof(out));
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_blake2b_baseline);

// The element hash alone: BLAKE2b-256 seed + 2048 bytes of ChaCha20.
void bm_element_hash(benchmark::State& state) {
  const auto& r = rows();
  lthash_element e;
  std::size_t i = 0;
  for (auto _ : state) {
    const row& x = r[i++ % rows_max];
    lthash_element_of(x.key, x.value, e);
    benchmark::DoNotOptimize(e.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_element_hash);

// Element hash + add into a state: the per-row cost of a digest (the headline).
void bm_element_hash_and_add(benchmark::State& state) {
  const auto& r = rows();
  lthash16 h;
  std::size_t i = 0;
  for (auto _ : state) {
    const row& x = r[i++ % rows_max];
    h.add(x.key, x.value);
    benchmark::DoNotOptimize(&h);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_element_hash_and_add);

// One lane-wise add of two states (1024 x uint16): the vectorised loop.
void bm_state_add(benchmark::State& state) {
  lthash16 a, b;
  b.add("k", "v");
  for (auto _ : state) {
    a += b;
    benchmark::DoNotOptimize(&a);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_state_add);

// An update of a row in a bucketed digest: bucket choice, remove the old
// element and add the new one into the bucket and the total (a fold's
// per-row cost when a row changes).
void bm_bucketed_update(benchmark::State& state) {
  const auto& r = rows();
  digest_buckets d;
  for (const auto& x : r) d.change(x.key, std::nullopt, x.value);
  std::vector<std::string> next;
  for (const auto& x : r) next.push_back(x.value + "!");
  next.back().pop_back();
  std::size_t i = 0;
  bool forward = true;
  for (auto _ : state) {
    const std::size_t k = i % rows_max;
    const row& x = r[k];
    if (forward) {
      d.change(x.key, std::string_view(x.value), std::string_view(next[k]));
    } else {
      d.change(x.key, std::string_view(next[k]), std::string_view(x.value));
    }
    if (++i % rows_max == 0) forward = !forward;
    benchmark::DoNotOptimize(&d);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(bm_bucketed_update);

} // namespace

BENCHMARK_MAIN();
