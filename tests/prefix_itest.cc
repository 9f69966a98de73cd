// <block_prefix> and <timeout_jitter> against the real kernel, in a private network namespace.
#include <fmt/format.h>

#include <set>

#include "harness.h"

namespace rampart::test {
namespace {

const std::string kDrop = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><level>10</level><timeout>600</timeout>
  </active-response>)";

class PrefixTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(enter_new_netns(), "");
  }
  std::vector<std::string> addresses(const std::string& set) {
    std::vector<std::string> out;
    if (auto s = list_set(daemon.table(), set))
      for (const auto& e : *s) out.push_back(e.address);
    return out;
  }
  bool logged(const std::string& text) {
    return wait_until([&] { return daemon.log().find(text) != std::string::npos; });
  }
  DaemonProcess daemon;
};

TEST_F(PrefixTest, A64IsBlockedRefreshedFromAnotherAddressAndNarrowedAroundTheAllowlist) {
  ASSERT_EQ(daemon.start("<global><white_list>2001:db8:1:3::77</white_list></global>" + kDrop +
                         daemon.rampart_section(
                             "<block_prefix><ipv4>32</ipv4><ipv6>64</ipv6></block_prefix>")),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("2001:db8:1:2::5")}));
  ASSERT_TRUE(logged("blocked 2001:db8:1:2::/64 (alert from 2001:db8:1:2::5) with firewall-drop"))
      << daemon.log();
  ASSERT_TRUE(wait_until([&] { return addresses("blocked6_net").size() == 1; })) << daemon.log();
  EXPECT_EQ(addresses("blocked6_net"), std::vector<std::string>{"2001:db8:1:2::/64"});

  // Another address of the same /64 refreshes the same element.
  ASSERT_TRUE(daemon.send({wazuh_alert("2001:db8:1:2::99")}));
  ASSERT_TRUE(logged("refreshed 2001:db8:1:2::/64 (alert from 2001:db8:1:2::99)")) << daemon.log();
  EXPECT_EQ(addresses("blocked6_net"), std::vector<std::string>{"2001:db8:1:2::/64"});

  // A /64 holding an allowlisted address: only the alert's own address is blocked.
  ASSERT_TRUE(daemon.send({wazuh_alert("2001:db8:1:3::5"), wazuh_alert("203.0.113.9")}));
  ASSERT_TRUE(logged("blocked 2001:db8:1:3::5 with firewall-drop")) << daemon.log();
  EXPECT_TRUE(
      logged("2001:db8:1:3::/64 narrowed to 2001:db8:1:3::5: the prefix holds "
             "allowlisted 2001:db8:1:3::77"))
      << daemon.log();
  ASSERT_TRUE(wait_until([&] { return addresses("blocked6").size() == 1; }));
  EXPECT_EQ(addresses("blocked6"), std::vector<std::string>{"2001:db8:1:3::5"});
  EXPECT_EQ(addresses("blocked6_net").size(), 1u);
  // IPv4 stays per address at /32.
  ASSERT_TRUE(wait_until([&] { return addresses("blocked4").size() == 1; }));
  EXPECT_EQ(addresses("blocked4"), std::vector<std::string>{"203.0.113.9"});
}

TEST_F(PrefixTest, JitterSpreadsTheKernelTimeouts) {
  ASSERT_EQ(daemon.start(kDrop + daemon.rampart_section("<timeout_jitter>20</timeout_jitter>")),
            "");
  std::vector<std::string> alerts;
  for (int i = 0; i < 200; ++i) alerts.push_back(wazuh_alert(fmt::format("2001:db8:7::{:x}", i)));
  ASSERT_TRUE(daemon.send(alerts));
  ASSERT_TRUE(wait_until([&] {
    auto s = list_set(daemon.table(), "blocked6");
    return s && s->size() == 200;
  })) << daemon.log();
  std::set<uint64_t> seconds;
  auto elements = list_set(daemon.table(), "blocked6");
  ASSERT_TRUE(elements);
  for (const auto& e : *elements) {
    EXPECT_GE(e.timeout_ms, 600000u);
    EXPECT_LE(e.timeout_ms, 720000u);
    seconds.insert(e.timeout_ms / 1000);
  }
  // Created in the same instant, they expire over two minutes rather than in one second.
  EXPECT_GT(seconds.size(), 50u);
}

}  // namespace
}  // namespace rampart::test
