// The HTTP reply to a decided command: the status of an accepted result (201
// when it created something, else 200) and its JSON, the same JSON the node
// answered before commands were typed (docs/api.md; tests/unit/node/
// command_reply_test.cpp compares it with the views' JSON of the same rows).
// A rejected command's reply is its api_error (node/command_errors.hpp).
#pragma once

#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "actors/retail/command_result.hpp"
#include "node/api_error.hpp"

namespace sn::node {

/// 201 for a created product, a stock movement, a sale, a return, a Z close
/// and a registered device; 200 for the rest.
int http_status_of(const retail::command_result& r) noexcept;

nlohmann::json to_json(const retail::command_result& r);
nlohmann::json to_json(const retail::product_row& r);
nlohmann::json to_json(const retail::sale_row& r);
/// A sale's card payments (brand, last4, auth_code, processor_ref,
/// amount_cents each): the reply to a sale and GET /v1/sales/{receipt}.
nlohmann::json cards_json(const std::vector<retail::sale_row_card>& cards);
nlohmann::json to_json(const retail::device_row& r);

struct http_reply {
  int status = 500;
  std::string body;  ///< JSON text
};

/// The reply to an accepted result or a rejection. Strings that are not
/// UTF-8 (bytes of another device's events) are replaced, never thrown on.
http_reply render(const std::variant<retail::command_result, retail::rejected>& outcome);

/// Who an accepted command's events name, echoed in its reply.
struct attribution {
  std::string staff_id;     ///< "": unknown (a replay of a record from before replies carried it)
  std::string approver_id;  ///< "": nobody approved
};

/// As render(outcome), and an accepted command's reply also names
/// `staff_id` and `approver_id` (null when unknown / none) — except the staff
/// commands', whose `staff_id` is the person managed.
http_reply render(const std::variant<retail::command_result, retail::rejected>& outcome, const attribution& by);

}  // namespace sn::node
