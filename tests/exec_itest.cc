// rampartd running real active-response scripts, writing a real hosts.deny, and keeping its
// state across kill -9; as root, in a private network namespace per test.
#include <sys/stat.h>

#include <fmt/format.h>

#include <fstream>
#include <thread>

#include "harness.h"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// Records how it was run next to its directory: "argv ..." for the legacy protocol, "stdin
// <line>" and "reply <line>" for JSON, answering an add with check_keys for its srcip like
// Wazuh's own scripts. It prints a line too, which rampartd logs tagged with its name.
const std::string kRecordScript = R"SH(#!/bin/sh
log="$(dirname "$0")/../record.log"
name="$(basename "$0")"
if [ $# -gt 0 ]; then
  echo "argv $name $*" >> "$log"
  echo "recorded $1"
  exit 0
fi
read -r line
echo "stdin $name $line" >> "$log"
case "$line" in
  *'"command":"add"'*)
    ip=$(printf '%s' "$line" | sed -n 's/.*"srcip":"\([^"]*\)".*/\1/p')
    printf '{"version":1,"origin":{"name":"%s","module":"active-response"},"command":"check_keys","parameters":{"keys":["%s"]}}\n' "$name" "$ip"
    read -r reply
    echo "reply $name $reply" >> "$log"
    ;;
esac
echo "recorded"
)SH";

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

std::string command(const std::string& name, const std::string& executable,
                    const std::string& protocol = "json") {
  return fmt::format(
      "<command><name>{}</name><executable>{}</executable><expect>srcip</expect>"
      "<timeout_allowed>yes</timeout_allowed><protocol>{}</protocol></command>",
      name, executable, protocol);
}

std::string response(const std::string& command, int timeout, const std::string& extra = "") {
  return fmt::format(
      "<active-response><command>{}</command><location>local</location><level>10</level>"
      "<timeout>{}</timeout>{}</active-response>",
      command, timeout, extra);
}

class ExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(enter_new_netns(), "");
    bin = daemon.dir().path() + "/bin";
    ASSERT_EQ(mkdir(bin.c_str(), 0755), 0);
    chmod(bin.c_str(), 0755);
    install("record.sh");
  }

  void install(const std::string& name, mode_t mode = 0755) {
    std::ofstream(bin + "/" + name) << kRecordScript;
    chmod((bin + "/" + name).c_str(), mode);
  }
  std::string record() { return read_file(daemon.dir().path() + "/record.log"); }
  bool recorded(const std::string& what, size_t n = 1, std::chrono::milliseconds t = 10s) {
    return wait_until([&] { return count(record(), what) >= n; }, t);
  }
  std::string rampart(const std::string& extra = "") {
    return daemon.rampart_section("<exec_directory>" + bin + "</exec_directory>" + extra);
  }

  DaemonProcess daemon;
  std::string bin;
};

