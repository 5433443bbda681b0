// storectl export --data DIR --format jsonl|csv
#include <nlohmann/json.hpp>

#include "tools/commands.hpp"
#include "tools/data_dir.hpp"
#include "tools/event_reader.hpp"
#include "tools/exporter.hpp"
#include "tools/time_spec.hpp"

namespace sn::tools {
namespace {

struct export_options {
  std::string data;
  std::string format = "jsonl";
  std::string out;
  filter_options filter;
};

int run_export(const export_options& o) {
  auto f = event_filter::make(o.filter, wall_now_ms());
  if (!f) return report_error(f.error());
  auto log = open_data_dir(o.data);
  if (!log) return report_error(log.error());
  std::FILE* out = stdout;
  if (!o.out.empty()) {
    out = std::fopen(o.out.c_str(), "wb");
    if (out == nullptr) return report_error(make_error(errc::io, "cannot write '" + o.out + "'"));
  }
  exporter ex(out, o.format == "csv" ? export_format::csv : export_format::jsonl);
  auto reader = make_log_reader(**log, *f);
  std::uint64_t next = 1;
  for (;;) {
    auto page = reader->read(next, event_reader::page_events_max);
    if (!page) {
      if (out != stdout) std::fclose(out);
      return report_error(page.error());
    }
    for (auto& ev : page->events) ex.write(ev.json());
    next = std::max(next, page->next);
    if (page->end) break;
  }
  const bool write_failed = std::ferror(out) != 0;
  if (out != stdout) {
    if (std::fclose(out) != 0 || write_failed) return report_error(make_error(errc::io, "writing '" + o.out + "' failed"));
    std::fprintf(stderr, "storectl: exported %s events to %s\n", group_thousands(ex.rows()).c_str(), o.out.c_str());
  } else if (write_failed) {
    return report_error(make_error(errc::io, "writing to stdout failed"));
  }
  return exit_ok;
}

} // namespace

void add_export_command(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<export_options>();
  auto* cmd = app.add_subcommand("export", "events of a data dir as JSON Lines or CSV, for spreadsheets and BI");
  cmd->footer(R"(
CSV columns: position, origin, seq, time, hlc, term, type, type_id, schema,
summary, payload (compact JSON), hash, prev_hash; RFC 4180 quoting, CRLF.

Examples:
  storectl export --data /var/lib/storenode --format csv --type 'sale.*' --since 2026-11-01T00:00:00Z > sales.csv
  storectl export --data /var/lib/storenode --format jsonl --out events.jsonl
  storectl export --data /var/lib/storenode | jq -c 'select(.type=="stock.adjusted")')");
  cmd->add_option("--data", o->data, "the data dir (opened read-only)")->required()->type_name("DIR");
  cmd->add_option("--format", o->format, "jsonl (default) or csv")->check(CLI::IsMember({"jsonl", "csv"}));
  cmd->add_option("--out", o->out, "write to FILE instead of stdout")->type_name("FILE");
  add_filter_options(*cmd, o->filter);
  cmd->callback([o, &ctx] { ctx.exit_code = run_export(*o); });
}

} // namespace sn::tools
