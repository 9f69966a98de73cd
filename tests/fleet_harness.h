// Helpers for the fleet tests (and the fleet bench): a hub network namespace that runs a real
// nats-server cluster with JetStream, and one network namespace per rampartd node, joined to
// the hub by a veth pair with addresses from 192.0.2.0/24 that exist only in these namespaces.
// Node i reaches every server through its own link: 192.0.2.(4i+1), port 4222 + server.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "harness.h"

namespace rampart::test {

// The hub and the nodes' namespaces; everything is removed with the object.
class FleetNet {
 public:
  FleetNet(int nodes);
  ~FleetNet();
  FleetNet(const FleetNet&) = delete;
  FleetNet& operator=(const FleetNet&) = delete;

  // "" or what failed.
  const std::string& error() const { return error_; }
  const std::string& hub() const { return hub_; }
  const std::string& node(int i) const { return nodes_.at(size_t(i)); }
  int size() const { return int(nodes_.size()); }
  // The hub's address on node i's link, and the node's own.
  static std::string hub_address(int i);
  static std::string node_address(int i);
  // Takes node i's link down or up (the node loses every NATS server at once).
  bool set_link(int i, bool up);

 private:
  std::string hub_;
  std::vector<std::string> nodes_;
  std::string error_;
};

// Who may connect. A server user may do everything in the fleet; an agent user only reads its
// own subjects (and "all") and acknowledges them: the permissions of examples/nats-server.conf.
struct NatsUser {
  std::string name;
  std::string password;
  std::string agent_id;
  bool server = false;
};
// The permissions block of `user`, as nats-server.conf writes it.
std::string nats_permissions(const NatsUser& user, const std::string& fleet = "rampart");

class NatsCluster {
 public:
  NatsCluster(const FleetNet& net, std::vector<NatsUser> users, int servers = 3);
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // Starts every server and waits for the JetStream meta leader. "" or what failed (with logs).
  std::string start();
  std::string start(int server);
  void kill(int server);  // SIGKILL, as a crash
  void stop(int server);  // SIGTERM
  int size() const { return int(pids_.size()); }
  // <servers> for node i: every server, through node i's link.
  std::string urls(int node) const;
  // A credentials file for `user` ("user:password"), for <credentials>.
  std::string credentials(const std::string& user);
  std::string log(int server) const;

 private:
  std::string config(int server) const;
  const FleetNet& net_;
  std::vector<NatsUser> users_;
  TempDir dir_;
  std::vector<pid_t> pids_;
};

// The <rampart> section of a fleet node: the node's socket, state and table, <node>, <fleet>
// (with `fleet_extra` elements in it).
std::string fleet_rampart_section(const DaemonProcess& d, const std::string& node_name,
                                  const std::string& agent_id, bool server,
                                  const std::string& servers, const std::string& credentials,
                                  const std::string& fleet_extra = "");

}  // namespace rampart::test
