// storenode: see README.md and docs/operations.md.
#include <cstdio>
#include <cstring>

#include "broker/curve.hpp"

#include "node/config.hpp"
#include "node/node.hpp"
#include "version/version.hpp"

int main(int argc, char** argv) {
  // `storenode --curve-keygen`: a fresh CURVE key pair for curve.* settings.
  if (argc == 2 && std::strcmp(argv[1], "--curve-keygen") == 0) {
    auto kp = sn::broker::generate_curve_keypair();
    if (!kp) {
      std::fprintf(stderr, "storenode: %s\n", kp.error().message.c_str());
      return 2;
    }
    std::printf("public_key = \"%s\"\nsecret_key = \"%s\"\n", kp->public_key.c_str(), kp->secret_key.c_str());
    return 0;
  }
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
  return sn::node::run_node(*config);
}
