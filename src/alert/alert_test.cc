#include "alert/alert.h"
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rampart {
namespace {

// The sshd brute-force alert as Wazuh 4.x writes it to alerts.json, the hot path.
constexpr std::string_view kWazuhSshd =
    R"({"timestamp":"2024-01-15T10:23:45.123+0000","rule":{"level":10,"description":"sshd: brute force trying to get access to the system. Non existent user.","id":"5712","mitre":{"id":["T1110"],"tactic":["Credential Access"],"technique":["Brute Force"]},"frequency":8,"firedtimes":1,"mail":false,"groups":["syslog","sshd","authentication_failures"],"gdpr":["IV_35.7.d","IV_32.2"],"pci_dss":["11.4","10.2.4","10.2.5"]},"agent":{"id":"001","name":"web01","ip":"192.168.1.10"},"manager":{"name":"wazuh-manager"},"id":"1705314225.1234567","full_log":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user oracle from 203.0.113.9 port 51238","predecoder":{"program_name":"sshd","timestamp":"Jan 15 10:23:45","hostname":"web01"},"decoder":{"parent":"sshd","name":"sshd"},"data":{"srcip":"203.0.113.9","srcport":"51238","srcuser":"oracle"},"location":"/var/log/secure"})";

constexpr std::string_view kOssecSshd =
    R"({"rule":{"level":10,"comment":"SSHD brute force trying to get access to the system.","sidid":5712,"frequency":6,"firedtimes":1,"group":"syslog,sshd,authentication_failures,"},"id":"1705314225.12345","TimeStamp":1705314225000,"decoder":"sshd","srcip":"203.0.113.9","srcuser":"admin","location":"(web01) 192.168.1.10->/var/log/secure","full_log":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238","program_name":"sshd"})";

constexpr std::string_view kSyslogDefault =
    "<132>Jan 15 10:23:45 manager ossec: Alert Level: 10; Rule: 5712 - SSHD brute force trying "
    "to get access to the system.; Location: (web01) 192.168.1.10->/var/log/secure; "
    "classification:  syslog,sshd,authentication_failures,; srcip: 203.0.113.9; user: admin; "
    "Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238 ssh2";

constexpr std::string_view kSyslogSplunk =
    R"(<132>Jan 15 10:23:45 manager ossec: crit=10 id=5712 description="SSHD brute force trying to get access to the system." component="(web01) 192.168.1.10->/var/log/secure", classification=" syslog,sshd,authentication_failures,", src_ip="203.0.113.9", acct="admin", message="Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9 port 51238 ssh2")";

constexpr std::string_view kCsyslogJson =
    R"(<132>Jun 19 11:56:43 ub20 ossec: {"crit":10,"id":5712,"component":"(web01) 192.168.1.10->/var/log/secure","classification":" syslog,sshd,authentication_failures,","description":"SSHD brute force trying to get access to the system.","message":"Jan 15 10:23:45 web01 sshd[2347]: Invalid user admin from 203.0.113.9","acct":"admin","src_ip":"203.0.113.9"})";

class AlertTest : public ::testing::Test {
 protected:
  Alert parse_ok(std::string_view line) {
    Alert a;
    auto r = parser_.parse(line, a);
    EXPECT_TRUE(r) << (r ? "" : r.error().message) << "\n  line: " << line;
    return a;
  }
  std::string parse_error(std::string_view line) {
    Alert a;
    a.description = "stale";
    auto r = parser_.parse(line, a);
    EXPECT_FALSE(r) << "parsed as an alert: " << line.substr(0, 200);
    EXPECT_TRUE(a.description.empty()) << "a failed parse must leave the alert cleared";
    return r ? std::string{} : r.error().message;
  }

  // Every line is refused with a reason, and the parser stays usable after each.
  void expect_junk(const std::vector<std::string>& junk) {
    for (const auto& line : junk) {
      Alert a;
      auto r = parser_.parse(line, a);
      EXPECT_FALSE(r) << "parsed junk (" << line.size() << " bytes): " << line.substr(0, 120);
      if (!r) {
        EXPECT_FALSE(r.error().message.empty());
      }
    }
    EXPECT_EQ(parse_ok(kWazuhSshd).rule_id, 5712u);
  }

