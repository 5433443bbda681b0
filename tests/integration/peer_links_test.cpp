// Peer links of real storenode processes on 127.0.0.1 (issues 16 and 13):
// a flood of fake senders does not keep a real device out; a link cut by an
// over-limit frame heals; a node bound to a wildcard, or reachable only at an
// advertised address (a TCP forwarder), or named by a host name joins and
// syncs; one peer port, one node. Every wait polls with a deadline; every
// process and temp dir is cleaned up by its owner's destructor.
#include <gtest/gtest.h>

#include <random>

#include <zmq.hpp>

#include "tests/integration/curve_peer.hpp"
#include "tests/integration/node_process.hpp"
#include "tests/integration/tcp_forwarder.hpp"

using namespace sn::testing;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr const char* sku = "MILK";
constexpr long initial_stock = 100000;
constexpr auto deadline = seconds(30);
constexpr std::size_t probation_max = 16;  // broker::peer_table_limits default

std::string metrics(node_process& n) {
  auto r = n.get("/metrics");
  return r && r->status == 200 ? r->body : std::string();
}

/// Fake senders from `connections` raw DEALERs, paced (a load, not a wait).
class flooder {
 public:
  /// `data_dir`: the target's own data dir; the flood authenticates with the
  /// target's key (the peer port admits only members' keys: one member
  /// flooding, the worst a stolen till can do before it is revoked).
  flooder(const std::string& target, const std::filesystem::path& data_dir, int connections, std::uint32_t seed) {
    thread_ = std::thread([this, target, data_dir, connections, seed] {
      zmq::context_t ctx;
      std::vector<zmq::socket_t> dealers;
      for (int i = 0; i < connections; ++i) {
        dealers.emplace_back(ctx, zmq::socket_type::dealer);
        dealers.back().set(zmq::sockopt::linger, 0);
        curve_client(dealers.back(), data_dir, data_dir);
        dealers.back().connect(target);
      }
      std::mt19937 rng(seed);
      while (!stop_) {
        for (auto& d : dealers) {
          // Made-up senders at ports nobody listens on; tiny garbage bodies of every protocol's types.
          const auto h =
              sn::broker::encode_header(static_cast<std::uint8_t>(1 + rng() % 12), "tcp://127.0.0.1:" + std::to_string(1 + rng() % 1023));
          (void)d.send(zmq::buffer(h), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
          (void)d.send(zmq::str_buffer("\x91\x01"), zmq::send_flags::dontwait);
          ++sent_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing of the load, not a wait
      }
    });
  }
  ~flooder() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long sent() const { return sent_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<long> sent_{0};
  std::thread thread_;
};

class peer_links_test : public ::testing::Test {
 protected:
  static void post_ok(node_process& n, const std::string& path, const json& body) {
    auto r = n.post(path, body.dump());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  }
  /// The product and its stock, created on `n`.
  static void setup_shop(node_process& n) {
    post_ok(n, "/v1/products",
            {{"sku", sku},
             {"name", "Milk"},
             {"barcode", "1"},
             {"price_cents", 100},
             {"tax_rate_bp", 0},
             {"low_stock_threshold", 1}});
    post_ok(n, "/v1/stock/receipts", {{"sku", sku}, {"qty", initial_stock}, {"supplier_ref", "PO"}});
  }
  static void sell(node_process& n, int qty) {
    post_ok(n, "/v1/sales",
            {{"lines", {{{"sku", sku}, {"qty", qty}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 1000}}}}});
  }
  /// The peer `device` as node `i` sees it in /v1/status (empty if unknown).
  static json peer_view(cluster& c, std::size_t i, const std::string& device) {
    auto s = c.get_json(i, "/v1/status");
    for (auto& p : s["peers"])
      if (p.value("device_id", "") == device) return p;
    return json::object();
  }
  /// `n` sells, then every node of `idx` converges to the same state with the right stock.
  static void sell_and_converge(cluster& c, std::size_t at, const std::vector<std::size_t>& idx, long& sold) {
    std::string why;
    ASSERT_TRUE(
        eventually([&] { return c.get_json(at, std::string("/v1/inventory/") + sku).contains("on_hand"); }, deadline))
        << c[at].options().device_id << " never saw the product\n"
        << c.describe(idx);
    for (int k = 0; k < 5; ++k) {
      ASSERT_NO_FATAL_FAILURE(sell(c[at], 1 + k % 3));
      sold += 1 + k % 3;
    }
    ASSERT_TRUE(c.converge(idx, deadline, &why)) << why << "\n" << c.describe(idx);
    for (auto i : idx) {
      EXPECT_EQ(c.get_json(i, std::string("/v1/inventory/") + sku).value("on_hand", -1L), initial_stock - sold)
          << c[i].options().device_id;
    }
  }
};

}  // namespace

// Proves item 1 of issue 16 with real processes: thousands of fake senders
// from 40 connections keep flooding N1 while a new till N2, which names N1,
// joins: it follows N1 as master and the two sync both ways; N1 counts the
// fake frames as unproven, never holds more than probation_max candidates
// and has exactly one peer.
TEST_F(peer_links_test, a_flood_of_fake_senders_then_a_real_node_joins_and_syncs) {
  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  cluster c({{"N1", 20}});
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master({0}); }, deadline)) << c.describe(c.all());
  setup_shop(c[0]);

  flooder flood(c[0].bind(), c[0].data_dir(), 40, seed);
  const auto unproven = std::string("storenode_peer_frames_dropped_total{reason=\"unproven\"}");
  ASSERT_TRUE(eventually([&] { return metric(metrics(c[0]), unproven) >= 2000; }, deadline)) << metrics(c[0]);

  auto& n2 = c.add({"N2", 10}, {c[0].bind()});
  ASSERT_TRUE(n2.start()) << n2.log_text();
  std::string master;
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all(), &master); }, deadline)) << c.describe(c.all());
  EXPECT_EQ(master, "N1");
  long sold = 0;
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 1, c.all(), sold));
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 0, c.all(), sold));
  const auto text = metrics(c[0]);
  EXPECT_GT(flood.sent(), 2000);
  flood.stop();
  EXPECT_EQ(metric(text, "storenode_peers"), 1) << text;
  EXPECT_LE(metric(text, "storenode_peers_probation"), static_cast<long>(probation_max)) << text;
  EXPECT_GT(metric(text, unproven), 2000) << text;
  EXPECT_TRUE(c[0].healthy());
}

