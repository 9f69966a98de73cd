#include "core/destination.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

ActiveResponse binding(uint8_t locations, std::string agent_id = "") {
  ActiveResponse ar;
  ar.locations = locations;
  ar.agent_id = std::move(agent_id);
  return ar;
}

Alert from_agent(std::string agent_id) {
  Alert a;
  a.agent_id = std::move(agent_id);
  return a;
}

Settings node(std::string agent_id, bool server, bool fleet) {
  Settings s;
  s.agent_id = std::move(agent_id);
  s.server = server;
  s.fleet.enabled = fleet;
  return s;
}

struct Case {
  const char* what;
  uint8_t locations;
  std::string binding_agent;
  std::string alert_agent;
  Settings self;
  std::string expected;  // Destinations::describe()
};

TEST(Destinations, OssecSemanticsOnAManagerAndAnAgent) {
  Settings manager = node("000", true, true);
  Settings agent5 = node("005", false, true);
  Settings alone = node("000", true, false);
  const Case cases[] = {
      {"local, alert from this node", kLocationLocal, "", "000", manager, "this node"},
      {"local, alert names no agent", kLocationLocal, "", "", manager, "this node"},
      {"local, alert from agent 005", kLocationLocal, "", "005", manager, "agent 005"},
      {"local without a fleet", kLocationLocal, "", "005", alone, "nowhere"},
      {"defined-agent 007", kLocationDefinedAgent, "007", "005", manager, "agent 007"},
      {"defined-agent that is this node", kLocationDefinedAgent, "005", "", agent5, "this node"},
      {"defined-agent without a fleet", kLocationDefinedAgent, "007", "", alone, "nowhere"},
      {"server, on a server", kLocationServer, "", "005", manager, "this node, the server nodes"},
      {"server, on an agent", kLocationServer, "", "", agent5, "the server nodes"},
      {"server without a fleet", kLocationServer, "", "005", alone, "this node"},
      {"all", kLocationAll, "", "005", manager, "this node and every node of the fleet"},
      {"all on an agent", kLocationAll, "", "", agent5, "this node and every node of the fleet"},
      {"all without a fleet", kLocationAll, "", "005", alone, "this node"},
      {"local and defined-agent", kLocationLocal | kLocationDefinedAgent, "007", "005", manager,
       "agent 005, agent 007"},
      {"all covers the others", kLocationAll | kLocationLocal | kLocationServer, "", "005", manager,
       "this node and every node of the fleet"},
  };
  for (const Case& c : cases) {
    Destinations d =
        destinations_for(binding(c.locations, c.binding_agent), from_agent(c.alert_agent), c.self);
    EXPECT_EQ(d.describe(), c.expected) << c.what;
  }
}

TEST(Destinations, MergeJoinsAndAllAbsorbs) {
  Destinations a{.here = false, .all = false, .servers = true, .agents = {"005"}};
  Destinations b{.here = true, .all = false, .servers = false, .agents = {"005", "007"}};
  a.merge(b);
  EXPECT_EQ(a.describe(), "this node, the server nodes, agent 005, agent 007");
  EXPECT_TRUE(a.remote());
  Destinations all{.here = true, .all = true};
  a.merge(all);
  EXPECT_TRUE(a.agents.empty());
  EXPECT_FALSE(a.servers);
  EXPECT_EQ(a.describe(), "this node and every node of the fleet");
}

TEST(Destinations, CheckConfigSaysWhereEachLocationGoes) {
  Settings manager = node("000", true, true);
  EXPECT_EQ(describe_destinations(binding(kLocationDefinedAgent, "005"), manager),
            "defined-agent 005: an order to agent 005");
  EXPECT_EQ(describe_destinations(binding(kLocationAll), manager),
            "all: this node and an order to every node");
  Settings alone = node("000", true, false);
  EXPECT_NE(describe_destinations(binding(kLocationDefinedAgent, "005"), alone).find("nowhere"),
            std::string::npos);
}

}  // namespace
}  // namespace rampart
