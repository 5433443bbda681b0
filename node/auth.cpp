#include "node/auth.hpp"

#include <sodium.h>

#include <spdlog/spdlog.h>

#include "actors/staff/pin.hpp"
#include "events/payload_codec.hpp"
#include "events/staff.hpp"
#include "events/types.hpp"

namespace sn::node {

namespace {

constexpr const char* device_key = "device";
std::string staff_key(const std::string& id) { return "staff:" + id; }

template <class P>
event draft(const P& p) {
  // origin, hlc and term are the command actor's (system_event_atom).
  return make_event(device_id{}, origin_seq{0}, hlc_timestamp{}, term_id{0}, p);
}

api_error unauthenticated(std::string message) { return api_error{401, "unauthenticated", std::move(message)}; }

api_error too_many(std::uint64_t ms) {
  return api_error{429, "too_many_attempts",
                   "too many wrong PINs: try again in " + std::to_string((ms + 999) / 1000) + " s"};
}

std::optional<staff::token> bearer(const std::string& header) {
  constexpr std::string_view prefix = "Bearer ";
  if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return staff::session_table::from_text(std::string_view(header).substr(prefix.size()));
}

}  // namespace

auth_service::auth_service(auth_options o, credentials_fn credentials, record_fn record, clock_fn clock)
    : options_(o),
      credentials_(std::move(credentials)),
      record_(std::move(record)),
      clock_(std::move(clock)),
      sessions_(o.idle_timeout_ms),
      lockout_(o.lockout) {}

std::optional<api_error> auth_service::locked(const std::string& staff_id, std::uint64_t now) {
  std::lock_guard<std::mutex> g(mu_);
  std::uint64_t wait = 0;
  if (auto ms = lockout_.locked_for(device_key, now)) wait = std::max(wait, *ms);
  if (auto ms = lockout_.locked_for(staff_key(staff_id), now)) wait = std::max(wait, *ms);
  if (wait > 0) return too_many(wait);
  return std::nullopt;
}

auth_service::checked auth_service::check_pin(const std::string& staff_id, const std::string& pin) {
  checked c;
  auto who = credentials_(staff_id);
  if (!who || who->removed) {
    // Spend the time a check would, so that a reply's delay does not say
    // which ids exist.
    static const std::string decoy = staff::hash_pin("0000").value_or("");
    (void)staff::verify_pin(decoy, pin);
    c.failure = "unknown_staff";
    return c;
  }
  const bool ok = staff::verify_pin(who->pin_hash, pin);
  if (!ok) {
    c.failure = "wrong_pin";
    return c;
  }
  if (!who->active) {
    c.failure = "inactive";
    return c;
  }
  c.who = std::move(who);
  return c;
}

void auth_service::note_failure(const std::string& staff_id, const char* reason, std::uint64_t now) {
  {
    std::lock_guard<std::mutex> g(mu_);
    lockout_.fail(device_key, now);
    lockout_.fail(staff_key(staff_id), now);
  }
  spdlog::info("auth: PIN refused staff={} reason={}", staff_id, reason);
  record_({draft(staff_sign_in_failed{staff_id, reason})});
}

api_result<new_session> auth_service::sign_in(const std::string& staff_id, const std::string& pin) {
  if (!valid_device_id(staff_id)) {
    return api_error{400, "invalid_field", "staff_id must be 1-64 characters of A-Z a-z 0-9 _ . -"};
  }
  if (!staff::valid_pin(pin)) return api_error{400, "invalid_field", "pin must be 4 to 8 digits"};
  const std::uint64_t now = clock_();
  if (auto e = locked(staff_id, now)) return *e;
  checked c = check_pin(staff_id, pin);
  if (!c.who) {
    note_failure(staff_id, c.failure, now);
    return unauthenticated("unknown staff id, inactive, or wrong PIN");
  }
  const auto r = staff::role_from_string(c.who->role).value_or(staff::role::cashier);
  staff::token t{};
  randombytes_buf(t.data(), t.size());
  signed_in who;
  {
    std::lock_guard<std::mutex> g(mu_);
    lockout_.succeed(staff_key(staff_id));
    const auto& s = sessions_.open(t, staff_id, c.who->name, r, now);
    who = signed_in{s.staff_id, s.name, s.role, s.expires_ms};
  }
  record_({draft(staff_signed_in{staff_id, staff::to_string(r)})});
  return new_session{staff::session_table::to_text(t), std::move(who)};
}

api_result<signed_in> auth_service::authenticate(const std::string& authorization) {
  if (authorization.empty()) return unauthenticated("sign in first: Authorization: Bearer <token> (POST /v1/sessions)");
  auto t = bearer(authorization);
  if (!t) return unauthenticated("Authorization must be 'Bearer ' and a 32 hex digit token");
  const std::uint64_t now = clock_();
  std::lock_guard<std::mutex> g(mu_);
  auto s = sessions_.use(*t, now);
  if (!s) return unauthenticated("unknown or expired session: sign in again");
  return signed_in{s->staff_id, s->name, s->role, s->expires_ms};
}

void auth_service::sign_out(const std::string& authorization) {
  auto t = bearer(authorization);
  if (!t) return;
  std::optional<std::string> who;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (auto s = sessions_.use(*t, clock_())) who = s->staff_id;
    sessions_.close(*t);
  }
  if (who) record_({draft(staff_signed_out{*who})});
}

api_result<approver> auth_service::approve(const std::string& staff_id, const std::string& pin) {
  if (!valid_device_id(staff_id) || !staff::valid_pin(pin)) {
    return api_error{403, "approval_required", "the approval needs a staff id and a 4 to 8 digit PIN"};
  }
  const std::uint64_t now = clock_();
  if (auto e = locked(staff_id, now)) return *e;
  checked c = check_pin(staff_id, pin);
  if (!c.who) {
    note_failure(staff_id, c.failure, now);
    return api_error{403, "approval_required", "the approval was refused: unknown staff id, inactive, or wrong PIN"};
  }
  {
    std::lock_guard<std::mutex> g(mu_);
    lockout_.succeed(staff_key(staff_id));
  }
  return approver{staff_id, staff::role_from_string(c.who->role).value_or(staff::role::cashier)};
}

void auth_service::end_sessions_of(const std::string& staff_id) {
  std::lock_guard<std::mutex> g(mu_);
  sessions_.close_staff(staff_id);
}

}  // namespace sn::node
