// The configuration model: an admin's ossec.conf (OSSEC/Wazuh semantics) plus rampart's own
// <rampart> section. Pure data; loading reads files but touches nothing else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "config/command_kind.h"
#include "config/service_port.h"
namespace rampart {

enum class ExecProtocol : uint8_t { Json, Legacy };

struct Command {
  std::string name;
  std::string executable;
  CommandKind kind = CommandKind::Exec;
  bool expect_srcip = false;
  bool expect_user = false;
  bool expect_filename = false;
  bool timeout_allowed = false;
  std::vector<std::string> extra_args;
  ExecProtocol protocol = ExecProtocol::Json;
  // Firewall blocks drop only this traffic (sorted, no duplicates); empty: all traffic.
  std::vector<ServicePort> ports;
  std::string file;
  int line = 0;
};

// Bit flags for <location>.
enum Location : uint8_t {
  kLocationLocal = 1,
  kLocationServer = 2,
  kLocationDefinedAgent = 4,
  kLocationAll = 8,
};

// One alternative of <rules_group>: a case-insensitive substring of "g1,g2,g3," with optional
// ^ and $ anchors (OSSEC's OS_Match).
struct GroupPattern {
  std::string text;  // lower case, anchors removed
  bool anchor_start = false;
  bool anchor_end = false;
  bool matches(std::string_view groups_joined_lower) const;
};

struct ActiveResponse {
  size_t command = 0;  // index into Config::commands
  uint8_t locations = kLocationLocal;
  std::string agent_id;
  std::optional<int> level;
  std::vector<uint32_t> rules_id;
  std::vector<GroupPattern> rules_group;
  std::optional<uint32_t> timeout_sec;           // nullopt: no timeout
  std::vector<uint32_t> repeated_offenders_min;  // at most 5 entries, minutes
  std::string file;
  int line = 0;
};

enum class FirewallBackend : uint8_t { Auto, Nftables, Firewalld };
enum class FirewalldMode : uint8_t { RichRule, Ipset };

// A journal match group: terms ANDed/ORed with journalctl semantics; groups are separated by
// <or/>.
struct JournalMatches {
  bool enabled = false;
  std::vector<std::vector<std::string>> groups;  // each "FIELD=value"
};

// A blocklist feed: a file of addresses and prefixes loaded into sets of its own.
struct Blocklist {
  std::string name;  // 1 to 32 letters, digits, '_' or '-': the sets are feed_<name>4/6
  std::string file;
  uint32_t max_entries = 1000000;
  std::string where;  // "file:line" of the <blocklist>
};

// <rampart><fleet>: orders to and from other nodes through NATS JetStream. Absent (enabled ==
// false): rampart acts on this node only, as it always did.
struct FleetSettings {
  bool enabled = false;
  std::vector<std::string> servers;  // "nats://host:port" (tls:// too), tried in order
  std::string credentials;           // a NATS .creds file, or "user:password" in a file
  std::string tls_ca, tls_cert, tls_key;
  // The fleet's name: the prefix of its subjects and of its stream ("rampart.order.all",
  // stream RAMPART_ORDERS), so two fleets can share one NATS account.
  std::string name = "rampart";
  uint32_t outbox_max = 100000;        // orders kept on disk while NATS is unreachable
  uint32_t retention_sec = 7 * 86400;  // how long the stream keeps orders (new streams)
  uint32_t replicas = 3;               // the stream's replicas (new streams)
  std::string file;                    // where <fleet> was read, for messages
  int line = 0;
};

struct Settings {
  std::vector<std::string> sockets{"/run/rampart/alerts.sock"};
  std::string state_directory = "/var/lib/rampart";
  std::string nft_table = "rampart";
  std::string node_name;  // empty: the host name, filled in by the daemon
  std::string agent_id = "000";
  bool server = true;
  uint32_t max_blocks = 1000000;
  uint8_t max_prefix4 = 16;
  uint8_t max_prefix6 = 32;
  bool allow_link_local = false;
  JournalMatches journal;
  std::string exec_directory = "/usr/lib/rampart/active-response/bin";
  uint32_t exec_timeout_sec = 30;
  uint32_t exec_concurrency = 8;
  std::string hosts_deny = "/etc/hosts.deny";
  FirewallBackend firewall_backend = FirewallBackend::Auto;
  std::string firewalld_zone;  // empty: firewalld's default zone
  FirewalldMode firewalld_mode = FirewalldMode::RichRule;
  uint32_t repeated_offenders_reset_sec = 86400;
  // <metrics>: the Prometheus exposition written to a file for node_exporter's textfile
  // collector every interval ("" = not written).
  std::string metrics_textfile;
  uint32_t metrics_interval_sec = 15;
  // An alert's address is widened to this prefix before it is blocked (<block_prefix>).
  uint8_t block_prefix4 = 32;
  uint8_t block_prefix6 = 128;
  // Each block's timeout is spread by up to this share, so a flood does not expire at once.
  uint32_t timeout_jitter_percent = 0;
  std::vector<Blocklist> blocklists;
  FleetSettings fleet;
};

// node_exporter's textfile directory in Debian's prometheus-node-exporter (root:root 0755, so
// rampartd writes it without CAP_DAC_OVERRIDE); rampart.service lets rampartd write there
// (ReadWritePaths=-) and nowhere else outside its own directories.
inline constexpr std::string_view kNodeExporterTextfileDir = "/var/lib/prometheus/node-exporter";

struct Config {
  std::vector<Command> commands;
  std::vector<ActiveResponse> responses;  // enabled ones only, in file order
  AddressList allowlist;
  Settings settings;
  std::vector<std::string> warnings;  // "file:line: text", shown at load
  std::vector<std::string> files;     // what was read, in order

  const Command* find_command(std::string_view name) const;
};

// The built-in configuration used when /etc/rampart/rampart.conf does not exist. The shipped
// example config is this same text.
extern const std::string_view kDefaultConfigText;
inline constexpr std::string_view kDefaultConfigName = "<embedded default>";

// Parse one document (possibly several <ossec_config> roots) into a complete, validated
// Config. On failure, Error::message holds every problem, one "file:line: ..." per line.
Result<Config> parse_config(std::string_view text, std::string_view filename);

// Read `path`, then every *.conf in `<dir of path>/conf.d` in lexical order, merged, then
// validate. A missing `path` is ENOENT.
Result<Config> load_config(const std::string& path);

// Where each <location> of `ar` sends its response from this node (`self`), for
// --check-config: "defined-agent 005: an order to agent 005".
std::string describe_destinations(const ActiveResponse& ar, const Settings& self);

// Human-readable summary of resolved commands and bindings, for --check-config.
std::string describe(const Config& config);

}  // namespace rampart
