// The enforcer with its backends around it: this host's addresses are never blocked, recovery
// after a flushed firewall or an external delete, backends that do not expire blocks by
// themselves (exec scripts, hosts.deny), and failures a backend reports after the commit.
#include <gtest/gtest.h>

#include <cerrno>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"
namespace rampart {
namespace {

using fakes::alert;
using fakes::FakeBackend;
using fakes::FakeClock;
using fakes::RecordingSink;

// firewall-drop from level 10 for 600 s; two scripts, notify and mail, from level 12 for 60 s.
std::shared_ptr<const Config> config() {
  auto c = fakes::config(R"(<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <command><name>notify</name><executable>notify.sh</executable><expect>srcip</expect>
    <timeout_allowed>yes</timeout_allowed></command>
  <command><name>mail</name><executable>mail.sh</executable><expect>srcip</expect>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><level>10</level><timeout>600</timeout>
  </active-response>
  <active-response><command>notify</command><level>12</level><timeout>60</timeout>
  </active-response>
  <active-response><command>mail</command><level>12</level><timeout>60</timeout>
  </active-response></ossec_config>)");
  return c;
}

struct Fixture : ::testing::Test {
  FakeClock clock;
  RecordingSink sink;
  FakeBackend backend;  // the kernel: expires blocks by itself
  FakeBackend scripts;  // exec: the enforcer sends the deletes
  Enforcer enforcer{clock, sink};
  void SetUp() override {
    scripts.expires = false;
    scripts.set_failure_handler([this](const Change& change, const Error& error) {
      enforcer.backend_failed(CommandKind::Exec, change, error);
    });
    enforcer.set_config(config());
    enforcer.set_backend(CommandKind::Firewall, &backend);
    enforcer.set_backend(CommandKind::Exec, &scripts);
    enforcer.set_host_addresses({*Address::parse("192.0.2.1"), *Address::parse("2001:db8::1")});
  }
  size_t blocks_of(const char* address) {
    size_t n = 0;
    for (const BlockView& v : enforcer.list())
      if (v.address.str() == address) ++n;
    return n;
  }
};
using HostAddresses = Fixture;
using Recovery = Fixture;
using Scripts = Fixture;

TEST_F(HostAddresses, AlertForAHostAddressIsSkipped) {
  enforcer.on_alert(alert("192.0.2.1"));
  enforcer.on_alert(alert("2001:db8::1"));
  enforcer.on_alert(alert("192.0.2.2"));
  enforcer.commit();
  EXPECT_EQ(enforcer.active(), 1u);
  EXPECT_EQ(enforcer.counters().skipped, 2u);
  EXPECT_TRUE(sink.has("skipped 192.0.2.1 never-block (address of this host 192.0.2.1)"))
      << ::testing::PrintToString(sink.lines);
  ASSERT_EQ(backend.batches.size(), 1u);
  EXPECT_EQ(backend.batches[0][0].address.str(), "192.0.2.2");
}

TEST_F(HostAddresses, SurviveAReload) {
  enforcer.set_config(config());
  enforcer.on_alert(alert("192.0.2.1"));
  EXPECT_EQ(enforcer.active(), 0u);
  EXPECT_NE(enforcer.engine().explain(alert("192.0.2.1")).find("address of this host"),
            std::string::npos);
}

TEST_F(HostAddresses, ManualBlockOfOneIsRefused) {
  auto r = enforcer.block(*Address::parse("192.0.2.1"), 60'000'000, "test", 1000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().why, Refusal::HostAddress);
  EXPECT_NE(r.error().message.find("address of this host"), std::string::npos) << r.error().message;
  auto wide = enforcer.block(*Address::parse("192.0.2.0/24"), 60'000'000, "test", 1000);
  ASSERT_FALSE(wide);
  EXPECT_EQ(wide.error().why, Refusal::HostAddress);
  EXPECT_TRUE(sink.has("refused 192.0.2.0/24 192.0.2.0/24 is or contains an address of this host"))
      << ::testing::PrintToString(sink.lines);
  EXPECT_TRUE(enforcer.block(*Address::parse("198.51.100.0/24"), 60'000'000, "test", 1000));
  EXPECT_EQ(enforcer.counters().refused, 2u);
}

TEST_F(Recovery, ResyncQueuesEveryLiveBlockWithItsRemainingTime) {
  enforcer.on_alert(alert("203.0.113.9"));
  enforcer.on_alert(alert("203.0.113.10"));
  ASSERT_TRUE(enforcer.block(*Address::parse("198.51.100.0/24"), 0, "manual", 0));
  enforcer.commit();
  clock.now += 100'000'000;  // 100 s later the firewall is flushed
  EXPECT_EQ(enforcer.resync(CommandKind::Firewall), 3u);
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 2u);
  const auto& again = backend.batches[1];
  ASSERT_EQ(again.size(), 3u);
  for (const Change& c : again) {
    EXPECT_EQ(c.op, Change::Op::Add);
    if (c.address.str() == "198.51.100.0/24")
      EXPECT_EQ(c.timeout_ms, 0u);
    else
      EXPECT_EQ(c.timeout_ms, 500'000u) << c.address.str();
  }
  // Addresses the backend still holds are not sent again.
  EXPECT_EQ(enforcer.resync(CommandKind::Firewall,
                            [](const Address& a) { return a.str() != "203.0.113.9"; }),
            1u);
}

TEST_F(Recovery, ForgottenBlockIsNotReAdded) {
  enforcer.on_alert(alert("203.0.113.9"));
  enforcer.on_alert(alert("203.0.113.10"));
  enforcer.commit();
  enforcer.forget(CommandKind::Firewall, *Address::parse("203.0.113.9"));
  EXPECT_TRUE(sink.has("unblocked 203.0.113.9 removed-externally"));
  EXPECT_FALSE(enforcer.has_pending()) << "the kernel already lost it: nothing to send";
  EXPECT_EQ(enforcer.resync(CommandKind::Firewall), 1u);
  enforcer.commit();
  ASSERT_EQ(backend.batches.back().size(), 1u);
  EXPECT_EQ(backend.batches.back()[0].address.str(), "203.0.113.10");
}

TEST_F(Scripts, EachCommandGetsItsOwnChangeWithTheAlert) {
  enforcer.on_alert(alert("203.0.113.9", 12));
  enforcer.commit();
  ASSERT_EQ(scripts.batches.size(), 1u);
  const auto& batch = scripts.batches[0];
  ASSERT_EQ(batch.size(), 2u) << "one per (command, address), as wazuh-execd keys them";
  std::vector<std::string> commands;
  for (const Change& c : batch) {
    commands.push_back(c.command);
    EXPECT_EQ(c.op, Change::Op::Add);
    EXPECT_EQ(c.address.str(), "203.0.113.9");
    EXPECT_EQ(c.timeout_ms, 60'000u);
    EXPECT_EQ(c.comment, c.command + ":5712");
    ASSERT_TRUE(c.alert) << "a script is handed the alert that started it";
    EXPECT_EQ(c.alert->srcip, "203.0.113.9");
  }
  EXPECT_EQ(commands, (std::vector<std::string>{"notify", "mail"}));
  ASSERT_EQ(backend.batches.size(), 1u);
  EXPECT_EQ(backend.batches[0].size(), 1u) << "one firewall change per address";
}

TEST_F(Scripts, ExpiryDeletesOnlyWhereTheBackendDoesNotExpireByItself) {
  enforcer.on_alert(alert("203.0.113.9", 12));
  enforcer.commit();
  clock.now += 601'000'000;  // every block of it is due
  enforcer.expire();
  EXPECT_EQ(enforcer.active(), 0u);
  enforcer.commit();
  ASSERT_EQ(scripts.batches.size(), 2u);
  ASSERT_EQ(scripts.batches[1].size(), 2u);
  for (const Change& c : scripts.batches[1]) {
    EXPECT_EQ(c.op, Change::Op::Delete) << c.command;
    EXPECT_EQ(c.address.str(), "203.0.113.9");
  }
  EXPECT_EQ(backend.batches.size(), 1u) << "the kernel lifts its own elements";
  EXPECT_TRUE(sink.has("expired 203.0.113.9 expired"));
}

TEST_F(Scripts, ALateFailureTakesBackThatCommandsBlockOnly) {
  enforcer.on_alert(alert("203.0.113.9", 12));
  enforcer.commit();
  ASSERT_EQ(blocks_of("203.0.113.9"), 3u);
  Change notify = scripts.batches[0][0];
  ASSERT_EQ(notify.command, "notify");
  scripts.fail_later(notify, Error{EIO, "notify.sh exited with status 1"});
  EXPECT_EQ(blocks_of("203.0.113.9"), 2u) << "mail's and the firewall's blocks stay";
  EXPECT_EQ(enforcer.counters().backend_failures, 1u);
  EXPECT_TRUE(sink.has("backend-failure 203.0.113.9 notify.sh exited with status 1"))
      << ::testing::PrintToString(sink.lines);
  // A delete that fails has still reached its goal: nothing changes.
  notify.op = Change::Op::Delete;
  scripts.fail_later(notify, Error{EIO, "gone"});
  EXPECT_EQ(blocks_of("203.0.113.9"), 2u);
}

TEST_F(Recovery, ARefusedAddIsNotClaimedAndNotDeletedLater) {
  backend.refuse = "203.0.113.7";
  enforcer.on_alert(alert("203.0.113.7"));
  enforcer.on_alert(alert("203.0.113.8"));
  enforcer.commit();
  EXPECT_FALSE(enforcer.get(*Address::parse("203.0.113.7")));
  EXPECT_TRUE(enforcer.get(*Address::parse("203.0.113.8")));
  EXPECT_TRUE(sink.has("backend-failure 203.0.113.7 set is full"));
  clock.now += 601'000'000;
  enforcer.expire();
  EXPECT_FALSE(sink.has("expired 203.0.113.7"));
}

}  // namespace
}  // namespace rampart
