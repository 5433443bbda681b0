// Issue 9 item 4 with real processes: a store of two enrolled nodes (N1 made
// the store, N2 enrolled; a third device POS3 enrolled, a fourth POS4 enrolled
// then revoked at seq 0) refusing unenrolled origins. The genesis and the
// enrollments are written into the data dirs before the first start (as a
// join would leave them; the join itself is issue 9 item 2), with each
// device's real keys from its data dir.
//
// What it proves:
// - honest: N2's sales (signed by its log writer) replicate to N1, which
//   stores N2's signatures; `audit verify` of N1's log checks them (clean, no
//   unenrolled origin);
// - an enrolled device (POS3, holding its own key) forging N2's origin, the
//   same events unsigned, the revoked POS4 writing under its own key, and an
//   unknown origin are each refused by N1, counted under
//   storenode_events_refused_total{reason=...}, logged, and never in its log;
// - afterwards N2's next sale still replicates (nothing was poisoned).
#include <gtest/gtest.h>

#include <sodium.h>
#include <zmq.hpp>

#include "actors/sync/messages.hpp"
#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "events/product.hpp"
#include "node/genesis.hpp"
#include "node/identity.hpp"
#include "storage/audit.hpp"
#include "storage/event_log.hpp"
#include "tests/integration/curve_peer.hpp"
#include "tests/integration/node_process.hpp"
#include "trust/signature.hpp"

using namespace sn::testing;
using json = nlohmann::json;
using std::chrono::seconds;

