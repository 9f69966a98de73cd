// rampartd end to end against the real kernel, in a private network namespace per test.
#include <sys/stat.h>

#include <fmt/format.h>

#include <thread>

#include "harness.h"

namespace rampart::test {
namespace {

class DaemonTest : public RampartTest {};

TEST_F(DaemonTest, AlertsBecomeTimedElements) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send(
      {wazuh_alert("203.0.113.9"), wazuh_alert("2001:db8::9"), wazuh_alert("203.0.113.10", 5)}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.9")) << daemon.log();
  ASSERT_TRUE(appears("blocked6", "2001:db8::9")) << daemon.log();
  auto e = find("blocked4", "203.0.113.9");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->timeout_ms, 600000u);
  EXPECT_GT(e->expires_ms, 590000u);
  EXPECT_LE(e->expires_ms, 600000u);
  EXPECT_EQ(e->comment, "firewall-drop:5712");
  EXPECT_EQ(set("blocked4").size(), 1u) << "level 5 is below the binding's level 10";
  EXPECT_NE(daemon.log().find("blocked 203.0.113.9 with firewall-drop for 600s (rule 5712"),
            std::string::npos)
      << daemon.log();
  // The chains drop what the sets hold.
  std::string ruleset = run("nft list table inet " + daemon.table());
  EXPECT_NE(ruleset.find("ip saddr @blocked4 drop"), std::string::npos) << ruleset;
  EXPECT_NE(ruleset.find("ip6 saddr @blocked6 drop"), std::string::npos) << ruleset;
}

TEST_F(DaemonTest, AllowlistedAddressNeverAppears) {
  ASSERT_EQ(daemon.start("<global><white_list>198.51.100.0/24</white_list></global>" +
                         kDropCommand + drop_binding(600)),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("198.51.100.7"), wazuh_alert("127.0.0.1"),
                           wazuh_alert("::ffff:198.51.100.8"), wazuh_alert("203.0.113.1")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.1"));
  auto elements = set("blocked4");
  EXPECT_EQ(elements.size(), 1u);
  EXPECT_EQ(daemon.stat("skipped"), 3u);
  EXPECT_NE(daemon.log().find("skipped 198.51.100.7 for firewall-drop: allowlisted"),
            std::string::npos)
      << daemon.log();
}

TEST_F(DaemonTest, RepeatRefreshesTheKernelTimeout) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.9")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.9"));
  // Until the kernel's countdown is visibly below the timeout.
  ASSERT_TRUE(wait_until([&] {
    auto e = find("blocked4", "203.0.113.9");
    return e && e->expires_ms < 598000;
  }));
  uint64_t before = find("blocked4", "203.0.113.9")->expires_ms;
  EXPECT_LT(before, 598000u);
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.9")}));
  ASSERT_TRUE(wait_until([&] {
    auto e = find("blocked4", "203.0.113.9");
    return e && e->expires_ms > 598500;
  })) << "the repeat did not refresh the element";
  EXPECT_EQ(daemon.stat("refreshed"), 1u);
}

TEST_F(DaemonTest, ShortTimeoutReallyExpires) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(2)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.20")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.20"));
  EXPECT_TRUE(
      wait_until([&] { return !find("blocked4", "203.0.113.20"); }, std::chrono::seconds(5)));
  EXPECT_TRUE(wait_until(
      [&] {
        return daemon.log().find("expired 203.0.113.20 (firewall-drop, nftables)") !=
               std::string::npos;
      },
      std::chrono::seconds(3)))
      << daemon.log();
  EXPECT_EQ(daemon.stat("active"), 0u);
}

TEST_F(DaemonTest, RestartKeepsBlocksAndRebuildsTheView) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.30"), wazuh_alert("2001:db8::30")}));
  ASSERT_TRUE(appears("blocked6", "2001:db8::30"));
  ASSERT_TRUE(appears("blocked4", "203.0.113.30"));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  EXPECT_EQ(set("blocked4").size(), 1u) << "SIGTERM must leave blocks in the kernel";
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  EXPECT_NE(daemon.log().find("restored 2 active blocks from nftables"), std::string::npos)
      << daemon.log();
  EXPECT_EQ(daemon.stat("active"), 2u);
  std::string ruleset = run("nft list table inet " + daemon.table());
  size_t rules = 0;
  for (size_t at = 0; (at = ruleset.find("@blocked4 drop", at)) != std::string::npos; ++at) ++rules;
  EXPECT_EQ(rules, 2u) << "one rule per chain, not duplicated by the restart:\n" << ruleset;
  // A repeat after the restart refreshes rather than failing.
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.30")}));
  EXPECT_TRUE(wait_until([&] { return daemon.stat("refreshed") == 1u; }));
}

