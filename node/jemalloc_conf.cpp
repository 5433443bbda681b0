// jemalloc's options for the daemon, compiled in (linked only when storenode
// links jemalloc: node/CMakeLists.txt). The MALLOC_CONF environment variable
// still overrides them, for measurements.
//
// - dirty_decay_ms:1000 — freed pages go back to the system after about a
//   second instead of ten: a serving node's RSS follows what it serves (10 M
//   checkpoint, 1,000 of each query: 121.9-124.7 MB against 130.6-135.6 MB).
// - narenas:2 — one arena per core of a till instead of four: fewer
//   half-empty pages spread over arenas (116.3 MB with both).
// POST /v1/sales with 8 clients was the same with and without them
// (3,367-3,557 against 3,422-3,553/s, bench_http). docs/benchmarks.md.
extern "C" {
// NOLINTNEXTLINE: the name and type jemalloc looks for
const char* malloc_conf = "dirty_decay_ms:1000,narenas:2";
}