namespace {

const std::string store_id = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f";

struct keys {
  sn::trust::public_key pub{};
  sn::trust::secret_key secret{};
  std::string hex() const { return sn::to_hex(sn::hash256(pub)); }
};

keys fresh_keys() {
  keys k;
  crypto_sign_keypair(k.pub.data(), k.secret.data());
  return k;
}

keys of(const sn::node::device_identity& id) {
  keys k;
  k.pub = id.signing_public;
  std::copy(id.signing_secret.begin(), id.signing_secret.end(), k.secret.begin());
  return k;
}

std::unique_ptr<sn::storage::event_log> open_log(const std::filesystem::path& dir, bool read_only) {
  sn::storage::log_options o;
  o.data_dir = dir.string();
  o.mode = read_only ? sn::storage::open_mode::read_only : sn::storage::open_mode::read_write;
  auto opened = sn::storage::event_log::open(o);
  if (!opened) ADD_FAILURE() << opened.error().to_string();
  return opened ? std::move(*opened) : nullptr;
}

/// The next events of `origin` after `head`, correctly hashed and chained.
std::vector<sn::event> forge(const std::string& origin, std::uint64_t head_seq, sn::hash256 head_hash, int n) {
  std::vector<sn::event> out;
  for (int i = 0; i < n; ++i) {
    sn::price_changed p;
    p.sku = "MILK";
    p.price_cents = 1;
    sn::event e = sn::make_event(sn::device_id{origin}, sn::origin_seq{head_seq + 1 + i},
                                 sn::hlc_timestamp::from_parts(1'700'000'000'000, 0), sn::term_id{1}, p);
    e.prev_hash = head_hash;
    sn::seal(e);
    head_hash = e.hash;
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> encoded(const std::vector<sn::event>& evs) {
  std::vector<std::string> out;
  for (const auto& e : evs) out.push_back(sn::encode(e));
  return out;
}

sn::trust::origin_signature sign_last(const keys& k, const std::vector<sn::event>& evs) {
  const auto& e = evs.back();
  return {e.origin.value(), e.seq.value(),
          sn::trust::sign(k.secret, store_id, e.origin.value(), e.seq.value(), e.hash)};
}

long metric(node_process& n, const std::string& series) {
  auto r = n.get("/metrics");
  return r && r->status == 200 ? sn::testing::metric(r->body, series) : -1;
}

/// N1's genesis, then its enrollments of N2, POS3, POS4 and the revocation of POS4 (at 0).
void write_store(const std::filesystem::path& n1_dir, const keys& n1, const std::string& n1_curve, const keys& n2,
                 const keys& pos3, const keys& pos4, const std::filesystem::path& n2_dir, const std::string& n2_curve) {
  sn::node::genesis_input in;
  in.store_id = store_id;
  in.name = "shop";
  in.device_id = "N1";
  in.priority = 20;
  in.signing_key_hex = n1.hex();
  in.curve_key_hex = n1_curve;
  in.wall_ms = 1'700'000'000'000;
  std::vector<sn::event> events = sn::node::genesis_events(in);
  auto next = [&](const auto& payload) {
    const sn::event& prev = events.back();
    sn::event e = sn::make_event(sn::device_id{"N1"}, sn::origin_seq{prev.seq.value() + 1},
                                 sn::hlc_timestamp::from_parts(prev.hlc.wall_ms() + 1, 0), sn::term_id{0}, payload);
    e.prev_hash = prev.hash;
    sn::seal(e);
    events.push_back(std::move(e));
  };
  next(sn::device_enrolled{"N2", n2.hex(), n2_curve, 10, "N1"});
  next(sn::device_enrolled{"POS3", pos3.hex(), pos3.hex(), 5, "N1"});
  next(sn::device_enrolled{"POS4", pos4.hex(), pos4.hex(), 5, "N1"});
  sn::device_revoked r;
  r.device_id = "POS4";
  r.reason = "stolen";
  r.approved_by = "N1";
  r.revoked_after_seq = 0;
  next(r);
  {
    auto log = open_log(n1_dir, false);
    ASSERT_TRUE(log);
    const std::vector<sn::trust::origin_signature> sigs{sign_last(n1, events)};
    sn::storage::append_options o;
    o.signatures = &sigs;
    auto appended = log->append(events, {}, o);
    ASSERT_TRUE(appended && appended->appended == events.size());
    ASSERT_TRUE(log->put_meta("device_id", "N1"));
    ASSERT_TRUE(log->put_meta("store.id", store_id));
  }
  // N2 holds N1's genesis and enrollments too (as if synced): with CURVE
  // always on, each must know the other's key before they can connect.
  auto log2 = open_log(n2_dir, false);
  ASSERT_TRUE(log2);
  {
    const std::vector<sn::trust::origin_signature> sigs{sign_last(n1, events)};
    sn::storage::append_options o;
    o.signatures = &sigs;
    auto appended = log2->append(events, {}, o);
    ASSERT_TRUE(appended && appended->appended == events.size());
  }
  ASSERT_TRUE(log2->put_meta("device_id", "N2"));
  ASSERT_TRUE(log2->put_meta("store.id", store_id));
}

bool sell(node_process& n) {
  auto s = n.post("/v1/sales", json{{"lines", json::array({{{"sku", "MILK"}, {"qty", 1}}})},
                                    {"payments", json::array({{{"method", "cash"}, {"amount_cents", 200}}})}}
                                   .dump());
  return s && s->status == 201;
}

TEST(origin_signature_test, an_enrolled_device_forging_another_origin_and_a_revoked_device_are_refused) {
  ASSERT_GE(sodium_init(), 0);
  cluster c({{"N1", 20}, {"N2", 10}});
  const std::string liar = "tcp://127.0.0.1:1";
  c[0].peers().push_back(liar);
  auto id1 = sn::node::load_or_create_identity(c[0].data_dir().string());
  auto id2 = sn::node::load_or_create_identity(c[1].data_dir().string());
  ASSERT_TRUE(id1 && id2);
  const keys n1 = of(*id1), n2 = of(*id2), pos3 = fresh_keys(), pos4 = fresh_keys();
  write_store(c[0].data_dir(), n1, id1->curve_public_hex(), n2, pos3, pos4, c[1].data_dir(), id2->curve_public_hex());
  ASSERT_TRUE(c.start_all()) << c.describe(c.all());
  ASSERT_TRUE(eventually([&] { return c.one_master(c.all()); }, seconds(20))) << c.describe(c.all());

  // Honest: N2's own (signed) events reach N1.
  auto r = c[0].post("/v1/products", json{{"sku", "MILK"}, {"name", "Milk 1L"}, {"price_cents", 129}}.dump());
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
  ASSERT_TRUE(eventually(
      [&] {
        auto p = c[1].get("/v1/products/MILK");
        return p && p->status == 200;
      },
      seconds(20)))
      << c.describe(c.all());
  ASSERT_TRUE(sell(c[1]));
  auto log = open_log(c[0].data_dir(), true);
  ASSERT_TRUE(log);
  auto n2_head_at_n1 = [&] {
    EXPECT_TRUE(log->catch_up());
    auto h = log->head(sn::device_id{"N2"});
    return h ? h->seq.value() : 0;
  };
  auto n2_own_head = [&] {
    auto l2 = open_log(c[1].data_dir(), true);
    auto h = l2 ? l2->head(sn::device_id{"N2"}) : std::nullopt;
    return h ? h->seq.value() : 0;
  };
  const std::uint64_t n2_sold = n2_own_head();
  ASSERT_GT(n2_sold, 0u);
  ASSERT_TRUE(eventually([&] { return n2_head_at_n1() >= n2_sold; }, seconds(20))) << c.describe(c.all());
  EXPECT_FALSE(log->signatures(sn::device_id{"N2"}, sn::origin_seq{1}, sn::origin_seq{n2_sold}, 100).empty());

  // The forgeries, from a peer N1 listens to.
  const auto head = *log->head(sn::device_id{"N2"});
  auto as_n2 = forge("N2", head.seq.value(), head.hash, 2);  // POS3 forging N2's origin
  auto unsigned_n2 = forge("N2", head.seq.value(), head.hash, 2);
  auto revoked = forge("POS4", 0, {}, 1);
  auto stranger = forge("EVIL", 0, {}, 1);
  auto refused = [&](const std::string& reason) {
    return metric(c[0], "storenode_events_refused_total{reason=\"" + reason + "\"}");
  };
  auto refused_unsigned = [&] { return refused("unsigned"); };
  zmq::context_t ctx;
  zmq::socket_t dealer(ctx, zmq::socket_type::dealer);
  dealer.set(zmq::sockopt::linger, 0);
  // An enrolled device's key (N2's): the peer port admits only members, and
  // the forgery this test is about comes from inside the store.
  curve_client(dealer, c[0].data_dir(), c[1].data_dir());
  dealer.connect(c[0].bind());
  // Unsigned first: once a (forged) signature for those seqs was offered, the
  // same events unsigned are judged against it (bad_signature).
  ASSERT_TRUE(send_frame(dealer, 12, liar, sn::sync::encode_sync_reply(0, {}, false, encoded(unsigned_n2))));
  ASSERT_TRUE(eventually([&] { return refused_unsigned() >= 2; }, seconds(15))) << refused_unsigned();
  ASSERT_TRUE(send_frame(dealer, 10, liar, sn::sync::encode_live_events(encoded(as_n2), 0, 2, {sign_last(pos3, as_n2)})));
  ASSERT_TRUE(send_frame(dealer, 10, liar, sn::sync::encode_live_events(encoded(revoked), 0, 1, {sign_last(pos4, revoked)})));
  ASSERT_TRUE(send_frame(dealer, 10, liar, sn::sync::encode_live_events(encoded(stranger), 0, 1, {sign_last(pos3, stranger)})));
  EXPECT_TRUE(eventually(
      [&] {
        return refused("bad_signature") >= 2 && refused("unsigned") >= 2 && refused("revoked") >= 1 &&
               refused("unknown_origin") >= 1;
      },
      seconds(15)))
      << "bad_signature " << refused("bad_signature") << " unsigned " << refused("unsigned") << " revoked "
      << refused("revoked") << " unknown_origin " << refused("unknown_origin");

  // Nothing forged in N1's log; N2's next sale still replicates.
  ASSERT_TRUE(sell(c[1]));
  const std::uint64_t n2_after = n2_own_head();
  ASSERT_TRUE(eventually([&] { return n2_head_at_n1() >= n2_after; }, seconds(20))) << c.describe(c.all());
  for (const auto* forged : {&as_n2, &unsigned_n2}) {
    for (const auto& e : *forged) {
      auto held = log->get(e.origin, e.seq);  // N2's real event at that seq, or none yet
      if (held) {
        EXPECT_NE(held->ev.hash, e.hash) << "forged " << e.origin.value() << ":" << e.seq.value() << " in N1's log";
      }
    }
  }
  EXPECT_FALSE(log->head(sn::device_id{"POS4"}));
  EXPECT_FALSE(log->head(sn::device_id{"EVIL"}));
  // Logged once per peer and reason, naming the origin.
  std::ifstream in(c[0].data_dir().string() + ".log");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("bad_signature"), std::string::npos);
  EXPECT_NE(text.find("events of POS4"), std::string::npos);

  // The audit checks the signatures N1 holds.
  auto rep = sn::storage::audit_log(*log);
  ASSERT_TRUE(rep);
  EXPECT_EQ(rep->store_id, store_id);
  EXPECT_GE(rep->signatures_valid, 2u);
  EXPECT_TRUE(rep->unenrolled.empty());
  for (const auto& f : rep->findings) ADD_FAILURE() << sn::storage::to_string(f.kind) << " " << f.message;
}

}  // namespace
