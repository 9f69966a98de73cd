// <command> and <active-response>: what they accept, and the errors and warnings that name
// file:line and the fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "config/config_testing.h"
namespace rampart {
namespace {

using namespace config_test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
       "executable, expect, timeout_allowed, extra_args, protocol, ports"},
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

}  // namespace
}  // namespace rampart
