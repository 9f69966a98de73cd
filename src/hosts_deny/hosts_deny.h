// The native host-deny's file: "ALL:<addr>" lines in /etc/hosts.deny (tcp_wrappers), as OSSEC's
// and Wazuh's host-deny scripts write them, without running a script per block. The Backend
// is in hosts_deny_backend.h; rampart-hosts-deny (hosts_deny_helper.cc) writes the file for it
// when rampartd's sandbox does not let it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/error.h"
namespace rampart {

// address -> true: the file must hold its line; false: it must not.
using HostsDenyEdits = std::unordered_map<Address, bool, AddressHash>;

// "ALL:203.0.113.9", "ALL:[2001:db8::9]".
std::string hosts_deny_line(const Address& address);
// The address of an "ALL:<addr>" line (spaces and brackets tolerated); nullopt for any other
// line, which rampart never touches.
std::optional<Address> hosts_deny_address(std::string_view line);
// The file's new content: lines of addresses to remove are dropped (exact address match),
// lines to add are appended unless already there, everything else is kept as it was.
std::string rewrite_hosts_deny(std::string_view content, const HostsDenyEdits& edits);

// Applies `edits` to the file at `path` in one atomic rewrite (temp file + fsync + rename)
// under an flock of the file. EWOULDBLOCK when another process holds the lock.
Result<void> update_hosts_deny(const std::string& path, const HostsDenyEdits& edits);

// What rampart-hosts-deny reads on stdin: one "+<address>" (the line must be there) or
// "-<address>" (it must not) per line.
std::string encode_hosts_deny_edits(const HostsDenyEdits& edits);
Result<HostsDenyEdits> parse_hosts_deny_edits(std::string_view text);

}  // namespace rampart
