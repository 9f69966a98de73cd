// Reading this host's own addresses (the enforcer's tests check they are never blocked).
#include "host/host_addresses.h"
#include <gtest/gtest.h>

#include <algorithm>

namespace rampart {
namespace {

TEST(HostAddresses, ReadsLoopbackAtLeast) {
  auto own = read_host_addresses();
  ASSERT_TRUE(own) << own.error().message;
  // Every network namespace has lo; tests may run in one where it is down, but it is listed
  // once it has an address, which it has in the initial namespace.
  EXPECT_TRUE(std::is_sorted(own->begin(), own->end()));
  for (const Address& a : *own) EXPECT_TRUE(a.is_host()) << a.str();
}

}  // namespace
}  // namespace rampart