  AlertParser parser_;
};

Address addr(std::string_view text) {
  return *Address::parse_host(text);
}

TEST_F(AlertTest, WazuhSshdBruteForce) {
  Alert a = parse_ok(kWazuhSshd);
  EXPECT_EQ(a.format, AlertFormat::WazuhJson);
  EXPECT_EQ(a.rule_id, 5712u);
  EXPECT_EQ(a.level, 10);
  EXPECT_EQ(a.groups, "syslog,sshd,authentication_failures,");
  EXPECT_EQ(a.srcip, "203.0.113.9");
  EXPECT_EQ(a.address, addr("203.0.113.9"));
  EXPECT_EQ(a.user, "oracle");
  EXPECT_EQ(a.agent_id, "001");
  EXPECT_EQ(a.agent_name, "web01");
  EXPECT_EQ(a.id, "1705314225.1234567");
  EXPECT_EQ(a.location, "/var/log/secure");
  EXPECT_EQ(a.timestamp, "2024-01-15T10:23:45.123+0000");
  EXPECT_EQ(a.description,
            "sshd: brute force trying to get access to the system. Non existent user.");
  EXPECT_EQ(a.filename, "");
}

TEST_F(AlertTest, WazuhNumericRuleIdIpv6AndDstuser) {
  Alert a = parse_ok(
      R"({"rule":{"level":10,"id":5763,"groups":["syslog","sshd"]},"agent":{"id":"002","name":"db01"},"data":{"srcip":"2001:db8:dead:beef::9","dstuser":"root"},"location":"/var/log/auth.log"})");
  EXPECT_EQ(a.format, AlertFormat::WazuhJson);
  EXPECT_EQ(a.rule_id, 5763u);
  EXPECT_EQ(a.srcip, "2001:db8:dead:beef::9");
  ASSERT_TRUE(a.address);
  EXPECT_FALSE(a.address->is_v4());
  EXPECT_EQ(a.address, addr("2001:db8:dead:beef::9"));
  EXPECT_EQ(a.user, "root");
}

TEST_F(AlertTest, SrcuserWinsOverDstuser) {
  Alert a =
      parse_ok(R"({"rule":{"level":3,"id":"1"},"data":{"dstuser":"root","srcuser":"alice"}})");
  EXPECT_EQ(a.user, "alice");
}

TEST_F(AlertTest, MappedIpv4IsUnmapped) {
  Alert a = parse_ok(
      R"({"rule":{"level":6,"id":"31101","groups":["web"]},"data":{"srcip":"::ffff:198.51.100.7"}})");
  EXPECT_EQ(a.srcip, "::ffff:198.51.100.7");
  ASSERT_TRUE(a.address);
  EXPECT_TRUE(a.address->is_v4());
  EXPECT_EQ(a.address, addr("198.51.100.7"));
}

TEST_F(AlertTest, MissingAndInvalidSrcip) {
  Alert a = parse_ok(R"({"rule":{"level":7,"id":"550"},"syscheck":{"path":"/etc/passwd"}})");
  EXPECT_EQ(a.srcip, "");
  EXPECT_FALSE(a.address);
  EXPECT_EQ(a.filename, "/etc/passwd");

  for (auto bad :
       {"-", "unknown", "203.0.113.300", "10.0.0.0/8", "203.0.113.9:22", "fe80::1%eth0"}) {
    std::string line =
        R"({"rule":{"level":7,"id":"5712"},"data":{"srcip":")" + std::string(bad) + R"("}})";
    Alert b = parse_ok(line);
    EXPECT_EQ(b.srcip, bad);
    EXPECT_FALSE(b.address) << bad;
  }
}

