#include "core/destination.h"
#include <fmt/format.h>

#include <algorithm>

namespace rampart {
namespace {

void add_agent(Destinations& d, const std::string& agent) {
  if (std::find(d.agents.begin(), d.agents.end(), agent) == d.agents.end())
    d.agents.push_back(agent);
}

// `all` reaches the servers and every agent: the other orders would only repeat it.
void normalize(Destinations& d) {
  if (!d.all) return;
  d.here = true;
  d.servers = false;
  d.agents.clear();
}

}  // namespace

void Destinations::merge(const Destinations& other) {
  here = here || other.here;
  all = all || other.all;
  servers = servers || other.servers;
  for (const auto& a : other.agents) add_agent(*this, a);
  normalize(*this);
}

std::string Destinations::describe() const {
  std::vector<std::string> parts;
  if (all) return "this node and every node of the fleet";
  if (here) parts.push_back("this node");
  if (servers) parts.push_back("the server nodes");
  for (const auto& a : agents) parts.push_back(fmt::format("agent {}", a));
  if (parts.empty()) return "nowhere";
  return fmt::format("{}", fmt::join(parts, ", "));
}

Destinations destinations_for(const ActiveResponse& ar, const Alert& alert, const Settings& self) {
  Destinations d;
  bool fleet = self.fleet.enabled;
  if (ar.locations & kLocationAll) {
    d.here = true;
    d.all = fleet;
  }
  if (ar.locations & kLocationServer) {
    if (self.server) d.here = true;
    d.servers = fleet;
  }
  if (ar.locations & kLocationLocal) {
    if (alert.agent_id.empty() || alert.agent_id == self.agent_id)
      d.here = true;
    else if (fleet)
      add_agent(d, alert.agent_id);
  }
  if (ar.locations & kLocationDefinedAgent) {
    if (ar.agent_id == self.agent_id)
      d.here = true;
    else if (fleet)
      add_agent(d, ar.agent_id);
  }
  normalize(d);
  return d;
}

std::string describe_destinations(const ActiveResponse& ar, const Settings& self) {
  bool fleet = self.fleet.enabled;
  std::vector<std::string> parts;
  if (ar.locations & kLocationAll)
    parts.push_back(fleet ? "all: this node and an order to every node"
                          : "all: this node (no <fleet>: no other node is reached)");
  if (ar.locations & kLocationServer) {
    std::string here = self.server ? "this node (a server)" : "not this node (an agent)";
    parts.push_back(fleet ? fmt::format("server: {} and an order to the server nodes", here)
                          : fmt::format("server: {}", here));
  }
  if (ar.locations & kLocationLocal)
    parts.push_back(fleet ? fmt::format("local: this node when the alert is from agent {} or "
                                        "names none, else an order to the agent it names",
                                        self.agent_id)
                          : fmt::format("local: this node when the alert is from agent {} or "
                                        "names none, else nowhere",
                                        self.agent_id));
  if (ar.locations & kLocationDefinedAgent) {
    if (ar.agent_id == self.agent_id)
      parts.push_back(fmt::format("defined-agent {}: this node", ar.agent_id));
    else
      parts.push_back(
          fleet ? fmt::format("defined-agent {}: an order to agent {}", ar.agent_id, ar.agent_id)
                : fmt::format("defined-agent {}: nowhere (this node is agent {} "
                              "and no <fleet> reaches the others)",
                              ar.agent_id, self.agent_id));
  }
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace rampart
