#include <gtest/gtest.h>

#include "config/config.h"

namespace rampart {
namespace {

Result<Config> parse(const std::string& fleet) {
  return parse_config("<ossec_config>\n<rampart>\n" + fleet + "\n</rampart>\n</ossec_config>\n",
                      "fleet.conf");
}

TEST(ConfigFleet, NoFleetIsTodaysSingleHost) {
  auto c = parse("");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_FALSE(c->settings.fleet.enabled);
  EXPECT_NE(describe(*c).find("fleet: none"), std::string::npos);
}

TEST(ConfigFleet, EveryElement) {
  auto c = parse(R"(<fleet>
      <servers>nats://192.0.2.1:4222, nats://192.0.2.2:4222,tls://192.0.2.3:4222</servers>
      <credentials>/etc/rampart/fleet.creds</credentials>
      <tls><ca>/etc/rampart/ca.pem</ca><cert>/etc/rampart/node.pem</cert>
        <key>/etc/rampart/node.key</key></tls>
      <name>dmz-1</name><outbox_max>500</outbox_max><retention>3600</retention>
      <replicas>1</replicas></fleet>)");
  ASSERT_TRUE(c) << c.error().message;
  const FleetSettings& f = c->settings.fleet;
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.servers, (std::vector<std::string>{"nats://192.0.2.1:4222", "nats://192.0.2.2:4222",
                                                 "tls://192.0.2.3:4222"}));
  EXPECT_EQ(f.credentials, "/etc/rampart/fleet.creds");
  EXPECT_EQ(f.tls_ca, "/etc/rampart/ca.pem");
  EXPECT_EQ(f.tls_key, "/etc/rampart/node.key");
  EXPECT_EQ(f.name, "dmz-1");
  EXPECT_EQ(f.outbox_max, 500u);
  EXPECT_EQ(f.retention_sec, 3600u);
  EXPECT_EQ(f.replicas, 1u);
  std::string text = describe(*c);
  EXPECT_NE(text.find("fleet: dmz-1 on nats://192.0.2.1:4222"), std::string::npos) << text;
}

TEST(ConfigFleet, MistakesNameTheLineAndTheFix) {
  const std::pair<std::string, std::string> cases[] = {
      {"<fleet></fleet>", "fleet.conf:3: <fleet> needs <servers>"},
      {"<fleet><servers>192.0.2.1:4222</servers></fleet>", "nats://HOST:PORT"},
      {"<fleet><servers>nats://a:1</servers><name>Rampart.x</name></fleet>", "fleet name"},
      {"<fleet><servers>nats://a:1</servers><credentials>fleet.creds</credentials></fleet>",
       "absolute path"},
      {"<fleet><servers>nats://a:1</servers><tls><cert>/c.pem</cert></tls></fleet>",
       "both <cert> and <key>"},
      {"<fleet><servers>nats://a:1</servers><replicas>7</replicas></fleet>", "from 1 to 5"},
      {"<fleet><servers>nats://a:1</servers><subjects>x</subjects></fleet>",
       "not an option of <fleet>"},
  };
  for (const auto& [body, what] : cases) {
    auto c = parse(body);
    ASSERT_FALSE(c) << body;
    EXPECT_NE(c.error().message.find(what), std::string::npos) << c.error().message;
  }
}

TEST(ConfigFleet, CheckConfigShowsEveryBindingsDestination) {
  auto c = parse_config(R"(<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>defined-agent</location>
    <agent_id>005</agent_id><level>10</level></active-response>
  <active-response><command>firewall-drop</command><location>local</location>
    <level>10</level></active-response>
  <rampart><fleet><servers>nats://192.0.2.1:4222</servers></fleet></rampart>
  </ossec_config>)",
                        "f.conf");
  ASSERT_TRUE(c) << c.error().message;
  std::string text = describe(*c);
  EXPECT_NE(text.find("goes to defined-agent 005: an order to agent 005"), std::string::npos)
      << text;
  EXPECT_NE(text.find("goes to local: this node when the alert is from agent 000 or names none, "
                      "else an order to the agent it names"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace rampart
