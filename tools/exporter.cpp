#include "tools/exporter.hpp"

#include <nlohmann/json.hpp>

#include "tools/event_format.hpp"

namespace sn::tools {

using json = nlohmann::json;

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += "\"\"";
    else out.push_back(c);
  }
  out += "\"";
  return out;
}

exporter::exporter(std::FILE* out, export_format f) : out_(out), format_(f) {
  if (format_ == export_format::csv) {
    static const char header[] = "position,origin,seq,time,hlc,term,type,type_id,schema,summary,payload,hash,prev_hash\r\n";
    std::fwrite(header, 1, sizeof header - 1, out_);
  }
}

void exporter::write(const json& ev) {
  if (format_ == export_format::jsonl) {
    line_ = ev.dump(-1, ' ', false, json::error_handler_t::replace);
    line_.push_back('\n');
  } else {
    auto s = [&](const char* k) {
      if (!ev.contains(k)) return std::string{};
      return ev[k].is_string() ? ev[k].get<std::string>() : ev[k].dump();
    };
    line_.clear();
    for (const char* k : {"position", "origin", "seq", "time", "hlc", "term", "type", "type_id", "schema"}) {
      line_ += csv_field(s(k));
      line_ += ',';
    }
    line_ += csv_field(summarise_payload(ev));
    line_ += ',';
    line_ += csv_field(ev.contains("payload") ? ev["payload"].dump(-1, ' ', false, json::error_handler_t::replace) : "");
    line_ += ',';
    line_ += csv_field(s("hash"));
    line_ += ',';
    line_ += csv_field(s("prev_hash"));
    line_ += "\r\n";
  }
  std::fwrite(line_.data(), 1, line_.size(), out_);
  ++rows_;
}

} // namespace sn::tools
