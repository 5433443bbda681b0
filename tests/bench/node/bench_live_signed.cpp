// Live replication on a signed store, before and after a key rotation (issue 9
// item 7; not a test). Two real storenode processes on loopback (the
// integration-test harness): A creates the store, B joins it with a join code,
// CURVE on, every own commit batch signed, every received batch through the
// origin gate. Then, in one run:
//   1. `--sales` sales POSTed to A at `--rate`/s, each timed from the POST to
//      201 on A and to GET /v1/sales/{receipt} = 200 on B (polled on a
//      keep-alive connection): the live replication visible latency;
//   2. POST /v1/devices/A/keys/rotation on A (device.keys_rotated, signed with
//      A's old key), timed; then until B hears A again;
//   3. step 1 again: A now signs with its new key, B checks with A's key
//      history. Same-run ratio after / before.
//
// With --no-rotation step 2 is skipped (a control: does a second round differ
// by itself?).
//
//   bench_live_signed [--sales N] [--rate R] [--no-rotation]
#include <CLI/CLI.hpp>

#include <thread>

#include "tests/bench/node/bench_support.hpp"

using namespace sn::bench;
using sn::testing::cluster;
using sn::testing::node_process;

namespace {

struct figures {
  double p50 = 0, p99 = 0, max = 0;
};

figures summarize(const std::vector<double>& v) { return {percentile(v, 50), percentile(v, 99), percentile(v, 100)}; }

struct live_result {
  figures ack, visible;
  std::vector<int> slowest;  ///< indexes of the 3 slowest sales by visible latency (where a tail comes from)
};

live_result live(node_process& a, node_process& b, int sales, double rate, int round) {
  client poster(a.http_port()), poller(b.http_port());
  std::vector<double> ack, visible;
  timed_live_sales(poster, poller, sales, rate, round, ack, visible, [](const std::string& why) { die(why); });
  std::vector<int> idx(visible.size());
  for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = static_cast<int>(k);
  std::sort(idx.begin(), idx.end(), [&](int x, int y) { return visible[x] > visible[y]; });
  idx.resize(std::min<std::size_t>(3, idx.size()));
  return {summarize(ack), summarize(visible), idx};
}

bool hears(node_process& n, std::size_t want) {
  client c(n.http_port());
  std::size_t alive = 0;
  for (const auto& p : c.get_json("/v1/status").value("peers", json::array())) alive += p.value("alive", false) ? 1 : 0;
  return alive >= want;
}

void wait_for(const char* what, std::chrono::seconds limit, const std::function<bool()>& done) {
  const auto until = clock_type::now() + limit;
  while (!done()) {
    if (clock_type::now() > until) die(std::string("timed out waiting for ") + what);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

}  // namespace

int main(int argc, char** argv) {
  int sales = 300;
  double rate = 20;
  CLI::App app{"bench_live_signed: live replication on a signed store, before and after a key rotation"};
  app.add_option("--sales", sales, "sales per round (default 300)")->check(CLI::Range(10, 100000));
  app.add_option("--rate", rate, "sales per second (default 20)")->check(CLI::Range(1.0, 1000.0));
  bool no_rotation = false;
  app.add_flag("--no-rotation", no_rotation, "skip the rotation between the rounds (control)");
  CLI11_PARSE(app, argc, argv);

  cluster c({{"A", 100}, {"B", 10}});
  if (!c.start_all()) die("the store did not start:\n" + c.describe(c.all()));
  wait_for("A and B to hear each other", std::chrono::seconds(60), [&] { return hears(c[0], 1) && hears(c[1], 1); });
  setup_shop(c[0], 5, 1'000'000);
  {
    client bc(c[1].http_port());
    wait_for("B to hold the shop", std::chrono::seconds(60),
             [&] { return bc.get_json("/v1/inventory/SKU-4").value("on_hand", -1L) == 1'000'000; });
  }
  std::printf("bench_live_signed: 2 nodes (A made the store, B joined), CURVE on, signed; %d sales at %.0f/s per "
              "round; load %s\n",
              sales, rate, load_average().c_str());
  const live_result before = live(c[0], c[1], sales, rate, 0);

  client ac(c[0].http_port());
  const auto t0 = clock_type::now();
  json reply = json::object();
  double rotate_ms = 0, back_ms = 0;
  if (!no_rotation) {
    auto r = ac.post("/v1/devices/A/keys/rotation", "{}");
    if (!r || r->status != 201) die("rotation on A: " + (r ? r->body : httplib::to_string(r.error())));
    rotate_ms = ms_since(t0);
    reply = json::parse(r->body);
    wait_for("B to hear A again", std::chrono::seconds(60), [&] { return hears(c[1], 1) && hears(c[0], 1); });
    back_ms = ms_since(t0);
  }
  const live_result after = live(c[0], c[1], sales, rate, 1);

  long refused = 0;
  if (auto m = c[1].get("/metrics"); m && m->status == 200) {
    for (const char* reason : {"unknown_origin", "revoked", "bad_signature", "unsigned", "broken_chain"}) {
      refused += sn::testing::metric(m->body, std::string("storenode_events_refused_total{reason=\"") + reason + "\"}");
    }
  }
  if (no_rotation) std::printf("\n--no-rotation: the second round follows the first at once (control)\n");
  else std::printf("\nkey rotation of A at its seq %llu: POST → 201 in %.0f ms (held elsewhere: %s); B hears A again %.0f ms "
              "after the POST; events B's gate refused: %ld\n",
              static_cast<unsigned long long>(reply.value("seq", 0ULL)), rotate_ms,
              reply.value("held_elsewhere", false) ? "yes" : "no", back_ms, refused);
  std::printf("\n| live replication, %d sales at %.0f/s | p50 | p99 | max |\n|---|---:|---:|---:|\n", sales, rate);
  std::printf("| POST on A → 201, A's enrolled key | %.2f ms | %.2f ms | %.2f ms |\n", before.ack.p50, before.ack.p99,
              before.ack.max);
  std::printf("| **POST on A → visible on B, A's enrolled key** | %.2f ms | **%.2f ms** | %.2f ms |\n",
              before.visible.p50, before.visible.p99, before.visible.max);
  const char* second = no_rotation ? "second round, no rotation" : "after the rotation";
  std::printf("| POST on A → 201, %s | %.2f ms | %.2f ms | %.2f ms |\n", second, after.ack.p50, after.ack.p99,
              after.ack.max);
  std::printf("| **POST on A → visible on B, %s** | %.2f ms | **%.2f ms** | %.2f ms |\n", second,
              after.visible.p50, after.visible.p99, after.visible.max);
  std::printf("| visible p50 / p99, after / before | %.2f | %.2f | |\n", after.visible.p50 / before.visible.p50,
              after.visible.p99 / before.visible.p99);
  const auto list = [](const std::vector<int>& v) {
    std::string out;
    for (int i : v) out += (out.empty() ? "#" : ", #") + std::to_string(i + 1);
    return out;
  };
  std::printf("slowest sales (visible on B): before %s; after %s\n", list(before.slowest).c_str(),
              list(after.slowest).c_str());
  std::printf("load after: %s\n", load_average().c_str());
  return 0;
}
