// Device keys and the store's genesis (issue 9, item 1). What each test
// proves is in its comment; every key file lives in a fresh temp dir.
#include <gtest/gtest.h>

#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "events/codec.hpp"
#include "events/device.hpp"
#include "events/payload_codec.hpp"
#include "node/genesis.hpp"
#include "node/identity.hpp"

namespace sn::node {
namespace {

namespace fs = std::filesystem;

struct temp_dir {
  fs::path path;
  temp_dir() {
    path = fs::temp_directory_path() / ("sn_identity_" + std::to_string(std::random_device{}()));
    fs::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

// First start makes both key pairs as 0600 files in a 0700 dir; the next
// start loads the very same keys (nothing regenerated), and the public keys
// belong to the secret ones (a signature verifies; the CURVE public key is
// the base-point multiple of the secret).
TEST(DeviceIdentity, MadeOnceWithPrivateFilesThenLoaded) {
  temp_dir d;
  auto first = load_or_create_identity(d.path.string());
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->created);
  EXPECT_EQ(mode_of(d.path / "identity"), 0700u);
  EXPECT_EQ(mode_of(d.path / "identity" / "signing.key"), 0600u);
  EXPECT_EQ(mode_of(d.path / "identity" / "curve.key"), 0600u);
  EXPECT_EQ(fs::file_size(d.path / "identity" / "signing.key"), 64u);
  EXPECT_EQ(fs::file_size(d.path / "identity" / "curve.key"), 32u);
  auto again = load_or_create_identity(d.path.string());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->signing_public, first->signing_public);
  EXPECT_EQ(again->curve_public, first->curve_public);
  EXPECT_EQ(first->signing_public_hex().size(), 64u);
  const std::string msg = "store";
  std::array<std::uint8_t, 64> sig{};
  crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       again->signing_secret.data());
  EXPECT_EQ(crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                                        first->signing_public.data()),
            0);
  std::array<std::uint8_t, 32> pub{};
  ASSERT_EQ(crypto_scalarmult_base(pub.data(), again->curve_secret.data()), 0);
  EXPECT_EQ(pub, first->curve_public);
  // Two devices never share keys.
  temp_dir other;
  auto second = load_or_create_identity(other.path.string());
  ASSERT_TRUE(second);
  EXPECT_NE(second->signing_public, first->signing_public);
  EXPECT_NE(second->curve_public, first->curve_public);
}

// A key file others may read, or of the wrong size, stops the start with a
// message naming the file; it is never silently replaced.
TEST(DeviceIdentity, RefusesExposedOrDamagedKeyFiles) {
  temp_dir d;
  ASSERT_TRUE(load_or_create_identity(d.path.string()));
  const auto signing = d.path / "identity" / "signing.key";
  ::chmod(signing.c_str(), 0644);
  auto exposed = load_or_create_identity(d.path.string());
  ASSERT_FALSE(exposed);
  EXPECT_NE(exposed.error().message.find("signing.key"), std::string::npos);
  EXPECT_NE(exposed.error().message.find("chmod 600"), std::string::npos);
  ::chmod(signing.c_str(), 0600);
  fs::resize_file(d.path / "identity" / "curve.key", 31);
  auto damaged = load_or_create_identity(d.path.string());
  ASSERT_FALSE(damaged);
  EXPECT_NE(damaged.error().message.find("curve.key"), std::string::npos);
  EXPECT_EQ(fs::file_size(d.path / "identity" / "curve.key"), 31u);  // not replaced
}

// The genesis is store.created then device.enrolled, sealed and chained
// after the device's own newest event, with HLCs after it (a store created
// on a device that already has events), and carries the public keys.
TEST(Genesis, ChainsAfterTheOwnHeadAndCarriesThePublicKeys) {
  genesis_input in;
  in.store_id = random_store_id();
  EXPECT_EQ(in.store_id.size(), 32u);
  EXPECT_NE(in.store_id, random_store_id());
  in.name = "shop-1";
  in.device_id = "BO";
  in.priority = 100;
  in.signing_key_hex = std::string(64, 'a');
  in.curve_key_hex = std::string(64, 'b');
  in.wall_ms = 1000;  // behind the head's clock: the head's wins
  in.term = 4;
  genesis_input::head h;
  h.seq = 7;
  h.hash[0] = 0x42;
  h.hlc = hlc_timestamp::from_parts(5000, 3);
  in.own_head = h;
  const auto evs = genesis_events(in);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].seq.value(), 8u);
  EXPECT_EQ(evs[1].seq.value(), 9u);
  EXPECT_EQ(evs[0].prev_hash, h.hash);
  EXPECT_EQ(evs[1].prev_hash, evs[0].hash);
  EXPECT_GT(evs[0].hlc.packed(), h.hlc.packed());
  EXPECT_GT(evs[1].hlc.packed(), evs[0].hlc.packed());
  for (const auto& e : evs) {
    EXPECT_TRUE(verify_hash(e));
    EXPECT_EQ(e.term.value(), 4u);
    EXPECT_EQ(e.origin.value(), "BO");
  }
  auto created = payload_of<store_created>(evs[0]);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->store_id, in.store_id);
  EXPECT_EQ(created->name, "shop-1");
  auto enrolled = payload_of<device_enrolled>(evs[1]);
  ASSERT_TRUE(enrolled);
  EXPECT_EQ(enrolled->device_id, "BO");
  EXPECT_EQ(enrolled->signing_key, in.signing_key_hex);
  EXPECT_EQ(enrolled->curve_key, in.curve_key_hex);
  EXPECT_EQ(enrolled->priority, 100);
  EXPECT_EQ(enrolled->approved_by, "");
  // A fresh device: seq 1 and 2, the first chained to zeros.
  in.own_head.reset();
  const auto fresh = genesis_events(in);
  EXPECT_EQ(fresh[0].seq.value(), 1u);
  EXPECT_EQ(fresh[0].prev_hash, hash256{});
}

}  // namespace
}  // namespace sn::node
