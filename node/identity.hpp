// A device's identity (issue 9, docs/operations.md "Device keys"): an Ed25519
// signing key pair and a CURVE (X25519) key pair, made on first start in the
// data dir and read from there afterwards.
//
// Contract
// - Files `<data dir>/identity/signing.key` (the 64-byte libsodium Ed25519
//   secret key) and `<data dir>/identity/curve.key` (the 32-byte X25519
//   secret key), raw bytes, mode 0600 in a 0700 directory. Created with
//   O_EXCL and fsynced (file and directory) before they are used: a crash
//   leaves either no key or a whole one. Public keys are derived on load.
// - A key file readable by group or others, of the wrong size, or whose key
//   does not derive is refused (a clear error; the node does not start).
// - Secret bytes never leave this unit except through the struct, and are
//   never logged or put on a command line; the struct wipes them on destruction.
// - Thread safety: load_or_create runs once at start-up, before any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/expected.hpp"

namespace sn::node {

struct device_identity {
  std::array<std::uint8_t, 32> signing_public{};
  std::array<std::uint8_t, 64> signing_secret{};
  std::array<std::uint8_t, 32> curve_public{};
  std::array<std::uint8_t, 32> curve_secret{};
  bool created = false;  ///< made by this start (first start of the data dir)

  device_identity() = default;
  device_identity(const device_identity&) = default;
  device_identity& operator=(const device_identity&) = default;
  ~device_identity();

  /// Lower-case hex of the public keys (as device.enrolled carries them).
  std::string signing_public_hex() const;
  std::string curve_public_hex() const;
};

/// The identity in `data_dir`, made there when absent.
[[nodiscard]] sn::expected<device_identity> load_or_create_identity(const std::string& data_dir);

/// The key files of `data_dir`'s identity that do not exist ("identity/signing.key",
/// "identity/curve.key"), in that order; empty when both do. A data dir that
/// belongs to a store must not get new keys: its store knows it by the old ones.
std::vector<std::string> missing_identity_files(const std::string& data_dir);

// Key rotation (issue 9, docs/operations.md "Rotating a device's keys"):
// the next key pairs are made into `identity/signing.next.key` and
// `identity/curve.next.key` (0600, written and synced like the first ones)
// while the current files stay; only once the device.keys_rotated naming
// them is durable does commit_next_identity rename them over the current
// files (rename(2): each file is atomically old or new), and sync the
// directory. A crash in between leaves next files: at start the node
// finishes the rename when its log holds the rotation naming them, and
// deletes them otherwise (pending_next_identity, discard_next_identity).

/// Fresh next key pairs written as the next files (any left by an earlier,
/// unfinished attempt are replaced first).
[[nodiscard]] sn::expected<device_identity> make_next_identity(const std::string& data_dir);
/// The next identity a crash left (a next file, or the current one where its
/// rename was done already); nullopt when no next file exists.
[[nodiscard]] sn::expected<std::optional<device_identity>> pending_next_identity(const std::string& data_dir);
/// The next files become the current ones (rename, then directory fsync).
[[nodiscard]] sn::status commit_next_identity(const std::string& data_dir);
/// Deletes the next files (the rotation was not recorded).
[[nodiscard]] sn::status discard_next_identity(const std::string& data_dir);

/// 32 lower-case hex characters of fresh random bytes (a new store's id).
std::string random_store_id();

/// Lower-case hex of bytes.
std::string to_hex(const std::uint8_t* data, std::size_t size);

}  // namespace sn::node
