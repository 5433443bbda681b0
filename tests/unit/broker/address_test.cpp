// Bind and advertised addresses (broker/address.hpp): host names, wildcards,
// the primary address a wildcard bind advertises. Each test says what it proves.
#include "broker/address.hpp"

#include <gtest/gtest.h>

#include "broker/frame.hpp"

using namespace sn::broker;

// Proves: ZeroMQ's bind takes no host names, so one is resolved first
// (localhost -> 127.0.0.1); numeric hosts and wildcards pass unchanged; a
// name that does not resolve is a clear error naming it.
TEST(address, bindable_host_resolves_names_only) {
  auto h = bindable_host("localhost");
  ASSERT_TRUE(h) << h.error().message;
  EXPECT_TRUE(*h == "127.0.0.1" || *h == "[::1]") << *h;
  EXPECT_EQ(*bindable_host("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(*bindable_host("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(*bindable_host("*"), "*");
  EXPECT_EQ(*bindable_host("[::1]"), "[::1]");
  auto bad = bindable_host("no-such-host.invalid");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, static_cast<int>(errc::invalid_address));
  EXPECT_NE(bad.error().message.find("no-such-host.invalid"), std::string::npos);
}

// Proves: the wildcard set is exactly the four spellings.
TEST(address, wildcards) {
  for (const char* w : {"*", "0.0.0.0", "[::]", "::"}) EXPECT_TRUE(is_wildcard_host(w)) << w;
  for (const char* h : {"127.0.0.1", "localhost", "[::1]", ""}) EXPECT_FALSE(is_wildcard_host(h)) << h;
}

// Proves: the default advertised host of a wildcard bind is a concrete host
// that makes a valid peer address (whatever this machine's network is).
TEST(address, primary_host_is_a_concrete_dialable_host) {
  for (bool v6 : {false, true}) {
    const auto h = primary_host(v6);
    ASSERT_FALSE(h.empty());
    EXPECT_FALSE(is_wildcard_host(h)) << h;
    EXPECT_TRUE(parse_address("tcp://" + h + ":7000").has_value()) << h;
  }
}
