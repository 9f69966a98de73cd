#include "exec/exec_protocol.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

Alert sshd_alert() {
  Alert a;
  a.rule_id = 5712;
  a.level = 10;
  a.groups = "syslog,sshd,";
  a.srcip = "203.0.113.9";
  a.address = Address::parse_host("203.0.113.9");
  a.user = "oracle";
  a.id = "1705314225.1234";
  a.location = "/var/log/secure";
  a.description = "sshd: brute force";
  return a;
}

Command command(ExecProtocol protocol) {
  Command c;
  c.name = "custom-block";
  c.executable = "custom-block.sh";
  c.protocol = protocol;
  c.extra_args = {"-v", "x\"y"};
  return c;
}

TEST(ExecProtocol, LegacyArgvIsOssecs) {
  auto r = make_exec_request(command(ExecProtocol::Legacy), "/ar/custom-block.sh", sshd_alert(),
                             "node1");
  EXPECT_EQ(
      exec_argv(r, ExecVerb::Add),
      (std::vector<std::string>{"/ar/custom-block.sh", "add", "oracle", "203.0.113.9",
                                "1705314225.1234", "5712", "/var/log/secure", "-", "-v", "x\"y"}));
  EXPECT_EQ(exec_argv(r, ExecVerb::Delete)[1], "delete");
  EXPECT_EQ(exec_stdin(r, ExecVerb::Add), "");
}

TEST(ExecProtocol, LegacyDashesForMissingFields) {
  Alert a;
  a.address = Address::parse_host("2001:db8::1");
  auto r = make_exec_request(command(ExecProtocol::Legacy), "/ar/x", a, "n");
  EXPECT_EQ(exec_argv(r, ExecVerb::Add),
            (std::vector<std::string>{"/ar/x", "add", "-", "2001:db8::1", "-", "-", "-", "-", "-v",
                                      "x\"y"}));
}

TEST(ExecProtocol, JsonMessageIsWazuhs) {
  auto r =
      make_exec_request(command(ExecProtocol::Json), "/ar/custom-block.sh", sshd_alert(), "node1");
  EXPECT_EQ(exec_argv(r, ExecVerb::Add), (std::vector<std::string>{"/ar/custom-block.sh"}));
  std::string alert = sshd_alert().to_wazuh_json();
  std::string add = exec_stdin(r, ExecVerb::Add);
  EXPECT_EQ(add,
            "{\"version\":1,\"origin\":{\"name\":\"node1\",\"module\":\"rampart\"},\"command\":"
            "\"add\",\"parameters\":{\"extra_args\":[\"-v\",\"x\\\"y\"],\"alert\":" +
                alert + ",\"program\":\"/ar/custom-block.sh\"}}\n");
  std::string del = exec_stdin(r, ExecVerb::Delete);
  std::string expected = add;
  expected.replace(expected.find("\"command\":\"add\""), 15, "\"command\":\"delete\"");
  EXPECT_EQ(del, expected);
  std::string abort = exec_check_keys_reply(r, true);
  EXPECT_NE(abort.find(",\"command\":\"abort\",\"parameters\":{\"extra_args\""), std::string::npos);
  EXPECT_NE(exec_check_keys_reply(r, false).find("\"command\":\"continue\""), std::string::npos);
}

TEST(ExecProtocol, NodeNameCannotForgeTheCommand) {
  auto r = make_exec_request(command(ExecProtocol::Json), "/ar/x", sshd_alert(),
                             "a\",\"command\":\"add\",\"b");
  std::string del = exec_stdin(r, ExecVerb::Delete);
  EXPECT_NE(del.find("},\"command\":\"delete\","), std::string::npos) << del;
}

TEST(ExecProtocol, ParsesCheckKeys) {
  EXPECT_EQ(parse_check_keys(R"({"version":1,"origin":{"name":"firewall-drop","module":)"
                             R"("active-response"},"command":"check_keys","parameters":)"
                             R"({"keys":["203.0.113.9"]}})"),
            "-203.0.113.9");
  EXPECT_EQ(parse_check_keys(R"({"command":"check_keys","parameters":{"keys":["a",1,"b"]}})"),
            "-a-b");
  EXPECT_EQ(parse_check_keys(R"({"command":"check_keys","parameters":{"keys":[]}})"), "");
  EXPECT_FALSE(parse_check_keys(R"({"command":"add","parameters":{"keys":["a"]}})"));
  EXPECT_FALSE(parse_check_keys("Starting firewall-drop"));
  EXPECT_FALSE(parse_check_keys("{not json"));
}

}  // namespace
}  // namespace rampart
