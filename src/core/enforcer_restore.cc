// The blocks that outlive rampartd: putting back what a backend or a snapshot still holds,
// taking a snapshot, and the repeated-offender counts.
#include <algorithm>

#include "core/enforcer.h"
#include "core/enforcer_internal.h"
namespace rampart {

using namespace enforcer_internal;
namespace {
constexpr std::string_view kUnknown = "unknown";
}  // namespace

void Enforcer::restore(CommandKind kind, const std::vector<RestoredBlock>& blocks) {
  uint64_t now = clock_.monotonic_us();
  size_t restored = 0;
  for (const auto& r : blocks) {
    CommandId cid = command_id(r.command.empty() ? kUnknown : std::string_view(r.command));
    uint64_t expiry = r.remaining_ms ? now + r.remaining_ms * 1000 : 0;
    if (table_.upsert({r.address, cid}, expiry, r.rule_id, 0, kind) == Upsert::Added) ++restored;
  }
  Backend* b = backend(kind);
  Event e{.type = EventType::Restored, .backend = b ? b->name() : to_string(kind)};
  e.count = restored;
  events_.emit(e);
}

BlockSnapshot Enforcer::snapshot(CommandKind kind) const {
  BlockSnapshot s;
  s.commands = command_names_;
  for (CommandId c = 0; c < command_names_.size(); ++c)
    s.scopes.push_back(ports_text(scopes_[scope_of(c)]));
  s.reasons = table_.reasons();
  s.blocks.reserve(table_.size());
  for (const auto& [key, block] : table_.blocks())
    if (block.kind == kind)
      s.blocks.push_back({key.address, key.command, block.rule_id, block.reason, block.expiry_us});
  return s;
}

size_t Enforcer::restore(CommandKind kind, const BlockSnapshot& snapshot) {
  std::vector<CommandId> commands;
  for (const auto& name : snapshot.commands) commands.push_back(command_id(name));
  std::vector<uint32_t> reasons;
  for (const auto& reason : snapshot.reasons) reasons.push_back(table_.intern(reason));
  uint64_t now = clock_.monotonic_us();
  size_t restored = 0;
  for (const SnapshotBlock& b : snapshot.blocks) {
    if (b.expiry_us != 0 && b.expiry_us <= now) continue;  // the kernel has dropped it too
    if (table_.upsert({b.address, commands[b.command]}, b.expiry_us, b.rule_id, reasons[b.reason],
                      kind) == Upsert::Added)
      ++restored;
  }
  Backend* backend = this->backend(kind);
  Event e{.type = EventType::Restored, .backend = backend ? backend->name() : to_string(kind)};
  e.count = restored;
  events_.emit(e);
  return restored;
}

void Enforcer::restore_offence(std::string_view command, const Address& address, uint32_t count,
                               uint64_t last_sec) {
  offenders_.set(BlockKey{address, command_id(command)}, count, last_sec);
}

void Enforcer::align(CommandKind kind, const Address& address, uint64_t remaining_ms) {
  uint64_t kernel = remaining_ms ? clock_.monotonic_us() + remaining_ms * 1000 : 0;
  auto [first, last] = table_.range(address);
  std::vector<std::pair<BlockKey, Block>> blocks;
  for (auto it = first; it != last; ++it)
    if (it->second.kind == kind && scope_of(it->first.command) == kAllTraffic)
      blocks.emplace_back(*it);
  if (blocks.empty()) return;
  auto longest = std::max_element(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    return later(b.second.expiry_us, a.second.expiry_us);
  });
  // None outlives the kernel's element, and the longest lasts exactly as long as it does.
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto& [key, block] = blocks[i];
    bool is_longest = static_cast<ptrdiff_t>(i) == longest - blocks.begin();
    uint64_t expiry = is_longest || later(block.expiry_us, kernel) ? kernel : block.expiry_us;
    if (expiry == block.expiry_us) continue;
    table_.remove(key);
    table_.upsert(key, expiry, block.rule_id, block.reason, kind);
  }
}

}  // namespace rampart