TEST_F(ExecTest, JsonAddRepeatAndTimeoutDelete) {
  ASSERT_EQ(daemon.start(command("record", "record.sh") + response("record", 3) + rampart()), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.9")}));
  ASSERT_TRUE(recorded("reply record.sh")) << daemon.log() << record();
  std::string r = record();
  EXPECT_NE(r.find("stdin record.sh {\"version\":1,\"origin\":{\"name\":\""), std::string::npos)
      << r;
  EXPECT_NE(r.find(",\"module\":\"rampart\"},\"command\":\"add\",\"parameters\":{\"extra_args\":[],"
                   "\"alert\":{"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("\"data\":{\"srcip\":\"203.0.113.9\""), std::string::npos) << r;
  EXPECT_NE(r.find("\"program\":\"" + bin + "/record.sh\"}}"), std::string::npos) << r;
  EXPECT_NE(r.find("reply record.sh {\"version\":1,"), std::string::npos);
  EXPECT_NE(r.find("\"command\":\"continue\""), std::string::npos) << r;

  // A repeat while active extends the block without running add again.
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.9")}));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("refreshed") == 1u; })) << daemon.log();
  ASSERT_TRUE(recorded("\"command\":\"delete\"", 1, 8s)) << daemon.log() << record();
  r = record();
  EXPECT_EQ(count(r, "\"command\":\"add\""), 1u) << r;
  // The delete is the stored add with "command":"delete".
  std::string add = r.substr(r.find("stdin record.sh {"));
  add = add.substr(0, add.find('\n'));
  std::string del = r.substr(r.find("stdin record.sh {", r.find("\"command\":\"delete\"") - 200));
  del = del.substr(0, del.find('\n'));
  add.replace(add.find("\"command\":\"add\""), 15, "\"command\":\"delete\"");
  EXPECT_EQ(del, add);
  std::string log = daemon.log();
  EXPECT_NE(log.find("record.sh["), std::string::npos) << "script output is logged: " << log;
  EXPECT_NE(log.find("expired 203.0.113.9 (record, exec)"), std::string::npos) << log;
  EXPECT_TRUE(wait_until([&] { return daemon.stat("active") == 0u; }));
}

TEST_F(ExecTest, LegacyArgvAddRepeatAndTimeoutDelete) {
  ASSERT_EQ(
      daemon.start(command("record", "record.sh", "legacy") + response("record", 2) + rampart()),
      "");
  ASSERT_TRUE(daemon.send({wazuh_alert("2001:db8::9")}));
  ASSERT_TRUE(recorded("argv record.sh add")) << daemon.log();
  ASSERT_TRUE(daemon.send({wazuh_alert("2001:db8::9")}));
  ASSERT_TRUE(recorded("argv record.sh delete", 1, 8s)) << daemon.log() << record();
  std::string r = record();
  EXPECT_EQ(count(r, "argv record.sh add"), 1u) << r;
  EXPECT_NE(r.find("argv record.sh add root 2001:db8::9 1732740000.123456 5712 "
                   "/var/log/auth.log -\n"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("argv record.sh delete root 2001:db8::9 1732740000.123456 5712 "
                   "/var/log/auth.log -\n"),
            std::string::npos)
      << r;
  EXPECT_EQ(count(r, "stdin"), 0u) << "legacy scripts get nothing on stdin";
}

TEST_F(ExecTest, CheckKeysAbortsWhenTheKeyIsActive) {
  // Two commands, one script: execd keys by program and keys, so the second add is aborted.
  ASSERT_EQ(daemon.start(command("rec-a", "record.sh") + command("rec-b", "record.sh") +
                         response("rec-a", 600) + response("rec-b", 600) + rampart()),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("198.51.100.20")}));
  ASSERT_TRUE(recorded("reply record.sh", 2)) << daemon.log() << record();
  std::string r = record();
  EXPECT_EQ(count(r, "\"command\":\"continue\""), 1u) << r;
  EXPECT_EQ(count(r, "\"command\":\"abort\""), 1u) << r;
  EXPECT_EQ(daemon.stat("exec_aborted"), 1u);
  EXPECT_EQ(daemon.stat("active"), 2u);
}

TEST_F(ExecTest, AFailedAddIsAFailureNotABlock) {
  std::ofstream(bin + "/fails.sh") << "#!/bin/sh\necho 'cannot do it' >&2\nexit 3\n";
  chmod((bin + "/fails.sh").c_str(), 0755);
  ASSERT_EQ(
      daemon.start(command("fails", "fails.sh", "legacy") + response("fails", 600) + rampart()),
      "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.50")}));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("backend_failures") == 1u; })) << daemon.log();
  EXPECT_EQ(daemon.stat("active"), 0u);
  std::string log = daemon.log();
  EXPECT_NE(log.find("fails.sh["), std::string::npos) << log;
  EXPECT_NE(log.find("cannot do it"), std::string::npos) << log;
  EXPECT_NE(log.find("exit status 3"), std::string::npos) << log;
}

