// Bad input on the peer transport (issue 4): a raw ZeroMQ client sends random
// bytes, wrong frame shapes, unknown versions and types, malformed msgpack and
// oversized bodies to a node's ROUTER, and publishes garbage to the node's SUB
// from a fake peer's PUB; raw TCP junk hits its ROUTER and PUB ports. The node
// stays up, counts exactly the drops the transport defines
// (docs/protocol.md 2.3) in GET /metrics, keeps its master and term, and keeps
// syncing with a real peer.
#include <gtest/gtest.h>

#include <zmq.hpp>

#include "tests/integration/curve_peer.hpp"
#include "tests/integration/node_process.hpp"

using namespace sn::testing;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

constexpr const char* sku = "MILK";
constexpr long initial_stock = 100000;
constexpr int message_bytes_max = 65536;  // small, so an oversized body is cheap to send

std::string dropped(const char* reason) {
  return std::string("storenode_peer_frames_dropped_total{reason=\"") + reason + "\"}";
}

/// A frame header: version, type, sender address (docs/protocol.md 2.2).
std::string header(std::uint8_t version, std::uint8_t type, const std::string& sender) {
  std::string h;
  h.push_back(static_cast<char>(version));
  h.push_back(static_cast<char>(type));
  h.push_back(static_cast<char>(sender.size()));
  return h + sender;
}

void send_parts(zmq::socket_t& s, const std::vector<std::string>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto flags = i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none;
    ASSERT_TRUE(s.send(zmq::buffer(parts[i]), flags).has_value());
  }
}

std::string random_bytes(std::mt19937& rng, std::size_t n) {
  std::string out(n, '\0');
  for (auto& ch : out) ch = static_cast<char>(rng() & 0xff);
  return out;
}

/// Writes `bytes` on a plain TCP connection to 127.0.0.1:port, then closes it.
void raw_tcp(int port, const std::string& bytes) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  ::close(fd);
}

