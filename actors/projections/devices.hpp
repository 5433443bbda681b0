// devices: the store's devices (ARCHITECTURE.md §5) — each device's
// register (device.registered / device.updated), when each origin last wrote
// an event, and the current master (newest master.changed).
//
// Semantics (those of retail::views, the specification):
// - The "device" register is last-writer-wins, ordered by (HLC, origin name;
//   seq within one origin). `registered` is set by any device.registered,
//   whichever write wins the register. A write that loses on arrival against
//   another origin's write is reported into ctx.conflicts (register "device",
//   refs "origin:seq", old_value = the loser's {name, priority, active},
//   new_value = the winner's).
// - Last seen: the newest HLC of every event of an origin, of any type,
//   unknown types included; an event whose device id is empty is parked but
//   still counts as seen (as in views).
// - Current master: new_master of the master.changed that is greatest by
//   (term, HLC, origin name) (then seq: a tie there needs two events of one
//   origin with one HLC, which a valid log never holds). "" (none) until one
//   is seen.
// - A device is listed (and found by id) when its register was written, or it
//   wrote an event with a non-zero HLC, or it is the current master.
//
// Row layout (keys: row_codec.hpp; values: row_out, identical on every node):
//   'd' key(device id)  -> device row:
//        u8 flags (1: register written, 2: registered),
//        u64 register hlc, str register origin, u64 register seq,
//        str name, i32 priority, bool active,
//        u64 last seen hlc (0: none),
//        u64 created hlc: the smallest HLC of any register write (a min, so
//        order-independent; 0 while the register is unwritten). Layout 2:
//        rows of layout 1 (without it) are folded again at start-up.
//      Exists when the register was written or the device wrote an event with
//      a non-zero HLC. Keys sort by device id: the list walks them in order.
//   'm'                 -> current master: u64 term, u64 hlc, str origin,
//        u64 seq, str new_master
//   'e' key(device id)  -> membership (issue 9): u64 enrolled hlc, str origin,
//        u64 seq (0: never enrolled), str signing key, str curve key (hex),
//        i32 priority, str approved_by, bool revoked
//      The keys are a last-writer-wins register over device.enrolled ordered
//      like the device register; `revoked` is sticky (any device.revoked
//      sets it, whatever order the events arrive in): a revoked id stays out.
//   's'                 -> the store: u64 hlc, str origin, u64 seq, str store
//        id, str name: the store.created smallest by (HLC, origin, seq) (a
//        store has one; two would be a misuse, resolved the same everywhere)
// The row of an origin changes with each of its events (last seen): the set
// caches hot rows and writes them once per batch.
//
// Queries: point lookups read at most two rows; the list reads one page of
// 'd' rows (plus the master row).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/projections/paging.hpp"
#include "actors/projections/projection.hpp"

namespace sn::projections {

class devices_projection final : public projection {
 public:
  const char* name() const noexcept override { return "devices"; }
  std::uint32_t layout() const noexcept override { return 2; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
};

namespace devices {

/// One device as the device queries show it.
struct device_info {
  std::string id;
  std::string name;  ///< "" until the register is written
  std::int32_t priority = 0;
  bool active = true;
  bool registered = false;          ///< some device.registered was seen
  bool master = false;              ///< the current master
  std::uint64_t last_seen_hlc = 0;  ///< newest HLC of its events (0: none)
  /// The register's oldest write (normally its device.registered) and the
  /// write that stands (the newest by (HLC, origin)); 0: never written.
  std::uint64_t created_hlc = 0;
  std::uint64_t updated_hlc = 0;
};

struct device_list {
  page<device_info> devices;  ///< by device id
  std::string master;         ///< current master ("" = none known)
};

/// Every listed device, by id (paged; total = items of this page: the
/// projection keeps no count).
device_list list(const row_reader& rows, const page_request& req);

/// One device; nullopt when it is not listed (the HTTP 404).
std::optional<device_info> find(const row_reader& rows, const std::string& id);

/// The current master's id ("" when no master.changed was seen).
std::string current_master(const row_reader& rows);

// ---- command side ----

/// The "device" register's values as the command handler decides from
/// (register_device refuses a registered id; update_device needs a written
/// register and defaults the fields it is not given to these values).
struct device_register {
  bool registered = false;  ///< some device.registered was seen (not only updates)
  std::string name;
  std::int32_t priority = 0;
  bool active = true;
};

/// The register of `id`; nullopt when no device.registered or
/// device.updated for it was seen. One row read.
std::optional<device_register> register_of(const row_reader& rows, const std::string& id);

// ---- membership (issue 9) ----

/// A device's enrollment as the trust layer reads it.
struct enrollment {
  std::string device_id;
  std::string signing_key;  ///< hex, "" when only a revocation was seen
  std::string curve_key;    ///< hex
  std::int32_t priority = 0;
  std::string approved_by;
  bool revoked = false;
  /// Enrolled with keys and not revoked: a member whose connections are admitted.
  bool member() const noexcept { return !revoked && !curve_key.empty(); }
};

/// Most membership rows `enrollments` returns (a store's devices are a few dozen).
constexpr std::size_t enrollments_max = 4096;

/// The membership of `id`; nullopt when neither enrolled nor revoked.
std::optional<enrollment> enrollment_of(const row_reader& rows, const std::string& id);

/// Every membership row by device id (at most enrollments_max).
std::vector<enrollment> enrollments(const row_reader& rows);

struct store_info {
  std::string store_id;  ///< "" when no store.created was seen
  std::string name;
  std::string created_by;  ///< origin of the store.created
};

/// The store this log belongs to (its store.created).
store_info store_of(const row_reader& rows);

/// Row key of device `id` (tests, tools).
std::string device_key(const std::string& id);

}  // namespace devices
}  // namespace sn::projections