TEST_F(AlertTest, MissingOptionalFields) {
  Alert a = parse_ok(R"({"rule":{"level":0}})");
  EXPECT_EQ(a.format, AlertFormat::WazuhJson);
  EXPECT_FALSE(a.rule_id);
  EXPECT_EQ(a.level, 0);
  EXPECT_EQ(a.groups, "");
  EXPECT_EQ(a.agent_id, "");
  EXPECT_EQ(a.description, "");
}

TEST_F(AlertTest, OssecJson) {
  Alert a = parse_ok(kOssecSshd);
  EXPECT_EQ(a.format, AlertFormat::OssecJson);
  EXPECT_EQ(a.rule_id, 5712u);
  EXPECT_EQ(a.level, 10);
  EXPECT_EQ(a.groups, "syslog,sshd,authentication_failures,");
  EXPECT_EQ(a.description, "SSHD brute force trying to get access to the system.");
  EXPECT_EQ(a.srcip, "203.0.113.9");
  EXPECT_EQ(a.address, addr("203.0.113.9"));
  EXPECT_EQ(a.user, "admin");
  EXPECT_EQ(a.agent_id, "");
  EXPECT_EQ(a.agent_name, "web01");
  EXPECT_EQ(a.id, "1705314225.12345");
  EXPECT_EQ(a.location, "(web01) 192.168.1.10->/var/log/secure");
  EXPECT_EQ(a.timestamp, "2024-01-15T10:23:45.000+0000");
}

TEST_F(AlertTest, OssecJsonHostnameFileAndDstuser) {
  Alert a = parse_ok(
      R"({"rule":{"level":7,"comment":"Integrity checksum changed.","sidid":550,"group":"ossec, syscheck"},"hostname":"db01","dstuser":"bob","file":"/etc/shadow","location":"db01->syscheck"})");
  EXPECT_EQ(a.format, AlertFormat::OssecJson);
  EXPECT_EQ(a.groups, "ossec,syscheck,");
  EXPECT_EQ(a.agent_name, "db01");
  EXPECT_EQ(a.user, "bob");
  EXPECT_EQ(a.filename, "/etc/shadow");
}

TEST_F(AlertTest, SyslogDefault) {
  Alert a = parse_ok(kSyslogDefault);
  EXPECT_EQ(a.format, AlertFormat::SyslogDefault);
  EXPECT_EQ(a.level, 10);
  EXPECT_EQ(a.rule_id, 5712u);
  EXPECT_EQ(a.description, "SSHD brute force trying to get access to the system.");
  EXPECT_EQ(a.location, "(web01) 192.168.1.10->/var/log/secure");
  EXPECT_EQ(a.agent_name, "web01");
  EXPECT_EQ(a.agent_id, "");
  EXPECT_EQ(a.groups, "syslog,sshd,authentication_failures,");
  EXPECT_EQ(a.srcip, "203.0.113.9");
  EXPECT_EQ(a.address, addr("203.0.113.9"));
  EXPECT_EQ(a.user, "admin");
  EXPECT_EQ(a.timestamp, "Jan 15 10:23:45");
}

TEST_F(AlertTest, SyslogDefaultDescriptionWithSemicolons) {
  Alert a = parse_ok(
      "ossec: Alert Level: 12; Rule: 100100 - Custom: a; b; c.; Location: (fw) "
      "10.0.0.1->/var/log/x; "
      "srcip: 198.51.100.1; log text");
  EXPECT_EQ(a.description, "Custom: a; b; c.");
  EXPECT_EQ(a.srcip, "198.51.100.1");
  EXPECT_EQ(a.agent_name, "fw");
}

TEST_F(AlertTest, SyslogDefaultIgnoresFieldsInTheLog) {
  // The log line comes last and is written by whoever can log: it must not supply srcip.
  Alert a = parse_ok(
      "ossec: Alert Level: 5; Rule: 5710 - Attempt to login using a non-existent user; Location: "
      "(web01) 192.168.1.10->/var/log/secure; user: x; srcip: 192.0.2.1; Jan 15 sshd: ...");
  EXPECT_EQ(a.user, "x");
  EXPECT_EQ(a.srcip, "");
  EXPECT_FALSE(a.address);
}

