// describe(): what `rampartd --check-config` prints, so an admin can see how rampart
// understood the ossec.conf before it blocks anything.
#include <fmt/format.h>

#include "config/config.h"
namespace rampart {
namespace {

std::string join(const auto& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += fmt::format("{}", item);
  }
  return out;
}

std::string expect_text(const Command& c) {
  std::vector<std::string_view> fields;
  if (c.expect_srcip) fields.push_back("srcip");
  if (c.expect_user) fields.push_back("user");
  if (c.expect_filename) fields.push_back("filename");
  return fields.empty() ? "nothing" : join(fields, ",");
}

std::string location_text(const ActiveResponse& r) {
  std::vector<std::string> words;
  if (r.locations & kLocationLocal) words.push_back("local");
  if (r.locations & kLocationServer) words.push_back("server");
  if (r.locations & kLocationDefinedAgent)
    words.push_back(fmt::format("defined-agent {}", r.agent_id));
  if (r.locations & kLocationAll) words.push_back("all");
  return join(words, ",");
}

std::string trigger_text(const ActiveResponse& r) {
  std::vector<std::string> parts;
  if (r.level) parts.push_back(fmt::format("level >= {}", *r.level));
  if (!r.rules_id.empty()) parts.push_back(fmt::format("rules_id {}", join(r.rules_id, ",")));
  if (!r.rules_group.empty()) {
    std::vector<std::string> patterns;
    for (const GroupPattern& g : r.rules_group)
      patterns.push_back(
          fmt::format("{}{}{}", g.anchor_start ? "^" : "", g.text, g.anchor_end ? "$" : ""));
    parts.push_back(fmt::format("rules_group {}", join(patterns, "|")));
  }
  return parts.empty() ? "never fires" : join(parts, " or ");
}

std::string_view yes_no(bool b) {
  return b ? "yes" : "no";
}

std::string_view backend_text(FirewallBackend b) {
  switch (b) {
    case FirewallBackend::Nftables:
      return "nftables";
    case FirewallBackend::Firewalld:
      return "firewalld";
    case FirewallBackend::Auto:
      break;
  }
  return "auto";
}

// The textfile, and what the shipped unit's sandbox needs for it: --check-config runs outside
// rampart.service, so it cannot see the sandbox; it says what the unit allows.
void describe_fleet(const FleetSettings& f, const auto& line) {
  if (!f.enabled) {
    line("  fleet: none (no <fleet>: responses for other nodes go nowhere)");
    return;
  }
  line(fmt::format("  fleet: {} on {}; subjects {}.order.*, {} replica(s), orders kept {}s", f.name,
                   join(f.servers, ", "), f.name, f.replicas, f.retention_sec));
  std::string tls = f.tls_ca.empty() && f.tls_cert.empty()
                        ? "no"
                        : fmt::format("CA {}, certificate {}", f.tls_ca.empty() ? "-" : f.tls_ca,
                                      f.tls_cert.empty() ? "-" : f.tls_cert);
  line(fmt::format("    credentials: {}; TLS: {}; outbox: at most {} orders",
                   f.credentials.empty() ? "none" : f.credentials, tls, f.outbox_max));
}

// Every binding: what fires it, its timeout, and where its response goes from this node.
void describe_responses(const Config& config, const auto& line) {
  line(fmt::format("\nActive responses ({} enabled):", config.responses.size()));
  for (const ActiveResponse& r : config.responses) {
    const Command& c = config.commands.at(r.command);
    std::string timeout = r.timeout_sec ? fmt::format("{}s", *r.timeout_sec) : "none";
    if (!r.repeated_offenders_min.empty())
      timeout += fmt::format(", repeated offenders {} min", join(r.repeated_offenders_min, ","));
    line(fmt::format("  {} at {} when {}; timeout {}  ({}:{})", c.name, location_text(r),
                     trigger_text(r), timeout, r.file, r.line));
    line(fmt::format("    goes to {}", describe_destinations(r, config.settings)));
  }
}

void describe_metrics(const Settings& s, const auto& line) {
  if (s.metrics_textfile.empty()) {
    line("  metrics: GetMetrics over D-Bus only (rampartctl metrics); no textfile");
    return;
  }
  line(fmt::format("  metrics textfile: {}, rewritten every {}s", s.metrics_textfile,
                   s.metrics_interval_sec));
  size_t slash = s.metrics_textfile.rfind('/');
  std::string dir = slash == 0 ? "/" : s.metrics_textfile.substr(0, slash);
  if (dir != kNodeExporterTextfileDir)
    line(fmt::format(
        "    note: rampart.service (ProtectSystem=strict) lets rampartd write {} but not {}: "
        "add ReadWritePaths={} with 'systemctl edit rampart', then restart it",
        kNodeExporterTextfileDir, dir, dir));
}

}  // namespace

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

std::string describe(const Config& config) {
  std::string out;
  auto line = [&out](std::string_view text) {
    out += text;
    out += '\n';
  };

  line(fmt::format("Files read ({}):", config.files.size()));
  for (const std::string& f : config.files) line(fmt::format("  {}", f));

  line(fmt::format("\nCommands ({}):", config.commands.size()));
  for (const Command& c : config.commands)
    line(fmt::format(
        "  {}: executable {}, kind {}, expects {}, timeout allowed {}, protocol {}"
        "{}  ({}:{})",
        c.name, c.executable, to_string(c.kind), expect_text(c), yes_no(c.timeout_allowed),
        c.protocol == ExecProtocol::Json ? "json" : "legacy",
        c.extra_args.empty() ? "" : ", extra args " + join(c.extra_args, " "), c.file, c.line));

  describe_responses(config, line);

  line(fmt::format("\nNever blocked ({}):", config.allowlist.prefixes().size()));
  for (const Address& a : config.allowlist.prefixes()) line(fmt::format("  {}", a.str()));

  const Settings& s = config.settings;
  line("\nSettings:");
  line(fmt::format("  sockets: {}", join(s.sockets, ", ")));
  line(fmt::format("  state directory: {}", s.state_directory));
  line(fmt::format("  node: {} (agent {}, {})", s.node_name.empty() ? "<host name>" : s.node_name,
                   s.agent_id, s.server ? "server" : "agent"));
  line(fmt::format("  firewall backend: {}, nftables table: {}", backend_text(s.firewall_backend),
                   s.nft_table));
  line(fmt::format("  firewalld: zone {}, mode {}",
                   s.firewalld_zone.empty() ? "<default>" : s.firewalld_zone,
                   s.firewalld_mode == FirewalldMode::Ipset ? "ipset" : "rich-rule"));
  line(fmt::format("  max blocks: {}, widest prefix: /{} (IPv4), /{} (IPv6), link-local: {}",
                   s.max_blocks, s.max_prefix4, s.max_prefix6,
                   s.allow_link_local ? "may be blocked" : "never blocked"));
  line(fmt::format("  exec: {} (timeout {}s, at most {} at once)", s.exec_directory,
                   s.exec_timeout_sec, s.exec_concurrency));
  line(fmt::format("  hosts.deny: {}", s.hosts_deny));
  line(fmt::format("  repeated offenders reset after {}s", s.repeated_offenders_reset_sec));
  describe_metrics(s, line);
  describe_fleet(s.fleet, line);
  if (!s.journal.enabled) {
    line("  journal: not read");
  } else {
    std::vector<std::string> groups;
    for (const auto& g : s.journal.groups) groups.push_back(join(g, " "));
    line(fmt::format("  journal: {}", join(groups, " OR ")));
  }
  return out;
}

}  // namespace rampart
