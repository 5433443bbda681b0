// storenode: see README.md and docs/operations.md.
#include <cstdio>
#include <cstring>

#include "node/config.hpp"
#include "node/join_tls.hpp"
#include "node/node.hpp"
#include "version/version.hpp"

int main(int argc, char** argv) {
  auto config = sn::node::parse_config(argc, argv, sn::version::version_text("storenode"));
  if (!config) {
    const auto& e = config.error();
    if (e.code == 0) {  // --help, --version, --print-config, --print-example-config
      std::fputs(e.message.c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "storenode: %s\n", e.message.c_str());
    return 2;
  }
  return sn::node::run_node(*config, sn::node::store_ca_join_hooks(*config));
}
