// Where a response runs: <location> with OSSEC/Wazuh semantics, decided by the node that
// received the alert. Without a fleet only "here" can be true; with one, the other nodes get
// an order. Pure: a function of the binding, the alert and who this node is.
#pragma once

#include <string>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
namespace rampart {

struct Destinations {
  bool here = false;                // this node acts itself
  bool all = false;                 // an order to every node (this one included)
  bool servers = false;             // an order to the server nodes
  std::vector<std::string> agents;  // orders to these agents (by agent id)

  bool remote() const { return all || servers || !agents.empty(); }
  bool none() const { return !here && !remote(); }
  // The union, without repeating what `all` already covers.
  void merge(const Destinations& other);
  // "this node", "this node and every node", "agent 005", ... for logs and explain.
  std::string describe() const;
};

// Where binding `ar` sends its response to `alert`. `self` says who this node is and whether
// a fleet is configured:
//   local          the agent the alert names (here when that is this node, or none is named)
//   defined-agent  agent <agent_id>
//   server         the server nodes (here too when this node is one)
//   all            every node, this one included
Destinations destinations_for(const ActiveResponse& ar, const Alert& alert, const Settings& self);

}  // namespace rampart
