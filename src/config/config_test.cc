#include "config/config.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace rampart {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The source tree: $RAMPART_SOURCE_ROOT, else found from this file's path as the compiler saw
// it (relative to the build directory, where the test binary lives).
fs::path source_root() {
  if (const char* env = std::getenv("RAMPART_SOURCE_ROOT")) return env;
  fs::path file = __FILE__;
  if (file.is_relative()) file = fs::read_symlink("/proc/self/exe").parent_path() / file;
  return fs::weakly_canonical(file).parent_path().parent_path().parent_path();
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One <ossec_config> around `body`, which then starts on line 2.
std::string conf(std::string_view body) {
  return fmt::format("<ossec_config>\n{}</ossec_config>\n", body);
}

constexpr std::string_view kFirewallDrop =
    "<command><name>firewall-drop</name><executable>firewall-drop</executable>"
    "<timeout_allowed>yes</timeout_allowed></command>\n";

Config parse_ok(const std::string& text) {
  auto config = parse_config(text, "t.conf");
  EXPECT_TRUE(config) << config.error().message;
  return config ? std::move(*config) : Config{};
}

std::string parse_error(const std::string& text) {
  auto config = parse_config(text, "t.conf");
  EXPECT_FALSE(config) << "expected an error";
  if (config) return {};
  EXPECT_EQ(config.error().code, EINVAL);
  return config.error().message;
}

// A response bound to firewall-drop (line 2) with `inner` as its body, on line 3.
std::string with_response(std::string_view inner) {
  return conf(fmt::format("{}<active-response>{}</active-response>\n", kFirewallDrop, inner));
}

Address addr(std::string_view text) {
  return *Address::parse(text);
}

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

// --- <command> ---

TEST(ConfigCommand, KindFromExecutable) {
  EXPECT_EQ(command_kind_for("firewall-drop"), CommandKind::Firewall);
  EXPECT_EQ(command_kind_for("firewall-drop.sh"), CommandKind::Firewall);
  EXPECT_EQ(command_kind_for("nftables-drop.sh"), CommandKind::Firewall);
  EXPECT_EQ(command_kind_for("firewalld-drop"), CommandKind::Firewalld);
  EXPECT_EQ(command_kind_for("firewalld-drop.sh"), CommandKind::Firewalld);
  EXPECT_EQ(command_kind_for("host-deny"), CommandKind::HostsDeny);
  EXPECT_EQ(command_kind_for("host-deny.sh"), CommandKind::HostsDeny);
  EXPECT_EQ(command_kind_for("route-null"), CommandKind::Exec);
  EXPECT_EQ(command_kind_for("ipfw.sh"), CommandKind::Exec);
  EXPECT_EQ(to_string(CommandKind::HostsDeny), "hosts-deny");
}

TEST(ConfigCommand, WazuhStyleFirewallKindsExpectSrcip) {
  auto config = parse_ok(
      conf("<command><name>fw</name><executable>firewalld-drop</executable><expect></expect>"
           "</command>\n<command><name>hd</name><executable>host-deny</executable></command>\n"
           "<command><name>rn</name><executable>route-null</executable></command>\n"
           "<command><name>da</name><executable>disable-account</executable>"
           "<expect>username, filename</expect><extra_args>-v  --dry-run</extra_args>"
           "<protocol>Legacy</protocol></command>\n"));
  ASSERT_EQ(config.commands.size(), 4u);
  EXPECT_EQ(config.commands[0].kind, CommandKind::Firewalld);
  EXPECT_TRUE(config.commands[0].expect_srcip);
  EXPECT_EQ(config.commands[1].kind, CommandKind::HostsDeny);
  EXPECT_TRUE(config.commands[1].expect_srcip);
  EXPECT_FALSE(config.commands[2].expect_srcip);
  EXPECT_EQ(config.commands[2].protocol, ExecProtocol::Json);
  EXPECT_FALSE(config.commands[2].timeout_allowed);
  EXPECT_TRUE(config.commands[3].expect_user);
  EXPECT_TRUE(config.commands[3].expect_filename);
  EXPECT_THAT(config.commands[3].extra_args, ElementsAre("-v", "--dry-run"));
  EXPECT_EQ(config.commands[3].protocol, ExecProtocol::Legacy);
  EXPECT_EQ(config.commands[3].line, 5);
  EXPECT_EQ(config.commands[3].file, "t.conf");
}

TEST(ConfigCommand, UnusedCommandIsFine) {
  auto config = parse_ok(conf(kFirewallDrop));
  EXPECT_TRUE(config.warnings.empty());
  EXPECT_TRUE(config.responses.empty());
}

TEST(ConfigCommand, Errors) {
  struct Case {
    std::string body;
    std::string message;
  } cases[] = {
      {"<command><executable>x</executable></command>",
       "t.conf:2: <command> has no <name>; add <name>NAME</name> so <active-response> can refer "
       "to it"},
      {"<command><name></name><executable>x</executable></command>",
       "t.conf:2: <name> is empty; give the command a name that <active-response> can use"},
      {"<command><name>a</name></command>",
       "t.conf:2: <command> \"a\" has no <executable>; add <executable>a</executable> or the "
       "name of its script"},
      {"<command><name>a</name><executable>/bin/sh</executable></command>",
       "t.conf:2: <executable> \"/bin/sh\" must be a plain file name, without '/' or '..'; put "
       "the program in <exec_directory> and name it here"},
      {"<command><name>a</name><executable>..x</executable></command>",
       "t.conf:2: <executable> \"..x\" must be a plain file name, without '/' or '..'; put the "
       "program in <exec_directory> and name it here"},
      {"<command><name>a</name><executable>x</executable><expect>srcip,port</expect></command>",
       "t.conf:2: <expect> has unknown field \"port\"; use srcip, user or filename, separated "
       "by commas"},
      {"<command><name>a</name><executable>x</executable>\n<timeout_allowed>sure"
       "</timeout_allowed></command>",
       "t.conf:3: <timeout_allowed> must be yes or no, not \"sure\""},
      {"<command><name>a</name><executable>x</executable><protocol>xml</protocol></command>",
       "t.conf:2: <protocol> must be json (Wazuh 4.x scripts) or legacy (OSSEC argv scripts), "
       "not \"xml\""},
      {"<command><name>a</name><executable>x</executable><timeout>5</timeout></command>",
       "t.conf:2: <timeout> is not an option of <command>; remove it or use one of: name, "
       "executable, expect, timeout_allowed, extra_args, protocol"},
  };
  for (const Case& c : cases) EXPECT_EQ(parse_error(conf(c.body + "\n")), c.message) << c.body;
}

TEST(ConfigCommand, DuplicateNameNamesBothPlaces) {
  EXPECT_EQ(parse_error(conf(std::string(kFirewallDrop) + "\n" + std::string(kFirewallDrop))),
            "t.conf:4: command \"firewall-drop\" is already defined at t.conf:2; rename one of "
            "them or remove one");
}

TEST(ConfigCommand, RepeatedElementWarns) {
  auto config = parse_ok(
      conf("<command><name>a</name><executable>x</executable>\n<name>b</name></command>\n"));
  EXPECT_THAT(config.warnings,
              ElementsAre("t.conf:3: <name> appears twice in this <command>; the last one wins"));
  EXPECT_EQ(config.commands.at(0).name, "b");
}

// --- <active-response> ---

TEST(ConfigResponse, CommandMayBeDefinedLater) {
  auto config =
      parse_ok(conf("<active-response><command>firewall-drop</command>"
                    "<location>local</location><level>3</level></active-response>\n" +
                    std::string(kFirewallDrop)));
  ASSERT_EQ(config.responses.size(), 1u);
  EXPECT_EQ(config.commands[config.responses[0].command].name, "firewall-drop");
  EXPECT_EQ(config.responses[0].line, 2);
}

TEST(ConfigResponse, DisabledIsDroppedUnvalidated) {
  auto config = parse_ok(
      conf("<active-response><disabled>yes</disabled></active-response>\n"
           "<active-response><level>99</level><disabled>yes</disabled><command>nope</command>"
           "<bogus/></active-response>\n"));
  EXPECT_TRUE(config.responses.empty());
  EXPECT_TRUE(config.warnings.empty());
}

TEST(ConfigResponse, AgentSideBlockIsNotABinding) {
  auto config =
      parse_ok(conf("<active-response><disabled>no</disabled>"
                    "<ca_store>etc/wpk_root.pem</ca_store>"
                    "<ca_verification>yes</ca_verification></active-response>\n"));
  EXPECT_TRUE(config.responses.empty());
}

TEST(ConfigResponse, Locations) {
  struct Case {
    std::string_view text;
    uint8_t bits;
  } cases[] = {
      {"local", kLocationLocal},
      {"LOCAL", kLocationLocal},
      {"server", kLocationServer},
      {"AS", kLocationServer},
      {"analysisd", kLocationServer},
      {"analysis-server", kLocationServer},
      {"all", kLocationAll},
      {"any", kLocationAll},
      {"local,server", kLocationLocal | kLocationServer},
      {"local server", kLocationLocal | kLocationServer},
      {" local , AS ", kLocationLocal | kLocationServer},
      {"defined-agent", kLocationDefinedAgent},
  };
  for (const Case& c : cases) {
    auto config = parse_ok(with_response(fmt::format(
        "<command>firewall-drop</command><location>{}</location><agent_id>001</agent_id>"
        "<level>1</level>",
        c.text)));
    ASSERT_EQ(config.responses.size(), 1u);
    EXPECT_EQ(config.responses[0].locations, c.bits) << c.text;
    EXPECT_EQ(config.responses[0].agent_id, "001");
  }
}

TEST(ConfigResponse, MissingLocationWarnsAndMeansLocal) {
  auto config = parse_ok(with_response("<command>firewall-drop</command><level>1</level>"));
  EXPECT_THAT(config.warnings, ElementsAre("t.conf:3: <active-response> has no <location>; "
                                           "using local (add <location>local</location> to say "
                                           "so)"));
  EXPECT_EQ(config.responses.at(0).locations, kLocationLocal);
}

TEST(ConfigResponse, RulesIdAndGroups) {
  auto config = parse_ok(with_response(
      "<command>firewall-drop</command><location>local</location>"
      "<rules_id> 5712 ,5720,</rules_id><rules_group>^Syslog,|SSHD,|attack,$</rules_group>"));
  const ActiveResponse& r = config.responses.at(0);
  EXPECT_THAT(r.rules_id, ElementsAre(5712, 5720));
  ASSERT_EQ(r.rules_group.size(), 3u);
  EXPECT_EQ(r.rules_group[0].text, "syslog,");
  EXPECT_TRUE(r.rules_group[0].anchor_start);
  EXPECT_FALSE(r.rules_group[0].anchor_end);
  EXPECT_EQ(r.rules_group[1].text, "sshd,");
  EXPECT_TRUE(r.rules_group[2].anchor_end);
  EXPECT_FALSE(r.level);
}

TEST(ConfigResponse, GroupPatternMatches) {
  GroupPattern plain{"sshd,"};
  EXPECT_TRUE(plain.matches("syslog,sshd,authentication_failed,"));
  EXPECT_FALSE(plain.matches("syslog,web,"));
  GroupPattern start{"syslog,", true, false};
  EXPECT_TRUE(start.matches("syslog,sshd,"));
  EXPECT_FALSE(start.matches("web,syslog,"));
  GroupPattern end{"attack,", false, true};
  EXPECT_TRUE(end.matches("web,attack,"));
  EXPECT_FALSE(end.matches("attack,web,"));
  GroupPattern both{"sshd,", true, true};
  EXPECT_TRUE(both.matches("sshd,"));
  EXPECT_FALSE(both.matches("sshd,web,"));
}

TEST(ConfigResponse, TimeoutAndRepeatedOffenders) {
  auto config = parse_ok(
      with_response("<command>firewall-drop</command><location>local</location><level>5</level>"
                    "<timeout>60</timeout><repeated_offenders>1, 5,10,30,60</repeated_offenders>"));
  EXPECT_EQ(config.responses.at(0).timeout_sec, 60u);
  EXPECT_THAT(config.responses.at(0).repeated_offenders_min, ElementsAre(1, 5, 10, 30, 60));
}

TEST(ConfigResponse, TimeoutWithoutTimeoutAllowedWarns) {
  auto config = parse_ok(
      conf("<command><name>rn</name><executable>route-null</executable></command>\n"
           "<active-response><command>rn</command><location>local</location><level>5</level>\n"
           "<timeout>60</timeout></active-response>\n"));
  EXPECT_THAT(config.warnings,
              ElementsAre("t.conf:4: command \"rn\" (t.conf:2) has <timeout_allowed>no"
                          "</timeout_allowed>, so this <timeout> is ignored and its blocks are "
                          "permanent; set <timeout_allowed>yes</timeout_allowed> in the command "
                          "or remove <timeout>"));
  EXPECT_FALSE(config.responses.at(0).timeout_sec);
}

TEST(ConfigResponse, NeverFiresWarns) {
  auto config =
      parse_ok(with_response("<command>firewall-drop</command><location>local</location>"
                             "<timeout>5</timeout>"));
  EXPECT_THAT(config.warnings, ElementsAre("t.conf:3: <active-response> for \"firewall-drop\" "
                                           "never fires: set <level>, <rules_id> or "
                                           "<rules_group>"));
  EXPECT_EQ(config.responses.size(), 1u);
}

TEST(ConfigResponse, RepeatedOffendersWithoutTimeoutWarns) {
  auto config =
      parse_ok(with_response("<command>firewall-drop</command><location>local</location>"
                             "<level>3</level><repeated_offenders>5</repeated_offenders>"));
  EXPECT_THAT(config.warnings, ElementsAre("t.conf:3: <repeated_offenders> has no effect without "
                                           "<timeout>; add a <timeout>"));
}

TEST(ConfigResponse, Errors) {
  const std::string cmd = "<command>firewall-drop</command><location>local</location>";
  struct Case {
    std::string inner;
    std::string message;
  } cases[] = {
      {"<location>local</location><level>1</level>",
       "t.conf:3: <active-response> has no <command>; add <command>NAME</command> naming one of "
       "the <command> blocks, or <disabled>yes</disabled>"},
      {"<command>drop</command><location>local</location><level>1</level>",
       "t.conf:3: <command> \"drop\" does not name any <command> block (defined: firewall-drop); "
       "define it with <name>drop</name> or fix the name"},
      {"<disabled>maybe</disabled>", "t.conf:3: <disabled> must be yes or no, not \"maybe\""},
      {cmd + "<level>high</level>",
       "t.conf:3: <level> must be a number from 0 to 20, not \"high\""},
      {cmd + "<level>21</level>", "t.conf:3: <level> must be a number from 0 to 20, not \"21\""},
      {cmd + "<level>-1</level>", "t.conf:3: <level> must be a number from 0 to 20, not \"-1\""},
      {"<command>firewall-drop</command><location>everywhere</location><level>1</level>",
       "t.conf:3: <location> has unknown value \"everywhere\"; use local, server, defined-agent "
       "or all (several may be combined: \"local,server\")"},
      {"<command>firewall-drop</command><location> </location><level>1</level>",
       "t.conf:3: <location> is empty; use local, server, defined-agent or all"},
      {"<command>firewall-drop</command><location>defined-agent</location><level>1</level>",
       "t.conf:3: <location> defined-agent needs <agent_id>; add <agent_id>001</agent_id> with "
       "the agent's ID"},
      {cmd + "<agent_id>web01</agent_id><level>1</level>",
       "t.conf:3: <agent_id> must be an agent's numeric ID such as 001, not \"web01\""},
      {cmd + "<rules_id>5712,abc</rules_id>",
       "t.conf:3: <rules_id> must be rule numbers separated by commas, such as \"5710, 5712\", "
       "not \"5712,abc\""},
      {cmd + "<rules_id></rules_id>",
       "t.conf:3: <rules_id> must be rule numbers separated by commas, such as \"5710, 5712\", "
       "not \"\""},
      {cmd + "<rules_group>sshd,||web,</rules_group>",
       "t.conf:3: <rules_group> \"sshd,||web,\" has an empty alternative, which would match "
       "every alert; write groups separated by '|', such as \"sshd,|authentication_failed,\""},
      {cmd + "<level>1</level><timeout>10m</timeout>",
       "t.conf:3: <timeout> must be a number of seconds from 1 to 4294967295, not \"10m\""},
      {cmd + "<level>1</level><timeout>0</timeout>",
       "t.conf:3: <timeout> must be a number of seconds from 1 to 4294967295, not \"0\""},
      {cmd + "<level>1</level><timeout>1</timeout><repeated_offenders>1,2,3,4,5,6"
             "</repeated_offenders>",
       "t.conf:3: <repeated_offenders> must be 1 to 5 timeouts in minutes, each above 0, "
       "separated by commas, such as \"30,60,120\", not \"1,2,3,4,5,6\""},
      {cmd + "<level>1</level><timeout>1</timeout><repeated_offenders>30,0</repeated_offenders>",
       "t.conf:3: <repeated_offenders> must be 1 to 5 timeouts in minutes, each above 0, "
       "separated by commas, such as \"30,60,120\", not \"30,0\""},
      {cmd + "<level>1</level><timeout>1</timeout><repeated_offenders>1h</repeated_offenders>",
       "t.conf:3: <repeated_offenders> must be 1 to 5 timeouts in minutes, each above 0, "
       "separated by commas, such as \"30,60,120\", not \"1h\""},
      {cmd + "<level>1</level><frequency>5</frequency>",
       "t.conf:3: <frequency> is not an option of <active-response>; remove it or use one of: "
       "disabled, command, location, agent_id, level, rules_id, rules_group, timeout, "
       "repeated_offenders"},
  };
  for (const Case& c : cases) EXPECT_EQ(parse_error(with_response(c.inner)), c.message) << c.inner;
}

TEST(ConfigResponse, AllErrorsAreCollected) {
  auto error =
      parse_error(conf("<command><name>a</name></command>\n"
                       "<active-response><command>b</command><level>x</level></active-response>\n"
                       "<global><white_list>10.0.0.300</white_list></global>\n"));
  std::vector<std::string> lines;
  std::istringstream in(error);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << error;
  EXPECT_THAT(lines[0], ::testing::StartsWith("t.conf:2: <command> \"a\" has no <executable>"));
  EXPECT_THAT(lines[1], ::testing::StartsWith("t.conf:3: <level> must be a number"));
  EXPECT_THAT(lines[2], ::testing::StartsWith("t.conf:4: <white_list> \"10.0.0.300\""));
  EXPECT_THAT(lines[3], ::testing::StartsWith("t.conf:3: <command> \"b\" does not name"));
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

// --- <rampart> ---

TEST(ConfigSettings, AllSettings) {
  auto config = parse_ok(conf(R"(<rampart>
  <socket>/run/a.sock</socket>
  <socket>/run/b.sock</socket>
  <state_directory>/srv/rampart</state_directory>
  <nftables><table>blocks_v2-x</table></nftables>
  <node><name>edge-1</name><agent_id>017</agent_id><server>no</server></node>
  <max_blocks>5000</max_blocks>
  <max_prefix><ipv4>24</ipv4><ipv6>64</ipv6></max_prefix>
  <allow_link_local>YES</allow_link_local>
  <journal>
    <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match><match>PRIORITY=4</match>
    <or/>
    <match>_SYSTEMD_UNIT=ossec.service</match>
  </journal>
  <exec_directory>/opt/ar/bin</exec_directory>
  <exec_timeout>10</exec_timeout>
  <exec_concurrency>2</exec_concurrency>
  <hosts_deny>/etc/hosts.deny.rampart</hosts_deny>
  <firewall_backend>firewalld</firewall_backend>
  <firewalld><zone>public</zone><mode>ipset</mode></firewalld>
  <repeated_offenders_reset>3600</repeated_offenders_reset>
</rampart>
)"));
  EXPECT_TRUE(config.warnings.empty());
  const Settings& s = config.settings;
  EXPECT_THAT(s.sockets, ElementsAre("/run/a.sock", "/run/b.sock"));
  EXPECT_EQ(s.state_directory, "/srv/rampart");
  EXPECT_EQ(s.nft_table, "blocks_v2-x");
  EXPECT_EQ(s.node_name, "edge-1");
  EXPECT_EQ(s.agent_id, "017");
  EXPECT_FALSE(s.server);
  EXPECT_EQ(s.max_blocks, 5000u);
  EXPECT_EQ(s.max_prefix4, 24);
  EXPECT_EQ(s.max_prefix6, 64);
  EXPECT_TRUE(s.allow_link_local);
  EXPECT_TRUE(s.journal.enabled);
  ASSERT_EQ(s.journal.groups.size(), 2u);
  EXPECT_THAT(s.journal.groups[0], ElementsAre("SYSLOG_IDENTIFIER=wazuh-analysisd", "PRIORITY=4"));
  EXPECT_THAT(s.journal.groups[1], ElementsAre("_SYSTEMD_UNIT=ossec.service"));
  EXPECT_EQ(s.exec_directory, "/opt/ar/bin");
  EXPECT_EQ(s.exec_timeout_sec, 10u);
  EXPECT_EQ(s.exec_concurrency, 2u);
  EXPECT_EQ(s.hosts_deny, "/etc/hosts.deny.rampart");
  EXPECT_EQ(s.firewall_backend, FirewallBackend::Firewalld);
  EXPECT_EQ(s.firewalld_zone, "public");
  EXPECT_EQ(s.firewalld_mode, FirewalldMode::Ipset);
  EXPECT_EQ(s.repeated_offenders_reset_sec, 3600u);
}

TEST(ConfigSettings, Errors) {
  struct Case {
    std::string inner;
    std::string message;
  } cases[] = {
      {"<sockets>/run/x</sockets>",
       "t.conf:2: <sockets> is not an option of <rampart>; remove it or use one of: socket, "
       "state_directory, nftables, node, max_blocks, max_prefix, allow_link_local, journal, "
       "exec_directory, exec_timeout, exec_concurrency, hosts_deny, firewall_backend, "
       "firewalld, repeated_offenders_reset, metrics"},
      {"<socket>run/x.sock</socket>",
       "t.conf:2: <socket> must be an absolute path starting with '/', not \"run/x.sock\""},
      {"<state_directory></state_directory>",
       "t.conf:2: <state_directory> must be an absolute path starting with '/', not \"\""},
      {"<exec_directory>bin</exec_directory>",
       "t.conf:2: <exec_directory> must be an absolute path starting with '/', not \"bin\""},
      {"<hosts_deny>hosts.deny</hosts_deny>",
       "t.conf:2: <hosts_deny> must be an absolute path starting with '/', not \"hosts.deny\""},
      {"<nftables><table>my table</table></nftables>",
       "t.conf:2: <table> \"my table\" is not a usable nftables table name; use 1 to 32 "
       "letters, digits, '_' or '-'"},
      {"<nftables><table>" + std::string(33, 'a') + "</table></nftables>",
       "t.conf:2: <table> \"" + std::string(33, 'a') +
           "\" is not a usable nftables table name; use 1 to 32 letters, digits, '_' or '-'"},
      {"<nftables><family>inet</family></nftables>",
       "t.conf:2: <family> is not an option of <nftables>; remove it or use one of: table"},
      {"<node><agent_id>abc</agent_id></node>",
       "t.conf:2: <agent_id> must be this node's numeric agent ID such as 000, not \"abc\""},
      {"<node><server>maybe</server></node>",
       "t.conf:2: <server> must be yes or no, not \"maybe\""},
      {"<node><ip>1.2.3.4</ip></node>",
       "t.conf:2: <ip> is not an option of <node>; remove it or use one of: name, agent_id, "
       "server"},
      {"<max_blocks>0</max_blocks>",
       "t.conf:2: <max_blocks> must be a number from 1 to 4294967295, not \"0\""},
      {"<max_prefix><ipv4>0</ipv4></max_prefix>",
       "t.conf:2: <ipv4> must be a number from 1 to 32, not \"0\""},
      {"<max_prefix><ipv6>129</ipv6></max_prefix>",
       "t.conf:2: <ipv6> must be a number from 1 to 128, not \"129\""},
      {"<max_prefix><v4>8</v4></max_prefix>",
       "t.conf:2: <v4> is not an option of <max_prefix>; remove it or use one of: ipv4, ipv6"},
      {"<allow_link_local>1</allow_link_local>",
       "t.conf:2: <allow_link_local> must be yes or no, not \"1\""},
      {"<exec_timeout>0</exec_timeout>",
       "t.conf:2: <exec_timeout> must be a number of seconds from 1 to 86400, not \"0\""},
      {"<exec_concurrency>many</exec_concurrency>",
       "t.conf:2: <exec_concurrency> must be a number from 1 to 1024, not \"many\""},
      {"<firewall_backend>iptables</firewall_backend>",
       "t.conf:2: <firewall_backend> must be nftables, firewalld or auto, not \"iptables\""},
      {"<firewalld><mode>direct</mode></firewalld>",
       "t.conf:2: <mode> must be rich-rule or ipset, not \"direct\""},
      {"<firewalld><zone>my zone</zone></firewalld>",
       "t.conf:2: <zone> \"my zone\" must be a firewalld zone name without spaces"},
      {"<firewalld><policy>x</policy></firewalld>",
       "t.conf:2: <policy> is not an option of <firewalld>; remove it or use one of: zone, mode"},
      {"<repeated_offenders_reset>1d</repeated_offenders_reset>",
       "t.conf:2: <repeated_offenders_reset> must be a number of seconds from 1 to 4294967295, "
       "not \"1d\""},
      {"<metrics><textfile>rampart.prom</textfile></metrics>",
       "t.conf:2: <textfile> must be an absolute path starting with '/', not \"rampart.prom\""},
      {"<metrics><interval>0</interval></metrics>",
       "t.conf:2: <interval> must be a number of seconds from 1 to 3600, not \"0\""},
      {"<metrics><port>9818</port></metrics>",
       "t.conf:2: <port> is not an option of <metrics>; remove it or use one of: textfile, "
       "interval"},
      {"<journal/>",
       "t.conf:2: <journal> has no <match>; add <match>FIELD=value</match> so rampart reads "
       "only the alerts, such as <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match>"},
      {"<journal><match>A=1</match><or/></journal>",
       "t.conf:2: <journal> ends with <or/>; remove it or add <match> after it"},
      {"<journal><or/><match>A=1</match></journal>",
       "t.conf:2: <or/> must stand between two groups of <match>; remove this one"},
      {"<journal><filter>A=1</filter></journal>",
       "t.conf:2: <filter> is not an option of <journal>; remove it or use one of: match, or"},
  };
  for (const Case& c : cases)
    EXPECT_EQ(parse_error(conf("<rampart>" + c.inner + "</rampart>\n")), c.message) << c.inner;
  for (std::string_view bad : {"syslog_identifier=x", "1FIELD=x", "NOEQUALS", "=x", "A-B=1"})
    EXPECT_THAT(
        parse_error(conf(fmt::format("<rampart><journal><match>{}</match></journal>"
                                     "</rampart>\n",
                                     bad))),
        ::testing::StartsWith(fmt::format("t.conf:2: <match> \"{}\" must be FIELD=value", bad)));
}

TEST(ConfigSettings, MetricsTextfileAndWhatTheUnitNeedsForIt) {
  Config config = parse_ok(
      conf("<rampart><metrics><textfile>/var/lib/prometheus/node-exporter/rampart.prom</textfile>"
           "<interval>30</interval></metrics></rampart>\n"));
  EXPECT_EQ(config.settings.metrics_textfile, "/var/lib/prometheus/node-exporter/rampart.prom");
  EXPECT_EQ(config.settings.metrics_interval_sec, 30u);
  EXPECT_THAT(describe(config),
              ::testing::HasSubstr("metrics textfile: /var/lib/prometheus/node-exporter/"
                                   "rampart.prom, rewritten every 30s\n"));
  EXPECT_THAT(describe(config), ::testing::Not(::testing::HasSubstr("ReadWritePaths")));

  config =
      parse_ok(conf("<rampart><metrics><textfile>/srv/metrics/rampart.txt</textfile>"
                    "</metrics></rampart>\n"));
  EXPECT_EQ(config.settings.metrics_interval_sec, 15u);
  EXPECT_THAT(config.warnings,
              ::testing::ElementsAre("t.conf:2: <textfile> /srv/metrics/rampart.txt does not end "
                                     "in .prom: node_exporter's textfile collector reads only "
                                     "*.prom files"));
  EXPECT_THAT(describe(config),
              ::testing::HasSubstr("add ReadWritePaths=/srv/metrics with 'systemctl edit "
                                   "rampart', then restart it"));
  EXPECT_THAT(describe(parse_ok(conf(""))), ::testing::HasSubstr("no textfile"));
}

TEST(ConfigSettings, SocketsReplaceTheDefaultOnlyWhenGiven) {
  EXPECT_THAT(parse_ok(conf("<rampart><max_blocks>9</max_blocks></rampart>\n")).settings.sockets,
              ElementsAre("/run/rampart/alerts.sock"));
  auto config =
      parse_ok(conf("<rampart><socket>/run/a</socket></rampart>\n"
                    "<rampart><socket>/run/b</socket></rampart>\n"));
  EXPECT_THAT(config.settings.sockets, ElementsAre("/run/a", "/run/b"));
}

// --- load_config: files and conf.d ---

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-config-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const fs::path& relative, std::string_view text) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << text;
  }
  std::string path(std::string_view relative) const { return (dir_ / relative).string(); }

  fs::path dir_;
};

