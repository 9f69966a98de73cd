#include "base/address.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>

namespace rampart {
namespace {

TEST(Address, ParsesHostsAndPrefixes) {
  EXPECT_EQ(Address::parse("203.0.113.9")->str(), "203.0.113.9");
  EXPECT_EQ(Address::parse(" 2001:DB8::1 ")->str(), "2001:db8::1");
  EXPECT_EQ(Address::parse("[2001:db8::1]")->str(), "2001:db8::1");
  EXPECT_EQ(Address::parse("198.51.100.0/24")->str(), "198.51.100.0/24");
  EXPECT_EQ(Address::parse("2001:db8::/32")->prefix, 32);
  EXPECT_EQ(Address::parse("203.0.113.9/32")->str(), "203.0.113.9");
}

TEST(Address, UnmapsIpv4MappedIpv6) {
  auto a = Address::parse("::ffff:198.51.100.7");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->str(), "198.51.100.7");
  EXPECT_EQ(Address::parse("::ffff:198.51.100.0/120")->str(), "198.51.100.0/24");
}

// str() formats by hand; its text must be inet_ntop()'s, zero runs and IPv4 forms included.
TEST(Address, TextIsInetNtops) {
  std::mt19937 rng(5952);
  auto check = [](const Address& a) {
    char buf[INET6_ADDRSTRLEN];
    ASSERT_TRUE(inet_ntop(a.family, a.bytes.data(), buf, sizeof buf));
    ASSERT_EQ(a.str(), std::string(buf));
  };
  for (const char* text : {"::", "::1", "1::", "::1.2.3.4", "::ffff:1.2.3.4", "1:0:0:2:0:0:0:3",
                           "1:0:0:2:0:0:3:4", "0:0:1::", "1:2:3:4:5:6:7:8", "2001:db8::",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "0:1:0:1:0:1:0:1"}) {
    Address a;
    a.family = AF_INET6;
    a.prefix = 128;
    ASSERT_EQ(inet_pton(AF_INET6, text, a.bytes.data()), 1) << text;
    check(a);
  }
  for (int i = 0; i < 200000; ++i) {
    Address a;
    a.family = (i % 4 == 0) ? AF_INET : AF_INET6;
    a.prefix = a.max_prefix();
    for (size_t g = 0; g < a.size(); g += 2) {
      // Mostly zero groups, so that every arrangement of runs comes up.
      uint32_t r = rng();
      uint16_t w = (r & 3) ? 0 : static_cast<uint16_t>(r >> 16) >> (r >> 2 & 15);
      if ((r >> 6 & 15) == 0) w = 0xffff;
      a.bytes[g] = static_cast<uint8_t>(w >> 8);
      a.bytes[g + 1] = static_cast<uint8_t>(w);
    }
    check(a);
  }
  EXPECT_EQ(Address::parse("198.51.100.0/24")->str(), "198.51.100.0/24");
  EXPECT_EQ(Address::parse("2001:db8::/32")->str(), "2001:db8::/32");
  EXPECT_EQ(Address::parse("0.0.0.0/0")->str(), "0.0.0.0/0");
}

TEST(Address, RejectsJunk) {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4/33", "2001:db8::/129", "198.51.100.1/24",
        "1.2.3.4/", "1.2.3.4/x", "fe80::1%eth0", "host", "1.2.3.4 5", "::ffff:1.2.3.4/95"})
    EXPECT_FALSE(Address::parse(bad)) << bad;
  EXPECT_FALSE(Address::parse_host("198.51.100.0/24"));
}

TEST(Address, Contains) {
  auto net = *Address::parse("198.51.100.0/24");
  EXPECT_TRUE(net.contains(*Address::parse("198.51.100.255")));
  EXPECT_FALSE(net.contains(*Address::parse("198.51.101.0")));
  EXPECT_FALSE(Address::parse("2001:db8::/32")->contains(*Address::parse("203.0.113.1")));
  EXPECT_TRUE(Address::parse("0.0.0.0/0")->contains(*Address::parse("203.0.113.1")));
  EXPECT_TRUE(Address::parse("2001:db8::/33")->contains(*Address::parse("2001:db8:7fff::1")));
  EXPECT_FALSE(Address::parse("2001:db8::/33")->contains(*Address::parse("2001:db8:8000::1")));
}

