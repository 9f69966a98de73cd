#include <gtest/gtest.h>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"

namespace rampart {
namespace {

using fakes::FakeBackend;
using fakes::FakeClock;
using fakes::RecordingSink;

class RecordingOrders final : public OrderSink {
 public:
  void send(Order order) override { orders.push_back(std::move(order)); }
  std::vector<Order> orders;
};

std::shared_ptr<const Config> fleet_config(const std::string& location) {
  auto c = fakes::config(R"(<ossec_config>
  <global><white_list>198.51.100.0/24</white_list></global>
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><level>10</level><timeout>600</timeout>
    <location>)" + location +
                         R"(</location></active-response>
  </ossec_config>)");
  c->settings.fleet.enabled = true;
  c->settings.node_name = "manager";
  return c;
}

Alert alert(const char* ip, const char* agent) {
  Alert a;
  a.level = 10;
  a.rule_id = 5712;
  a.srcip = ip;
  a.address = Address::parse_host(ip);
  a.agent_id = agent;
  a.description = "sshd brute force";
  return a;
}

struct Fixture : ::testing::Test {
  FakeClock clock;
  RecordingSink sink;
  FakeBackend backend;
  RecordingOrders orders;
  Enforcer enforcer{clock, sink};
  void use(const std::string& location) {
    enforcer.set_config(fleet_config(location));
    enforcer.set_backend(CommandKind::Firewall, &backend);
    enforcer.set_order_sink(&orders);
  }
  Order block_order(const char* ip, uint64_t seconds_left, const char* command = "firewall-drop") {
    Order o;
    o.op = Order::Op::Block;
    o.command = command;
    o.address = *Address::parse_host(ip);
    o.origin_id = "000";
    o.origin_name = "manager";
    o.deadline_us = seconds_left ? clock.realtime_us() + seconds_left * 1000000 : 0;
    o.rule_id = 5712;
    o.level = 10;
    o.reason = "from the manager";
    return o;
  }
};

TEST_F(Fixture, LocalAlertFromAnotherAgentBecomesAnOrderOnly) {
  use("local");
  std::vector<std::pair<std::string, Address>> fired;
  enforcer.on_alert(alert("203.0.113.9", "005"), &fired);
  EXPECT_EQ(enforcer.active(), 0u) << "nothing is blocked on the manager";
  ASSERT_EQ(orders.orders.size(), 1u);
  const Order& o = orders.orders[0];
  EXPECT_EQ(o.target, (OrderTarget{OrderTarget::Kind::Agent, "005"}));
  EXPECT_EQ(o.command, "firewall-drop");
  EXPECT_EQ(o.address.str(), "203.0.113.9");
  EXPECT_EQ(o.deadline_us, clock.realtime_us() + 600 * 1000000ull);
  ASSERT_TRUE(o.alert);
  EXPECT_EQ(o.alert->agent_id, "005");
  EXPECT_EQ(fired.size(), 1u) << "SubmitAlert reports the response that went out";
}

TEST_F(Fixture, AllBlocksHereAndOrdersEveryNode) {
  use("all");
  enforcer.on_alert(alert("203.0.113.9", "005"));
  EXPECT_EQ(enforcer.active(), 1u);
  ASSERT_EQ(orders.orders.size(), 1u);
  EXPECT_EQ(orders.orders[0].target.kind, OrderTarget::Kind::All);
  auto view = enforcer.get(*Address::parse_host("203.0.113.9"));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->origin, "") << "decided here";
}

TEST_F(Fixture, AppliedOrderBlocksForWhatIsLeftAndShowsItsOrigin) {
  use("local");
  clock.now += 1000;
  auto r = enforcer.apply_order(block_order("203.0.113.9", 300));
  EXPECT_EQ(r.outcome, OrderOutcome::Applied) << r.detail;
  enforcer.commit();
  ASSERT_EQ(backend.batches.size(), 1u);
  EXPECT_EQ(backend.batches[0][0].timeout_ms, 300000u);
  auto view = enforcer.get(*Address::parse_host("203.0.113.9"));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->origin, "manager");
  EXPECT_TRUE(sink.has("blocked 203.0.113.9"));
}

TEST_F(Fixture, ReplaysNeverDoubleOrShortenABlock) {
  use("local");
  Order o = block_order("203.0.113.9", 600);
  EXPECT_EQ(enforcer.apply_order(o).outcome, OrderOutcome::Applied);
  EXPECT_EQ(enforcer.apply_order(o).outcome, OrderOutcome::Unchanged);
  EXPECT_EQ(enforcer.apply_order(block_order("203.0.113.9", 60)).outcome, OrderOutcome::Unchanged);
  EXPECT_EQ(enforcer.active(), 1u);
  EXPECT_EQ(enforcer.get(*Address::parse_host("203.0.113.9"))->expiry_realtime_us, o.deadline_us);
}

TEST_F(Fixture, ExpiredOrdersAreNeverApplied) {
  use("local");
  Order o = block_order("203.0.113.9", 10);
  clock.now += 10 * 1000000ull;
  EXPECT_EQ(enforcer.apply_order(o).outcome, OrderOutcome::Expired);
  EXPECT_EQ(enforcer.active(), 0u);
  EXPECT_FALSE(enforcer.has_pending());
}

TEST_F(Fixture, ThisNodesOwnRulesDecide) {
  use("local");
  auto unknown = enforcer.apply_order(block_order("203.0.113.9", 600, "no-such-command"));
  EXPECT_EQ(unknown.outcome, OrderOutcome::UnknownCommand);
  EXPECT_NE(unknown.detail.find("no-such-command"), std::string::npos);
  auto allowlisted = enforcer.apply_order(block_order("198.51.100.7", 600));
  EXPECT_EQ(allowlisted.outcome, OrderOutcome::Skipped);
  EXPECT_NE(allowlisted.detail.find("allowlisted"), std::string::npos);
  EXPECT_EQ(enforcer.apply_order(block_order("127.0.0.1", 600)).outcome, OrderOutcome::Skipped);
  EXPECT_EQ(enforcer.active(), 0u);
}

TEST_F(Fixture, RevocationsAndManualBlocks) {
  use("local");
  Order manual = block_order("203.0.113.0", 0, "manual");
  manual.address = *Address::parse("203.0.113.0/24");
  EXPECT_EQ(enforcer.apply_order(manual).outcome, OrderOutcome::Applied);
  EXPECT_EQ(enforcer.apply_order(block_order("198.51.99.1", 600)).outcome, OrderOutcome::Applied);
  EXPECT_EQ(enforcer.get(manual.address)->origin, "manager");

  Order unblock;
  unblock.op = Order::Op::Unblock;
  unblock.address = manual.address;
  EXPECT_EQ(enforcer.apply_order(unblock).outcome, OrderOutcome::Applied);
  EXPECT_EQ(enforcer.apply_order(unblock).outcome, OrderOutcome::NotBlocked);
  Order flush;
  flush.op = Order::Op::Flush;
  auto r = enforcer.apply_order(flush);
  EXPECT_EQ(r.outcome, OrderOutcome::Applied);
  EXPECT_EQ(r.detail, "flushed 1 blocks");
  EXPECT_EQ(enforcer.active(), 0u);
}

}  // namespace
}  // namespace rampart
