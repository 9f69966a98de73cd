#include "core/engine.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

Config load(const std::string& body) {
  auto c = parse_config("<ossec_config>\n" + body + "\n</ossec_config>\n", "test.conf");
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
  return c ? std::move(*c) : Config{};
}

const std::string kDrop = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>)";

Alert alert(int level, uint32_t rule, std::string groups, std::string srcip,
            std::string agent = "") {
  Alert a;
  a.level = level;
  a.rule_id = rule;
  a.groups = std::move(groups);
  a.srcip = srcip;
  a.address = Address::parse_host(srcip);
  a.agent_id = std::move(agent);
  return a;
}

std::vector<std::string> fired(const Config& c, const Alert& a) {
  Engine engine(c);
  Decision d;
  engine.decide(a, d);
  std::vector<std::string> out;
  for (const auto& r : d.responses)
    out.push_back(c.commands[r.command].name + " " + r.address.str() + " " +
                  (r.timeout_sec ? std::to_string(*r.timeout_sec) : "none"));
  return out;
}

TEST(Engine, LevelMatchesAtOrAbove) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <location>local</location><level>10</level><timeout>600</timeout></active-response>)");
  EXPECT_EQ(fired(c, alert(10, 5712, "sshd,", "203.0.113.9")),
            std::vector<std::string>{"firewall-drop 203.0.113.9 600"});
  EXPECT_EQ(fired(c, alert(12, 5712, "sshd,", "203.0.113.9")).size(), 1u);
  EXPECT_TRUE(fired(c, alert(9, 5712, "sshd,", "203.0.113.9")).empty());
}

TEST(Engine, LevelZeroNeverFires) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <rules_id>5712</rules_id></active-response>)");
  EXPECT_TRUE(fired(c, alert(0, 5712, "", "203.0.113.9")).empty());
  EXPECT_EQ(fired(c, alert(1, 5712, "", "203.0.113.9")).size(), 1u);
}

TEST(Engine, RulesIdMatchesOnItsOwn) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <level>12</level><rules_group>web</rules_group><rules_id>5712, 5720</rules_id>
    </active-response>)");
  // Neither level nor group matches, but the rule id does.
  EXPECT_EQ(fired(c, alert(3, 5720, "sshd,", "203.0.113.9")).size(), 1u);
  EXPECT_TRUE(fired(c, alert(3, 5713, "sshd,", "203.0.113.9")).empty());
}

TEST(Engine, LevelAndGroupMustBothMatch) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <level>10</level><rules_group>authentication_failures|^web</rules_group></active-response>)");
  EXPECT_EQ(fired(c, alert(10, 1, "syslog,sshd,authentication_failures,", "203.0.113.9")).size(),
            1u);
  EXPECT_EQ(fired(c, alert(10, 1, "web,accesslog,", "203.0.113.9")).size(), 1u);
  EXPECT_TRUE(fired(c, alert(10, 1, "syslog,web,", "203.0.113.9")).empty()) << "^ anchors";
  EXPECT_TRUE(fired(c, alert(9, 1, "authentication_failures,", "203.0.113.9")).empty());
  EXPECT_TRUE(fired(c, alert(10, 1, "syslog,sshd,", "203.0.113.9")).empty());
}

TEST(Engine, GroupsAreCaseInsensitive) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <rules_group>SSHD</rules_group></active-response>)");
  EXPECT_EQ(fired(c, alert(5, 1, "syslog,sshd,", "203.0.113.9")).size(), 1u);
}

TEST(Engine, NoFilterNeverFires) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <location>all</location></active-response>)");
  EXPECT_TRUE(fired(c, alert(15, 1, "sshd,", "203.0.113.9")).empty());
}

TEST(Engine, Locations) {
  Config c = load(kDrop + R"(
    <active-response><command>firewall-drop</command><location>local</location>
      <level>5</level><timeout>1</timeout></active-response>)");
  // local: the alert is about this node (agent 000) or names no agent.
  EXPECT_EQ(fired(c, alert(5, 1, "", "203.0.113.9", "000")).size(), 1u);
  EXPECT_EQ(fired(c, alert(5, 1, "", "203.0.113.9", "")).size(), 1u);
  EXPECT_TRUE(fired(c, alert(5, 1, "", "203.0.113.9", "007")).empty());

  Config server = load(kDrop + R"(
    <active-response><command>firewall-drop</command><location>server</location>
      <level>5</level></active-response>)");
  EXPECT_EQ(fired(server, alert(5, 1, "", "203.0.113.9", "007")).size(), 1u);
  server.settings.server = false;
  EXPECT_TRUE(fired(server, alert(5, 1, "", "203.0.113.9", "007")).empty());

  Config defined = load(kDrop + R"(
    <active-response><command>firewall-drop</command><location>defined-agent</location>
      <agent_id>001</agent_id><level>5</level></active-response>)");
  EXPECT_TRUE(fired(defined, alert(5, 1, "", "203.0.113.9")).empty());
  defined.settings.agent_id = "001";
  EXPECT_EQ(fired(defined, alert(5, 1, "", "203.0.113.9")).size(), 1u);

  Config all = load(kDrop + R"(
    <active-response><command>firewall-drop</command><location>all</location>
      <level>5</level></active-response>)");
  EXPECT_EQ(fired(all, alert(5, 1, "", "203.0.113.9", "042")).size(), 1u);
}