TEST_F(AlertTest, SyslogPrefixes) {
  const std::string body =
      "Alert Level: 10; Rule: 5712 - SSHD brute force.; Location: (a1) 10.0.0.2->/var/log/secure; "
      "srcip: 203.0.113.9;";
  struct Case {
    std::string prefix;
    std::string timestamp;
  } cases[] = {
      {"", ""},
      {"<132>", ""},
      {"Nov 27 20:58:22 manager ", "Nov 27 20:58:22"},
      {"<132>Nov  7 20:58:22 manager ", "Nov  7 20:58:22"},
      {"2024-11-27T20:58:22.123456+01:00 manager ", "2024-11-27T20:58:22.123456+01:00"},
      {"<134>1 2024-11-27T20:58:22Z manager ", "2024-11-27T20:58:22Z"},
      {"Nov 27 20:58:22 manager rsyslogd[812]: ", "Nov 27 20:58:22"},
      {"manager ", ""},
  };
  for (const auto& c : cases) {
    for (std::string marker : {"ossec: ", "wazuh: "}) {
      Alert a = parse_ok(c.prefix + marker + body);
      EXPECT_EQ(a.format, AlertFormat::SyslogDefault) << c.prefix;
      EXPECT_EQ(a.timestamp, c.timestamp) << c.prefix;
      EXPECT_EQ(a.rule_id, 5712u) << c.prefix;
      EXPECT_EQ(a.address, addr("203.0.113.9")) << c.prefix;
    }
  }
}

TEST_F(AlertTest, MarkerInsideAnotherProgramsMessageIsNotAnAlert) {
  EXPECT_NE(parse_error("Nov 27 20:58:22 host sshd[1]: Invalid user ossec: Alert Level: 15; Rule: "
                        "1 - x; Location: y; srcip: 192.0.2.1;")
                .find("not an alert"),
            std::string::npos);
}

TEST_F(AlertTest, SyslogSplunk) {
  Alert a = parse_ok(kSyslogSplunk);
  EXPECT_EQ(a.format, AlertFormat::SyslogSplunk);
  EXPECT_EQ(a.level, 10);
  EXPECT_EQ(a.rule_id, 5712u);
  EXPECT_EQ(a.description, "SSHD brute force trying to get access to the system.");
  EXPECT_EQ(a.location, "(web01) 192.168.1.10->/var/log/secure");
  EXPECT_EQ(a.agent_name, "web01");
  EXPECT_EQ(a.groups, "syslog,sshd,authentication_failures,");
  EXPECT_EQ(a.srcip, "203.0.113.9");
  EXPECT_EQ(a.address, addr("203.0.113.9"));
  EXPECT_EQ(a.user, "admin");
  EXPECT_EQ(a.timestamp, "Jan 15 10:23:45");
}

TEST_F(AlertTest, SyslogSplunkWithoutCommasUnquotedAndQuotesInside) {
  Alert a = parse_ok(
      R"(wazuh: crit=10 id=5712 description="Say "hi" to x=1" component="(agent1) 192.168.1.10->/var/log/secure" classification=" syslog,sshd," src_ip=2001:db8::1 user="root")");
  EXPECT_EQ(a.description, R"(Say "hi" to x=1)");
  EXPECT_EQ(a.agent_name, "agent1");
  EXPECT_EQ(a.address, addr("2001:db8::1"));
  EXPECT_EQ(a.user, "root");
}

TEST_F(AlertTest, SyslogSplunkIgnoresKeysInTheMessage) {
  Alert a = parse_ok(
      R"(ossec: crit=5 id=5710 description="x" component="c", acct="a\" src_ip=\"192.0.2.1", message="Invalid user " src_ip="192.0.2.66")");
  EXPECT_EQ(a.srcip, "");
  EXPECT_FALSE(a.address);
}

