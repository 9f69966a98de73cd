// The firewalld backend against a real firewalld: a private system bus for the suite, and per
// test a fresh network namespace with its own firewalld (private --system-config directory, so
// the host's /etc/firewalld is never read or written) and rampartd.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include "harness.h"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

std::string drop(int timeout_s = 600, const std::string& executable = "firewall-drop") {
  return fmt::format(R"(
  <command><name>{0}</name><executable>{0}</executable>
    <expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>{0}</command><location>local</location>
    <level>10</level><timeout>{1}</timeout></active-response>)",
                     executable, timeout_s);
}

std::string busctl(const std::string& args) {
  return run("busctl --system " + args + " 2>&1");
}
std::string firewalld_call(const std::string& iface_method_args) {
  return busctl(
      "call org.fedoraproject.FirewallD1 /org/fedoraproject/FirewallD1 "
      "org.fedoraproject.FirewallD1" +
      iface_method_args);
}

// The strings of a busctl "as N "a" "b"" reply.
std::vector<std::string> strv(const std::string& out) {
  std::vector<std::string> v;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '"') continue;
    std::string s;
    for (++i; i < out.size() && out[i] != '"'; ++i) {
      if (out[i] == '\\' && i + 1 < out.size()) ++i;
      s += out[i];
    }
    v.push_back(s);
  }
  return v;
}

std::string rich_rule(const std::string& address) {
  return fmt::format(R"(rule family="{}" source address="{}" drop)",
                     address.find(':') != std::string::npos ? "ipv6" : "ipv4", address);
}

// A firewalld of this test's network namespace.
class Firewalld {
 public:
  Firewalld() { mkdir(dir_.file("etc").c_str(), 0755); }
  ~Firewalld() { stop(SIGTERM); }

  std::string start() {
    pid_ = fork();
    if (pid_ == 0) {
      int null = open("/dev/null", O_RDWR);
      dup2(null, 1);
      dup2(null, 2);
      execlp("firewalld", "firewalld", "--nofork", "--nopid", "--system-config",
             dir_.file("etc").c_str(), "--log-target", "file", "--log-file",
             dir_.file("firewalld.log").c_str(), nullptr);
      _exit(127);
    }
    if (!wait_until([] { return firewalld_call(" getDefaultZone").starts_with("s \""); }, 90s))
      return "firewalld did not answer on the bus; its log:\n" +
             run("cat " + dir_.file("firewalld.log"));
    return "";
  }
  void stop(int sig) {
    if (pid_ <= 0) return;
    kill(pid_, sig);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  std::string log() const { return run("cat " + dir_.file("firewalld.log")); }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  pid_t pid_ = -1;
};

class FirewalldTest : public RampartBusTest {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    if (run("command -v firewalld").empty())
      GTEST_FAIL() << "firewalld is not installed (scripts/deps firewalld)";
    RampartBusTest::SetUp();
  }

  std::string start_rampart(const std::string& body, const std::string& extra) {
    return start(body + daemon.rampart_section(extra));
  }
  std::vector<std::string> rules() { return strv(firewalld_call(".zone getRichRules s public")); }
  bool has_rule(const std::string& address) {
    auto r = rules();
    return std::find(r.begin(), r.end(), rich_rule(address)) != r.end();
  }
  std::vector<std::string> entries(const std::string& set) {
    return strv(firewalld_call(".ipset getEntries s " + set));
  }
  bool has_entry(const std::string& set, const std::string& address) {
    auto e = entries(set);
    return std::find(e.begin(), e.end(), address) != e.end();
  }
  std::string rampart(const std::string& method_args) {
    return busctl("call org.rampart1 /org/rampart1 org.rampart1.Manager " + method_args);
  }

  Firewalld firewalld;
};

const std::string kFirewalld = "<firewall_backend>firewalld</firewall_backend>";