// A clean stop leaves the record's base; the next start trusts it when nftables has not
// changed since, and never sends the elements again.
TEST_F(DaemonTest, RestartAfterACleanStopLoadsTheRecordInsteadOfTheKernel) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.31"), wazuh_alert("2001:db8::31")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.31"));
  ASSERT_TRUE(appears("blocked6", "2001:db8::31"));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  std::string base = daemon.state_dir() + "/nftables.blocks";
  struct stat st {};
  ASSERT_EQ(stat(base.c_str(), &st), 0) << daemon.log();
  EXPECT_NE(daemon.log().find("saved 2 blocks to " + base), std::string::npos) << daemon.log();

  size_t before = daemon.log().size();  // the log goes on across starts
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  std::string second = daemon.log().substr(before);
  EXPECT_EQ(second.find("reading the blocks from the kernel"), std::string::npos) << second;
  EXPECT_EQ(second.find("after the start"), std::string::npos) << "nothing left to check";
  EXPECT_NE(second.find("restored 2 active blocks from nftables"), std::string::npos);
  EXPECT_EQ(daemon.stat("active"), 2u);
  EXPECT_EQ(daemon.stat("nft_elements"), 0u) << "nothing is re-inserted";
  // The restored view is the real one: a repeat refreshes the kernel's element.
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.31")}));
  EXPECT_TRUE(wait_until([&] { return daemon.stat("refreshed") == 1u; }));
}

// An nft command while rampartd was down moves the generation on: the start serves from the
// record at once and then looks every block up; what an administrator deleted meanwhile is
// forgotten, not added back.
TEST_F(DaemonTest, AChangeWhileStoppedIsCheckedAgainstTheKernelAfterTheStart) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.32"), wazuh_alert("203.0.113.33")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.33"));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  int status = -1;
  run("nft delete element inet " + daemon.table() + " blocked4 '{ 203.0.113.32 }'", &status);
  ASSERT_EQ(status, 0);

  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  EXPECT_NE(daemon.log().find("nftables changed since the record (generation"), std::string::npos)
      << daemon.log();
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("checked 2 blocks against table inet " + daemon.table()) !=
           std::string::npos;
  })) << daemon.log();
  EXPECT_NE(daemon.log().find("1 were gone"), std::string::npos) << daemon.log();
  EXPECT_NE(daemon.log().find("unblocked 203.0.113.32"), std::string::npos) << daemon.log();
  EXPECT_EQ(daemon.stat("active"), 1u) << "the element deleted meanwhile is not a block";
  EXPECT_EQ(set("blocked4").size(), 1u);
}

// kill -9 leaves no base, but the log has every change the kernel took, ahead of it.
TEST_F(DaemonTest, AfterACrashTheStartReplaysTheRecord) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.34")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.34"));
  auto before = find("blocked4", "203.0.113.34");
  ASSERT_TRUE(before);
  uint64_t expires_ms = before->expires_ms;
  daemon.stop(SIGKILL);
  size_t start = daemon.log().size();
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  std::string second = daemon.log().substr(start);
  EXPECT_EQ(second.find("reading the blocks from the kernel"), std::string::npos) << second;
  EXPECT_EQ(second.find("after the start"), std::string::npos) << second;
  EXPECT_EQ(daemon.stat("active"), 1u);
  EXPECT_EQ(daemon.stat("nft_elements"), 0u);
  // The deadline is the one the block had, not a fresh timeout.
  auto after = find("blocked4", "203.0.113.34");
  ASSERT_TRUE(after);
  EXPECT_LE(after->expires_ms, expires_ms);
}

