// <block_prefix>, <timeout_jitter>, <blocklist> and a command's <ports>.
#include <gtest/gtest.h>

#include "config/config.h"
namespace rampart {
namespace {

std::string conf(std::string_view body) {
  return fmt::format("<ossec_config>\n{}</ossec_config>\n", body);
}

Config parse_ok(const std::string& text) {
  auto config = parse_config(text, "t.conf");
  EXPECT_TRUE(config) << config.error().message;
  return config ? std::move(*config) : Config{};
}

std::string parse_error(const std::string& text) {
  auto config = parse_config(text, "t.conf");
  EXPECT_FALSE(config) << "expected an error";
  return config ? std::string() : config.error().message;
}

TEST(ConfigFeatures, DefaultsAreTodaysBehaviour) {
  Config c = parse_ok(conf(""));
  EXPECT_EQ(c.settings.block_prefix4, 32);
  EXPECT_EQ(c.settings.block_prefix6, 128);
  EXPECT_EQ(c.settings.timeout_jitter_percent, 0u);
  EXPECT_TRUE(c.settings.blocklists.empty());
}

TEST(ConfigFeatures, Settings) {
  Config c = parse_ok(
      conf("<rampart>\n"
           "  <block_prefix><ipv4>24</ipv4><ipv6>64</ipv6></block_prefix>\n"
           "  <timeout_jitter>10</timeout_jitter>\n"
           "  <blocklist><name>spamhaus-drop</name><file>/var/lib/rampart/feeds/drop.txt</file>"
           "<max_entries>2000</max_entries></blocklist>\n"
           "  <blocklist><name>fh1</name><file>/srv/fh1.netset</file></blocklist>\n"
           "</rampart>\n"));
  EXPECT_EQ(c.settings.block_prefix4, 24);
  EXPECT_EQ(c.settings.block_prefix6, 64);
  EXPECT_EQ(c.settings.timeout_jitter_percent, 10u);
  ASSERT_EQ(c.settings.blocklists.size(), 2u);
  EXPECT_EQ(c.settings.blocklists[0].name, "spamhaus-drop");
  EXPECT_EQ(c.settings.blocklists[0].file, "/var/lib/rampart/feeds/drop.txt");
  EXPECT_EQ(c.settings.blocklists[0].max_entries, 2000u);
  EXPECT_EQ(c.settings.blocklists[0].where, "t.conf:5");
  EXPECT_EQ(c.settings.blocklists[1].max_entries, 1000000u);
}

TEST(ConfigFeatures, SettingErrorsNameTheLineAndTheFix) {
  struct {
    std::string inner, message;
  } cases[] = {
      {"<block_prefix><ipv6>200</ipv6></block_prefix>",
       "t.conf:2: <ipv6> must be a number from 16 to 128, not \"200\""},
      {"<timeout_jitter>80</timeout_jitter>",
       "t.conf:2: <timeout_jitter> must be a number of percent from 0 to 50, not \"80\""},
      {"<blocklist><name>a b</name><file>/x</file></blocklist>",
       "t.conf:2: <name> \"a b\" must be 1 to 32 letters, digits, '_' or '-' (the sets are "
       "feed_<name>4 and feed_<name>6)"},
      {"<blocklist><name>x</name></blocklist>",
       "t.conf:2: <blocklist> needs a <name> and a <file>, such as "
       "<name>spamhaus-drop</name><file>/var/lib/rampart-feeds/spamhaus-drop.txt</file>"},
      {"<blocklist><name>x</name><file>/a</file></blocklist>\n"
       "<blocklist><name>x</name><file>/b</file></blocklist>",
       "t.conf:3: <blocklist> \"x\" is already defined at t.conf:2; give each list its own "
       "<name>"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(parse_error(conf("<rampart>" + c.inner + "</rampart>\n")), c.message) << c.inner;
}

TEST(ConfigFeatures, Ports) {
  Config c =
      parse_ok(conf("<command><name>ssh-drop</name><executable>firewall-drop</executable>"
                    "<ports>udp/51820, tcp/2222,tcp/22 tcp/22 tcp/6000-6007</ports></command>\n"));
  ASSERT_EQ(c.commands.size(), 1u);
  EXPECT_EQ(ports_text(c.commands[0].ports), "tcp/22,tcp/2222,tcp/6000-6007,udp/51820");
}

TEST(ConfigFeatures, PortErrors) {
  EXPECT_EQ(parse_ports("icmp/1").error().message,
            "<ports> entry \"icmp/1\" must be PROTOCOL/PORT with a protocol of tcp, udp, sctp, "
            "dccp or udplite, such as tcp/22");
  EXPECT_EQ(parse_ports("tcp/0").error().message,
            "<ports> entry \"tcp/0\" needs a port from 1 to 65535, or a range such as "
            "tcp/6000-6007");
  EXPECT_FALSE(parse_ports("tcp/9-3"));
  EXPECT_FALSE(parse_ports("tcp/70000"));
  EXPECT_FALSE(parse_ports(" , "));
  EXPECT_EQ(parse_error(conf("<command><name>x</name><executable>my-script.sh</executable>"
                             "<ports>tcp/22</ports></command>\n")),
            "t.conf:2: <ports> is for firewall-drop commands (nftables sets); remove it from "
            "\"x\", or block only those ports with <executable>firewall-drop</executable>");
  EXPECT_EQ(parse_error(conf("<command><name>x</name><executable>firewall-drop</executable>"
                             "<ports>tcp</ports></command>\n")),
            "t.conf:2: <ports> entry \"tcp\" must be PROTOCOL/PORT with a protocol of tcp, udp, "
            "sctp, dccp or udplite, such as tcp/22");
}

}  // namespace
}  // namespace rampart
