// Keeps docs/api.md's permission table equal to node/permissions.cpp's (the
// one table the node decides with), row for row, and checks the route
// matcher on the shapes the table uses. Fails on a row in one but not the
// other, or a row whose role or approval differs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "node/permissions.hpp"

namespace {

using sn::node::find_route;
using sn::node::permission_table;

std::string doc() {
  std::ifstream in(std::filesystem::path(STORENODE_SOURCE_DIR) / "docs" / "api.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using row = std::tuple<std::string, std::string, std::string, std::string>;  // method, path, least, approval

TEST(permissions, docs_table_equals_the_code_table) {
  const std::string text = doc();
  const std::regex line(R"(\n\| (GET|POST|PUT|DELETE) \| `([^`]+)` \| ([a-z ()]+) \| (yes|no) \|)");
  std::set<row> in_doc;
  for (std::sregex_iterator it(text.begin(), text.end(), line), end; it != end; ++it) {
    in_doc.emplace((*it)[1], (*it)[2], (*it)[3], (*it)[4]);
  }
  std::set<row> in_code;
  for (const auto& r : permission_table()) {
    in_code.emplace(r.method, r.path, r.open ? "none (open)" : sn::staff::to_string(r.least), r.approvable ? "yes" : "no");
  }
  ASSERT_GE(in_code.size(), 40u);
  for (const auto& r : in_code) {
    EXPECT_TRUE(in_doc.count(r)) << "docs/api.md lacks: " << std::get<0>(r) << " " << std::get<1>(r) << " "
                                 << std::get<2>(r) << " " << std::get<3>(r);
  }
  for (const auto& r : in_doc) {
    EXPECT_TRUE(in_code.count(r)) << "node/permissions.cpp lacks: " << std::get<0>(r) << " " << std::get<1>(r);
  }
}

TEST(permissions, routes_match_by_segment) {
  ASSERT_NE(find_route("POST", "/v1/products/SKU-1/price"), nullptr);
  EXPECT_STREQ(find_route("POST", "/v1/products/SKU-1/price")->path, "/v1/products/{sku}/price");
  EXPECT_STREQ(find_route("GET", "/v1/sales/POS1-000001")->path, "/v1/sales/{receipt}");
  EXPECT_STREQ(find_route("GET", "/v1/sales")->path, "/v1/sales");
  EXPECT_STREQ(find_route("HEAD", "/healthz")->path, "/healthz");
  EXPECT_EQ(find_route("GET", "/v1/products/x/price"), nullptr);   // no GET there
  EXPECT_EQ(find_route("POST", "/v1/products//price"), nullptr);   // empty segment
  EXPECT_EQ(find_route("GET", "/v1/productsX"), nullptr);
  EXPECT_EQ(find_route("DELETE", "/v1/products"), nullptr);
}

TEST(permissions, only_sign_in_and_health_are_open_and_only_commands_take_approvals) {
  for (const auto& r : permission_table()) {
    const std::string p = r.path;
    if (r.open) {
      EXPECT_TRUE(p == "/healthz" || p == "/v1/sessions" || p == "/" || p == "/console/{file}" || p == "/favicon.ico") << p;
    }
    if (std::string(r.method) == "GET") {
      EXPECT_FALSE(r.approvable) << p;
    }
  }
  EXPECT_EQ(sn::node::least_role_to_manage(sn::staff::role::supervisor), sn::staff::role::manager);
  EXPECT_EQ(sn::node::least_role_to_manage(sn::staff::role::manager), sn::staff::role::admin);
}

}  // namespace