// A reboot empties the kernel: every block with time left comes back from the record, with
// that time; one whose deadline passed does not. The boot is rampart's own boot id in
// $RUNTIME_DIRECTORY (as under the unit), so the test can make a new one.
TEST_F(DaemonTest, AfterARebootTheRecordPutsTheBlocksBack) {
  TempDir run_dir;
  std::vector<std::string> env{"RUNTIME_DIRECTORY=" + run_dir.path()};
  // Rule 5712 blocks for 10 minutes, rule 5713 for 2 seconds.
  const std::string config = kDropCommand + R"(
  <active-response><command>firewall-drop</command><location>local</location>
    <rules_id>5712</rules_id><timeout>600</timeout></active-response>
  <active-response><command>firewall-drop</command><location>local</location>
    <rules_id>5713</rules_id><timeout>2</timeout></active-response>)";
  ASSERT_EQ(daemon.start(config, {}, env), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.35"), wazuh_alert("2001:db8::35"),
                           wazuh_alert("203.0.113.36", 10, "5713")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.36"));
  ASSERT_TRUE(appears("blocked6", "2001:db8::35"));
  daemon.stop(SIGKILL);
  // The new boot: a fresh runtime directory, an empty kernel; .36's time runs out meanwhile.
  ASSERT_EQ(unlink(run_dir.file("boot-id").c_str()), 0);
  run("nft delete table inet " + daemon.table());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ASSERT_EQ(daemon.start(config, {}, env), "");
  EXPECT_NE(daemon.log().find("the record is from another boot"), std::string::npos)
      << daemon.log();
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("re-added 2 blocks to table inet") != std::string::npos;
  })) << daemon.log();
  auto v4 = find("blocked4", "203.0.113.35");
  ASSERT_TRUE(v4) << run("nft list ruleset");
  EXPECT_GT(v4->expires_ms, 590000u);
  EXPECT_LT(v4->timeout_ms, 600000u) << "what was left, not a fresh timeout";
  EXPECT_EQ(v4->comment, "firewall-drop:5712");
  EXPECT_TRUE(find("blocked6", "2001:db8::35"));
  EXPECT_FALSE(find("blocked4", "203.0.113.36")) << "its deadline passed while down";
  EXPECT_EQ(daemon.stat("active"), 2u);
}

// A per-service block (a command's <ports>) is an element of its own beside the address's
// whole-traffic block: the record keeps both apart through kill -9 and a reboot.
TEST_F(DaemonTest, PerServiceBlocksSurviveACrashAndAReboot) {
  TempDir run_dir;
  std::vector<std::string> env{"RUNTIME_DIRECTORY=" + run_dir.path()};
  const std::string config = kDropCommand + R"(
  <command><name>ssh-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed><ports>tcp/2222</ports></command>
  <active-response><command>firewall-drop</command><rules_id>5712</rules_id>
    <timeout>600</timeout></active-response>
  <active-response><command>ssh-drop</command><rules_id>5713</rules_id>
    <timeout>900</timeout></active-response>)";
  ASSERT_EQ(daemon.start(config, {}, env), "");
  ASSERT_TRUE(
      daemon.send({wazuh_alert("203.0.113.37", 10, "5712"), wazuh_alert("203.0.113.37", 10, "5713"),
                   wazuh_alert("203.0.113.38", 10, "5713")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.37"));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("nft_elements") >= 3u; })) << daemon.log();
  daemon.stop(SIGKILL);
  ASSERT_EQ(daemon.start(config, {}, env), "");
  EXPECT_EQ(daemon.stat("active"), 3u);
  EXPECT_EQ(daemon.stat("nft_elements"), 0u) << daemon.log();
  daemon.stop(SIGKILL);

  ASSERT_EQ(unlink(run_dir.file("boot-id").c_str()), 0);
  run("nft delete table inet " + daemon.table());
  ASSERT_EQ(daemon.start(config, {}, env), "");
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("re-added 2 blocks to table inet") != std::string::npos;
  })) << daemon.log();
  EXPECT_EQ(daemon.stat("active"), 3u);
  EXPECT_TRUE(find("blocked4", "203.0.113.37"));
  EXPECT_FALSE(find("blocked4", "203.0.113.38")) << "a per-service block drops only its ports";
  std::string service = run("nft list set inet " + daemon.table() + " service4");
  EXPECT_NE(service.find("203.0.113.37 . tcp . 2222"), std::string::npos) << service;
  EXPECT_NE(service.find("203.0.113.38 . tcp . 2222"), std::string::npos) << service;
}

TEST_F(DaemonTest, BlocksThatExpireWhileStoppedAreNotRestored) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(2)), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.35")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.35"));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  // The kernel lifts the 2 s block while rampartd is stopped.
  ASSERT_TRUE(wait_until([&] { return set("blocked4").empty(); }));
  size_t before = daemon.log().size();
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(2)), "");
  std::string second = daemon.log().substr(before);
  EXPECT_EQ(second.find("reading the blocks from the kernel"), std::string::npos) << second;
  EXPECT_EQ(daemon.stat("active"), 0u);
  EXPECT_TRUE(set("blocked4").empty());
}

