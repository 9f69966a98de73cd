// The config loader as a whole: the embedded default and shipped examples, what real
// ossec.conf files get away with, <global><white_list>, scale and describe().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/config_testing.h"
namespace rampart {
namespace {

using namespace config_test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- the default and the shipped examples ---

TEST(ConfigDefault, LoadsCleanly) {
  auto config = parse_config(kDefaultConfigText, kDefaultConfigName);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->warnings.empty());
  ASSERT_EQ(config->commands.size(), 1u);
  const Command& c = config->commands[0];
  EXPECT_EQ(c.name, "firewall-drop");
  EXPECT_EQ(c.kind, CommandKind::Firewall);
  EXPECT_TRUE(c.expect_srcip);
  EXPECT_TRUE(c.timeout_allowed);
  ASSERT_EQ(config->responses.size(), 1u);
  const ActiveResponse& r = config->responses[0];
  EXPECT_EQ(r.locations, kLocationLocal);
  EXPECT_EQ(r.level, 10);
  EXPECT_EQ(r.timeout_sec, 600u);
  EXPECT_EQ(config->allowlist.prefixes().size(), 4u);  // built-in loopback, then the two
  EXPECT_TRUE(config->allowlist.match(addr("::1")));
  EXPECT_FALSE(config->allowlist.match(addr("192.0.2.1")));
  EXPECT_EQ(config->settings.sockets, std::vector<std::string>{"/run/rampart/alerts.sock"});
  EXPECT_FALSE(config->settings.journal.enabled);
}

TEST(ConfigDefault, ExampleRampartConfIsTheDefault) {
  fs::path path = source_root() / "examples" / "rampart.conf";
  ASSERT_TRUE(fs::exists(path)) << path;
  EXPECT_EQ(read_text(path), kDefaultConfigText);
}

TEST(ConfigDefault, CommentedSettingsAreValid) {
  // The commented <rampart> section must itself load, so that uncommenting it works.
  std::string text(kDefaultConfigText);
  size_t start = text.find("<!-- rampart's own settings");
  size_t open = text.find("<rampart>", start);
  size_t end = text.find("-->", open);
  std::string section = text.substr(open, text.rfind("</rampart>", end) + 10 - open);
  for (std::string_view note :
       {"(empty: the host name)", "(absent: the journal is not read)",
        "(empty: firewalld's default zone)", "(absent: no file; rampartctl metrics always works)"})
    section.erase(section.find(note), note.size());
  auto config = parse_ok(conf(section));
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_TRUE(config.settings.journal.enabled);
  EXPECT_EQ(config.settings.nft_table, "rampart");
}

TEST(ConfigExamples, WazuhOssecConfLoads) {
  auto config = load_config(source_root() / "examples" / "ossec.conf");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();
  EXPECT_EQ(config->commands.size(), 7u);
  EXPECT_EQ(config->find_command("df -P"), nullptr);
  ASSERT_NE(config->find_command("host-deny"), nullptr);
  EXPECT_EQ(config->find_command("host-deny")->kind, CommandKind::HostsDeny);
  EXPECT_TRUE(config->find_command("host-deny")->expect_srcip);
  EXPECT_EQ(config->find_command("route-null")->kind, CommandKind::Exec);
  ASSERT_EQ(config->responses.size(), 3u);  // the route-null one is disabled
  EXPECT_EQ(config->responses[0].rules_group.size(), 4u);
  EXPECT_THAT(config->responses[0].repeated_offenders_min, ElementsAre(30, 120, 1440));
  EXPECT_EQ(config->responses[1].locations, kLocationLocal | kLocationServer);
  EXPECT_THAT(config->responses[2].rules_id, ElementsAre(5712, 5720, 31151));
  EXPECT_TRUE(config->allowlist.match(addr("192.168.10.77")));
  EXPECT_TRUE(config->allowlist.match(addr("2001:db8:10:1::5")));
}

TEST(ConfigExamples, Ossec28ConfLoads) {
  auto config = load_config(source_root() / "tests" / "data" / "config" / "ossec-2.8.conf");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_TRUE(config->warnings.empty()) << config->warnings.front();
  EXPECT_EQ(config->commands.size(), 4u);
  EXPECT_EQ(config->find_command("firewall-drop")->kind, CommandKind::Firewall);
  EXPECT_TRUE(config->find_command("disable-account")->expect_user);
  EXPECT_FALSE(config->find_command("restart-ossec")->expect_srcip);
  ASSERT_EQ(config->responses.size(), 2u);
  // The agent-side <active-response> only sets repeated offenders, for every timed block.
  EXPECT_THAT(config->responses[1].repeated_offenders_min, ElementsAre(30, 60, 120));
}

// --- what real ossec.conf files get away with ---

TEST(ConfigXml, SeveralRootsKeepLineNumbers) {
  std::string text = std::string("<ossec_config>\n") + std::string(kFirewallDrop) +
                     "</ossec_config>\n<ossec_config>\n<active-response>\n"
                     "<command>firewall-drop</command><level>high</level>\n"
                     "</active-response>\n</ossec_config>\n";
  EXPECT_EQ(parse_error(text), "t.conf:6: <level> must be a number from 0 to 20, not \"high\"");
}

TEST(ConfigXml, DeclarationIsStrippedKeepingLines) {
  std::string text = "<?xml version=\"1.0\"\n encoding=\"UTF-8\"?>\n" +
                     conf("<global><white_list>nope</white_list></global>\n");
  EXPECT_THAT(parse_error(text), ::testing::StartsWith("t.conf:4: <white_list> \"nope\""));
}

TEST(ConfigXml, DoubleHyphenInCommentLoadsQuietly) {
  auto config = parse_ok(conf("<!-- do not -- ever -- remove -->\n" + std::string(kFirewallDrop)));
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_EQ(config.commands.size(), 1u);
}

TEST(ConfigXml, BareAmpersandIsLiteral) {
  auto config =
      parse_ok(conf("<localfile><command>df -P && free</command></localfile>\n"
                    "<command><name>notify</name><executable>notify</executable>"
                    "<extra_args>-t a&b &lt;x&gt; &#65; &unknown;</extra_args></command>\n"));
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_THAT(config.commands.at(0).extra_args, ElementsAre("-t", "a&b", "<x>", "A", "&unknown;"));
}

TEST(ConfigXml, CommandInsideLocalfileIsNotAnArCommand) {
  auto config =
      parse_ok(conf("<localfile><log_format>command</log_format>"
                    "<command>last -n 20</command></localfile>\n"));
  EXPECT_TRUE(config.commands.empty());
}

TEST(ConfigXml, OtherSectionsAreIgnored) {
  auto config =
      parse_ok(conf("<syscheck><frequency>x</frequency><bogus/></syscheck>\n"
                    "<rootcheck/><remote><port>1514</port></remote>\n"
                    "<global><email_to>a@b</email_to></global>\n"));
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ConfigXml, ElementOutsideOssecConfigIsWarned) {
  auto config = parse_ok(conf("") + "<rampart><max_blocks>5</max_blocks></rampart>\n");
  EXPECT_THAT(config.warnings,
              ElementsAre("t.conf:3: <rampart> outside <ossec_config> is ignored; move it "
                          "inside <ossec_config>"));
  EXPECT_EQ(config.settings.max_blocks, 1000000u);
}

TEST(ConfigXml, MismatchedTagIsAnError) {
  // The Wazuh documentation's own example; OSSEC and Wazuh refuse it.
  std::string error = parse_error(
      conf("<command>\n<name>firewall-drop</command>\n<executable>firewall-drop</executable>\n"
           "</command>\n"));
  EXPECT_THAT(error, ::testing::StartsWith("t.conf:3: <name> (opened on line 3) is closed by "
                                           "</command>; OSSEC and Wazuh refuse this file too; "
                                           "close it with </name>"));
  EXPECT_THAT(parse_error(with_response("<command>firewall-drop</command>\n<level>10</levl>")),
              HasSubstr("t.conf:4: <level> (opened on line 4) is closed by </levl>"));
}

TEST(ConfigXml, UnclosedInnerElementIsAnError) {
  EXPECT_THAT(parse_error(conf("<active-response><command>firewall-drop</command>\n")),
              HasSubstr("t.conf:3: <active-response> (opened on line 2) is closed by "
                        "</ossec_config>"));
}

TEST(ConfigXml, UnclosedRootIsWarned) {
  auto config = parse_ok("<ossec_config>\n" + std::string(kFirewallDrop));
  EXPECT_THAT(config.warnings, ::testing::Contains("t.conf:1: <ossec_config> is never closed; "
                                                   "add </ossec_config>"));
  EXPECT_EQ(config.commands.size(), 1u);
}

TEST(ConfigXml, StrayClosingTagIsAnError) {
  // libxml2 would stop reading here and silently lose the rest of the file.
  std::string error =
      parse_error(conf("") + "</ossec_config>\n" + conf(std::string(kFirewallDrop)));
  EXPECT_THAT(error, HasSubstr("t.conf:3: </ossec_config> closes nothing that is open"));
}

TEST(ConfigXml, UnclosedCommentIsAnError) {
  EXPECT_EQ(parse_error(conf("<!-- <active-response>\n") + conf(std::string(kFirewallDrop))),
            "t.conf:2: a comment is never closed, so everything after its \"<!--\" would be "
            "ignored; add the missing \"-->\"");
}

TEST(ConfigXml, NotUtf8IsWarnedOnOneLineAndLoaded) {
  auto config = parse_ok(conf("<!-- R\xe9seau du bureau -->\n" + std::string(kFirewallDrop)));
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_THAT(config.warnings[0],
              ::testing::StartsWith("t.conf:2: XML: Input is not proper UTF-8"));
  EXPECT_EQ(config.warnings[0].find('\n'), std::string::npos);
  EXPECT_EQ(config.commands.size(), 1u);
}

TEST(ConfigXml, FileWithoutOssecConfigIsWarned) {
  EXPECT_THAT(parse_ok("").warnings,
              ElementsAre("t.conf:1: there is no <ossec_config> section, so this file "
                          "configures nothing"));
}

TEST(ConfigXml, ElementInsideValueIsAnError) {
  EXPECT_EQ(parse_error(with_response("<command>firewall-drop</command><level><b>1</b></level>")),
            "t.conf:3: <level> must hold a plain value, not a <b> element");
}

// --- <global><white_list> ---

TEST(ConfigAllowlist, AddressesAndPrefixesFromSeveralGlobals) {
  auto config =
      parse_ok(conf("<global><white_list>192.0.2.7</white_list>"
                    "<white_list> 198.51.100.0/24 </white_list></global>\n"
                    "<global><white_list>2001:db8::/32</white_list>"
                    "<white_list>2001:db8:1::9</white_list></global>\n"));
  EXPECT_EQ(config.allowlist.prefixes().size(), 6u);
  EXPECT_TRUE(config.allowlist.match(addr("192.0.2.7")));
  EXPECT_FALSE(config.allowlist.match(addr("192.0.2.8")));
  EXPECT_TRUE(config.allowlist.match(addr("198.51.100.200")));
  EXPECT_TRUE(config.allowlist.match(addr("2001:db8:ffff::1")));
}

TEST(ConfigAllowlist, LocalhostNameIsAWarning) {
  auto config =
      parse_ok(conf("<global><white_list>^localhost.localdomain$</white_list></global>\n"));
  EXPECT_THAT(config.warnings,
              ElementsAre("t.conf:2: <white_list> \"^localhost.localdomain$\" is a host name; "
                          "loopback is always allowed, so this entry changes nothing"));
}

TEST(ConfigAllowlist, Errors) {
  EXPECT_EQ(parse_error(conf("<global><white_list>db.example.com</white_list></global>\n")),
            "t.conf:2: <white_list> \"db.example.com\" is not an IPv4 or IPv6 address or CIDR "
            "prefix (rampart does not resolve host names); write it like 192.0.2.10, "
            "192.0.2.0/24 or 2001:db8::/32");
  EXPECT_EQ(parse_error(conf("<global><white_list>10.1.2.3/24</white_list></global>\n")),
            "t.conf:2: <white_list> \"10.1.2.3/24\" has host bits set after the prefix; write "
            "10.1.2.0/24");
  EXPECT_EQ(parse_error(conf("<global><white_list>2001:db8::1/32</white_list></global>\n")),
            "t.conf:2: <white_list> \"2001:db8::1/32\" has host bits set after the prefix; write "
            "2001:db8::/32");
  EXPECT_EQ(parse_error(conf("<global>\n<white_list/></global>\n")),
            "t.conf:3: <white_list> is empty; put an address or CIDR prefix in it, or remove it");
  EXPECT_THAT(parse_error(conf("<global><white_list>10.0.0.0/33</white_list></global>\n")),
              ::testing::StartsWith("t.conf:2: <white_list> \"10.0.0.0/33\" is not an IPv4"));
}

// --- scale and describe ---

TEST(ConfigScale, TenThousandResponsesLoad) {
  std::string body(kFirewallDrop);
  for (int i = 0; i < 10000; ++i)
    body += fmt::format(
        "<active-response>\n  <command>firewall-drop</command>\n"
        "  <location>local</location>\n  <rules_id>{}</rules_id>\n"
        "  <timeout>{}</timeout>\n</active-response>\n",
        100000 + i, 60 + i);
  auto config = parse_ok(conf(body));
  ASSERT_EQ(config.responses.size(), 10000u);
  EXPECT_EQ(config.responses.back().line, 2 + 1 + 9999 * 6);  // beyond libxml2's 65535 cap
  EXPECT_THAT(config.responses.back().rules_id, ElementsAre(109999));
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ConfigDescribe, ListsCommandsBindingsAllowlistAndSettings) {
  auto config = parse_ok(
      conf(std::string(kFirewallDrop) +
           "<command><name>notify</name><executable>notify.sh</executable><expect>user</expect>"
           "<extra_args>-q</extra_args><protocol>legacy</protocol></command>\n"
           "<active-response><command>firewall-drop</command><location>local,defined-agent"
           "</location><agent_id>002</agent_id><level>10</level><rules_group>^sshd,|web,$"
           "</rules_group><timeout>600</timeout><repeated_offenders>30,60</repeated_offenders>"
           "</active-response>\n"
           "<global><white_list>192.0.2.0/24</white_list></global>\n"));
  std::string text = describe(config);
  EXPECT_THAT(text, HasSubstr("firewall-drop: executable firewall-drop, kind firewall, expects "
                              "srcip, timeout allowed yes, protocol json  (t.conf:2)"));
  EXPECT_THAT(text, HasSubstr("notify: executable notify.sh, kind exec, expects user, timeout "
                              "allowed no, protocol legacy, extra args -q  (t.conf:3)"));
  EXPECT_THAT(text, HasSubstr("firewall-drop at local,defined-agent 002 when level >= 10 or "
                              "rules_group ^sshd,|web,$; timeout 600s, repeated offenders 30,60 "
                              "min  (t.conf:4)"));
  EXPECT_THAT(text, HasSubstr("  192.0.2.0/24\n"));
  EXPECT_THAT(text, HasSubstr("  127.0.0.0/8\n"));
  EXPECT_THAT(text, HasSubstr("sockets: /run/rampart/alerts.sock"));
  EXPECT_THAT(text, HasSubstr("journal: not read"));
}

}  // namespace
}  // namespace rampart
