// Shared helpers for integration tests: a private network namespace per test, the nft CLI as
// an independent observer of the kernel, and a rampartd child process.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "testing/private_bus.h"
#include "testing/run.h"
#include "testing/temp_dir.h"
namespace rampart::test {

// Fails the current test (not skips) when a root-only test cannot get what it needs; skips
// with a clear message only when not running as root at all.
#define RAMPART_REQUIRE_ROOT()                                                       \
  do {                                                                               \
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces, nftables)"; \
  } while (0)

// Moves the calling process into a fresh network namespace with lo up. Every test that
// touches the kernel calls this first, so nothing it does reaches the host's ruleset.
// Returns an error text, or "" on success.
std::string enter_new_netns();

// Moves the calling process into its own mount namespace, hides /run, /var/log/journal and the
// catalog directories under tmpfs there, and starts a systemd-journald of its own: children
// (rampartd, logger, systemd-cat, journalctl) then use that journald, never the host's.
// Returns an error text, or "" with the journald's pid in *ret_journald.
std::string enter_private_journal(pid_t* ret_journald);

// One element of a set as `nft -j list set` prints it.
struct SetElement {
  std::string address;  // "203.0.113.9" or "198.51.100.0/24"
  uint64_t timeout_ms = 0;
  uint64_t expires_ms = 0;
  std::string comment;
};
// The kernel's view of inet <table> <set>, read with the nft tool; nullopt when the set (or
// table) does not exist.
// `netns`: a namespace made with `ip netns add` (the fleet tests' nodes); "" = this process's.
std::optional<std::vector<SetElement>> list_set(const std::string& table, const std::string& set,
                                                const std::string& netns = "");

// A rampartd child process with its own config, socket and state directory. Its stderr goes
// to a file the test can read (log()).
class DaemonProcess {
 public:
  // `config_body` is placed inside <ossec_config>; a <rampart> section with the socket, state
  // directory and table of this instance is added unless the body has its own <rampart>.
  explicit DaemonProcess(std::string table = "rampart");
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  // Writes the config and starts rampartd; waits until it listens. Extra arguments are passed
  // on (e.g. "--dry-run"). Returns "" or what went wrong (with the daemon's log).
  std::string start(const std::string& config_body, std::vector<std::string> args = {},
                    const std::vector<std::string>& env = {});
  // Runs the next start() inside the network namespace `name` (made with `ip netns add`).
  void set_netns(std::string name) { netns_ = std::move(name); }
  // Sends a signal and, for SIGTERM/SIGKILL, waits for the exit; returns the exit status.
  int stop(int sig = SIGTERM);
  void signal(int sig);
  bool running();
  pid_t pid() const { return pid_; }

  // Writes lines (each gets a newline) over one connection to the alert socket.
  bool send(const std::vector<std::string>& lines);
  bool send_raw(const std::string& bytes);
  // The daemon's stderr so far.
  std::string log() const;
  // Asks for a stats line (SIGUSR1) and returns the value of `name=` from the newest one.
  std::optional<uint64_t> stat(const std::string& name);

  const std::string& socket_path() const { return socket_; }
  const std::string& config_path() const { return config_; }
  const std::string& state_dir() const { return state_; }
  const std::string& table() const { return table_; }
  TempDir& dir() { return dir_; }
  // The <rampart> section this instance would use, for tests that write their own.
  std::string rampart_section(const std::string& extra = "") const;

 private:
  TempDir dir_;
  std::string table_, socket_, config_, state_, log_, netns_;
  pid_t pid_ = -1;
};

// The firewall-drop command, and one binding of it: alerts from `level` up block for `timeout`
// seconds. kDrop is both, at level 10 for 600 s: the configuration most tests run with.
extern const std::string kDropCommand;
std::string drop_binding(int timeout, int level = 10);
extern const std::string kDrop;

// The fixture of the integration tests: root, and a fresh network namespace per test, so that
// nothing reaches the host's ruleset; `daemon` is this test's rampartd, and set(), find() and
// appears() read its sets from the kernel with the nft tool.
class RampartTest : public ::testing::Test {
 protected:
  void SetUp() override;
  std::vector<SetElement> set(const std::string& name);
  std::optional<SetElement> find(const std::string& set_name, const std::string& address);
  // Waits until `address` is in the set; the timeout only stops a hung test.
  bool appears(const std::string& set_name, const std::string& address,
               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool log_has(const std::string& text) const;

  DaemonProcess daemon;
};

// The same with a private system bus for the whole suite (allow-all unless the suite starts
// its own with start_bus(policy) in SetUpTestSuite); start() hands its address to rampartd.
class RampartBusTest : public RampartTest {
 protected:
  static void SetUpTestSuite() { start_bus(PrivateBus::kAllowAll); }
  static void TearDownTestSuite();
  static void start_bus(const std::string& policy);
  static PrivateBus& bus() { return *bus_; }

  void SetUp() override;
  std::string start(const std::string& body = kDrop, std::vector<std::string> args = {});

 private:
  static PrivateBus* bus_;
};

// A Wazuh alerts.json line for `srcip`.
std::string wazuh_alert(
    const std::string& srcip, int level = 10, const std::string& rule = "5712",
    const std::string& groups = "\"syslog\",\"sshd\",\"authentication_failures\"",
    const std::string& agent_id = "000");

}  // namespace rampart::test