TEST_F(ExecTest, AScriptOverItsTimeLimitIsKilled) {
  std::ofstream(bin + "/hangs.sh") << "#!/bin/sh\nsleep 7391\n";
  chmod((bin + "/hangs.sh").c_str(), 0755);
  ASSERT_EQ(daemon.start(command("hangs", "hangs.sh", "legacy") + response("hangs", 600) +
                         rampart("<exec_timeout>1</exec_timeout>")),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.51")}));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("exec_timeouts") == 1u; }, 5s)) << daemon.log();
  EXPECT_TRUE(wait_until([&] { return daemon.stat("active") == 0u; }));
  EXPECT_NE(daemon.log().find("killed after its 1s time limit"), std::string::npos);
  EXPECT_EQ(run("pgrep -f '^sleep 7391' | wc -l"), "0\n") << "the script's children die with it";
}

// --check-config for one command whose file is `setup`'s; returns the output, `status` the
// exit status.
class ExecSecurityTest : public ExecTest {
 protected:
  std::string check(const std::string& executable, bool bound, int* status) {
    std::string body = command("custom", executable, "legacy") +
                       (bound ? response("custom", 60) : std::string()) + rampart();
    daemon.dir().write("check.conf", "<ossec_config>\n" + body + "\n</ossec_config>\n");
    return run(std::string(getenv("RAMPARTD")) + " --check-config --config " +
                   daemon.dir().file("check.conf") + " 2>&1",
               status);
  }
};

TEST_F(ExecSecurityTest, RefusesScriptsRootShouldNotRun) {
  int status = 0;
  std::string out = check("record.sh", true, &status);
  EXPECT_EQ(status, 0) << out;

  install("group-writable.sh", 0775);
  out = check("group-writable.sh", true, &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("check.conf:2: command \"custom\" cannot run: the script " + bin +
                     "/group-writable.sh is writable by its group (mode 0775); run: chmod go-w"),
            std::string::npos)
      << out;

  std::ofstream(daemon.dir().file("outside.sh")) << kRecordScript;
  chmod(daemon.dir().file("outside.sh").c_str(), 0755);
  symlink(daemon.dir().file("outside.sh").c_str(), (bin + "/escape.sh").c_str());
  out = check("escape.sh", true, &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("outside <exec_directory>"), std::string::npos) << out;

  out = check("missing.sh", true, &status);
  EXPECT_EQ(status, 1);
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;

  // A command nothing uses only warns.
  out = check("missing.sh", false, &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("warning: "), std::string::npos) << out;

  // rampartd itself refuses to start on it.
  install("gw.sh", 0775);
  std::string err = daemon.start(command("gw", "gw.sh") + response("gw", 60) + rampart());
  EXPECT_NE(err, "");
  EXPECT_NE(daemon.log().find("writable by its group"), std::string::npos) << daemon.log();
}

TEST_F(ExecTest, KillDashNineThenTheDeleteRunsAtStart) {
  std::string config = command("record", "record.sh") + response("record", 3) + rampart();
  ASSERT_EQ(daemon.start(config), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.77")}));
  ASSERT_TRUE(recorded("reply record.sh")) << daemon.log();
  daemon.stop(SIGKILL);
  std::this_thread::sleep_for(5s);
  EXPECT_EQ(count(record(), "\"command\":\"delete\""), 0u) << "nobody ran it while down";
  ASSERT_EQ(daemon.start(config), "");
  ASSERT_TRUE(recorded("\"command\":\"delete\"", 1, 3s)) << daemon.log() << record();
  EXPECT_NE(daemon.log().find("expired 203.0.113.77 (record, exec) while rampartd was not running"),
            std::string::npos)
      << daemon.log();
  // Done once: another restart does not run it again (once rampartd saw it end; a delete
  // still running at a stop runs again at the next start).
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("record.sh delete 203.0.113.77 (record) done") != std::string::npos;
  })) << daemon.log();
  // Its first stats line after the restart comes after the start-up's undo actions were
  // queued: none was started and none waits.
  daemon.stop();
  ASSERT_EQ(daemon.start(config), "");
  ASSERT_TRUE(wait_until([&] { return daemon.stat("exec_runs").has_value(); })) << daemon.log();
  EXPECT_EQ(daemon.stat("exec_runs"), 0u);
  EXPECT_EQ(daemon.stat("exec_queued"), 0u);
  EXPECT_EQ(count(record(), "\"command\":\"delete\""), 1u);
}

