// The blocks that outlive rampartd: putting back what a backend or a snapshot still holds,
// taking a snapshot, and the repeated-offender counts.
#include "core/enforcer.h"
namespace rampart {
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

}  // namespace rampart