// Proves item 2 of issue 16 with a real process: a peer's PUB sends N1 one
// frame over ZMQ_MAXMSGSIZE (2 x message_bytes_max); libzmq ends that link
// and would never redial it; N1 redials, and that peer's frames reach the
// node's protocols again (sync counts them: they are garbage live events).
TEST_F(peer_links_test, a_link_cut_by_an_over_limit_frame_heals) {
  zmq::context_t ctx;
  zmq::socket_t fake_router(ctx, zmq::socket_type::router), fake_pub(ctx, zmq::socket_type::pub);
  fake_router.set(zmq::sockopt::linger, 0);
  fake_pub.set(zmq::sockopt::linger, 0);
  const int port = free_port_range(3);
  ASSERT_GT(port, 0);
  const std::string fake = "tcp://127.0.0.1:" + std::to_string(port);

  cluster c({{"N1", 20}}, {"--message-bytes-max", "65536"});
  c[0].peers().push_back(fake);
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  // The fake peer is a CURVE server with a member's key (N1's own: N1 dials
  // only members) and answers identify at its door (PORT+2) with it.
  const auto keys = curve_keys_of(c[0].data_dir());
  curve_server(fake_router, keys);
  curve_server(fake_pub, keys);
  fake_router.bind(fake);
  fake_pub.bind("tcp://127.0.0.1:" + std::to_string(port + 1));
  fake_door door(ctx, port, keys.public_key);
  auto sync_malformed = [&] { return c.get_json(0, "/v1/status")["sync"]["counters"].value("malformed", -1L); };
  auto publish = [&](const std::string& body) {
    const auto h = sn::broker::encode_header(10, fake);  // live_events
    fake_pub.send(zmq::buffer(h), zmq::send_flags::sndmore);
    fake_pub.send(zmq::buffer(body));
  };
  long before = sync_malformed();
  ASSERT_TRUE(eventually(
      [&] {
        publish("\xc1");
        return sync_malformed() > before;
      },
      deadline));
  publish(std::string(200 * 1024, 'x'));  // over 128 KiB: libzmq ends the connection
  ASSERT_TRUE(eventually([&] { return metric(metrics(c[0]), "storenode_peer_disconnects_total") >= 1; }, deadline))
      << metrics(c[0]);
  before = sync_malformed();
  EXPECT_TRUE(eventually(
      [&] {
        publish("\xc1");
        return sync_malformed() > before;
      },
      deadline))
      << "nothing arrives after the over-limit frame\n"
      << c.describe(c.all());
  EXPECT_GE(metric(metrics(c[0]), "storenode_peer_redials_total"), 1);
  EXPECT_TRUE(c[0].healthy());
}

