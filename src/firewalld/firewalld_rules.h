// The text rampart speaks to firewalld, and the small state file that remembers the deadlines
// firewalld cannot report. Pure: no D-Bus, no files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "config/config.h"
namespace rampart {

// `rule family="ipv4" source address="192.0.2.7" drop` (ipv6 and prefixes alike).
std::string firewalld_rich_rule(const Address& address);

// The address of a rule rampart would have written: exactly `rule family="F" source
// address="A" drop` with F matching A. Anything else (an admin's rule with a port, a log, an
// accept) is not rampart's and is left alone.
std::optional<Address> parse_firewalld_rich_rule(std::string_view rule);

// The permanent ipset of ipset mode, one per family, and the zone rule that drops it.
std::string_view firewalld_ipset_name(bool v6);
std::string firewalld_ipset_rule(std::string_view ipset);

// firewalld timeouts are whole seconds: round up so a block never ends early. 0 stays 0 (no
// timeout); capped at INT32_MAX, the D-Bus argument's type.
int32_t firewalld_timeout_seconds(uint64_t timeout_ms);

// firewalld reports "already there" and "not there" as errors whose message starts with the
// code; for rampart both mean the goal is reached.
bool firewalld_already_enabled(std::string_view message);
bool firewalld_not_enabled(std::string_view message);

// One line of <state_directory>/firewalld.state: which command kind holds an address until
// when. firewalld's runtime rules carry neither a deadline rampart can read back nor a
// comment, so this is how a restarted rampartd knows them.
struct FirewalldStateEntry {
  Address address;
  CommandKind kind = CommandKind::Firewall;
  uint64_t expiry_realtime_s = 0;  // 0 = no timeout
  std::string comment;             // "command:rule"
  bool operator==(const FirewalldStateEntry&) const = default;
};

std::string format_firewalld_state(const std::vector<FirewalldStateEntry>& entries);
// Malformed lines are skipped (the file is only a hint; firewalld is the truth for presence).
std::vector<FirewalldStateEntry> parse_firewalld_state(std::string_view text);

}  // namespace rampart
