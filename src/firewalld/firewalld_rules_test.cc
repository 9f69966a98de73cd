#include "firewalld/firewalld_rules.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

Address addr(std::string_view text) {
  return *Address::parse(text);
}

TEST(FirewalldRules, RichRuleText) {
  EXPECT_EQ(firewalld_rich_rule(addr("192.0.2.7")),
            R"(rule family="ipv4" source address="192.0.2.7" drop)");
  EXPECT_EQ(firewalld_rich_rule(addr("198.51.100.0/24")),
            R"(rule family="ipv4" source address="198.51.100.0/24" drop)");
  EXPECT_EQ(firewalld_rich_rule(addr("2001:db8::5")),
            R"(rule family="ipv6" source address="2001:db8::5" drop)");
}

TEST(FirewalldRules, ParsesItsOwnRules) {
  for (auto text : {"192.0.2.7", "198.51.100.0/24", "2001:db8::5", "2001:db8::/48"}) {
    auto parsed = parse_firewalld_rich_rule(firewalld_rich_rule(addr(text)));
    ASSERT_TRUE(parsed) << text;
    EXPECT_EQ(*parsed, addr(text));
  }
}

TEST(FirewalldRules, ParsesFirewalldsSpellingOfHosts) {
  EXPECT_EQ(
      parse_firewalld_rich_rule(R"(rule family="ipv6" source address="2001:db8:0:0::1/128" drop)"),
      addr("2001:db8::1"));
  EXPECT_EQ(parse_firewalld_rich_rule(R"(rule family="ipv4" source address="192.0.2.1/32" drop)"),
            addr("192.0.2.1"));
}

TEST(FirewalldRules, LeavesOtherRulesAlone) {
  for (auto text : {
           R"(rule family="ipv4" source address="192.0.2.7" accept)",
           R"(rule family="ipv4" source address="192.0.2.7" service name="ssh" drop)",
           R"(rule family="ipv4" source address="192.0.2.7" log prefix="x" drop)",
           R"(rule family="ipv6" source address="192.0.2.7" drop)",
           R"(rule family="ipv4" source NOT address="192.0.2.7" drop)",
           R"(rule family="ipv4" source address="192.0.2.7/24" drop)",  // host bits set
           R"(rule family="ipv4" source address="192.0.2.7/x" drop)",
           R"(rule source ipset="rampart4" drop)",
           R"(rule family="ipv4" source address="192.0.2.7" drop )",
           "",
       })
    EXPECT_FALSE(parse_firewalld_rich_rule(text)) << text;
}

TEST(FirewalldRules, Ipsets) {
  EXPECT_EQ(firewalld_ipset_name(false), "rampart4");
  EXPECT_EQ(firewalld_ipset_name(true), "rampart6");
  EXPECT_EQ(firewalld_ipset_rule("rampart6"), R"(rule source ipset="rampart6" drop)");
}

TEST(FirewalldRules, TimeoutsRoundUp) {
  EXPECT_EQ(firewalld_timeout_seconds(0), 0);
  EXPECT_EQ(firewalld_timeout_seconds(1), 1);
  EXPECT_EQ(firewalld_timeout_seconds(3000), 3);
  EXPECT_EQ(firewalld_timeout_seconds(3001), 4);
  EXPECT_EQ(firewalld_timeout_seconds(UINT64_MAX), INT32_MAX);
}

TEST(FirewalldRules, IdempotentErrors) {
  EXPECT_TRUE(firewalld_already_enabled("ALREADY_ENABLED: 'rule ...' already in 'public'"));
  EXPECT_FALSE(firewalld_already_enabled("INVALID_ZONE: nope"));
  EXPECT_TRUE(firewalld_not_enabled("NOT_ENABLED: '192.0.2.9' not in 'rampart4'"));
  EXPECT_FALSE(firewalld_not_enabled("ALREADY_ENABLED: x"));
}

TEST(FirewalldRules, StateRoundTrip) {
  std::vector<FirewalldStateEntry> entries{
      {addr("192.0.2.7"), CommandKind::Firewall, 1700000000, "firewall-drop:5712"},
      {addr("2001:db8::/48"), CommandKind::Firewalld, 0, "firewalld-drop:100 with space"},
      {addr("198.51.100.3"), CommandKind::Firewall, 5, ""},
  };
  EXPECT_EQ(parse_firewalld_state(format_firewalld_state(entries)), entries);
}

TEST(FirewalldRules, StateSkipsBadLines) {
  auto parsed = parse_firewalld_state(
      "# header\n"
      "192.0.2.7 firewall 10 a:1\n"
      "garbage\n"
      "192.0.2.8 exec 10 a:1\n"
      "192.0.2.9 firewall x a:1\n"
      "999.0.2.9 firewall 1 a:1\n"
      "192.0.2.10 firewalld 0 -\n"
      "192.0.2.11 firewall 3");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].address, addr("192.0.2.7"));
  EXPECT_EQ(parsed[1].kind, CommandKind::Firewalld);
  EXPECT_EQ(parsed[1].comment, "");
}

}  // namespace
}  // namespace rampart
