// The store's genesis (issue 9): the events `storenode --create-store` appends
// as the creating device's next own events. Pure: no clock, no disk.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/event.hpp"

namespace sn::node {

struct genesis_input {
  std::string store_id;  ///< 32 hex characters (random_store_id())
  std::string name;      ///< config store.id
  std::string device_id;
  std::int32_t priority = 0;
  std::string signing_key_hex;  ///< this device's public keys
  std::string curve_key_hex;
  /// The device's own newest event (seq, hash, hlc) when its log already
  /// holds some (a store created on an existing device); nullopt: none.
  struct head {
    std::uint64_t seq = 0;
    hash256 hash{};
    hlc_timestamp hlc;
  };
  std::optional<head> own_head;
  std::uint64_t wall_ms = 0;  ///< the wall clock now
  std::uint64_t term = 0;     ///< the device's current term
};

/// store.created then device.enrolled (for the device itself, approved_by
/// ""), sealed and chained after own_head, HLCs after it and after wall_ms.
std::vector<event> genesis_events(const genesis_input& in);

}  // namespace sn::node
