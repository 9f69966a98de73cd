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

}  // namespace rampart