TEST(peer_garbage_test, node_survives_garbage_counts_drops_and_keeps_syncing) {
  const std::uint32_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);

  // A fake peer that N1 is told about: its ROUTER takes N1's direct frames
  // (and ignores them), its PUB feeds N1's SUB with garbage.
  zmq::context_t ctx;
  zmq::socket_t fake_router(ctx, zmq::socket_type::router);
  zmq::socket_t fake_pub(ctx, zmq::socket_type::pub);
  fake_router.set(zmq::sockopt::linger, 0);
  fake_pub.set(zmq::sockopt::linger, 0);
  const int fake_port = free_port_range(3);  // ROUTER, PUB, door
  ASSERT_GT(fake_port, 0);
  const std::string fake_address = "tcp://127.0.0.1:" + std::to_string(fake_port);

  cluster c({{"N1", 20}, {"N2", 10}}, {"--message-bytes-max", std::to_string(message_bytes_max)});
  c[0].peers().push_back(fake_address);
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  // The fake peer serves CURVE with a member's key (N1's own: N1 dials only
  // members) and answers identify at its door with it.
  const auto keys = curve_keys_of(c[0].data_dir());
  curve_server(fake_router, keys);
  curve_server(fake_pub, keys);
  fake_router.bind(fake_address);
  fake_pub.bind("tcp://127.0.0.1:" + std::to_string(fake_port + 1));
  fake_door door(ctx, fake_port, keys.public_key);
  std::string master;
  std::uint64_t term = 0;
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all(), &master, &term); }, seconds(20))) << c.describe(c.all());

  auto metrics = [&] {
    auto r = c[0].get("/metrics");
    return r && r->status == 200 ? r->body : std::string();
  };
  auto sync_malformed = [&] { return c.get_json(0, "/v1/status")["sync"]["counters"].value("malformed", -1L); };
  const std::string before = metrics();
  ASSERT_FALSE(before.empty());
  const long malformed0 = metric(before, dropped("malformed"));
  const long version0 = metric(before, dropped("unknown_version"));
  const long type0 = metric(before, dropped("unknown_type"));
  const long oversized0 = metric(before, dropped("oversized"));
  const long sync_malformed0 = sync_malformed();
  ASSERT_GE(malformed0, 0);
  ASSERT_GE(sync_malformed0, 0);

  // 1. Direct frames into N1's ROUTER from a raw DEALER.
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  curve_client(dealer, c[0].data_dir(), c[0].data_dir());  // an enrolled key: the peer port admits no other
  dealer.connect(c[0].bind());
  long malformed = 0, unknown_version = 0, unknown_type = 0, oversized = 0;
  for (int k = 0; k < 5; ++k, ++malformed) send_parts(dealer, {random_bytes(rng, 1 + rng() % 300)});  // one part
  for (int k = 0; k < 3; ++k, ++malformed) {                                                           // three parts
    send_parts(dealer, {header(1, 10, fake_address), random_bytes(rng, 20), random_bytes(rng, 20)});
  }
  for (int k = 0; k < 4; ++k, ++unknown_version) send_parts(dealer, {header(2 + k, 10, fake_address), "\x91\x01"});
  send_parts(dealer, {std::string("\x01\x0a\x00", 3), "\x91\x01"});  // N = 0
  ++malformed;
  send_parts(dealer, {header(1, 10, fake_address) + "xx", "\x91\x01"});  // length != 3 + N
  ++malformed;
  send_parts(dealer, {header(1, 10, std::string("tcp://\x01\x02", 8)), "\x91\x01"});  // sender byte outside 0x21..0x7e
  ++malformed;
  send_parts(dealer, {"\x01", "\x91\x01"});  // header shorter than 3 bytes
  ++malformed;
  for (std::uint8_t type : {0, 200, 255}) {  // well-formed frames of no protocol's type
    send_parts(dealer, {header(1, type, fake_address), "\x91\x01"});
    ++unknown_type;
  }
  send_parts(dealer, {header(1, 10, fake_address), std::string(message_bytes_max + 1000, 'x')});
  ++oversized;
  // Well-formed frames whose msgpack bodies are not what sync and election expect:
  // random bytes, an array claiming 4 billion elements, a truncated array, the wrong
  // shape, an event that does not decode. The transport passes them on; the
  // protocols count their own decode failures.
  const std::vector<std::string> bad_bodies = {
    random_bytes(rng, 64),
    std::string("\xdd\xff\xff\xff\xff", 5),
    std::string("\x9a\x01", 2),
    std::string("\x92\x01\xa1x", 4),
    std::string("\x92\x01\x91\xc4\x03" "abc", 8),
    std::string(),
  };
  long sync_bad = 0;
  for (std::uint8_t type : {10, 11, 12}) {  // live events, sync request, sync reply
    for (auto& body : bad_bodies) {
      send_parts(dealer, {header(1, type, fake_address), body});
      ++sync_bad;
    }
  }
  for (std::uint8_t type = 1; type <= 9; ++type) {  // every election message type
    for (auto& body : bad_bodies) send_parts(dealer, {header(1, type, fake_address), body});
  }

  std::string text;
  ASSERT_TRUE(eventually([&] {
    text = metrics();
    return metric(text, dropped("malformed")) == malformed0 + malformed &&
           metric(text, dropped("unknown_version")) == version0 + unknown_version &&
           metric(text, dropped("unknown_type")) == type0 + unknown_type &&
           metric(text, dropped("oversized")) == oversized0 + oversized;
  }, seconds(20))) << text;
  // Sync counts at least the bodies of the first two kinds it cannot decode (one
  // garbage event inside a valid list counts too, and some bodies count once per event).
  ASSERT_TRUE(eventually([&] { return sync_malformed() >= sync_malformed0 + 2; }, seconds(20)));
  EXPECT_LE(sync_malformed(), sync_malformed0 + 2 * sync_bad);

  // 2. A part bigger than twice the limit: ZeroMQ closes that connection; the node stays up.
  send_parts(dealer, {header(1, 10, fake_address), std::string(3 * message_bytes_max, 'y')});

  // 3. Plain TCP junk on the ROUTER port and on the PUB port (no ZMTP greeting).
  for (int k = 0; k < 5; ++k) {
    raw_tcp(c[0].peer_port(), random_bytes(rng, 1 + rng() % 4096));
    raw_tcp(c[0].peer_port() + 1, random_bytes(rng, 1 + rng() % 4096));
    raw_tcp(c[0].peer_port() + 2, random_bytes(rng, 1 + rng() % 4096));  // the door
  }
  // A ZeroMQ socket of the wrong type on the PUB port: the handshake refuses it.
  zmq::socket_t wrong(ctx, zmq::socket_type::dealer);
  wrong.set(zmq::sockopt::linger, 0);
  wrong.connect("tcp://127.0.0.1:" + std::to_string(c[0].peer_port() + 1));
  (void)wrong.send(zmq::buffer(std::string("junk")), zmq::send_flags::dontwait);

  // 4. Garbage published to N1's SUB by the fake peer. PUB drops frames for a
  // subscriber still joining, so publish until the drops show.
  const long malformed_before_pub = metric(metrics(), dropped("malformed"));
  const long sync_malformed_before_pub = sync_malformed();
  // Valid headers with garbage bodies pass the transport; sync counts the live events it cannot decode.
  ASSERT_TRUE(eventually([&] {
    send_parts(fake_pub, {random_bytes(rng, 1 + rng() % 200)});                               // one part
    send_parts(fake_pub, {header(1, 1, fake_address), random_bytes(rng, 1 + rng() % 200)});   // garbage heartbeat
    send_parts(fake_pub, {header(1, 10, fake_address), random_bytes(rng, 1 + rng() % 200)});  // garbage live events
    return metric(metrics(), dropped("malformed")) > malformed_before_pub && sync_malformed() > sync_malformed_before_pub;
  }, seconds(20))) << metrics();

  // The node is up, the election undisturbed, and a fresh SUB still receives its frames.
  ASSERT_TRUE(c[0].healthy()) << c[0].log_text();
  ASSERT_FALSE(c[0].exited()) << c[0].log_text();
  std::string master_after;
  std::uint64_t term_after = 0;
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all(), &master_after, &term_after); }, seconds(20))) << c.describe(c.all());
  EXPECT_EQ(master_after, master);
  EXPECT_EQ(term_after, term);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::subscribe, "");
  sub.set(zmq::sockopt::rcvtimeo, 5000);
  curve_client(sub, c[0].data_dir(), c[0].data_dir());  // a member's key: the peer port admits no other
  sub.connect("tcp://127.0.0.1:" + std::to_string(c[0].peer_port() + 1));
  zmq::message_t first;
  ASSERT_TRUE(sub.recv(first).has_value()) << "no heartbeat from N1 within 5 s";
  ASSERT_GE(first.size(), 3u);
  EXPECT_EQ(static_cast<const std::uint8_t*>(first.data())[0], 1);

  // 5. It keeps syncing with the real peer both ways.
  auto post = [&](std::size_t i, const std::string& path, const json& body) {
    auto r = c[i].post(path, body.dump());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 201) << r->body;
  };
  post(0, "/v1/products", {{"sku", sku}, {"name", "Milk"}, {"barcode", "1"}, {"price_cents", 100}, {"tax_rate_bp", 0}, {"low_stock_threshold", 1}});
  post(0, "/v1/stock/receipts", {{"sku", sku}, {"qty", initial_stock}, {"supplier_ref", "PO"}});
  ASSERT_TRUE(eventually([&] { return c.get_json(1, std::string("/v1/inventory/") + sku).value("on_hand", -1L) == initial_stock; },
                         seconds(30))) << c.describe(c.all());
  long sold = 0;
  for (int k = 0; k < 10; ++k) {
    post(k % 2, "/v1/sales", {{"lines", {{{"sku", sku}, {"qty", 1 + k % 3}}}}, {"payments", {{{"method", "cash"}, {"amount_cents", 1000}}}}});
    sold += 1 + k % 3;
  }
  std::string why;
  ASSERT_TRUE(c.converge(c.all(), seconds(30), &why)) << why << "\n" << c.describe(c.all());
  for (auto i : c.all()) EXPECT_EQ(c.get_json(i, std::string("/v1/inventory/") + sku).value("on_hand", -1L), initial_stock - sold);
  EXPECT_TRUE(c[0].healthy());
}

} // namespace
