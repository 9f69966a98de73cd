// The native host-deny: "ALL:<addr>" lines in /etc/hosts.deny (tcp_wrappers), as OSSEC's and
// Wazuh's host-deny scripts write them, without running a script per block.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "core/backend.h"
#include "core/clock.h"
namespace rampart {

class StateStore;
struct RestoredBlock;

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

// The Backend: every change of one commit is one rewrite. Blocks do not expire by themselves;
// the enforcer sends the delete. Each line's undo is in the state store before it is written.
class HostsDenyBackend final : public Backend {
 public:
  HostsDenyBackend(std::string path, const Clock& clock, StateStore* state);
  std::string_view name() const override { return "hosts-deny"; }
  bool expires_by_itself() const override { return false; }
  ApplyResult apply(std::span<const Change> changes) override;

  // At start: lines whose deadline passed are removed, the others written again (a crash may
  // have come between the undo record and the rewrite) and returned for the enforcer.
  Result<std::vector<RestoredBlock>> restore();
  uint64_t rewrites() const { return rewrites_; }

 private:
  std::string path_;
  const Clock& clock_;
  StateStore* state_;
  uint64_t rewrites_ = 0;
};

}  // namespace rampart
