#include "feed/feed_list.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

std::vector<std::string> texts(const FeedList& list) {
  std::vector<std::string> out;
  for (const auto& r : list.ranges) out.push_back(r.str());
  return out;
}

// The three formats the issue names, as their files begin.
TEST(FeedList, LoadsSpamhausFireholAndIpdeny) {
  const char* spamhaus =
      "; Spamhaus DROP List 2026/11/30 - (c) 2026 The Spamhaus Project SLS\n"
      "; Last-Modified: Sun, 30 Nov 2026 10:00:00 GMT\n"
      "198.51.100.0/24 ; SBL256894\r\n"
      "203.0.113.0/25 ; SBL123\r\n";
  auto a = parse_feed(spamhaus, "drop.txt", 100, {});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(texts(*a), (std::vector<std::string>{"198.51.100.0/24", "203.0.113.0/25"}));
  EXPECT_EQ(a->entries, 2u);

  const char* firehol =
      "#\n# firehol_level1\n#\n# Maintainer: FireHOL\n#\n"
      "198.51.100.7\n203.0.113.128/25\n2001:db8::/33\n";
  auto b = parse_feed(firehol, "firehol_level1.netset", 100, {});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(texts(*b),
            (std::vector<std::string>{"198.51.100.7", "203.0.113.128/25", "2001:db8::/33"}));

  auto c = parse_feed("192.0.2.0/24\n198.51.100.0/22\n", "zz.zone", 100, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(texts(*c), (std::vector<std::string>{"192.0.2.0/24", "198.51.100.0/22"}));
}

TEST(FeedList, OverlapsAreMerged) {
  auto list = parse_feed(
      "203.0.113.0/24\n203.0.113.9\n203.0.113.64/26\n198.51.100.0/25\n198.51.100.128/25\n", "f",
      100, {});
  ASSERT_TRUE(list);
  EXPECT_EQ(texts(*list), (std::vector<std::string>{"198.51.100.0/24", "203.0.113.0/24"}));
  EXPECT_EQ(list->entries, 5u);
}

TEST(FeedList, ABadLineRefusesTheFileWithFileAndLine) {
  auto bad = parse_feed("198.51.100.0/24\n# fine\n203.0.113.300\n", "/var/lib/x.txt", 100, {});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "/var/lib/x.txt:3: \"203.0.113.300\" is not an IPv4 or IPv6 address or CIDR prefix; "
            "the list was not loaded and the previous one stays");
  auto bits = parse_feed("203.0.113.9/24\n", "x", 100, {});
  ASSERT_FALSE(bits);
  EXPECT_NE(bits.error().message.find("x:1: \"203.0.113.9/24\" has host bits set past the /24 "
                                      "(did the list mean 203.0.113.0/24?)"),
            std::string::npos)
      << bits.error().message;
  auto two = parse_feed("203.0.113.9 198.51.100.1\n", "x", 100, {});
  ASSERT_FALSE(two);
  EXPECT_NE(two.error().message.find("more than one entry"), std::string::npos);
  // An HTML error page saved in place of the list.
  EXPECT_FALSE(parse_feed("<html><body>503</body></html>\n", "x", 100, {}));
}

TEST(FeedList, EmptyAndTooLongAreRefused) {
  auto empty = parse_feed("; nothing\n\n", "e.txt", 100, {});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().message,
            "e.txt: holds no address (an empty or failed download?); the previous list stays");
  auto big = parse_feed("198.51.100.1\n198.51.100.2\n198.51.100.3\n", "b.txt", 2, {});
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().message.find("b.txt:3: more than 2 entries; raise <max_entries>"),
            std::string::npos);
}

TEST(FeedList, CutsAroundWhatMustStayReachable) {
  std::vector<FeedExclusion> exclude = {{*Address::parse("127.0.0.0/8"), "allowlisted"},
                                        {*Address::parse("203.0.113.5"), "address of this host"}};
  auto list = parse_feed("127.0.0.0/8\n203.0.113.0/24\n198.51.100.0/24\n", "f", 100, exclude);
  ASSERT_TRUE(list);
  EXPECT_EQ(texts(*list), (std::vector<std::string>{"198.51.100.0/24", "203.0.113.0-203.0.113.4",
                                                    "203.0.113.6-203.0.113.255"}));
  EXPECT_EQ(list->cuts, (std::vector<std::string>{
                            "skipped 127.0.0.0/8: within 127.0.0.0/8 (allowlisted)",
                            "cut 203.0.113.0/24 around 203.0.113.5 (address of this host)"}));
}

}  // namespace
}  // namespace rampart