TEST_F(AlertTest, SyslogJsonWazuh) {
  Alert a = parse_ok("<132>Jan 15 10:23:45 manager ossec: " + std::string(kWazuhSshd));
  EXPECT_EQ(a.format, AlertFormat::SyslogJson);
  EXPECT_EQ(a.rule_id, 5712u);
  EXPECT_EQ(a.agent_id, "001");
  EXPECT_EQ(a.address, addr("203.0.113.9"));
  // The alert's own timestamp beats the syslog header's.
  EXPECT_EQ(a.timestamp, "2024-01-15T10:23:45.123+0000");
}

TEST_F(AlertTest, SyslogJsonOssecCsyslogd) {
  Alert a = parse_ok(kCsyslogJson);
  EXPECT_EQ(a.format, AlertFormat::SyslogJson);
  EXPECT_EQ(a.level, 10);
  EXPECT_EQ(a.rule_id, 5712u);
  EXPECT_EQ(a.groups, "syslog,sshd,authentication_failures,");
  EXPECT_EQ(a.description, "SSHD brute force trying to get access to the system.");
  EXPECT_EQ(a.location, "(web01) 192.168.1.10->/var/log/secure");
  EXPECT_EQ(a.agent_name, "web01");
  EXPECT_EQ(a.srcip, "203.0.113.9");
  EXPECT_EQ(a.user, "admin");
  EXPECT_EQ(a.timestamp, "Jun 19 11:56:43");
}

TEST_F(AlertTest, TrailingNewlinesAndCarriageReturnsAreTolerated) {
  Alert a = parse_ok(std::string(kWazuhSshd) + "\r\n");
  EXPECT_EQ(a.rule_id, 5712u);
  a = parse_ok(std::string(kSyslogDefault) + "\n");
  EXPECT_EQ(a.user, "admin");
}

TEST_F(AlertTest, JsonEscapesInDescription) {
  Alert a = parse_ok(
      R"({"rule":{"level":5,"id":"1","description":"quote \" backslash \\ tab \t nl \n uni \u00e9 \ud83d\ude00"}})");
  EXPECT_EQ(a.description, "quote \" backslash \\ tab \t nl \n uni \xc3\xa9 \xf0\x9f\x98\x80");
}

TEST_F(AlertTest, RoundTripThroughWazuhJson) {
  for (auto line : {kWazuhSshd, kOssecSshd, kSyslogDefault, kSyslogSplunk, kCsyslogJson}) {
    Alert a = parse_ok(line);
    a.description += " \"quoted\" \\ \t\n\x01 caf\xc3\xa9";
    std::string json = a.to_wazuh_json();
    Alert b = parse_ok(json);
    EXPECT_EQ(b.format, AlertFormat::WazuhJson);
    EXPECT_EQ(b.rule_id, a.rule_id);
    EXPECT_EQ(b.level, a.level);
    EXPECT_EQ(b.groups, a.groups);
    EXPECT_EQ(b.srcip, a.srcip);
    EXPECT_EQ(b.address, a.address);
    EXPECT_EQ(b.user, a.user);
    EXPECT_EQ(b.agent_id, a.agent_id);
    EXPECT_EQ(b.agent_name, a.agent_name);
    EXPECT_EQ(b.id, a.id);
    EXPECT_EQ(b.location, a.location);
    EXPECT_EQ(b.timestamp, a.timestamp);
    EXPECT_EQ(b.description, a.description);
    EXPECT_EQ(b.filename, a.filename);
  }
}

TEST_F(AlertTest, WazuhJsonShape) {
  Alert a = parse_ok(kWazuhSshd);
  EXPECT_EQ(
      a.to_wazuh_json(),
      R"({"timestamp":"2024-01-15T10:23:45.123+0000","rule":{"level":10,"description":"sshd: brute force trying to get access to the system. Non existent user.","id":"5712","groups":["syslog","sshd","authentication_failures"]},"agent":{"id":"001","name":"web01"},"id":"1705314225.1234567","location":"/var/log/secure","data":{"srcip":"203.0.113.9","srcuser":"oracle"}})");
}