TEST_F(ConfigFiles, MissingMainFileIsEnoent) {
  auto config = load_config(path("nope.conf"));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, ENOENT);
  EXPECT_THAT(config.error().message, HasSubstr("nope.conf"));
}

TEST_F(ConfigFiles, UnreadableMainFileReportsErrno) {
  fs::create_directories(dir_ / "dir.conf");
  auto config = load_config(path("dir.conf"));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, EISDIR);
  EXPECT_THAT(config.error().message, HasSubstr("dir.conf: cannot read"));
}

TEST_F(ConfigFiles, ConfDMergesInLexicalOrder) {
  write("rampart.conf",
        conf("<active-response><command>late</command><location>local</location>"
             "<level>7</level></active-response>\n"
             "<rampart><max_blocks>10</max_blocks><socket>/run/main</socket></rampart>\n"
             "<global><white_list>192.0.2.1</white_list></global>\n"));
  write("conf.d/20-second.conf",
        conf("<rampart><max_blocks>30</max_blocks></rampart>\n"
             "<command><name>late</name><executable>host-deny</executable></command>\n"));
  write("conf.d/10-first.conf",
        conf("<rampart><max_blocks>20</max_blocks><exec_timeout>5</exec_timeout>"
             "<socket>/run/first</socket></rampart>\n"
             "<global><white_list>192.0.2.2</white_list></global>\n"));
  write("conf.d/.hidden.conf", "<broken");
  write("conf.d/notes.txt", "<broken");
  write("conf.d/30-first.conf.d/x.conf", "<broken");
  auto config = load_config(path("rampart.conf"));
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_THAT(config->files, ElementsAre(path("rampart.conf"), path("conf.d/10-first.conf"),
                                         path("conf.d/20-second.conf")));
  EXPECT_EQ(config->settings.max_blocks, 30u);       // the last file wins
  EXPECT_EQ(config->settings.exec_timeout_sec, 5u);  // set once, kept
  EXPECT_THAT(config->settings.sockets, ElementsAre("/run/first"));
  ASSERT_EQ(config->responses.size(), 1u);
  const Command& command = config->commands[config->responses[0].command];
  EXPECT_EQ(command.file, path("conf.d/20-second.conf"));
  EXPECT_EQ(config->responses[0].file, path("rampart.conf"));
  EXPECT_TRUE(config->allowlist.match(addr("192.0.2.1")));
  EXPECT_TRUE(config->allowlist.match(addr("192.0.2.2")));
}