// Proves item 3 of issue 13: a node bound to 0.0.0.0 with --advertised
// tcp://127.0.0.1:PORT joins a store (naming one device), is known there by
// its advertised address, and syncs both ways.
TEST_F(peer_links_test, a_wildcard_bound_node_with_an_advertised_address_joins_and_syncs) {
  cluster c({{"N1", 20}});
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master({0}); }, deadline)) << c.describe(c.all());
  setup_shop(c[0]);
  auto& n2 = c.add({"N2", 10}, {c[0].bind()});
  n2.options().bind_host = "0.0.0.0";
  n2.options().extra_args = {"--advertised", n2.bind()};
  ASSERT_TRUE(n2.start()) << n2.log_text();
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all()); }, deadline)) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return peer_view(c, 0, "N2").value("address", "") == n2.bind(); }, deadline))
      << c.describe(c.all());
  long sold = 0;
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 1, c.all(), sold));
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 0, c.all(), sold));
}

// Proves: the README's example works as printed, a wildcard bind with no
// --advertised (the node advertises this host's primary address) and a peer
// that is not there: the node starts, serves and becomes master alone.
TEST_F(peer_links_test, the_readme_example_starts) {
  cluster c({{"N1", 20}});
  c[0].options().bind_host = "0.0.0.0";
  c[0].peers() = {"tcp://10.0.0.2:7000"};
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master({0}); }, deadline)) << c.describe(c.all());
  setup_shop(c[0]);
  EXPECT_FALSE(c[0].exited());
}

