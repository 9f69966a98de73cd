// The host's own addresses are never blocked, and the enforcer's recovery paths (resync after
// a flushed firewall, forget after an external delete), without a kernel or a bus.
#include "host/host_addresses.h"
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"
namespace rampart {
namespace {

using fakes::FakeBackend;
using fakes::FakeClock;
using fakes::RecordingSink;

std::shared_ptr<const Config> config() {
  auto c = parse_config(R"(<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><level>10</level><timeout>600</timeout>
  </active-response></ossec_config>)",
                        "t.conf");
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return std::make_shared<Config>(std::move(*c));
}

Alert alert(const char* ip) {
  Alert a;
  a.level = 10;
  a.rule_id = 5712;
  a.srcip = ip;
  a.address = Address::parse_host(ip);
  a.description = "sshd brute force";
  return a;
}

struct Fixture : ::testing::Test {
  FakeClock clock;
  RecordingSink sink;
  FakeBackend backend;
  Enforcer enforcer{clock, sink};
  void SetUp() override {
    enforcer.set_config(config());
    enforcer.set_backend(CommandKind::Firewall, &backend);
    enforcer.set_host_addresses({*Address::parse("192.0.2.1"), *Address::parse("2001:db8::1")});
  }
};

TEST(HostAddresses, ReadsLoopbackAtLeast) {
  auto own = read_host_addresses();
  ASSERT_TRUE(own) << own.error().message;
  // Every network namespace has lo; tests may run in one where it is down, but it is listed
  // once it has an address, which it has in the initial namespace.
  EXPECT_TRUE(std::is_sorted(own->begin(), own->end()));
  for (const Address& a : *own) EXPECT_TRUE(a.is_host()) << a.str();
}

TEST_F(Fixture, AlertForAHostAddressIsSkipped) {
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

TEST_F(Fixture, HostAddressesSurviveAReload) {
  enforcer.set_config(config());
  enforcer.on_alert(alert("192.0.2.1"));
  EXPECT_EQ(enforcer.active(), 0u);
  EXPECT_NE(enforcer.engine().explain(alert("192.0.2.1")).find("address of this host"),
            std::string::npos);
}

TEST_F(Fixture, ManualBlockOfAHostAddressIsRefused) {
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

TEST_F(Fixture, ResyncQueuesEveryLiveBlockWithItsRemainingTime) {
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

TEST_F(Fixture, ForgottenBlockIsNotReAdded) {
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

}  // namespace
}  // namespace rampart
