#include "core/enforcer.h"
#include <gtest/gtest.h>
#include "core/enforcer_fakes.h"

#include <cerrno>

namespace rampart {
namespace {

using fakes::alert;
using fakes::FakeBackend;
using fakes::FakeClock;
using fakes::RecordingSink;

std::shared_ptr<const Config> config(const std::string& extra = "") {
  auto c = fakes::config(R"(<ossec_config>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <command><name>other-drop</name><executable>firewall-drop.sh</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><level>10</level><timeout>600</timeout>
  </active-response>
  )" + extra + "</ossec_config>");
  return c;
}

struct Fixture : ::testing::Test {
  FakeClock clock;
  RecordingSink sink;
  FakeBackend backend;
  Enforcer enforcer{clock, sink};
  void SetUp() override {
    enforcer.set_config(config());
    enforcer.set_backend(CommandKind::Firewall, &backend);
  }
};

TEST_F(Fixture, OneTurnIsOneBatchWithOneChangePerAddress) {
  for (int i = 0; i < 100; ++i)
    enforcer.on_alert(alert(("203.0.113." + std::to_string(i)).c_str()));
  enforcer.on_alert(alert("203.0.113.1"));  // a repeat in the same turn
  EXPECT_EQ(enforcer.pending(), 100u);
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 1u);
  EXPECT_EQ(backend.batches[0].size(), 100u);
  EXPECT_EQ(backend.batches[0][0].timeout_ms, 600000u);
  EXPECT_EQ(backend.batches[0][0].comment, "firewall-drop:5712");
  EXPECT_EQ(enforcer.active(), 100u);
  EXPECT_FALSE(enforcer.has_pending());
}

TEST_F(Fixture, RepeatExtendsFromNow) {
  enforcer.on_alert(alert("203.0.113.9"));
  enforcer.commit();
  clock.now += 100'000'000;  // 100 s later
  enforcer.on_alert(alert("203.0.113.9"));
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 2u);
  EXPECT_EQ(backend.batches[1][0].op, Change::Op::Add);
  EXPECT_EQ(backend.batches[1][0].timeout_ms, 600000u);
  EXPECT_EQ(enforcer.counters().refreshed, 1u);
  EXPECT_EQ(sink.lines.back(), "refreshed 203.0.113.9 ");
}

TEST_F(Fixture, ExpiryIsReportedOnTime) {
  enforcer.on_alert(alert("203.0.113.9"));
  enforcer.commit();
  EXPECT_EQ(enforcer.next_expiry(), clock.now + 600'000'000);
  clock.now += 599'999'999;
  enforcer.expire();
  EXPECT_EQ(enforcer.active(), 1u);
  clock.now += 1;
  enforcer.expire();
  EXPECT_EQ(enforcer.active(), 0u);
  EXPECT_EQ(sink.lines.back(), "expired 203.0.113.9 expired");
  EXPECT_FALSE(enforcer.has_pending()) << "the kernel expires the element by itself";
}

TEST_F(Fixture, RejectedChangeIsNotClaimedAsBlocked) {
  backend.refuse = "203.0.113.2";
  enforcer.on_alert(alert("203.0.113.1"));
  enforcer.on_alert(alert("203.0.113.2"));
  enforcer.commit();
  EXPECT_EQ(enforcer.active(), 1u);
  EXPECT_FALSE(enforcer.get(*Address::parse("203.0.113.2")));
  EXPECT_EQ(enforcer.counters().backend_failures, 1u);
  EXPECT_EQ(sink.lines.back(), "backend-failure 203.0.113.2 set is full");
}

TEST_F(Fixture, UnblockAndFlushDelete) {
  enforcer.on_alert(alert("203.0.113.1"));
  enforcer.on_alert(alert("2001:db8::1"));
  enforcer.commit();
  ASSERT_TRUE(enforcer.unblock(*Address::parse("203.0.113.1"), 0));
  EXPECT_EQ(enforcer.unblock(*Address::parse("203.0.113.1"), 0).error().why, Refusal::NotBlocked);
  enforcer.commit();
  ASSERT_EQ(backend.batches.back().size(), 1u);
  EXPECT_EQ(backend.batches.back()[0].op, Change::Op::Delete);
  EXPECT_EQ(enforcer.flush(0), 1u);
  enforcer.commit();
  EXPECT_EQ(backend.batches.back()[0].address.str(), "2001:db8::1");
  EXPECT_EQ(enforcer.active(), 0u);
}