TEST(Engine, AllowlistAndNeverBlock) {
  Config c = load(R"(<global><white_list>198.51.100.0/24</white_list>
    <white_list>2001:db8:1::/48</white_list></global>)" +
                  kDrop + R"(<active-response><command>firewall-drop</command>
    <level>5</level></active-response>)");
  Engine engine(c);
  Decision d;
  for (const char* ip : {"198.51.100.7", "2001:db8:1::9", "127.0.0.1", "::1"}) {
    engine.decide(alert(10, 1, "", ip), d);
    EXPECT_TRUE(d.responses.empty()) << ip;
    ASSERT_EQ(d.skips.size(), 1u) << ip;
    EXPECT_EQ(d.skips[0].reason, SkipReason::Allowlisted) << ip;
  }
  for (const char* ip : {"0.0.0.0", "224.0.0.1", "::", "ff02::1", "fe80::1", "169.254.1.1"}) {
    engine.decide(alert(10, 1, "", ip), d);
    EXPECT_TRUE(d.responses.empty()) << ip;
    ASSERT_EQ(d.skips.size(), 1u) << ip;
    EXPECT_EQ(d.skips[0].reason, SkipReason::NeverBlock) << ip;
  }
  engine.decide(alert(10, 1, "", "2001:db8:2::9"), d);
  EXPECT_EQ(d.responses.size(), 1u);
  engine.decide(alert(10, 1, "", "::ffff:198.51.100.9"), d);
  EXPECT_TRUE(d.responses.empty()) << "mapped IPv4 is matched as IPv4";
}

TEST(Engine, MissingOrInvalidSrcipIsSkipped) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <level>5</level></active-response>)");
  Engine engine(c);
  Decision d;
  engine.decide(alert(10, 1, "", ""), d);
  ASSERT_EQ(d.skips.size(), 1u);
  EXPECT_EQ(d.skips[0].reason, SkipReason::MissingSrcip);
  engine.decide(alert(10, 1, "", "not-an-ip"), d);
  ASSERT_EQ(d.skips.size(), 1u);
  EXPECT_EQ(d.skips[0].reason, SkipReason::MissingSrcip);
}

TEST(Engine, OneResponsePerCommandLongestTimeoutWins) {
  Config c = load(kDrop + R"(
    <active-response><command>firewall-drop</command><level>5</level><timeout>60</timeout>
    </active-response>
    <active-response><command>firewall-drop</command><rules_id>5712</rules_id>
      <timeout>3600</timeout></active-response>)");
  EXPECT_EQ(fired(c, alert(10, 5712, "", "203.0.113.9")),
            std::vector<std::string>{"firewall-drop 203.0.113.9 3600"});
  EXPECT_EQ(fired(c, alert(10, 1, "", "203.0.113.9")),
            std::vector<std::string>{"firewall-drop 203.0.113.9 60"});
}

TEST(Engine, ExplainNamesTheFailingFilter) {
  Config c = load(kDrop + R"(<active-response><command>firewall-drop</command>
    <level>10</level><timeout>600</timeout></active-response>)");
  Engine engine(c);
  std::string text = engine.explain(alert(7, 5712, "sshd,", "203.0.113.9"));
  EXPECT_NE(text.find("level 7 is below 10"), std::string::npos) << text;
  text = engine.explain(alert(10, 5712, "sshd,", "127.0.0.1"));
  EXPECT_NE(text.find("allowlisted"), std::string::npos) << text;
  text = engine.explain(alert(10, 5712, "sshd,", "203.0.113.9"));
  EXPECT_NE(text.find("RESPONDS: firewall-drop 203.0.113.9 for 600s"), std::string::npos) << text;
  EXPECT_NE(text.find("test.conf:"), std::string::npos) << text;
}

}  // namespace
}  // namespace rampart
