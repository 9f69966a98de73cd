#include "harness.h"

#include <fmt/format.h>

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <simdjson.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace rampart::test {

std::string enter_new_netns() {
  if (unshare(CLONE_NEWNET) != 0) return std::string("unshare(CLONE_NEWNET): ") + strerror(errno);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("socket: ") + strerror(errno);
  struct ifreq ifr = {};
  std::strcpy(ifr.ifr_name, "lo");
  int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags |= IFF_UP;
    r = ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  int saved = errno;
  close(fd);
  if (r != 0) return std::string("bringing lo up: ") + strerror(saved);
  return "";
}

std::string enter_private_journal(pid_t* ret_journald) {
  if (unshare(CLONE_NEWNS) != 0) return std::string("unshare(CLONE_NEWNS): ") + strerror(errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return std::string("making / private: ") + strerror(errno);
  // /run holds the journal socket and the volatile journal; the others the persistent journal
  // and the catalog. Nothing of the host's is changed: all of them are tmpfs here.
  for (const char* dir :
       {"/run", "/var/log/journal", "/usr/lib/systemd/catalog", "/var/lib/systemd/catalog"}) {
    std::filesystem::create_directories(dir);
    if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") != 0)
      return std::string("mounting tmpfs on ") + dir + ": " + strerror(errno);
  }
  std::filesystem::create_directories("/run/systemd/journal");
  pid_t pid = fork();
  if (pid < 0) return std::string("fork: ") + strerror(errno);
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0), dup2(null, 1), dup2(null, 2);
    execl("/lib/systemd/systemd-journald", "systemd-journald", nullptr);
    _exit(127);
  }
  *ret_journald = pid;
  if (!wait_until([] { return access("/run/systemd/journal/socket", F_OK) == 0; }))
    return "systemd-journald did not create /run/systemd/journal/socket";
  return "";
}

std::optional<std::vector<SetElement>> list_set(const std::string& table, const std::string& set,
                                                const std::string& netns) {
  int status = 0;
  std::string in_ns = netns.empty() ? "" : "ip netns exec " + netns + " ";
  std::string text =
      run(in_ns + "nft -j list set inet " + table + " " + set + " 2>/dev/null", &status);
  if (status != 0) return std::nullopt;
  std::vector<SetElement> result;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc)) return std::nullopt;
  for (auto item : doc["nftables"].get_array()) {
    simdjson::dom::element s;
    if (item["set"].get(s)) continue;
    simdjson::dom::array elems;
    if (s["elem"].get(elems)) continue;  // empty set
    for (auto e : elems) {
      SetElement out;
      simdjson::dom::element val = e, wrapped;
      if (!e["elem"].get(wrapped)) {
        val = wrapped["val"];
        uint64_t v;
        if (!wrapped["timeout"].get(v)) out.timeout_ms = v * 1000;
        if (!wrapped["expires"].get(v)) out.expires_ms = v * 1000;
        std::string_view c;
        if (!wrapped["comment"].get(c)) out.comment = std::string(c);
      }
      std::string_view addr;
      simdjson::dom::element prefix;
      if (!val.get(addr)) {
        out.address = std::string(addr);
      } else if (!val["prefix"].get(prefix)) {
        out.address = std::string(prefix["addr"].get_string().value()) + "/" +
                      std::to_string(prefix["len"].get_int64().value());
      } else if (!val["range"].get(prefix)) {
        out.address = std::string(prefix.at(0).get_string().value()) + "-" +
                      std::string(prefix.at(1).get_string().value());
      }
      result.push_back(std::move(out));
    }
  }
  return result;
}

DaemonProcess::DaemonProcess(std::string table) : table_(std::move(table)) {
  socket_ = dir_.file("alerts.sock");
  config_ = dir_.file("rampart.conf");
  state_ = dir_.file("state");
  log_ = dir_.file("rampartd.log");
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0) stop(SIGKILL);
}

std::string DaemonProcess::rampart_section(const std::string& extra) const {
  return "<rampart><socket>" + socket_ + "</socket><state_directory>" + state_ +
         "</state_directory><nftables><table>" + table_ + "</table></nftables>" + extra +
         "</rampart>";
}