TEST_F(FirewalldTest, AlertsBecomeRichRulesIpv4Ipv6PrefixesAndRevokeRemoves) {
  ASSERT_EQ(firewalld.start(), "");
  // auto: firewalld is on the bus, so firewall-drop goes there.
  ASSERT_EQ(start_rampart(drop(), ""), "");
  EXPECT_NE(daemon.log().find("firewall-drop goes to firewalld"), std::string::npos);
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.10"), wazuh_alert("2001:db8::10")}));
  EXPECT_EQ(rampart("Block sts 198.51.100.0/24 600000000 manual"), "");
  ASSERT_TRUE(wait_until([&] {
    return has_rule("192.0.2.10") && has_rule("2001:db8::10") && has_rule("198.51.100.0/24");
  })) << fmt::format("{}", fmt::join(rules(), "\n"))
      << daemon.log();
  std::string ruleset = run("nft list ruleset");
  EXPECT_NE(ruleset.find("ip saddr 192.0.2.10 drop"), std::string::npos) << ruleset;
  EXPECT_NE(ruleset.find("ip6 saddr 2001:db8::10 drop"), std::string::npos) << ruleset;
  EXPECT_NE(ruleset.find("ip saddr 198.51.100.0/24 drop"), std::string::npos) << ruleset;
  EXPECT_EQ(ruleset.find("table inet rampart"), std::string::npos) << "nftables was touched too";

  // A second alert refreshes: still one rule.
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.10")}));
  EXPECT_EQ(rampart("Unblock s 2001:db8::10"), "");
  EXPECT_EQ(rampart("Unblock s 198.51.100.0/24"), "");
  ASSERT_TRUE(
      wait_until([&] { return !has_rule("2001:db8::10") && !has_rule("198.51.100.0/24"); }));
  EXPECT_EQ(rules(), std::vector<std::string>{rich_rule("192.0.2.10")});
  EXPECT_EQ(run("nft list ruleset").find("2001:db8::10"), std::string::npos);
}

TEST_F(FirewalldTest, FirewalldDropGoesToFirewalldEvenWithNftables) {
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_EQ(
      start_rampart(drop(600, "firewalld-drop"), "<firewall_backend>nftables</firewall_backend>"),
      "");
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.30")}));
  EXPECT_TRUE(wait_until([&] { return has_rule("192.0.2.30"); })) << daemon.log();
}

