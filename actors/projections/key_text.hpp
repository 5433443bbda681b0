// A projection row key in words, for people comparing two states
// (`storectl diff` names the keys that differ): "product SKU-A",
// "figures 2026-11-24 POS1", "list[day 2026-11-24] 2026-11-24T10:00:00.000Z
// POS1-000001". The layouts are the ones each projection's header documents;
// this file only reads them.
//
// Contract: pure, no allocation beyond the result. "" when the key does not
// parse under its projection's layout (an unknown projection, a newer
// layout, a damaged key): the caller shows the key's hex instead. Reserved
// keys (0xff ...) are the set's own and always "".
#pragma once

#include <string>
#include <string_view>

namespace sn::projections {

std::string key_text(std::string_view projection, std::string_view key);

}  // namespace sn::projections