TEST_F(ExecTest, ARestartKeepsPendingDeletes) {
  std::string config = command("record", "record.sh") + response("record", 4) + rampart();
  ASSERT_EQ(daemon.start(config), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.78")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("record.sh add 203.0.113.78 (record) done") != std::string::npos;
  })) << daemon.log();
  daemon.stop(SIGKILL);
  ASSERT_EQ(daemon.start(config), "");
  EXPECT_EQ(daemon.stat("active"), 1u) << daemon.log();
  EXPECT_EQ(count(record(), "\"command\":\"delete\""), 0u);
  ASSERT_TRUE(recorded("\"command\":\"delete\"", 1, 8s)) << daemon.log() << record();
  EXPECT_EQ(count(record(), "\"command\":\"add\""), 1u) << "the confirmed add is not run again";
}

TEST_F(ExecTest, HostsDenyLinesComeAndGo) {
  std::string hosts = daemon.dir().file("hosts.deny");
  daemon.dir().write("hosts.deny", "# admin's own\nsshd: 10.0.0.1\nALL:10.0.0.10\n");
  std::string body =
      "<command><name>host-deny</name><executable>host-deny</executable><expect>srcip</expect>"
      "<timeout_allowed>yes</timeout_allowed></command>" +
      response("host-deny", 2) + rampart("<hosts_deny>" + hosts + "</hosts_deny>");
  ASSERT_EQ(daemon.start(body), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("10.0.0.1"), wazuh_alert("2001:db8::1")}));
  ASSERT_TRUE(wait_until([&] {
    return read_file(hosts).find("ALL:[2001:db8::1]") != std::string::npos;
  })) << daemon.log();
  EXPECT_EQ(read_file(hosts),
            "# admin's own\nsshd: 10.0.0.1\nALL:10.0.0.10\nALL:10.0.0.1\nALL:[2001:db8::1]\n");
  EXPECT_EQ(daemon.stat("hosts_deny_rewrites"), 1u) << "two blocks in one turn, one rewrite";
  ASSERT_TRUE(
      wait_until([&] { return read_file(hosts).find("ALL:10.0.0.1\n") == std::string::npos; }, 6s))
      << daemon.log();
  EXPECT_EQ(read_file(hosts), "# admin's own\nsshd: 10.0.0.1\nALL:10.0.0.10\n");
}

TEST_F(ExecTest, OffenderCountsSurviveARestartAndResetWhenQuiet) {
  std::string body =
      "<command><name>firewall-drop</name><executable>firewall-drop</executable>"
      "<expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>" +
      response("firewall-drop", 1, "<repeated_offenders>1</repeated_offenders>") +
      rampart("<repeated_offenders_reset>4</repeated_offenders_reset>");
  ASSERT_EQ(daemon.start(body), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.90")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("blocked 203.0.113.90 with firewall-drop for 1s") != std::string::npos;
  })) << daemon.log();
  daemon.stop();
  // The kernel lifts the 1 s block while rampartd is stopped.
  ASSERT_TRUE(wait_until([&] {
    auto set = list_set(daemon.table(), "blocked4");
    return set && set->empty();
  }));
  ASSERT_EQ(daemon.start(body), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.90")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("blocked 203.0.113.90 with firewall-drop for 60s") !=
           std::string::npos;
  })) << "the second offence counts the one before the restart: "
      << daemon.log();

  // Quiet for longer than <repeated_offenders_reset>: a new first offence.
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.91")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("blocked 203.0.113.91 with firewall-drop for 1s") != std::string::npos;
  }));
  daemon.stop();
  std::this_thread::sleep_for(4500ms);
  ASSERT_EQ(daemon.start(body), "");
  size_t from = daemon.log().size();
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.91")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("blocked 203.0.113.91 with firewall-drop for 1s", from) !=
           std::string::npos;
  })) << daemon.log();
}

}  // namespace
}  // namespace rampart::test