TEST_F(Fixture, ManualBlocksAreChecked) {
  auto ok = enforcer.block(*Address::parse("198.51.100.0/24"), 60'000'000, "scanner", 0);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->command, "manual");
  EXPECT_EQ(ok->expiry_realtime_us, clock.realtime_us() + 60'000'000);
  EXPECT_EQ(enforcer.block(*Address::parse("10.0.0.0/8"), 0, "", 0).error().why, Refusal::TooWide);
  EXPECT_EQ(enforcer.block(*Address::parse("127.0.0.1"), 0, "", 0).error().why,
            Refusal::NeverBlock);
  EXPECT_EQ(enforcer.block(*Address::parse("0.0.0.0/16"), 0, "", 0).error().why,
            Refusal::NeverBlock);
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 1u);
  EXPECT_EQ(backend.batches[0][0].address.str(), "198.51.100.0/24");
  EXPECT_EQ(backend.batches[0][0].timeout_ms, 60000u);
}

TEST_F(Fixture, KernelTimeoutIsTheLongestOfTheAddressesBlocks) {
  ASSERT_TRUE(enforcer.block(*Address::parse("203.0.113.9"), 3600'000'000, "", 0));
  enforcer.on_alert(alert("203.0.113.9"));  // firewall-drop for 600 s
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 1u);
  EXPECT_EQ(backend.batches[0][0].timeout_ms, 3600'000u) << "600 s must not shorten the 1 h block";
  EXPECT_EQ(enforcer.active(), 2u);
}

TEST_F(Fixture, MaxBlocks) {
  auto c = config("<rampart><max_blocks>2</max_blocks></rampart>");
  enforcer.set_config(c);
  enforcer.on_alert(alert("203.0.113.1"));
  enforcer.on_alert(alert("203.0.113.2"));
  enforcer.on_alert(alert("203.0.113.3"));
  EXPECT_EQ(enforcer.active(), 2u);
  EXPECT_EQ(enforcer.counters().refused, 1u);
}

TEST_F(Fixture, RepeatedOffendersLengthenTheBlock) {
  enforcer.set_config(config(R"(<active-response><command>other-drop</command>
    <rules_id>31101</rules_id><timeout>60</timeout><repeated_offenders>10,30</repeated_offenders>
    </active-response>)"));
  Alert a = alert("203.0.113.5", 5);
  a.rule_id = 31101;
  uint64_t start = clock.now;
  enforcer.on_alert(a);
  EXPECT_EQ(enforcer.next_expiry(), start + 60'000'000);
  auto expiry = [&] {
    auto b = enforcer.get(*Address::parse("203.0.113.5"));
    return b ? b->expiry_realtime_us - clock.realtime_us() + clock.now : 0;
  };
  enforcer.on_alert(a);
  EXPECT_EQ(expiry(), start + 600'000'000);
  enforcer.on_alert(a);
  enforcer.on_alert(a);
  EXPECT_EQ(expiry(), start + 1800'000'000);
}

TEST_F(Fixture, RestoreDoesNotTouchTheBackend) {
  enforcer.restore(CommandKind::Firewall,
                   {{*Address::parse("203.0.113.7"), "firewall-drop", 5712, 30000},
                    {*Address::parse("203.0.113.8"), "", 0, 0}});
  EXPECT_EQ(enforcer.active(), 2u);
  EXPECT_FALSE(enforcer.has_pending());
  EXPECT_EQ(enforcer.next_expiry(), clock.now + 30'000'000);
  EXPECT_EQ(enforcer.get(*Address::parse("203.0.113.8"))->command, "unknown");
  EXPECT_EQ(sink.lines.back(), "restored - ");
}

TEST_F(Fixture, ListPagesInAddressOrder) {
  for (const char* ip : {"203.0.113.3", "203.0.113.1", "2001:db8::1", "203.0.113.2"})
    enforcer.on_alert(alert(ip));
  auto page = enforcer.list(nullptr, 2);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0].address.str(), "203.0.113.1");
  EXPECT_EQ(page[1].address.str(), "203.0.113.2");
  auto rest = enforcer.list(&page[1].address, 10);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].address.str(), "203.0.113.3");
  EXPECT_EQ(rest[1].address.str(), "2001:db8::1");
}