TEST_F(FirewalldTest, AThreeSecondTimeoutExpires) {
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_EQ(start_rampart(drop(3), kFirewalld), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.11"), wazuh_alert("2001:db8::11")}));
  ASSERT_TRUE(wait_until([&] { return has_rule("192.0.2.11") && has_rule("2001:db8::11"); }));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(wait_until([&] { return rules().empty(); }, 60s))
      << fmt::format("{}", fmt::join(rules(), "\n"));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printf("the 3 s rules were gone %.3f s after they appeared\n", s);
  EXPECT_TRUE(wait_until([&] { return rampart("ListBlocks") == "a(sstussss) 0\n"; }));
  EXPECT_EQ(run("nft list ruleset").find("192.0.2.11"), std::string::npos);
}

TEST_F(FirewalldTest, ReloadBringsEveryBlockBack) {
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_EQ(start_rampart(drop(), kFirewalld), "");
  std::vector<std::string> addresses{"192.0.2.12", "192.0.2.13", "2001:db8::12"};
  std::vector<std::string> alerts;
  for (const auto& a : addresses) alerts.push_back(wazuh_alert(a));
  ASSERT_TRUE(daemon.send(alerts));
  auto all = [&] {
    return std::all_of(addresses.begin(), addresses.end(), [&](auto& a) { return has_rule(a); });
  };
  ASSERT_TRUE(wait_until(all));

  for (std::string how : {"dbus", "firewall-cmd"}) {
    std::string out = how == "dbus" ? firewalld_call(" reload") : run("firewall-cmd --reload 2>&1");
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(wait_until(all, 30s)) << how << ": " << out << "\n" << daemon.log();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("blocks back %.3f s after %s reload\n", s, how.c_str());
    EXPECT_NE(run("nft list ruleset").find("ip saddr 192.0.2.12 drop"), std::string::npos);
  }
  EXPECT_EQ(rules().size(), addresses.size());
}

TEST_F(FirewalldTest, FirewalldRestartedOrLateGetsEverythingApplied) {
  // rampartd first: blocks wait for firewalld.
  ASSERT_EQ(start_rampart(drop(), kFirewalld), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.14")}));
  ASSERT_TRUE(wait_until([&] { return rampart("ListBlocks").starts_with("a(sstussss) 1 "); }));
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_TRUE(wait_until([&] { return has_rule("192.0.2.14"); }, 5s)) << daemon.log();

  // Killed: the kernel rules go with firewalld's restart; a block made meanwhile waits too.
  firewalld.stop(SIGKILL);
  ASSERT_TRUE(daemon.send({wazuh_alert("2001:db8::14")}));
  ASSERT_EQ(firewalld.start(), "");
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_until([&] { return has_rule("192.0.2.14") && has_rule("2001:db8::14"); }, 30s))
      << daemon.log();
  printf("blocks back %.3f s after firewalld answered again\n",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

// firewalld restarts, then reloads, while rampart is still adding a flood of rules: in the end
// each block is exactly one rule in firewalld and in the kernel.
TEST_F(FirewalldTest, RestartAndReloadDuringAFloodLoseNoBlock) {
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_EQ(start_rampart(drop(), kFirewalld), "");
  const size_t n = 300;
  std::vector<std::string> alerts, want;
  for (size_t i = 1; i <= n; ++i) {
    want.push_back(fmt::format("2001:db8:3::{:x}", i));
    alerts.push_back(wazuh_alert(want.back()));
  }
  ASSERT_TRUE(daemon.send(alerts));
  // Restarted with calls in flight; the blocks made meanwhile wait for the new firewalld.
  ASSERT_TRUE(wait_until([&] { return rules().size() >= 20; }, 60s)) << daemon.log();
  size_t at_restart = rules().size();
  firewalld.stop(SIGTERM);
  ASSERT_EQ(firewalld.start(), "");
  auto t0 = std::chrono::steady_clock::now();
  // Reloaded while rampart re-applies everything to the new one.
  ASSERT_TRUE(wait_until([&] { return rules().size() >= 60; }, 60s)) << daemon.log();
  size_t at_reload = rules().size();
  firewalld_call(" reload");
  ASSERT_TRUE(wait_until([&] { return rules().size() >= n; }, 120s))
      << rules().size() << " of " << n << "\n"
      << daemon.log();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto r = rules();
  std::sort(r.begin(), r.end());
  std::vector<std::string> expected;
  for (const auto& a : want) expected.push_back(rich_rule(a));
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(r, expected) << "every block exactly once";
  std::string ruleset = run("nft list ruleset");
  size_t in_kernel = 0;
  for (size_t at = 0; (at = ruleset.find("ip6 saddr 2001:db8:3::", at)) != std::string::npos; ++at)
    ++in_kernel;
  EXPECT_EQ(in_kernel, n) << ruleset;
  EXPECT_TRUE(rampart("ListBlocks").starts_with(fmt::format("a(sstussss) {} ", n)));
  printf(
      "%zu blocks: firewalld restarted at %zu rules and reloaded at %zu; all %zu in firewalld "
      "%.2f s after it answered again\n",
      n, at_restart, at_reload, n, s);
}

TEST_F(FirewalldTest, StartReconcilesWithWhatFirewalldHas) {
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_EQ(start_rampart(drop(), kFirewalld), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.15")}));
  ASSERT_TRUE(wait_until([&] { return has_rule("192.0.2.15"); }));
  EXPECT_EQ(daemon.stop(), 0);
  // A rule that looks like rampart's but no block holds, and an admin's own rule.
  std::string admin = R"(rule family="ipv4" source address="192.0.2.99" service name="ssh" drop)";
  firewalld_call(".zone addRichRule ssi public '" + rich_rule("192.0.2.16") + "' 0");
  firewalld_call(".zone addRichRule ssi public '" + admin + "' 0");
  ASSERT_EQ(start_rampart(drop(), kFirewalld), "");
  EXPECT_TRUE(wait_until([&] { return !has_rule("192.0.2.16"); })) << daemon.log();
  auto r = rules();
  std::sort(r.begin(), r.end());
  std::vector<std::string> want{admin, rich_rule("192.0.2.15")};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(r, want);
  std::string blocks = rampart("ListBlocks");
  EXPECT_NE(blocks.find("\"192.0.2.15\" \"firewall-drop\""), std::string::npos) << blocks;
  EXPECT_EQ(daemon.stat("firewalld_stale"), 1u);
}

TEST_F(FirewalldTest, IpsetModeEndToEnd) {
  ASSERT_EQ(firewalld.start(), "");
  const std::string ipset = kFirewalld + "<firewalld><mode>ipset</mode></firewalld>";
  ASSERT_EQ(start_rampart(drop(600) + R"(
  <command><name>short</name><executable>firewall-drop</executable>
    <expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>short</command><location>local</location>
    <rules_id>100</rules_id><timeout>3</timeout></active-response>)",
                          ipset),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("192.0.2.17"), wazuh_alert("2001:db8::17"),
                           wazuh_alert("192.0.2.18", 5, "100")}));
  ASSERT_TRUE(wait_until([&] {
    return has_entry("rampart4", "192.0.2.17") && has_entry("rampart6", "2001:db8::17") &&
           has_entry("rampart4", "192.0.2.18");
  })) << daemon.log();
  // Permanent: the sets and the zone rules are in firewalld's (private) config.
  EXPECT_EQ(access(firewalld.dir().file("etc/ipsets/rampart4.xml").c_str(), F_OK), 0);
  std::string zone = run("cat " + firewalld.dir().file("etc/zones/public.xml"));
  EXPECT_NE(zone.find(R"(<source ipset="rampart6"/>)"), std::string::npos) << zone;
  std::string ruleset = run("nft list ruleset");
  EXPECT_NE(ruleset.find("ip saddr @rampart4 drop"), std::string::npos) << ruleset;

  // The 3 s block is removed by rampart's expiry (ipsets have no per-entry timeout).
  EXPECT_TRUE(wait_until([&] { return !has_entry("rampart4", "192.0.2.18"); }, 10s));
  EXPECT_TRUE(has_entry("rampart4", "192.0.2.17"));

  firewalld_call(" reload");
  EXPECT_TRUE(wait_until(
      [&] { return has_entry("rampart4", "192.0.2.17") && has_entry("rampart6", "2001:db8::17"); },
      2s))
      << daemon.log();

  EXPECT_EQ(rampart("Unblock s 2001:db8::17"), "");
  EXPECT_TRUE(wait_until([&] { return entries("rampart6").empty(); }));
  EXPECT_EQ(entries("rampart4"), std::vector<std::string>{"192.0.2.17"});
}

// Printed, not asserted: rampart's pipelined calls against one firewall-cmd process per rule
// (what a shell-based action does), in the same run.
TEST_F(FirewalldTest, ThousandBlocksTimedNextToFirewallCmd) {
  ASSERT_EQ(firewalld.start(), "");
  ASSERT_EQ(start_rampart(drop(), kFirewalld), "");
  const int n = 1000;
  std::vector<std::string> alerts;
  for (int i = 1; i <= n; ++i) alerts.push_back(wazuh_alert(fmt::format("2001:db8:1::{:x}", i)));
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(daemon.send(alerts));
  ASSERT_TRUE(wait_until([&] { return rules().size() == size_t(n); }, 600s)) << rules().size();
  double rampart_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(daemon.stat("firewalld_failures"), 0u);

  // One firewall-cmd process per rule, in a row, until 1,000 or the time budget is used up
  // (the rate, not the budget, is the result; on a loaded machine 1,000 can take many minutes).
  int calls = n;
  if (const char* c = getenv("RAMPART_FIREWALL_CMD_CALLS")) calls = atoi(c);
  double budget_s = 400;
  if (const char* b = getenv("RAMPART_FIREWALL_CMD_SECONDS")) budget_s = atof(b);
  t0 = std::chrono::steady_clock::now();
  int done = 0;
  double cmd_s = 0;
  for (; done < calls && cmd_s < budget_s; ++done) {
    int status = 0;
    run(fmt::format("firewall-cmd --zone=public --timeout=600 --add-rich-rule='{}' >/dev/null",
                    rich_rule(fmt::format("2001:db8:2::{:x}", done + 1))),
        &status);
    ASSERT_EQ(status, 0) << "firewall-cmd call " << done + 1;
    cmd_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  EXPECT_EQ(rules().size(), size_t(n + done));
  RecordProperty("rampart_1000_seconds", fmt::format("{:.3f}", rampart_s));
  RecordProperty("firewall_cmd_calls", done);
  RecordProperty("firewall_cmd_seconds", fmt::format("{:.3f}", cmd_s));
  printf(
      "rampart: %d blocks in %.3f s (%.1f/s); firewall-cmd: %d calls in %.3f s (%.2f/s, "
      "%.0f s for 1,000 at that rate)\n",
      n, rampart_s, n / rampart_s, done, cmd_s, done / cmd_s, 1000 * cmd_s / done);
}

}  // namespace
}  // namespace rampart::test