TEST(Address, RangeEnd) {
  EXPECT_EQ(Address::parse("198.51.100.0/24")->range_end()->str(), "198.51.101.0");
  EXPECT_EQ(Address::parse("203.0.113.9")->range_end()->str(), "203.0.113.10");
  EXPECT_EQ(Address::parse("2001:db8::/32")->range_end()->str(), "2001:db9::");
  EXPECT_FALSE(Address::parse("255.255.255.255")->range_end());
  EXPECT_FALSE(Address::parse("0.0.0.0/0")->range_end());
}

TEST(Address, OrderAndHash) {
  auto a = *Address::parse("203.0.113.1"), b = *Address::parse("203.0.113.2");
  EXPECT_LT(a, b);
  EXPECT_NE(AddressHash()(a), AddressHash()(b));
  EXPECT_EQ(AddressHash()(a), AddressHash()(*Address::parse("203.0.113.1")));
}

TEST(Address, NeverBlock) {
  for (const char* ip : {"127.0.0.1", "0.0.0.0", "224.0.0.251", "255.255.255.255", "::", "::1",
                         "ff02::1", "169.254.10.1", "fe80::1"})
    EXPECT_TRUE(never_block_reason(*Address::parse(ip), false)) << ip;
  EXPECT_FALSE(never_block_reason(*Address::parse("169.254.10.1"), true));
  EXPECT_FALSE(never_block_reason(*Address::parse("fe80::1"), true));
  for (const char* ip : {"203.0.113.9", "2001:db8::1", "198.51.100.0/24"})
    EXPECT_FALSE(never_block_reason(*Address::parse(ip), false)) << ip;
}

TEST(Address, TruncatedAndOverlaps) {
  auto a = *Address::parse("2001:db8:1:2::5");
  EXPECT_EQ(a.truncated(64).str(), "2001:db8:1:2::/64");
  EXPECT_EQ(a.truncated(128), a);
  EXPECT_EQ(Address::parse("203.0.113.77")->truncated(25).str(), "203.0.113.0/25");
  EXPECT_EQ(Address::parse("203.0.113.0/24")->truncated(28).str(), "203.0.113.0/24");
  EXPECT_TRUE(a.truncated(64).overlaps(a));
  EXPECT_TRUE(a.overlaps(a.truncated(64)));
  EXPECT_FALSE(a.truncated(64).overlaps(*Address::parse("2001:db8:1:3::5")));
}

TEST(Address, NeverBlockOverlapSeesInsideAPrefix) {
  EXPECT_EQ(never_block_overlap(*Address::parse("96.0.0.0/3"), false), "loopback");
  EXPECT_EQ(never_block_overlap(*Address::parse("169.254.0.0/15"), false), "link-local");
  EXPECT_FALSE(never_block_overlap(*Address::parse("169.254.0.0/15"), true));
  EXPECT_FALSE(never_block_overlap(*Address::parse("203.0.113.0/24"), false));
  EXPECT_EQ(never_block_overlap(*Address::parse("::/64"), false), "unspecified (::)");
  EXPECT_FALSE(never_block_overlap(*Address::parse("2001:db8:1:2::/64"), false));
}

TEST(AddressList, OverlapEitherWay) {
  AddressList list;
  list.add(*Address::parse("203.0.113.5"));
  EXPECT_EQ(list.overlap(*Address::parse("203.0.113.0/24"))->str(), "203.0.113.5");
  EXPECT_EQ(list.overlap(*Address::parse("203.0.113.5"))->str(), "203.0.113.5");
  EXPECT_EQ(list.overlap(*Address::parse("198.51.100.0/24")), nullptr);
}

TEST(AddressList, LoopbackIsAlwaysThere) {
  AddressList list;
  EXPECT_TRUE(list.match(*Address::parse("127.8.8.8")));
  EXPECT_TRUE(list.match(*Address::parse("::1")));
  EXPECT_FALSE(list.match(*Address::parse("203.0.113.9")));
  list.add(*Address::parse("203.0.113.0/28"));
  EXPECT_EQ(list.match(*Address::parse("203.0.113.9"))->str(), "203.0.113.0/28");
}

}  // namespace
}  // namespace rampart
