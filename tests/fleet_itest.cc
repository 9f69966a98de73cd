// A fleet for real: a 3-server nats-server cluster with JetStream in a hub namespace, and
// rampartd nodes each in a network namespace of its own, with the permissions of
// examples/nats-server.conf. Node 0 is the manager (agent 000, server); the others are agents
// 001, 002, 003 that read only their own orders and those for every node.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "fleet_harness.h"
#include "harness.h"
#include "testing/private_bus.h"

namespace rampart::test {
namespace {

constexpr int kNodes = 4;
const char* const kAgentIds[] = {"000", "001", "002", "003"};

// The manager's bindings, one rule per <location>; agents define the command only.
const std::string kCommand = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>)";
const std::string kBindings = R"(
  <active-response><command>firewall-drop</command><location>all</location>
    <rules_id>100001</rules_id><timeout>600</timeout></active-response>
  <active-response><command>firewall-drop</command><location>defined-agent</location>
    <agent_id>002</agent_id><rules_id>100002</rules_id><timeout>600</timeout></active-response>
  <active-response><command>firewall-drop</command><location>local</location>
    <rules_id>100003</rules_id><timeout>600</timeout></active-response>
  <active-response><command>firewall-drop</command><location>server</location>
    <rules_id>100004</rules_id><timeout>600</timeout></active-response>
  <active-response><command>firewall-drop</command><location>all</location>
    <rules_id>100005</rules_id><timeout>2</timeout></active-response>)";

std::string alert(const std::string& ip, const std::string& rule, const std::string& agent = "") {
  return wazuh_alert(ip, 10, rule, "\"sshd\"", agent);
}

class Fleet : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    net_ = new FleetNet(kNodes + 1);
    std::vector<NatsUser> users;
    for (int i = 0; i < kNodes + 1; ++i) {
      std::string id = i < kNodes ? kAgentIds[i] : "004";
      users.push_back({"node-" + id, "secret-" + id, id, i == 0});
    }
    nats_ = new NatsCluster(*net_, users);
    setup_error_ = net_->error();
    if (setup_error_.empty()) setup_error_ = nats_->start();
  }
  static void TearDownTestSuite() {
    delete nats_;
    delete net_;
  }

  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(setup_error_, "");
    for (int i = 0; i < kNodes; ++i) ASSERT_EQ(start(i), "") << "node " << i;
  }

  std::string start(int i, const std::string& agent_id = "", const std::string& fleet_extra = "") {
    std::string id = agent_id.empty() ? kAgentIds[i] : agent_id;
    if (!nodes_[i]) nodes_[i] = std::make_unique<DaemonProcess>();
    DaemonProcess& d = *nodes_[i];
    d.set_netns(net_->node(i));
    std::string section = fleet_rampart_section(d, "node" + id, id, i == 0, nats_->urls(i),
                                                nats_->credentials("node-" + id), fleet_extra);
    return d.start(kCommand + (i == 0 ? kBindings : "") + section);
  }

  // Restarts node i with `bus` as its system bus, for rampartctl. Returns rampartctl's command
  // line for that bus.
  std::string restart_on_bus(int i, const PrivateBus& bus) {
    unsetenv("DBUS_SYSTEM_BUS_ADDRESS");
    nodes_[i]->stop();
    nodes_[i]->set_netns(net_->node(i));
    std::string id = kAgentIds[i];
    std::string section = fleet_rampart_section(*nodes_[i], "node" + id, id, i == 0, nats_->urls(i),
                                                nats_->credentials("node-" + id));
    std::string started =
        nodes_[i]->start(kCommand + (i == 0 ? kBindings : "") + section, {}, {bus.env()});
    EXPECT_EQ(started, "") << "node " << i;
    return bus.env() + " " + getenv("RAMPARTCTL") + " --no-ask-password ";
  }

  // Waits until node i's fleet consumers are bound (orders flow).
  bool ready(int i) {
    return wait_until(
        [&] { return nodes_[i]->log().find("fleet: reading orders") != std::string::npos; },
        std::chrono::seconds(30));
  }

  std::set<std::string> blocked(int i, const char* set_name = "blocked4") {
    std::set<std::string> out;
    if (auto set = list_set("rampart", set_name, net_->node(i)))
      for (const auto& e : *set) out.insert(e.address);
    return out;
  }
  bool has(int i, const std::string& ip) { return blocked(i).count(ip) > 0; }
  bool wait_blocked(int i, const std::string& ip) {
    return wait_until([&] { return has(i, ip); }, std::chrono::seconds(30));
  }

  // Waits until every node has every one of `all` (IPv6 hosts) in its kernel.
  void expect_everywhere(const std::set<std::string>& all) {
    auto missing = [&](int n) {
      std::set<std::string> got = blocked(n, "blocked6");
      return size_t(std::count_if(all.begin(), all.end(), [&](auto& a) { return !got.count(a); }));
    };
    for (int n = 0; n < kNodes; ++n)
      EXPECT_TRUE(wait_until([&] { return missing(n) == 0; }, std::chrono::seconds(90)))
          << "node " << n << " misses " << missing(n) << "\n"
          << nodes_[n]->log().substr(0, 3000);
  }

  static FleetNet* net_;
  static NatsCluster* nats_;
  static std::string setup_error_;
  std::unique_ptr<DaemonProcess> nodes_[kNodes + 1];
};

