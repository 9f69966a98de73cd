// <block_prefix> and <timeout_jitter> through the enforcer, with plain fakes.
#include <gtest/gtest.h>

#include <set>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"
namespace rampart {
namespace {

using fakes::FakeBackend;
using fakes::FakeClock;

std::shared_ptr<const Config> config(const std::string& rampart) {
  auto c = fakes::config(R"(<ossec_config>
  <global><white_list>2001:db8:1:3::77</white_list></global>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><level>10</level><timeout>600</timeout>
  </active-response>
  <rampart>)" + rampart + "</rampart></ossec_config>");
  return c;
}

Alert alert(const char* ip) {
  Alert a;
  a.level = 10;
  a.rule_id = 5712;
  a.srcip = ip;
  a.address = Address::parse_host(ip);
  return a;
}

// What the audit trail gets: "blocked PREFIX from ADDRESS" and why a prefix was narrowed.
struct Sink final : EventSink {
  void emit(const Event& e) override {
    std::string line = std::string(to_string(e.type)) + " " + e.address->str();
    if (e.alert_address) line += " from " + e.alert_address->str();
    if (!e.narrowed.empty()) line += " | " + std::string(e.narrowed);
    lines.push_back(line);
  }
  std::vector<std::string> lines;
};

struct Prefixes : ::testing::Test {
  FakeClock clock;
  Sink sink;
  FakeBackend backend;
  Enforcer enforcer{clock, sink};
  void SetUp() override {
    enforcer.set_config(config("<block_prefix><ipv4>24</ipv4><ipv6>64</ipv6></block_prefix>"));
    enforcer.set_backend(CommandKind::Firewall, &backend);
  }
};

TEST_F(Prefixes, AnAlertBlocksItsPrefixAndRepeatsRefreshIt) {
  enforcer.on_alert(alert("2001:db8:1:2::5"));
  clock.now += 60 * 1000000ull;
  enforcer.on_alert(alert("2001:db8:1:2::99"));  // the same /64, a minute later
  EXPECT_EQ(sink.lines, (std::vector<std::string>{
                            "blocked 2001:db8:1:2::/64 from 2001:db8:1:2::5",
                            "refreshed 2001:db8:1:2::/64 from 2001:db8:1:2::99",
                        }));
  EXPECT_EQ(enforcer.active(), 1u);
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 1u);
  ASSERT_EQ(backend.batches[0].size(), 1u);
  EXPECT_EQ(backend.batches[0][0].address.str(), "2001:db8:1:2::/64");
  EXPECT_EQ(backend.batches[0][0].timeout_ms, 600000u);
  auto view = enforcer.get(*Address::parse("2001:db8:1:2::/64"));
  ASSERT_TRUE(view);
}

TEST_F(Prefixes, APrefixHoldingAnAllowlistedOrHostAddressIsNarrowed) {
  enforcer.set_host_addresses({*Address::parse("198.51.100.1")});
  enforcer.on_alert(alert("2001:db8:1:3::5"));
  enforcer.on_alert(alert("198.51.100.20"));
  enforcer.on_alert(alert("203.0.113.9"));
  EXPECT_EQ(sink.lines,
            (std::vector<std::string>{
                "blocked 2001:db8:1:3::5 | 2001:db8:1:3::/64 narrowed to 2001:db8:1:3::5: the "
                "prefix holds allowlisted 2001:db8:1:3::77",
                "blocked 198.51.100.20 | 198.51.100.0/24 narrowed to 198.51.100.20: the prefix "
                "holds 198.51.100.1, an address of this host",
                "blocked 203.0.113.0/24 from 203.0.113.9",
            }));
}

TEST_F(Prefixes, NeverBlockRangesNarrowToo) {
  enforcer.set_config(config("<block_prefix><ipv4>8</ipv4></block_prefix>"));
  enforcer.on_alert(alert("127.0.0.1"));  // skipped: loopback itself
  enforcer.on_alert(alert("224.1.1.1"));  // skipped: multicast itself
  enforcer.set_config(config("<block_prefix><ipv6>16</ipv6></block_prefix>"));
  enforcer.on_alert(alert("fe81::1"));  // skipped: link-local
  enforcer.on_alert(alert("ff01::1"));  // skipped
  enforcer.on_alert(alert("fe00::1"));  // fe00::/16 holds no link-local; blocked whole
  EXPECT_EQ(sink.lines.back(), "blocked fe00::/16 from fe00::1");
}

TEST(Jitter, SpreadsExpiriesWithinThePercent) {
  FakeClock clock;
  Sink sink;
  FakeBackend backend;
  Enforcer enforcer{clock, sink};
  enforcer.set_config(config("<timeout_jitter>10</timeout_jitter>"));
  enforcer.set_backend(CommandKind::Firewall, &backend);
  for (int i = 0; i < 1000; ++i)
    enforcer.on_alert(alert(("198.51.100." + std::to_string(i % 250) + "").c_str()));
  for (int i = 0; i < 250; ++i)
    enforcer.on_alert(alert(("203.0.113." + std::to_string(i) + "").c_str()));
  enforcer.commit();
  std::set<uint64_t> seconds;
  for (const Change& c : backend.batches[0]) {
    EXPECT_GE(c.timeout_ms, 600000u);
    EXPECT_LE(c.timeout_ms, 660000u);
    seconds.insert(c.timeout_ms / 1000);
  }
  // 500 blocks over 60 s: without jitter they would all share one second.
  EXPECT_GT(seconds.size(), 40u);
}

TEST(Jitter, ZeroIsExact) {
  FakeClock clock;
  Sink sink;
  FakeBackend backend;
  Enforcer enforcer{clock, sink};
  enforcer.set_config(config(""));
  enforcer.set_backend(CommandKind::Firewall, &backend);
  for (int i = 0; i < 50; ++i)
    enforcer.on_alert(alert(("198.51.100." + std::to_string(i)).c_str()));
  enforcer.commit();
  for (const Change& c : backend.batches[0]) EXPECT_EQ(c.timeout_ms, 600000u);
}

}  // namespace
}  // namespace rampart
