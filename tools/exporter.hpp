// Export of events for spreadsheets and BI tools: JSON Lines or CSV (RFC 4180).
#pragma once

#include <cstdio>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace sn::tools {

enum class export_format { jsonl, csv };

/// Writes events (event_json form) one per row. CSV columns: position, origin,
/// seq, time, hlc, term, type, type_id, schema, summary, payload (compact JSON),
/// hash, prev_hash; a header row first.
class exporter {
public:
  exporter(std::FILE* out, export_format f);
  void write(const nlohmann::json& ev);
  std::uint64_t rows() const noexcept { return rows_; }

private:
  std::FILE* out_;
  export_format format_;
  std::uint64_t rows_ = 0;
  std::string line_;
};

/// RFC 4180 field: quoted (with "" for ") when it holds , " CR or LF.
std::string csv_field(const std::string& s);

} // namespace sn::tools