// Proves item 3 of issue 13 with a forwarder: N2 advertises the address of a
// TCP forwarder in front of its ports; N1, which learns N2 only from N2's
// frames, dials the forwarder (never N2's bind), sees N2 alive and syncs with
// it; with the forwarder gone N1 loses N2 (while N2 still hears N1, which it
// dials directly); with the forwarder back the link heals and sync resumes.
TEST_F(peer_links_test, a_node_advertising_a_forwarder_is_reached_only_through_it) {
  cluster c({{"N1", 20}});
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master({0}); }, deadline)) << c.describe(c.all());
  setup_shop(c[0]);
  auto& n2 = c.add({"N2", 10}, {c[0].bind()});
  int fwd_port = -1;
  for (int attempt = 0; attempt < 50 && fwd_port < 0; ++attempt) {
    const int p = free_port_range(2);
    if (p != n2.peer_port() && p + 1 != n2.peer_port() && p != n2.peer_port() + 1 && p != c[0].peer_port() &&
        p + 1 != c[0].peer_port())
      fwd_port = p;
  }
  ASSERT_GT(fwd_port, 0);
  const std::string advertised = "tcp://127.0.0.1:" + std::to_string(fwd_port);
  auto fwd = std::make_unique<tcp_forwarder>(fwd_port, n2.peer_port());
  ASSERT_TRUE(fwd->start());
  n2.options().extra_args = {"--advertised", advertised};
  ASSERT_TRUE(n2.start()) << n2.log_text();

  auto alive_at_n1 = [&] {
    auto p = peer_view(c, 0, "N2");
    return p.value("alive", false) && p.value("address", "") == advertised;
  };
  ASSERT_TRUE(eventually(alive_at_n1, deadline)) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all()); }, deadline)) << c.describe(c.all());
  long sold = 0;
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 1, c.all(), sold));
  EXPECT_GE(fwd->accepted(), 2u);  // N1's DEALER and SUB

  fwd->stop();
  ASSERT_TRUE(eventually([&] { return !peer_view(c, 0, "N2").value("alive", true); }, deadline))
      << "N1 still hears N2 without the forwarder: it must have dialled N2's bind\n"
      << c.describe(c.all());
  EXPECT_TRUE(peer_view(c, 1, "N1").value("alive", false)) << c.describe(c.all());

  fwd = std::make_unique<tcp_forwarder>(fwd_port, n2.peer_port());
  ASSERT_TRUE(fwd->start());
  ASSERT_TRUE(eventually(alive_at_n1, deadline)) << c.describe(c.all());
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 1, c.all(), sold));
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 0, c.all(), sold));
}

// Proves: host names work end to end: N2 binds tcp://localhost:PORT (so it
// advertises that name) and names N1 as tcp://localhost:PORT1 while N1
// advertises 127.0.0.1; they elect one master and sync both ways.
TEST_F(peer_links_test, host_names_work_for_bind_and_peers) {
  cluster c({{"N1", 20}});
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master({0}); }, deadline)) << c.describe(c.all());
  setup_shop(c[0]);
  auto& n2 = c.add({"N2", 10}, {"tcp://localhost:" + std::to_string(c[0].peer_port())});
  n2.options().bind_host = "localhost";
  ASSERT_TRUE(n2.start()) << n2.log_text();
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all()); }, deadline)) << c.describe(c.all());
  ASSERT_TRUE(eventually(
      [&] { return peer_view(c, 0, "N2").value("address", "") == "tcp://localhost:" + std::to_string(n2.peer_port()); },
      deadline))
      << c.describe(c.all());
  long sold = 0;
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 1, c.all(), sold));
  ASSERT_NO_FATAL_FAILURE(sell_and_converge(c, 0, c.all(), sold));
}

// Proves item 4 of issue 13 (peer port): a second process on the peer port of
// a running node, with its own data dir and HTTP port, exits with code 2 and
// says the port is in use, whether it binds the same address or the wildcard;
// the first node keeps serving.
TEST_F(peer_links_test, a_second_process_on_the_same_peer_port_exits_with_2) {
  temp_dir dir;
  node_process a(dir.path() / "a", {});
  ASSERT_TRUE(a.start()) << a.log_text();
  for (const char* host : {"", "0.0.0.0"}) {
    node_options o;
    o.device_id = "POS2";
    o.bind_host = host;
    node_process b(dir.path() / (std::string("b") + (*host ? "-wild" : "")), o, free_port(), a.peer_port());
    ASSERT_TRUE(b.start(false));
    ASSERT_TRUE(eventually([&] { return b.exited(); }, deadline)) << b.log_text();
    EXPECT_EQ(b.exit_code(), 2) << b.log_text();
    EXPECT_NE(b.log_text().find("is in use"), std::string::npos) << b.log_text();
  }
  EXPECT_TRUE(a.healthy());
}
