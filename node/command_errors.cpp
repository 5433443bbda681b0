#include "node/command_errors.hpp"

namespace sn::node {

namespace {

// Indexed by the errc's value (explicit, from 1). A new errc without a row
// fails the static_asserts below.
constexpr http_code domain_codes[] = {
    {500, "internal"},                 // 0: not an errc
    {404, "unknown_sku"},              // unknown_sku
    {409, "product_inactive"},         // product_inactive
    {400, "invalid_discount"},         // invalid_discount
    {400, "missing_field"},            // payments_required
    {400, "payments_insufficient"},    // payments_insufficient
    {400, "overpayment_not_cash"},     // overpayment_not_cash
    {409, "duplicate_receipt"},        // duplicate_receipt
    {404, "unknown_receipt"},          // unknown_receipt
    {409, "sale_voided"},              // sale_voided
    {400, "sku_not_in_sale"},          // sku_not_in_sale
    {409, "return_exceeds_sold"},      // return_exceeds_sold
    {409, "already_voided"},           // already_voided
    {409, "sale_has_returns"},         // sale_has_returns
    {409, "day_already_closed"},       // day_already_closed
    {409, "device_exists"},            // device_exists
    {404, "unknown_device"},           // unknown_device
    {409, "idempotency_key_reused"},   // idempotency_key_reused
    {400, "invalid_idempotency_key"},  // invalid_idempotency_key
    {503, "projection_behind"},        // projection_behind
    {409, "staff_exists"},             // staff_exists
    {404, "unknown_staff"},            // unknown_staff
    {403, "approval_required"},        // approval_needed
};
static_assert(std::size(domain_codes) == retail::command_errc_max + 1u, "one row per retail::command_errc");

constexpr http_code node_codes[] = {
    {500, "internal"},        // 0: not an errc
    {503, "read_only"},       // read_only
    {503, "storage_failed"},  // storage_failed
};
static_assert(std::size(node_codes) == actors::command_errc_max + 1u, "one row per actors::command_errc");

const char* node_message(actors::command_errc e) {
  switch (e) {
    case actors::command_errc::read_only:
      return "the node runs read-only to inspect a damaged log (--allow-damaged); see storectl audit verify";
    case actors::command_errc::storage_failed:
      return "the event log could not be written; restart the node";
  }
  return "the command actor failed";
}

}  // namespace

http_code http_code_of(retail::command_errc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(domain_codes) ? domain_codes[i] : domain_codes[0];
}

http_code http_code_of(actors::command_errc e) noexcept {
  const auto i = static_cast<std::size_t>(e);
  return i < std::size(node_codes) ? node_codes[i] : node_codes[0];
}

api_error to_api_error(const retail::rejected& r) {
  const http_code h = http_code_of(r.errc);
  return api_error{h.status, h.code, r.message};
}

api_error to_api_error(actors::command_errc e) {
  const http_code h = http_code_of(e);
  return api_error{h.status, h.code, node_message(e)};
}

}  // namespace sn::node
