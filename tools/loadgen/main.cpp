// storenode-loadgen: drives a POS load on one or more nodes over their HTTP
// APIs: generates a catalog, receives stock, then sells realistic baskets
// (1-6 lines, mostly small quantities, cash or card, occasional returns)
// until --duration-s or --sales is reached. Prints what was acknowledged.
//
// Every request carries an Idempotency-Key, so a retry after a timeout can
// never sell twice.
#include <CLI/CLI.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using json = nlohmann::json;

namespace {

constexpr int retries_max = 3;

struct target {
  std::string host;
  int port = 0;
};

target parse_url(const std::string& url) {
  std::string rest = url.rfind("http://", 0) == 0 ? url.substr(7) : url;
  auto colon = rest.rfind(':');
  return {rest.substr(0, colon), std::atoi(rest.substr(colon + 1).c_str())};
}

/// The staff session for `t` (sessions are node-local: one per node). With
/// STORENODE_PIN in the environment, signs STORENODE_STAFF (default admin)
/// in at that node once; else STORENODE_TOKEN; else none. Never a flag: a
/// PIN on a command line shows in ps and shell history.
std::string session_for(const target& t) {
  static std::mutex m;
  static std::map<std::string, std::string> tokens;
  std::lock_guard<std::mutex> g(m);
  const std::string key = t.host + ":" + std::to_string(t.port);
  if (auto it = tokens.find(key); it != tokens.end()) return it->second;
  std::string token;
  const char* pin = std::getenv("STORENODE_PIN");
  if (pin != nullptr && pin[0] != '\0') {
    const char* staff = std::getenv("STORENODE_STAFF");
    httplib::Client c(t.host, t.port);
    c.set_read_timeout(10, 0);
    auto r = c.Post("/v1/sessions", json{{"staff_id", staff && *staff ? staff : "admin"}, {"pin", pin}}.dump(),
                    "application/json");
    auto j = r && r->status == 201 ? json::parse(r->body, nullptr, false) : json();
    if (j.is_object() && j.contains("token")) token = j["token"].get<std::string>();
    else std::fprintf(stderr, "loadgen: sign-in at %s failed (HTTP %d)\n", key.c_str(), r ? r->status : 0);
  } else if (const char* env = std::getenv("STORENODE_TOKEN"); env != nullptr) {
    token = env;
  }
  tokens[key] = token;
  return token;
}

void authorize(httplib::Client& c, const target& t) {
  const std::string token = session_for(t);
  if (!token.empty()) c.set_bearer_token_auth(token.c_str());
}

struct counters {
  std::atomic<std::uint64_t> sales{0}, returns{0}, rejected{0}, failed{0}, cents{0};
};

/// Posts with an idempotency key, retrying on transport errors.
httplib::Result post(httplib::Client& c, const std::string& path, const json& body, const std::string& key) {
  httplib::Headers h{{"Idempotency-Key", key}};
  httplib::Result r = c.Post(path.c_str(), h, body.dump(), "application/json");
  for (int i = 1; !r && i < retries_max; ++i) r = c.Post(path.c_str(), h, body.dump(), "application/json");
  return r;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"storenode-loadgen: sells realistic baskets on storenode nodes\n\n"
               "Example:\n  storenode-loadgen --node http://127.0.0.1:8081 --node http://127.0.0.1:8082 --duration-s 30"};
  std::vector<std::string> nodes;
  int products = 200, clients = 2, duration_s = 10, sales_max = 0, seed = 1;
  bool setup = true;
  std::string run_id = std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  app.add_option("--node", nodes, "node HTTP URL (repeatable)")->required();
  app.add_option("--products", products, "catalog size to create (default 200)");
  app.add_option("--clients", clients, "concurrent tills per node (default 2)");
  app.add_option("--duration-s", duration_s, "how long to sell (default 10)");
  app.add_option("--sales", sales_max, "stop after this many sales per client (0: no limit)");
  app.add_option("--seed", seed, "random seed (default 1)");
  app.add_option("--run-id", run_id, "prefix of idempotency keys (default: time)");
  app.add_flag("!--no-setup", setup, "skip catalog and stock creation");
  CLI11_PARSE(app, argc, argv);

  std::mt19937 rng(static_cast<unsigned>(seed));
  std::vector<std::string> skus;
  for (int i = 0; i < products; ++i) {
    char sku[32];
    std::snprintf(sku, sizeof sku, "SKU%05d", i + 1);
    skus.emplace_back(sku);
  }
  if (setup) {
    static const char* kinds[] = {"Milk", "Bread", "Apples", "Coffee", "Tea", "Pasta", "Rice", "Soap", "Batteries", "Chocolate"};
    auto t = parse_url(nodes.front());
    httplib::Client c(t.host, t.port);
    authorize(c, t);
    c.set_read_timeout(10, 0);
    for (int i = 0; i < products; ++i) {
      json p{{"sku", skus[i]},
             {"name", std::string(kinds[i % 10]) + " #" + std::to_string(i + 1)},
             // 12 digits (UPC-A length): a 13-19 digit number that passes
             // the Luhn check is refused as a card number (docs/api.md).
             {"barcode", std::to_string(400000000000LL + i)},
             {"price_cents", 49 + static_cast<int>(rng() % 2000)},
             {"tax_rate_bp", i % 3 == 0 ? 700 : 1900},
             {"low_stock_threshold", 10}};
      auto r = post(c, "/v1/products", p, run_id + "-p-" + skus[i]);
      if (!r || r->status >= 300) {
        std::fprintf(stderr, "loadgen: creating %s failed: %s\n", skus[i].c_str(), r ? r->body.c_str() : "no answer");
        return 2;
      }
      post(c, "/v1/stock/receipts", json{{"sku", skus[i]}, {"qty", 500}, {"supplier_ref", "PO-" + std::to_string(i)}},
           run_id + "-r-" + skus[i]);
    }
    std::printf("loadgen: created %d products with stock on %s\n", products, nodes.front().c_str());
  }