FleetNet* Fleet::net_ = nullptr;
NatsCluster* Fleet::nats_ = nullptr;
std::string Fleet::setup_error_;

TEST_F(Fleet, EachLocationReachesItsNodes) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i)) << nodes_[i]->log();
  DaemonProcess& manager = *nodes_[0];
  ASSERT_TRUE(
      manager.send({alert("203.0.113.2", "100002"), alert("203.0.113.3", "100003", "003"),
                    alert("203.0.113.4", "100004", "001"), alert("203.0.113.1", "100001", "001")}));
  // all: every node, the manager included.
  for (int i = 0; i < kNodes; ++i)
    EXPECT_TRUE(wait_blocked(i, "203.0.113.1")) << "node " << i << "\n" << nodes_[i]->log();
  // defined-agent 002, local (the alert is from agent 003), server (the manager).
  EXPECT_TRUE(wait_blocked(2, "203.0.113.2")) << nodes_[2]->log();
  EXPECT_TRUE(wait_blocked(3, "203.0.113.3")) << nodes_[3]->log();
  EXPECT_TRUE(wait_blocked(0, "203.0.113.4"));
  // Nowhere else: no other node reads those subjects, so nothing can still be on its way.
  EXPECT_EQ(blocked(0), (std::set<std::string>{"203.0.113.1", "203.0.113.4"}));
  EXPECT_EQ(blocked(1), (std::set<std::string>{"203.0.113.1"}));
  EXPECT_EQ(blocked(2), (std::set<std::string>{"203.0.113.1", "203.0.113.2"}));
  EXPECT_EQ(blocked(3), (std::set<std::string>{"203.0.113.1", "203.0.113.3"}));
  // An agent keeps the manager's deadline and says where the block came from.
  auto set = list_set("rampart", "blocked4", net_->node(1));
  ASSERT_TRUE(set);
  EXPECT_GT(set->at(0).timeout_ms, 590000u);
  EXPECT_NE(nodes_[1]->log().find("ordered by node000"), std::string::npos);

  // A brand-new node gets the fleet's current blocks.
  ASSERT_EQ(start(kNodes, "004"), "");
  EXPECT_TRUE(wait_blocked(kNodes, "203.0.113.1")) << nodes_[kNodes]->log();
}

