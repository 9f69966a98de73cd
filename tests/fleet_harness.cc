#include "fleet_harness.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

namespace rampart::test {
namespace {

bool sh(const std::string& command, std::string* error) {
  int status = 0;
  std::string out = run(command + " 2>&1", &status);
  if (status == 0) return true;
  if (error && error->empty()) *error = command + ": " + out;
  return false;
}

}  // namespace

FleetNet::FleetNet(int nodes) {
  std::string tag = std::to_string(getpid());
  hub_ = "rf-hub-" + tag;
  if (!sh("ip netns add " + hub_, &error_)) return;
  sh("ip -n " + hub_ + " link set lo up", &error_);
  for (int i = 0; i < nodes; ++i) {
    std::string ns = "rf-" + tag + "-" + std::to_string(i);
    if (!sh("ip netns add " + ns, &error_)) return;
    nodes_.push_back(ns);
    std::string hub_if = "vh" + std::to_string(i);
    sh("ip -n " + ns + " link set lo up", &error_);
    sh("ip link add " + hub_if + " netns " + hub_ + " type veth peer name veth0 netns " + ns,
       &error_);
    sh("ip -n " + hub_ + " addr add " + hub_address(i) + "/30 dev " + hub_if, &error_);
    sh("ip -n " + hub_ + " link set " + hub_if + " up", &error_);
    sh("ip -n " + ns + " addr add " + node_address(i) + "/30 dev veth0", &error_);
    sh("ip -n " + ns + " link set veth0 up", &error_);
  }
}

FleetNet::~FleetNet() {
  for (const auto& ns : nodes_) run("ip netns del " + ns + " 2>/dev/null");
  if (!hub_.empty()) run("ip netns del " + hub_ + " 2>/dev/null");
}

std::string FleetNet::hub_address(int i) {
  return "192.0.2." + std::to_string(4 * i + 1);
}

std::string FleetNet::node_address(int i) {
  return "192.0.2." + std::to_string(4 * i + 2);
}

bool FleetNet::set_link(int i, bool up) {
  return sh("ip -n " + node(i) + " link set veth0 " + (up ? "up" : "down"), nullptr);
}

std::string nats_permissions(const NatsUser& user, const std::string& fleet) {
  std::string id = user.agent_id;
  std::string stream;
  for (char c : fleet) stream += c == '-' ? '_' : char(toupper(c));
  stream += "_ORDERS";
  std::string subscribe =
      "[\"" + fleet + ".deliver." + id + ".>\", \"_INBOX_" + fleet + "_" + id + ".>\"]";
  if (user.server)
    return "{ publish: [\"" + fleet + ".order.>\", \"$JS.API.>\", \"$JS.ACK." + stream +
           ".>\"], subscribe: " + subscribe + " }";
  std::string publish;
  for (auto [feed, subject] : {std::pair<std::string, std::string>{"all", fleet + ".order.all"},
                               {"self", fleet + ".order.agent." + id}}) {
    std::string durable = fleet + "-" + id + "-" + feed;
    publish += "\"$JS.API.CONSUMER.CREATE." + stream + "." + durable + "." + subject + "\", ";
    publish += "\"$JS.API.CONSUMER.INFO." + stream + "." + durable + "\", ";
    publish += "\"$JS.ACK." + stream + "." + durable + ".>\", ";
  }
  publish.resize(publish.size() - 2);
  return "{ publish: [" + publish + "], subscribe: " + subscribe + " }";
}

NatsCluster::NatsCluster(const FleetNet& net, std::vector<NatsUser> users, int servers)
    : net_(net), users_(std::move(users)), pids_(size_t(servers), -1) {
  for (int s = 0; s < servers; ++s) dir_.write("n" + std::to_string(s) + ".conf", config(s));
}

NatsCluster::~NatsCluster() {
  for (int s = 0; s < size(); ++s) kill(s);
}

std::string NatsCluster::config(int s) const {
  std::string routes;
  for (int i = 0; i < size(); ++i)
    routes += (i ? ", " : "") + std::string("nats-route://127.0.0.1:") + std::to_string(6222 + i);
  std::string users;
  for (const auto& u : users_)
    users += "      { user: \"" + u.name + "\", password: \"" + u.password +
             "\", permissions: " + nats_permissions(u) + " }\n";
  return "server_name: n" + std::to_string(s) + "\nlisten: 0.0.0.0:" + std::to_string(4222 + s) +
         "\njetstream { store_dir: \"" + dir_.path() + "/js" + std::to_string(s) +
         "\", max_memory_store: 64MB, max_file_store: 1GB }\n"
         "cluster { name: rampart, listen: 127.0.0.1:" +
         std::to_string(6222 + s) + ", no_advertise: true, routes: [" + routes +
         "] }\n"
         "accounts {\n  FLEET {\n    jetstream: enabled\n    users: [\n" +
         users + "    ]\n  }\n}\n";
}

std::string NatsCluster::start() {
  for (int s = 0; s < size(); ++s)
    if (auto e = start(s); !e.empty()) return e;
  bool leader = wait_until(
      [&] {
        for (int s = 0; s < size(); ++s)
          if (log(s).find("new metadata leader") != std::string::npos ||
              log(s).find("JetStream cluster new metadata leader") != std::string::npos)
            return true;
        return false;
      },
      std::chrono::seconds(30));
  if (!leader) return "no JetStream meta leader; n0's log:\n" + log(0);
  return "";
}

std::string NatsCluster::start(int s) {
  std::string logfile = dir_.file("n" + std::to_string(s) + ".log");
  size_t before = read_file(logfile).size();
  pid_t pid = fork();
  if (pid < 0) return "fork failed";
  if (pid == 0) {
    int ns = open(("/run/netns/" + net_.hub()).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(126);
    int fd = open(logfile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) dup2(fd, 1), dup2(fd, 2);
    std::string conf = dir_.file("n" + std::to_string(s) + ".conf");
    execlp("nats-server", "nats-server", "-c", conf.c_str(), nullptr);
    _exit(127);
  }
  pids_[size_t(s)] = pid;
  bool ready = wait_until(
      [&] { return read_file(logfile).find("Server is ready", before) != std::string::npos; },
      std::chrono::seconds(20));
  if (!ready) return "nats-server n" + std::to_string(s) + " did not start:\n" + log(s);
  return "";
}

void NatsCluster::kill(int s) {
  pid_t& pid = pids_[size_t(s)];
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

void NatsCluster::stop(int s) {
  pid_t& pid = pids_[size_t(s)];
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  pid = -1;
}

std::string NatsCluster::urls(int node) const {
  std::string out;
  for (int s = 0; s < size(); ++s)
    out += (s ? "," : "") + std::string("nats://") + FleetNet::hub_address(node) + ":" +
           std::to_string(4222 + s);
  return out;
}

std::string NatsCluster::credentials(const std::string& user) {
  for (const auto& u : users_)
    if (u.name == user) {
      std::string name = user + ".creds";
      dir_.write(name, u.name + ":" + u.password + "\n");
      return dir_.file(name);
    }
  return "";
}

std::string NatsCluster::log(int s) const {
  return read_file(dir_.file("n" + std::to_string(s) + ".log"));
}

std::string fleet_rampart_section(const DaemonProcess& d, const std::string& node_name,
                                  const std::string& agent_id, bool server,
                                  const std::string& servers, const std::string& credentials,
                                  const std::string& fleet_extra) {
  return d.rampart_section("<node><name>" + node_name + "</name><agent_id>" + agent_id +
                           "</agent_id><server>" + (server ? "yes" : "no") +
                           "</server></node><fleet><servers>" + servers +
                           "</servers><credentials>" + credentials +
                           "</credentials><retention>3600</retention>" + fleet_extra + "</fleet>");
}

}  // namespace rampart::test