TEST_F(Fixture, SnapshotRestoresReasonsAndDropsWhatExpiredMeanwhile) {
  enforcer.on_alert(alert("203.0.113.1"));
  ASSERT_TRUE(enforcer.block(*Address::parse("198.51.100.0/24"), 60'000'000, "scanner", 0));
  ASSERT_TRUE(enforcer.block(*Address::parse("192.0.2.7"), 0, "forever", 0));
  enforcer.commit();
  BlockSnapshot s = enforcer.snapshot(CommandKind::Firewall);
  ASSERT_EQ(s.blocks.size(), 3u);

  FakeClock later;
  later.now = clock.now + 61'000'000;  // the manual /24 has expired, the alert's block has not
  RecordingSink events;
  FakeBackend fresh;
  Enforcer next(later, events);
  next.set_config(config());
  next.set_backend(CommandKind::Firewall, &fresh);
  EXPECT_EQ(next.restore(CommandKind::Firewall, s), 2u);
  EXPECT_TRUE(events.has("restored"));
  EXPECT_FALSE(next.has_pending()) << "restoring must not send anything to the backend";
  auto forever = next.get(*Address::parse("192.0.2.7"));
  ASSERT_TRUE(forever);
  EXPECT_EQ(forever->reason, "forever");
  EXPECT_EQ(forever->command, "manual");
  EXPECT_EQ(forever->expiry_realtime_us, 0u);
  auto blocked = next.get(*Address::parse("203.0.113.1"));
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->reason, "sshd brute force");
  EXPECT_EQ(blocked->rule_id, 5712u);
  EXPECT_EQ(blocked->expiry_realtime_us, later.to_realtime(clock.now + 600'000'000));
  EXPECT_FALSE(next.get(*Address::parse("198.51.100.0/24")));
}

// What a backend should hold for an address: the longest block's time, or nothing.
TEST_F(Fixture, DesiredIsTheLongestBlockOrADelete) {
  enforcer.on_alert(alert("203.0.113.9"));
  ASSERT_TRUE(enforcer.block(*Address::parse("203.0.113.9"), 900'000'000, "by hand", 0));
  enforcer.commit();
  clock.now += 100'000'000;
  Change c = enforcer.desired(CommandKind::Firewall, *Address::parse("203.0.113.9"));
  EXPECT_EQ(c.op, Change::Op::Add);
  EXPECT_EQ(c.timeout_ms, 800'000u);
  EXPECT_EQ(c.command, "manual");
  EXPECT_EQ(enforcer.desired(CommandKind::Firewall, *Address::parse("203.0.113.10")).op,
            Change::Op::Delete);
  EXPECT_FALSE(enforcer.has_pending()) << "nothing is queued";
}

// A slice of addresses goes to the backend again; addresses without blocks are skipped.
TEST_F(Fixture, ResyncOfSomeAddressesQueuesOnlyThose) {
  for (const char* a : {"203.0.113.1", "203.0.113.2", "203.0.113.3"}) enforcer.on_alert(alert(a));
  enforcer.commit();
  std::vector<Address> some{*Address::parse("203.0.113.1"), *Address::parse("203.0.113.3"),
                            *Address::parse("203.0.113.4")};
  EXPECT_EQ(enforcer.resync(CommandKind::Firewall, some), 2u);
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 2u);
  ASSERT_EQ(backend.batches[1].size(), 2u);
  EXPECT_EQ(backend.batches[1][0].address.str(), "203.0.113.1");
  EXPECT_EQ(backend.batches[1][1].address.str(), "203.0.113.3");
}

// The kernel's element decides how long an address stays blocked: no block outlives it, the
// longest lasts as long, and nothing is sent for it.
TEST_F(Fixture, AlignFollowsTheBackendsDeadline) {
  Address a = *Address::parse("203.0.113.9");
  enforcer.on_alert(alert("203.0.113.9"));  // 600 s
  ASSERT_TRUE(enforcer.block(a, 300'000'000, "by hand", 0));
  enforcer.commit();
  enforcer.align(CommandKind::Firewall, a, 100'000);  // the kernel says 100 s
  EXPECT_FALSE(enforcer.has_pending());
  for (const BlockView& v : enforcer.list())
    EXPECT_EQ(v.expiry_realtime_us, clock.realtime_us() + 100'000'000) << v.command;
  enforcer.align(CommandKind::Firewall, a, 2'000'000);  // and later 2000 s
  std::vector<uint64_t> left;
  for (const BlockView& v : enforcer.list())
    left.push_back(v.expiry_realtime_us - clock.realtime_us());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<uint64_t>{100'000'000, 2'000'000'000}));
  enforcer.align(CommandKind::Firewall, a, 0);  // no timeout at all
  EXPECT_EQ(enforcer.desired(CommandKind::Firewall, a).timeout_ms, 0u);
  clock.now += 3'000'000'000;
  enforcer.expire();
  EXPECT_EQ(enforcer.active(), 1u) << "the block without a timeout stays";
}

}  // namespace
}  // namespace rampart
