// The enforcer's kernel-facing side of a block: which element(s) an address's blocks need.
// Blocks of one address and kind share an element per <ports> scope, with the longest
// remaining time among them; a per-service block never widens or shortens a whole-address one.
#include <fmt/format.h>

#include <algorithm>

#include "core/enforcer.h"
#include "core/enforcer_internal.h"
namespace rampart {

using namespace enforcer_internal;

uint16_t Enforcer::scope_for(const std::vector<ServicePort>& ports) const {
  if (ports.empty()) return kAllTraffic;
  auto it = std::find(scopes_.begin(), scopes_.end(), ports);
  if (it != scopes_.end()) return static_cast<uint16_t>(it - scopes_.begin());
  scopes_.push_back(ports);
  return static_cast<uint16_t>(scopes_.size() - 1);
}

uint16_t Enforcer::scope_of(CommandId command) const {
  if (command < command_scopes_.size() && command_scopes_[command] != UINT16_MAX)
    return command_scopes_[command];
  if (command >= command_scopes_.size()) command_scopes_.resize(command + 1, UINT16_MAX);
  const Command* cmd = config_ ? config_->find_command(command_names_[command]) : nullptr;
  return command_scopes_[command] = cmd ? scope_for(cmd->ports) : kAllTraffic;
}

void Enforcer::sync(CommandKind kind, const Address& address, uint32_t rule_id, uint16_t scope) {
  if (!backend(kind)) return;
  // Outside the exec slot the pending key's command is free to name the scope.
  queue(kind, BlockKey{address, scope == kAllTraffic ? kAnyCommand : scope},
        change_for(kind, address, rule_id, scope));
}

Change Enforcer::change_for(CommandKind kind, const Address& address, uint32_t rule_id,
                            uint16_t scope) const {
  uint64_t now = clock_.monotonic_us();
  const BlockTable::Map::value_type* longest = nullptr;
  auto [first, last] = table_.range(address);
  for (auto it = first; it != last; ++it)
    if (it->second.kind == kind && scope_of(it->first.command) == scope &&
        (!longest || later(it->second.expiry_us, longest->second.expiry_us)))
      longest = &*it;

  Change change;
  change.address = address;
  change.ports = scopes_[scope];
  if (!longest) {
    change.op = Change::Op::Delete;
  } else {
    change.op = Change::Op::Add;
    uint64_t expiry = longest->second.expiry_us;
    change.timeout_ms = expiry == 0 ? 0 : kernel_timeout_ms(expiry - std::min(expiry, now));
    change.comment = fmt::format("{}:{}", command_names_[longest->first.command],
                                 longest->second.rule_id ? longest->second.rule_id : rule_id);
    change.command = command_names_[longest->first.command];
  }
  return change;
}

Change Enforcer::desired(CommandKind kind, const Address& address,
                         const std::vector<ServicePort>& ports) const {
  return change_for(kind, address, 0, scope_for(ports));
}

size_t Enforcer::resync(CommandKind kind, std::span<const Address> addresses, bool whole_address) {
  size_t queued = 0;
  std::vector<uint16_t> done;
  for (const Address& a : addresses) {
    done.clear();
    auto [first, last] = table_.range(a);
    for (auto it = first; it != last; ++it) {
      if (it->second.kind != kind) continue;
      uint16_t scope = scope_of(it->first.command);
      if (std::find(done.begin(), done.end(), scope) != done.end()) continue;
      done.push_back(scope);
      if (scope != kAllTraffic || whole_address) sync(kind, a, it->second.rule_id, scope);
    }
    queued += !done.empty();
  }
  return queued;
}

size_t Enforcer::resync(CommandKind kind, const std::function<bool(const Address&)>& present) {
  size_t queued = 0;
  const Address* last = nullptr;
  std::vector<uint16_t> done;  // scopes already queued for `last`
  for (const auto& [key, block] : table_.blocks()) {
    if (block.kind != kind) continue;
    if (!last || !(*last == key.address)) done.clear();
    last = &key.address;
    uint16_t scope = scope_of(key.command);
    if (std::find(done.begin(), done.end(), scope) != done.end()) continue;
    done.push_back(scope);
    // `present` knows the whole-address sets only; a re-add of the others just refreshes.
    if (scope == kAllTraffic && present && present(key.address)) continue;
    sync(kind, key.address, block.rule_id, scope);
    ++queued;
  }
  return queued;
}

}  // namespace rampart