TEST_F(Fleet, ARevokeWithFleetScopeLiftsItEverywhere) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  // The manager gets a bus of its own (the agents run without one) for rampartctl.
  PrivateBus bus;
  ASSERT_TRUE(bus.ok());
  std::string ctl = restart_on_bus(0, bus);
  ASSERT_TRUE(ready(0));

  ASSERT_TRUE(nodes_[0]->send({alert("203.0.113.50", "100001")}));
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(wait_blocked(i, "203.0.113.50")) << i;
  int status = -1;
  std::string out = run(ctl + "unblock 203.0.113.50 --everywhere 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  for (int i = 0; i < kNodes; ++i)
    EXPECT_TRUE(wait_until([&] { return !has(i, "203.0.113.50"); }, std::chrono::seconds(30)))
        << "node " << i << "\n"
        << nodes_[i]->log();

  out = run(ctl + "block 198.51.100.77 --timeout 10m --reason scanner --everywhere 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  for (int i = 0; i < kNodes; ++i) EXPECT_TRUE(wait_blocked(i, "198.51.100.77")) << i;
  out = run(ctl + "flush --everywhere 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  for (int i = 0; i < kNodes; ++i)
    EXPECT_TRUE(wait_until([&] { return blocked(i).empty() && blocked(i, "blocked6").empty(); },
                           std::chrono::seconds(30)))
        << "node " << i;
  // The alert's order, unblock, block, flush: four orders stored by JetStream.
  EXPECT_TRUE(wait_until([&] {
    return run(ctl + "status").find("Orders: 4 sent") != std::string::npos;
  })) << run(ctl + "status");
  out = run(ctl + "status");
  EXPECT_NE(out.find("Fleet: connected to nats://"), std::string::npos) << out;
}

TEST_F(Fleet, ABlockFromAnOrderNamesTheNodeItCameFrom) {
  PrivateBus bus;
  ASSERT_TRUE(bus.ok());
  std::string ctl = restart_on_bus(1, bus);
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  ASSERT_TRUE(nodes_[0]->send({alert("203.0.113.60", "100001")}));
  ASSERT_TRUE(wait_blocked(1, "203.0.113.60")) << nodes_[1]->log();
  // What an admin on agent 001 sees: the manager's node name, in the table, show and JSON.
  int status = -1;
  std::string out = run(ctl + "list 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("ORIGIN"), std::string::npos) << out;
  auto row = out.find("203.0.113.60 ");
  ASSERT_NE(row, std::string::npos) << out;
  std::string line = out.substr(row, out.find('\n', row) - row);
  EXPECT_NE(line.find(" node000 "), std::string::npos) << line;
  out = run(ctl + "show 203.0.113.60 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find(" Origin: node000\n"), std::string::npos) << out;
  out = run(ctl + "list --json 2>&1", &status);
  EXPECT_NE(out.find(R"("address":"203.0.113.60")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("origin":"node000")"), std::string::npos) << out;
  // A block this node decided itself has no origin.
  out = run(ctl + "block 198.51.100.61 --timeout 10m 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
  out = run(ctl + "show 198.51.100.61 2>&1", &status);
  EXPECT_NE(out.find(" Origin: this node\n"), std::string::npos) << out;
}

TEST_F(Fleet, AnAgentCannotOrderOtherNodes) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  // Agent 003 is given the manager's bindings and an alert for every node.
  DaemonProcess& agent = *nodes_[3];
  agent.stop();
  std::string section = fleet_rampart_section(agent, "node003", "003", false, nats_->urls(3),
                                              nats_->credentials("node-003"));
  ASSERT_EQ(agent.start(kCommand + kBindings + section), "");
  ASSERT_TRUE(ready(3));
  ASSERT_TRUE(agent.send({alert("198.51.100.33", "100001")}));
  EXPECT_TRUE(wait_until([&] { return agent.log().find("order refused") != std::string::npos; },
                         std::chrono::seconds(30)))
      << agent.log();
  EXPECT_NE(agent.log().find("Permissions Violation"), std::string::npos);
  EXPECT_TRUE(has(3, "198.51.100.33")) << "it still blocks locally";
  // A later order from the manager reaches node 1; the agent's never does.
  ASSERT_TRUE(nodes_[0]->send({alert("198.51.100.34", "100001")}));
  ASSERT_TRUE(wait_blocked(1, "198.51.100.34"));
  EXPECT_FALSE(has(1, "198.51.100.33"));
}

TEST_F(Fleet, ANodeStoppedDuringAFloodGetsEveryUnexpiredOrderAndNoExpiredOne) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  DaemonProcess& manager = *nodes_[0];
  // 1,000 orders, every other one for 600 s, the rest for 2 s; node 1 stops after the first
  // has reached it (orders delivered, applied or not yet acknowledged are in flight) and is
  // down for the second half.
  auto ip = [](int i) { return fmt::format("2001:db8:3::{:x}", i + 1); };
  std::vector<std::string> lines[2];
  for (int i = 0; i < 1000; ++i)
    lines[i / 500].push_back(alert(ip(i), i % 2 ? "100005" : "100001"));
  ASSERT_TRUE(manager.send(lines[0]));
  ASSERT_TRUE(wait_until([&] { return nodes_[1]->stat("fleet_received").value_or(0) > 0; },
                         std::chrono::seconds(30)));
  nodes_[1]->stop();
  auto sent = std::chrono::system_clock::now();
  ASSERT_TRUE(manager.send(lines[1]));
  ASSERT_TRUE(wait_until([&] { return manager.stat("fleet_sent").value_or(0) >= 1000; },
                         std::chrono::seconds(60)))
      << manager.log();
  // The short ones have expired everywhere before node 1 comes back.
  while (std::chrono::system_clock::now() < sent + std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto restarted = std::chrono::steady_clock::now();
  ASSERT_EQ(start(1), "");
  auto long_ones = [&] {
    std::set<std::string> got = blocked(1, "blocked6");
    for (int i = 0; i < 1000; i += 2)
      if (!got.count(ip(i))) return false;
    return true;
  };
  ASSERT_TRUE(wait_until(long_ones, std::chrono::seconds(60))) << nodes_[1]->log();
  auto caught_up = std::chrono::steady_clock::now() - restarted;
  std::set<std::string> got = blocked(1, "blocked6");
  for (int i = 1; i < 1000; i += 2) EXPECT_EQ(got.count(ip(i)), 0u) << ip(i);
  // At least the second half's short orders reached it after their deadline.
  EXPECT_GE(nodes_[1]->stat("fleet_expired").value_or(0), 250u);
  EXPECT_EQ(nodes_[1]->stat("fleet_malformed").value_or(1), 0u);
  std::printf("node caught up on the orders it missed in %.2f s\n",
              std::chrono::duration<double>(caught_up).count());
}

TEST_F(Fleet, ANatsServerKilledMidFloodLosesNothing) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  DaemonProcess& manager = *nodes_[0];
  std::vector<std::string> first, second;
  std::set<std::string> all;
  for (int i = 0; i < 4000; ++i) {
    std::string ip = fmt::format("2001:db8:4::{:x}", i + 1);
    all.insert(ip);
    (i < 1000 ? first : second).push_back(alert(ip, "100001"));
  }
  ASSERT_TRUE(manager.send(first));
  nats_->kill(1);
  std::printf("killed n1 after %lu orders were stored\n", manager.stat("fleet_sent").value_or(0));
  ASSERT_TRUE(manager.send(second));
  expect_everywhere(all);
  ASSERT_EQ(nats_->start(1), "");
}

// Alerts faster than JetStream stores orders: the manager stops reading its socket while its
// outbox is nearly full, instead of refusing orders (a 1,000,000-alert flood filled the
// default outbox of 100,000 and lost the rest before it did).
TEST_F(Fleet, AFloodLargerThanTheOutboxLosesNoOrder) {
  nodes_[0]->stop();
  ASSERT_EQ(start(0, "", "<outbox_max>200</outbox_max>"), "");
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  DaemonProcess& manager = *nodes_[0];
  std::vector<std::string> lines;
  std::set<std::string> all;
  for (int i = 0; i < 5000; ++i) {
    std::string ip = fmt::format("2001:db8:5::{:x}", i + 1);
    all.insert(ip);
    lines.push_back(alert(ip, "100001"));
  }
  ASSERT_TRUE(manager.send(lines));
  expect_everywhere(all);
  EXPECT_EQ(manager.stat("fleet_dropped").value_or(1), 0u);
  EXPECT_NE(manager.log().find("alert input paused"), std::string::npos) << manager.log();
  EXPECT_NE(manager.log().find("alert input resumed"), std::string::npos);
}

TEST_F(Fleet, OrdersWaitOnDiskWhileNatsIsDownAtTheSender) {
  for (int i = 0; i < kNodes; ++i) ASSERT_TRUE(ready(i));
  DaemonProcess& manager = *nodes_[0];
  ASSERT_TRUE(net_->set_link(0, false));
  ASSERT_TRUE(manager.send({alert("198.51.100.200", "100001")}));
  ASSERT_TRUE(wait_until([&] { return manager.stat("fleet_pending").value_or(0) >= 1; },
                         std::chrono::seconds(30)));
  // A restart of the sender keeps them: they are in its state directory.
  manager.stop();
  ASSERT_EQ(start(0), "");
  EXPECT_NE(manager.log().find("orders from before the restart wait to be sent"),
            std::string::npos);
  EXPECT_TRUE(has(0, "198.51.100.200")) << "local enforcement went on";
  ASSERT_TRUE(net_->set_link(0, true));
  EXPECT_TRUE(wait_blocked(2, "198.51.100.200")) << manager.log();
  EXPECT_TRUE(wait_until([&] { return manager.stat("fleet_pending").value_or(1) == 0; }));
}

}  // namespace
}  // namespace rampart::test