  // Learn the catalog's prices so that card payments are exact and cash is
  // tendered in round notes (the node computes the change).
  std::map<std::string, std::int64_t> prices;
  {
    auto t = parse_url(nodes.front());
    httplib::Client c(t.host, t.port);
    authorize(c, t);
    c.set_read_timeout(10, 0);
    auto r = c.Get("/v1/products");
    auto body = r && r->status == 200 ? json::parse(r->body, nullptr, false) : json();
    const json& list = body.is_object() && body.contains("products") ? body["products"] : body;
    if (list.is_array()) {
      for (auto& p : list) {
        if (p.value("active", true)) prices[p.value("sku", "")] = p.value("price_cents", std::int64_t{0});
      }
    }
    skus.clear();
    for (auto& [sku, price] : prices) skus.push_back(sku);
    if (skus.empty()) {
      std::fprintf(stderr, "loadgen: %s has no active products (run without --no-setup first)\n", nodes.front().c_str());
      return 2;
    }
  }

  counters n;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(duration_s);
  for (std::size_t node = 0; node < nodes.size(); ++node) {
    for (int cl = 0; cl < clients; ++cl) {
      threads.emplace_back([&, node, cl] {
        std::mt19937 r(static_cast<unsigned>(seed * 7919 + node * 131 + cl));
        auto t = parse_url(nodes[node]);
        httplib::Client c(t.host, t.port);
        authorize(c, t);
        c.set_read_timeout(10, 0);
        std::vector<std::string> my_receipts;
        for (int i = 0; !stop && (sales_max == 0 || i < sales_max) && std::chrono::steady_clock::now() < deadline; ++i) {
          const std::string key = run_id + "-" + std::to_string(node) + "-" + std::to_string(cl) + "-" + std::to_string(i);
          if (!my_receipts.empty() && r() % 20 == 0) {  // about one basket in twenty comes back
            json ret{{"receipt", my_receipts[r() % my_receipts.size()]}, {"lines", json::array()}};
            auto sale = c.Get(("/v1/sales/" + ret["receipt"].get<std::string>()).c_str());
            if (sale && sale->status == 200) {
              auto s = json::parse(sale->body, nullptr, false);
              if (s.is_object() && s.contains("lines") && !s["lines"].empty()) {
                ret["lines"].push_back({{"sku", s["lines"][0]["sku"]}, {"qty", 1}});
                auto res = post(c, "/v1/returns", ret, key + "-ret");
                if (res && res->status < 300) ++n.returns;
              }
            }
            continue;
          }
          json lines = json::array();
          const int count = 1 + static_cast<int>(r() % 6);
          std::int64_t total = 0;
          for (int l = 0; l < count; ++l) {
            const auto& sku = skus[r() % skus.size()];
            const int qty = 1 + static_cast<int>(r() % 10 == 0 ? r() % 5 : 0);
            lines.push_back({{"sku", sku}, {"qty", qty}});
            total += prices[sku] * qty;
          }
          // Card pays exactly; cash is tendered rounded up to the next 10.00.
          json payments = r() % 2 ? json::array({{{"method", "cash"}, {"amount_cents", (total / 1000 + 1) * 1000}}})
                                  : json::array({{{"method", "card"}, {"amount_cents", total}}});
          auto res = post(c, "/v1/sales", json{{"lines", lines}, {"payments", payments}}, key);
          if (!res) {
            ++n.failed;
          } else if (res->status == 201) {
            ++n.sales;
            auto body = json::parse(res->body, nullptr, false);
            if (body.is_object() && body.contains("receipt")) {
              my_receipts.push_back(body["receipt"]);
              n.cents += body.value("total_cents", 0);
            }
          } else {
            ++n.rejected;
          }
        }
      });
    }
  }
  for (auto& t : threads) t.join();
  std::printf("loadgen: %llu sales (%.2f total), %llu returns, %llu rejected, %llu unanswered\n",
              static_cast<unsigned long long>(n.sales.load()), static_cast<double>(n.cents.load()) / 100.0,
              static_cast<unsigned long long>(n.returns.load()), static_cast<unsigned long long>(n.rejected.load()),
              static_cast<unsigned long long>(n.failed.load()));
  return 0;
}