TEST_F(AlertTest, ToWazuhJsonReplacesInvalidUtf8) {
  Alert a;
  a.level = 3;
  a.description = "bad \xff\xc3 end";
  EXPECT_EQ(a.to_wazuh_json(),
            R"({"rule":{"level":3,"description":"bad \ufffd\ufffd end","groups":[]}})");
}

TEST_F(AlertTest, ReusedAlertHasNoLeftovers) {
  Alert a;
  ASSERT_TRUE(parser_.parse(kWazuhSshd, a));
  ASSERT_TRUE(parser_.parse(R"({"rule":{"level":2}})", a));
  EXPECT_EQ(a.srcip, "");
  EXPECT_FALSE(a.address);
  EXPECT_FALSE(a.rule_id);
  EXPECT_EQ(a.groups, "");
  EXPECT_EQ(a.agent_name, "");
}

TEST_F(AlertTest, ErrorsSayWhy) {
  EXPECT_EQ(parse_error(""), "empty line");
  EXPECT_EQ(parse_error("\r\n"), "empty line");
  EXPECT_EQ(parse_error("   "), "empty line");
  EXPECT_EQ(parse_error("hello world"),
            "not an alert: no JSON object and no 'ossec:'/'wazuh:' marker");
  EXPECT_EQ(parse_error(R"({"rule":{"level":"high","id":"1"}})"), "rule.level is not a number");
  EXPECT_EQ(parse_error(R"({"rule":{"level":17,"id":"1"}})"), "rule.level 17 is not 0..16");
  EXPECT_EQ(parse_error(R"({"rule":{"level":-1,"id":"1"}})"), "rule.level -1 is not 0..16");
  EXPECT_EQ(parse_error(R"({"rule":{"level":5,"id":"abc"}})"), "rule.id is not a number");
  EXPECT_EQ(parse_error(R"({"rule":{"id":"5712"}})"), "rule.level is missing");
  EXPECT_EQ(parse_error(R"({"agent":{"id":"001"}})"), "not an alert: JSON object has no 'rule'");
  EXPECT_EQ(parse_error(R"([{"rule":{"level":5}}])"),
            "not an alert: a JSON array, expected an object");
  EXPECT_EQ(parse_error(R"({"rule":{"level":5},"data":{"srcip":12}})"),
            "data.srcip is not a string");
  EXPECT_EQ(parse_error(std::string(AlertParser::kMaxLine + 1, 'x')),
            "line longer than 65536 bytes");
  EXPECT_EQ(parse_error("ossec: hello"),
            "not an alert: 'ossec:' is followed by neither JSON, 'Alert Level:' nor 'crit='");
}

TEST_F(AlertTest, JunkNeverParses) {
  std::vector<std::string> junk = {
      std::string("\x00\x01\x02\xff\xfe", 5),
      std::string("{\"rule\":{\"level\":5\x00}}", 22),
      "\xff\xfe{}",
      "{",
      "}",
      "{}",
      "{} {}",
      R"({"rule":{"level":5}} trailing)",
      "{\"rule\":{\"level\":5,\"description\":\"\xff\"}}",
      "[]",
      "null",
      "12345",
      "\"a string\"",
      R"({"rule":5})",
      R"({"rule":{"level":5},"agent":"001"})",
      R"({"rule":{"level":5,"groups":"a,b"}})",
      R"({"rule":{"level":5,"groups":[1,2]}})",
      R"({"rule":{"level":5,"id":99999999999}})",
      R"({"rule":{"level":5.5}})",
      R"({"rule":{"level":1e3}})",
      "ossec:",
      "ossec: {",
      "ossec: {\"crit\":\"x\"}",
      "ossec: []",
      "ossec: Alert Level:",
      "ossec: Alert Level: ten; Rule: 1 - x; Location: y;",
      "ossec: Alert Level: 10; Rule: x - y; Location: z;",
      "ossec: Alert Level: 10; Rule: 5712 - no location",
      "ossec: Alert Level: 10 Rule: 5712 - x; Location: y;",
      "ossec: crit=",
      "ossec: crit=abc id=1",
      "ossec: crit=10 id=abc",
      "ossec: crit=99 id=1",
      "ossec: id=5712 description=\"x\"",
      "<132 ossec: Alert Level: 10; Rule: 1 - x; Location: y;",
      "<9999>Jan 15 10:23:45 host ossec: Alert Level: 10; Rule: 1 - x; Location: y;",
      "Jan 15 10:23:45 host a b c ossec: Alert Level: 10; Rule: 1 - x; Location: y;",
      "<132>Jan 15 10:23:45 host sshd[1]: message",
  };
  expect_junk(junk);
}

