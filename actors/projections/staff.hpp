// staff: the store's staff (issue 10) — each person's profile register
// (staff.added / staff.updated / staff.removed), their PIN register, and
// their newest sign-in.
//
// Semantics:
// - Two last-writer-wins registers per staff id, ordered by (HLC, origin
//   name; seq within one origin), like every register (README):
//   * profile: name, role, active, removed. staff.added and staff.updated
//     write name, role and active (and clear removed); staff.removed writes
//     removed and keeps the rest as the register had it;
//   * pin: the Argon2id string. staff.added writes it; staff.updated writes
//     it when its pin_hash is not "" (a PUT without a PIN leaves the PIN).
//   Two registers, so that a name change on one till and a PIN change on
//   another while apart both survive.
// - Last sign-in: the staff.signed_in with the greatest (HLC, origin): its
//   time and device.
// - Sign-in failures and sign-outs change no row (they are in the log; the
//   lockout that reads failures is node-local).
// - An event with an empty id is parked.
//
// Row layout (keys: row_codec.hpp; values: row_out, identical on every node):
//   's' key(staff id) -> staff row:
//        u8 flags (1: profile written, 2: pin written),
//        u64 profile hlc, str origin, u64 seq, str name, str role,
//        bool active, bool removed,
//        u64 pin hlc, str origin, u64 seq, str pin_hash,
//        u64 last sign-in hlc (0: none), str its origin
// Keys sort by staff id: the list walks them in order.
//
// The secret: the pin_hash is in the rows (so that this device can sign
// anyone in while offline) and in credentials_of(), which only the sign-in
// and approval checks call. staff_info, what every query and the HTTP JSON
// show, has no field for it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "actors/projections/paging.hpp"
#include "actors/projections/projection.hpp"

namespace sn::projections {

class staff_projection final : public projection {
 public:
  const char* name() const noexcept override { return "staff"; }
  const char* apply(const folded_event& e, row_writer& rows, fold_context& ctx) override;
};

namespace staff {

/// One person as GET /v1/staff[/{id}] shows them (no PIN, no hash).
struct staff_info {
  std::string id;
  std::string name;
  std::string role;  ///< cashier | supervisor | manager | admin
  bool active = true;
  bool pin_set = false;                  ///< some PIN was recorded
  std::uint64_t updated_hlc = 0;         ///< the profile register's HLC
  std::uint64_t last_sign_in_hlc = 0;    ///< 0: never signed in
  std::string last_sign_in_device;
};

/// Every person not removed, by id (paged; total = items of this page).
page<staff_info> list(const row_reader& rows, const page_request& req);

/// One person; nullopt when unknown or removed (the HTTP 404).
std::optional<staff_info> find(const row_reader& rows, const std::string& id);

/// How many people are listed (not removed): the admin bootstrap needs "none".
/// Reads every 's' row (a store has tens of staff).
std::size_t count(const row_reader& rows);

// ---- sign-in and command side ----

/// What a sign-in or an approval checks. Holds the secret: never rendered,
/// logged or returned by an API (node/auth.cpp is its only reader).
struct staff_credentials {
  std::string name;
  std::string role;
  bool active = true;
  bool removed = false;
  std::string pin_hash;  ///< "" when no PIN was recorded
};

/// The registers of `id`; nullopt when no staff.added/updated/removed for it
/// was seen. One row read.
std::optional<staff_credentials> credentials_of(const row_reader& rows, const std::string& id);

/// The profile register of one person, with its stamp (the command
/// handler's start-up: it decides staff commands from these).
struct profile_register {
  std::string id, name, role;
  bool active = true, removed = false;
  std::uint64_t hlc = 0;
  std::string origin;
  std::uint64_t seq = 0;
};
/// Calls fn for every written profile register, removed ones included.
void for_each_profile(const row_reader& rows, const std::function<void(const profile_register&)>& fn);

/// Row key of staff `id` (tests, tools).
std::string staff_key(const std::string& id);

}  // namespace staff
}  // namespace sn::projections
