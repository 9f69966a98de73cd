// Per-service blocks with real packets: rampartd runs in this test's network namespace (the
// server); a second namespace (the client) reaches it over a veth pair. A block of a command
// with <ports>tcp/2222</ports> drops the client's connections to port 2222 and lets its
// connections to another port through.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"

namespace rampart::test {
namespace {

const std::string kConfig = R"(
  <command><name>ssh-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed><ports>tcp/2222,udp/51820</ports></command>
  <active-response><command>ssh-drop</command><level>10</level><timeout>600</timeout>
  </active-response>)";

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(enter_new_netns(), "");
    client_ = fmt::format("rs-client-{}", getpid());
    // Server 192.0.2.1 here; client 192.0.2.2 there, which also holds the test addresses the
    // alerts name, so its connections can come from them.
    std::string setup = fmt::format(
        "set -e; ip netns add {0}; ip link add rs-s type veth peer name rs-c; "
        "ip link set rs-c netns {0}; ip addr add 192.0.2.1/24 dev rs-s; ip link set rs-s up; "
        "ip route add 198.51.100.0/24 via 192.0.2.2; ip route add 203.0.113.0/24 via 192.0.2.2; "
        "ip netns exec {0} sh -c 'ip link set lo up; ip addr add 192.0.2.2/24 dev rs-c; "
        "ip addr add 198.51.100.9/32 dev rs-c; ip addr add 203.0.113.9/32 dev rs-c; "
        "ip link set rs-c up; ip route add default via 192.0.2.1'",
        client_);
    int status = 0;
    std::string out = run(setup + " 2>&1", &status);
    ASSERT_EQ(status, 0) << out;
    for (uint16_t port : {2222, 8080}) listen_on(port);
  }
  void TearDown() override {
    for (int fd : listeners_) close(fd);
    if (!client_.empty()) run("ip netns del " + client_ + " 2>/dev/null");
  }

  void listen_on(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(listen(fd, 64), 0);
    listeners_.push_back(fd);
  }

  // Connects from `source` in the client namespace to the server's `port`: "connected",
  // "timeout" (the SYN was dropped) or the error.
  std::string connect_from(const std::string& source, uint16_t port) {
    std::string script = fmt::format(
        "import socket\n"
        "s = socket.socket(); s.bind(('{}', 0)); s.settimeout(3)\n"
        "try:\n"
        "    s.connect(('192.0.2.1', {})); print('connected')\n"
        "except socket.timeout:\n"
        "    print('timeout')\n"
        "except OSError as e:\n"
        "    print(e.strerror)\n",
        source, port);
    std::string out = run(fmt::format("ip netns exec {} python3 -c \"{}\"", client_, script));
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }

  std::string client_;
  std::vector<int> listeners_;
  DaemonProcess daemon;
};

TEST_F(ServiceTest, ABlockedAddressReachesOpenPortsAndIsDroppedOnTheBlockedOne) {
  ASSERT_EQ(connect_from("198.51.100.9", 2222), "connected") << "the path works before a block";
  PrivateBus bus;
  ASSERT_TRUE(bus.ok());
  ASSERT_EQ(daemon.start(kConfig, {}, {bus.env()}), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("198.51.100.9"), wazuh_alert("2001:db8:5::9")}));
  ASSERT_TRUE(wait_until([&] {
    auto s = list_set(daemon.table(), "service4");
    return s && s->size() == 2;
  })) << daemon.log();
  auto elements = *list_set(daemon.table(), "service4");
  std::vector<std::string> seen;
  for (const auto& e : elements) {
    seen.push_back(e.comment);
    EXPECT_EQ(e.timeout_ms, 600000u);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ssh-drop:5712", "ssh-drop:5712"}));
  std::string listing = run("nft list set inet " + daemon.table() + " service4");
  EXPECT_NE(listing.find("type ipv4_addr . inet_proto . inet_service"), std::string::npos)
      << listing;
  EXPECT_NE(listing.find("198.51.100.9 . tcp . 2222"), std::string::npos) << listing;
  EXPECT_NE(listing.find("198.51.100.9 . udp . 51820"), std::string::npos) << listing;
  EXPECT_TRUE(list_set(daemon.table(), "blocked4")->empty()) << "not a whole-address block";

  EXPECT_EQ(connect_from("198.51.100.9", 2222), "timeout") << "the blocked port drops";
  EXPECT_EQ(connect_from("198.51.100.9", 8080), "connected") << "other ports stay open";
  EXPECT_EQ(connect_from("203.0.113.9", 2222), "connected") << "other addresses stay in";

  EXPECT_NE(daemon.log().find("blocked 198.51.100.9 with ssh-drop"), std::string::npos);
  std::string ruleset = run("nft list table inet " + daemon.table());
  EXPECT_NE(ruleset.find("ip saddr . meta l4proto . th dport @service4 drop"), std::string::npos)
      << ruleset;
  auto six = run("nft list set inet " + daemon.table() + " service6");
  EXPECT_NE(six.find("2001:db8:5::9 . tcp . 2222"), std::string::npos) << six;
  // rampartctl list shows the scope.
  const char* ctl = getenv("RAMPARTCTL");
  ASSERT_TRUE(ctl);
  std::string list = run(bus.env() + " " + ctl + " list --no-legend");
  EXPECT_NE(list.find("198.51.100.9  ssh-drop tcp/2222,udp/51820 in "), std::string::npos) << list;
}

TEST_F(ServiceTest, ARepeatRefreshesAndAPrefixBlockCoversItsPorts) {
  ASSERT_EQ(daemon.start(kConfig +
                         daemon.rampart_section("<block_prefix><ipv4>24</ipv4></block_prefix>")),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.77")}));
  ASSERT_TRUE(wait_until([&] {
    auto s = list_set(daemon.table(), "service4");
    return s && s->size() == 2;
  })) << daemon.log();
  std::string listing = run("nft list set inet " + daemon.table() + " service4");
  EXPECT_NE(listing.find("203.0.113.0/24 . tcp . 2222"), std::string::npos) << listing;
  EXPECT_EQ(connect_from("203.0.113.9", 2222), "timeout") << "another address of the /24";
  EXPECT_EQ(connect_from("203.0.113.9", 8080), "connected");
  EXPECT_EQ(connect_from("198.51.100.9", 2222), "connected");
  // A repeat from another address of the prefix refreshes the same elements.
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.200")}));
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("refreshed 203.0.113.0/24 (alert from 203.0.113.200)") !=
           std::string::npos;
  })) << daemon.log();
  EXPECT_EQ(list_set(daemon.table(), "service4")->size(), 2u);
}

}  // namespace
}  // namespace rampart::test