std::string DaemonProcess::start(const std::string& config_body, std::vector<std::string> args,
                                 const std::vector<std::string>& env) {
  std::string body = config_body;
  if (body.find("<rampart>") == std::string::npos) body += rampart_section();
  dir_.write("rampart.conf", "<ossec_config>\n" + body + "\n</ossec_config>\n");
  const char* exe = getenv("RAMPARTD");
  if (!exe) return "RAMPARTD is not set (run the tests through meson test)";
  unlink(socket_.c_str());
  size_t log_start = log().size();  // a restart appends to the same log
  pid_ = fork();
  if (pid_ < 0) return std::string("fork: ") + strerror(errno);
  if (pid_ == 0) {
    if (!netns_.empty()) {
      int ns = open(("/run/netns/" + netns_).c_str(), O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(126);
    }
    int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd >= 0) {
      dup2(fd, STDERR_FILENO);
      dup2(fd, STDOUT_FILENO);
    }
    // Not under systemd: no notify socket, no journal stream, no passed sockets.
    unsetenv("NOTIFY_SOCKET");
    unsetenv("JOURNAL_STREAM");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_PID");
    for (const auto& e : env) putenv(strdup(e.c_str()));
    std::vector<std::string> argv_s{exe, "--config", config_};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(exe, argv.data());
    _exit(127);
  }
  bool up = wait_until([&] {
    if (!running()) return true;
    return log().find(" ready: ", log_start) != std::string::npos;
  });
  if (!up || !running()) {
    std::string why = up ? "rampartd exited during start-up" : "rampartd did not become ready";
    return why + "; its log:\n" + log();
  }
  return "";
}

bool DaemonProcess::running() {
  if (pid_ <= 0) return false;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void DaemonProcess::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int DaemonProcess::stop(int sig) {
  if (pid_ <= 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool DaemonProcess::send_raw(const std::string& bytes) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return false;
  }
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n <= 0) {
      close(fd);
      return false;
    }
    off += size_t(n);
  }
  close(fd);
  return true;
}

bool DaemonProcess::send(const std::vector<std::string>& lines) {
  std::string all;
  for (const auto& l : lines) {
    all += l;
    all += '\n';
  }
  return send_raw(all);
}

std::string DaemonProcess::log() const {
  std::ifstream in(log_, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::optional<uint64_t> DaemonProcess::stat(const std::string& name) {
  size_t before = log().size();
  signal(SIGUSR1);
  std::string text;
  if (!wait_until(
          [&] {
            text = log();
            return text.find("stats: ", before) != std::string::npos;
          },
          std::chrono::seconds(5)))
    return std::nullopt;
  size_t line = text.rfind("stats: ");
  size_t at = text.find(" " + name + "=", line);
  if (at == std::string::npos) return std::nullopt;
  return std::stoull(text.substr(at + name.size() + 2));
}

const std::string kDropCommand = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>)";

std::string drop_binding(int timeout, int level) {
  return fmt::format(
      "<active-response><command>firewall-drop</command><location>local</location>"
      "<level>{}</level><timeout>{}</timeout></active-response>",
      level, timeout);
}

const std::string kDrop = kDropCommand + drop_binding(600);

void RampartTest::SetUp() {
  RAMPART_REQUIRE_ROOT();
  ASSERT_EQ(enter_new_netns(), "");
}

std::vector<SetElement> RampartTest::set(const std::string& name) {
  auto s = list_set(daemon.table(), name);
  return s ? *s : std::vector<SetElement>{};
}

std::optional<SetElement> RampartTest::find(const std::string& set_name,
                                            const std::string& address) {
  for (const auto& e : set(set_name))
    if (e.address == address) return e;
  return std::nullopt;
}

bool RampartTest::appears(const std::string& set_name, const std::string& address,
                          std::chrono::milliseconds timeout) {
  return wait_until([&] { return find(set_name, address).has_value(); }, timeout);
}

bool RampartTest::log_has(const std::string& text) const {
  return daemon.log().find(text) != std::string::npos;
}

PrivateBus* RampartBusTest::bus_ = nullptr;

void RampartBusTest::start_bus(const std::string& policy) {
  if (geteuid() == 0) bus_ = new PrivateBus(policy);
}

void RampartBusTest::TearDownTestSuite() {
  delete bus_;
  bus_ = nullptr;
}

void RampartBusTest::SetUp() {
  RAMPART_REQUIRE_ROOT();
  ASSERT_TRUE(bus_ && bus_->ok()) << "dbus-daemon did not start";
  RampartTest::SetUp();
}

std::string RampartBusTest::start(const std::string& body, std::vector<std::string> args) {
  return daemon.start(body, std::move(args), {bus_->env()});
}

std::string wazuh_alert(const std::string& srcip, int level, const std::string& rule,
                        const std::string& groups, const std::string& agent_id) {
  return R"({"timestamp":"2026-11-27T20:58:22.123+0000","rule":{"level":)" + std::to_string(level) +
         R"(,"description":"sshd: brute force trying to get access to the system.","id":")" + rule +
         R"(","groups":[)" + groups + R"(]},"agent":{"id":")" + agent_id +
         R"(","name":"web1"},"manager":{"name":"wazuh"},"id":"1732740000.123456","full_log":"Failed password for root from )" +
         srcip + R"( port 22 ssh2","decoder":{"name":"sshd"},"data":{"srcip":")" + srcip +
         R"(","srcuser":"root"},"location":"/var/log/auth.log"})";
}

}  // namespace rampart::test