TEST_F(ConfigFiles, ErrorsNameTheirFile) {
  write("rampart.conf", conf(kFirewallDrop));
  write("conf.d/a.conf", conf(std::string("\n") + std::string(kFirewallDrop)));
  write("conf.d/b.conf", conf("<active-response><command>nope</command><level>1</level>"
                              "<location>local</location></active-response>\n"));
  auto config = load_config(path("rampart.conf"));
  ASSERT_FALSE(config);
  EXPECT_EQ(config.error().code, EINVAL);
  EXPECT_EQ(config.error().message,
            fmt::format("{}:3: command \"firewall-drop\" is already defined at {}:2; rename one "
                        "of them or remove one\n"
                        "{}:2: <command> \"nope\" does not name any <command> block (defined: "
                        "firewall-drop); define it with <name>nope</name> or fix the name",
                        path("conf.d/a.conf"), path("rampart.conf"), path("conf.d/b.conf")));
}

TEST_F(ConfigFiles, WarningsNameTheirFile) {
  write("rampart.conf", conf(kFirewallDrop));
  write("conf.d/a.conf", conf("<active-response><command>firewall-drop</command>"
                              "<location>local</location></active-response>\n"));
  auto config = load_config(path("rampart.conf"));
  ASSERT_TRUE(config) << config.error().message;
  ASSERT_EQ(config->warnings.size(), 1u);
  EXPECT_THAT(config->warnings[0], ::testing::StartsWith(path("conf.d/a.conf") + ":2: "));
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