// Large transactions are sent while the nftables monitor is not listening (the kernel then
// builds no notification per element); it must be listening again afterwards.
TEST_F(DaemonTest, AfterALargeTransactionTheMonitorStillSeesAFlush) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(3600)), "");
  std::vector<std::string> lines;
  for (int i = 0; i < 5000; ++i)
    lines.push_back(wazuh_alert(fmt::format("2001:db8:5::{:x}", i + 1)));
  ASSERT_TRUE(daemon.send(lines));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("nft_elements") == 5000u; }));
  EXPECT_GE(daemon.stat("nft_quiet").value_or(0), 1u) << daemon.log();
  EXPECT_EQ(daemon.stat("nft_unsure"), 0u);
  int status = -1;
  run("nft delete table inet " + daemon.table(), &status);
  ASSERT_EQ(status, 0);
  EXPECT_TRUE(wait_until([&] { return set("blocked6").size() == 5000; }, std::chrono::seconds(10)))
      << set("blocked6").size() << "\n"
      << daemon.log();
  EXPECT_EQ(daemon.stat("nft_repairs"), 1u);
}

TEST_F(DaemonTest, TwentyThousandAlertsAreBatched) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(3600)), "");
  std::vector<std::string> lines;
  for (int i = 0; i < 20000; ++i)
    lines.push_back(wazuh_alert(fmt::format("2001:db8::{:x}:{:x}", i / 4096 + 1, i % 4096 + 1)));
  ASSERT_TRUE(daemon.send(lines));
  ASSERT_TRUE(wait_until([&] { return set("blocked6").size() == 20000; }, std::chrono::seconds(30)))
      << set("blocked6").size();
  EXPECT_EQ(daemon.stat("nft_elements"), 20000u);
  auto batches = daemon.stat("nft_batches");
  ASSERT_TRUE(batches);
  // How many loop turns the alerts spread over depends on scheduling; per-element round trips
  // would be 20,000.
  EXPECT_LE(*batches, 1000u) << "20,000 alerts must be batched, not sent one by one";
  std::printf("20,000 alerts went to the kernel in %llu batches\n",
              static_cast<unsigned long long>(*batches));
  EXPECT_EQ(daemon.stat("blocked"), 20000u);
}

TEST_F(DaemonTest, MalformedLinesAreCountedNotFatal) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  ASSERT_TRUE(daemon.send({"garbage", "{\"rule\":", std::string(70000, 'x'), "\x01\x02\x03",
                           wazuh_alert("203.0.113.40")}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.40"));
  EXPECT_EQ(daemon.stat("alerts_rejected"), 4u);
  EXPECT_NE(daemon.log().find("rejected alert line"), std::string::npos);
  EXPECT_TRUE(daemon.running());
}

TEST_F(DaemonTest, SocketIsPrivate) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600)), "");
  struct stat st;
  ASSERT_EQ(stat(daemon.socket_path().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(DaemonTest, ReloadKeepsTheOldConfigWhenTheNewOneIsBroken) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600, 10)), "");
  // Break the config, reload: still blocking with the old one.
  daemon.dir().write("rampart.conf", "<ossec_config><active-response><level>x</level>");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(wait_until(
      [&] { return daemon.log().find("configuration not reloaded") != std::string::npos; }));
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.50", 10)}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.50"));
  // A good config with a lower level takes effect.
  daemon.dir().write("rampart.conf", "<ossec_config>" + kDropCommand + drop_binding(600, 3) +
                                         daemon.rampart_section() + "</ossec_config>");
  daemon.signal(SIGHUP);
  ASSERT_TRUE(
      wait_until([&] { return daemon.log().find("configuration reloaded") != std::string::npos; }));
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.51", 4)}));
  EXPECT_TRUE(appears("blocked4", "203.0.113.51"));
  EXPECT_EQ(set("blocked4").size(), 2u) << "the reload kept the existing block";
}

TEST_F(DaemonTest, DryRunTouchesNoFirewall) {
  ASSERT_EQ(daemon.start(kDropCommand + drop_binding(600), {"--dry-run"}), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.60")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("dry-run: would add 203.0.113.60") != std::string::npos;
  })) << daemon.log();
  EXPECT_FALSE(list_set(daemon.table(), "blocked4")) << "dry run created the table";
}

TEST(CheckConfig, PrintsBindingsOrErrors) {
  const char* exe = getenv("RAMPARTD");
  ASSERT_TRUE(exe);
  TempDir dir;
  dir.write("good.conf", "<ossec_config>" + kDropCommand + drop_binding(600) + "</ossec_config>");
  int status = -1;
  std::string out = run(
      std::string(exe) + " --check-config --config " + dir.file("good.conf") + " 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("firewall-drop"), std::string::npos) << out;
  dir.write("bad.conf", "<ossec_config>\n" + kDropCommand +
                            "\n<active-response><command>nope</command><level>10</level>"
                            "</active-response></ossec_config>");
  out =
      run(std::string(exe) + " --check-config --config " + dir.file("bad.conf") + " 2>&1", &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("bad.conf:5"), std::string::npos) << out;
  EXPECT_NE(out.find("nope"), std::string::npos) << out;
}

}  // namespace
}  // namespace rampart::test