TEST_F(AlertTest, CutAndOversizedInputNeverParses) {
  std::string wazuh(kWazuhSshd);
  std::vector<std::string> junk;
  for (size_t cut :
       {size_t{1}, size_t{10}, size_t{100}, size_t{500}, wazuh.size() - 2, wazuh.size() - 1})
    junk.push_back(wazuh.substr(0, cut));
  for (size_t cut : {40, 80, 120}) junk.push_back(std::string(kSyslogDefault.substr(0, cut)));
  junk.push_back(std::string(100000, '{'));
  junk.push_back(std::string(AlertParser::kMaxLine - 10, '[') + "]");
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "{\"a\":";
  junk.push_back("{\"rule\":{\"level\":1}," + deep.substr(1));
  expect_junk(junk);
}

TEST_F(AlertTest, LineOfExactlyMaxLengthIsAccepted) {
  std::string line(kWazuhSshd);
  line.insert(1, R"("pad":")" + std::string(AlertParser::kMaxLine - line.size() - 9, 'p') + "\",");
  ASSERT_EQ(line.size(), AlertParser::kMaxLine);
  EXPECT_EQ(parse_ok(line + "\r\n").rule_id, 5712u);
}

TEST(AlertFormatTest, Names) {
  EXPECT_EQ(to_string(AlertFormat::WazuhJson), "wazuh-json");
  EXPECT_EQ(to_string(AlertFormat::OssecJson), "ossec-json");
  EXPECT_EQ(to_string(AlertFormat::SyslogDefault), "syslog-default");
  EXPECT_EQ(to_string(AlertFormat::SyslogJson), "syslog-json");
  EXPECT_EQ(to_string(AlertFormat::SyslogSplunk), "syslog-splunk");
  EXPECT_EQ(to_string(AlertFormat::Journal), "journal");
}

// Found by fuzz/alert_fuzz (UBSan): a TimeStamp outside time_t's range was converted with
// undefined behaviour. The alert is still parsed; the stamp is left out.
TEST_F(AlertTest, OutOfRangeTimeStampIsLeftOut) {
  for (std::string ts : {"1.7053142250000531e20", "-1e300", "1e308", "-5"}) {
    Alert a = parse_ok(R"({"rule":{"level":10,"sidid":5712},"srcip":"203.0.113.9","TimeStamp":)" +
                       ts + "}");
    EXPECT_EQ(a.timestamp, "") << ts;
    EXPECT_EQ(a.address, addr("203.0.113.9"));
  }
}

// OSSEC's millisecond TimeStamp in Wazuh's form, at the edges of the range it accepts.
TEST_F(AlertTest, TimeStampMillisecondsAreFormatted) {
  std::pair<std::string, std::string> cases[] = {
      {"0", "1970-01-01T00:00:00.000+0000"},
      {"951825599007.9", "2000-02-29T11:59:59.007+0000"},
      {"1705314225123", "2024-01-15T10:23:45.123+0000"},
      {"253402300799999", "9999-12-31T23:59:59.999+0000"},
  };
  for (const auto& [ts, want] : cases) {
    Alert a = parse_ok(R"({"rule":{"level":10,"sidid":5712},"srcip":"203.0.113.9","TimeStamp":)" +
                       ts + "}");
    EXPECT_EQ(a.timestamp, want) << ts;
  }
}

}  // namespace
}  // namespace rampart
