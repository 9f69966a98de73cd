#include "base/address_range.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>

namespace rampart {
namespace {

// An IPv4 address as a number (the bytes of Address need not be aligned for a uint32_t).
uint32_t v4_value(const Address& a) {
  uint32_t be;
  std::memcpy(&be, a.bytes.data(), sizeof be);
  return ntohl(be);
}

std::vector<Address> prefixes(std::initializer_list<const char*> texts) {
  std::vector<Address> out;
  for (const char* t : texts) out.push_back(*Address::parse(t));
  return out;
}

std::vector<std::string> texts(const std::vector<AddressRange>& ranges) {
  std::vector<std::string> out;
  for (const auto& r : ranges) out.push_back(r.str());
  return out;
}

TEST(AddressRange, Text) {
  EXPECT_EQ(AddressRange::of(*Address::parse("203.0.113.0/24")).str(), "203.0.113.0/24");
  EXPECT_EQ(AddressRange::of(*Address::parse("2001:db8::/32")).str(), "2001:db8::/32");
  EXPECT_EQ(AddressRange::of(*Address::parse("203.0.113.9")).str(), "203.0.113.9");
  AddressRange r{*Address::parse("203.0.113.0"), *Address::parse("203.0.113.9")};
  EXPECT_EQ(r.str(), "203.0.113.0-203.0.113.9");
  EXPECT_EQ(AddressRange::of(*Address::parse("0.0.0.0/0")).str(), "0.0.0.0/0");
  EXPECT_EQ(AddressRange::of(*Address::parse("::/0")).str(), "::/0");
}

TEST(AddressRange, MergesOverlappingAndAdjacent) {
  auto merged = merge_prefixes(
      prefixes({"198.51.100.128/25", "2001:db8:1::/48", "198.51.100.0/25", "203.0.113.0/24",
                "203.0.113.64/26", "2001:db8::/48", "203.0.113.9", "192.0.2.1", "192.0.2.3"}));
  EXPECT_EQ(texts(merged), (std::vector<std::string>{"192.0.2.1", "192.0.2.3", "198.51.100.0/24",
                                                     "203.0.113.0/24", "2001:db8::/47"}));
}

TEST(AddressRange, MergeReachesTheTop) {
  auto merged = merge_prefixes(
      prefixes({"255.255.255.255", "255.255.255.0/24", "128.0.0.0/1", "ffff::/16", "8000::/1"}));
  EXPECT_EQ(texts(merged), (std::vector<std::string>{"128.0.0.0/1", "8000::/1"}));
}

TEST(AddressRange, CutsAroundExclusions) {
  auto merged = merge_prefixes(
      prefixes({"203.0.113.0/24", "198.51.100.0/24", "127.0.0.0/8", "2001:db8::/32"}));
  std::vector<Address> exclude = prefixes(
      {"203.0.113.5", "127.0.0.0/8", "198.51.100.0/25", "198.51.100.64/26", "2001:db8::1"});
  std::vector<RangeCut> cuts;
  auto out = cut_ranges(merged, exclude, &cuts);
  EXPECT_EQ(texts(out),
            (std::vector<std::string>{
                "198.51.100.128/25", "203.0.113.0-203.0.113.4", "203.0.113.6-203.0.113.255",
                "2001:db8::", "2001:db8::2-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"}));
  ASSERT_EQ(cuts.size(), 4u);
  EXPECT_EQ(cuts[0].range.str(), "127.0.0.0/8");
  EXPECT_TRUE(cuts[0].whole);
  EXPECT_EQ(cuts[0].exclusion, 1u);
  EXPECT_EQ(cuts[1].range.str(), "198.51.100.0/24");
  EXPECT_FALSE(cuts[1].whole);
  EXPECT_EQ(cuts[2].exclusion, 0u);
  EXPECT_EQ(cuts[3].exclusion, 4u);
}

TEST(AddressRange, CutAtTheTopAndAcrossRanges) {
  auto merged = merge_prefixes(prefixes({"255.255.255.0/24", "10.0.0.0/24", "10.0.2.0/24"}));
  std::vector<Address> exclude = prefixes({"255.255.255.255", "10.0.0.0/22"});
  std::vector<RangeCut> cuts;
  auto out = cut_ranges(merged, exclude, &cuts);
  EXPECT_EQ(texts(out), (std::vector<std::string>{"255.255.255.0-255.255.255.254"}));
  ASSERT_EQ(cuts.size(), 3u);
  EXPECT_TRUE(cuts[0].whole && cuts[1].whole && !cuts[2].whole);
}

TEST(AddressRange, Diff) {
  auto before = merge_prefixes(prefixes({"198.51.100.0/25", "203.0.113.0/24", "2001:db8::/48"}));
  auto after = merge_prefixes(prefixes({"198.51.100.0/24", "203.0.113.0/24", "2001:db8:1::/48"}));
  RangeDiff d = diff_ranges(before, after);
  EXPECT_EQ(texts(d.removed), (std::vector<std::string>{"198.51.100.0/25", "2001:db8::/48"}));
  EXPECT_EQ(texts(d.added), (std::vector<std::string>{"198.51.100.0/24", "2001:db8:1::/48"}));
  EXPECT_TRUE(diff_ranges(after, after).added.empty());
}

// Against a plain set of addresses, on random small prefixes inside one /20.
TEST(AddressRange, MatchesAnAddressSet) {
  std::mt19937 rng(16);
  for (int round = 0; round < 50; ++round) {
    std::vector<Address> in, out;
    std::set<uint32_t> expected;
    auto random_prefix = [&](std::vector<Address>& to) {
      uint8_t len = static_cast<uint8_t>(24 + rng() % 9);
      Address a = Address::v4(0xcb007000 | (rng() % 4096));  // 203.0.112.0/20
      to.push_back(a.truncated(len));
    };
    for (int i = 0; i < 20; ++i) random_prefix(in);
    for (int i = 0; i < 5; ++i) random_prefix(out);
    auto count = [&](const Address& p, bool add) {
      auto r = AddressRange::of(p);
      for (uint32_t v = v4_value(r.first); v <= v4_value(r.last); ++v)
        add ? (void)expected.insert(v) : (void)expected.erase(v);
    };
    for (const auto& p : in) count(p, true);
    for (const auto& p : out) count(p, false);
    auto merged = merge_prefixes(in);
    for (size_t i = 1; i < merged.size(); ++i) {
      uint32_t prev = v4_value(merged[i - 1].last);
      uint32_t next = v4_value(merged[i].first);
      ASSERT_GT(next, prev + 1) << "ranges must not overlap or touch";
    }
    std::set<uint32_t> got;
    for (const auto& r : cut_ranges(merged, out, nullptr))
      for (uint32_t v = v4_value(r.first); v <= v4_value(r.last); ++v) got.insert(v);
    ASSERT_EQ(got, expected) << "round " << round;
  }
}

}  // namespace
}  // namespace rampart
