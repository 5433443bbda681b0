// The one table from a command refusal to its HTTP answer: each domain errc
// of the command handler (retail::command_errc) and each refusal of the
// command actor itself (actors::command_errc) has its status and stable code
// here, and nowhere else. docs/api.md lists every code
// (tests/unit/node/error_codes_test.cpp keeps the two in step).
#pragma once

#include "actors/command_errc.hpp"
#include "actors/retail/command_result.hpp"
#include "node/api_error.hpp"

namespace sn::node {

struct http_code {
  int status = 500;
  const char* code = "internal";
};

/// Status and code of a domain refusal.
http_code http_code_of(retail::command_errc e) noexcept;
/// Status and code of the command actor's own refusal.
http_code http_code_of(actors::command_errc e) noexcept;

/// The answer to a rejected command (its message as the handler wrote it).
api_error to_api_error(const retail::rejected& r);
/// The answer when the command actor could not decide or store a command.
api_error to_api_error(actors::command_errc e);

}  // namespace sn::node
