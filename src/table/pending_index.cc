#include "table/pending_index.h"
namespace rampart {

size_t PendingIndex::hash(const BlockKey& key) {
  return AddressHash{}(key.address) ^ (size_t{key.command} * 0x9e3779b97f4a7c15ull);
}

size_t PendingIndex::probe(const BlockKey& key) const {
  size_t mask = slots_.size() - 1;
  for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.generation != generation_ || s.key == key) return i;
  }
}

std::pair<uint32_t, bool> PendingIndex::try_emplace(const BlockKey& key, uint32_t pos) {
  // At most half full: probes stay short, and probe() always finds an empty slot.
  if ((used_ + 1) * 2 > slots_.size()) grow();
  Slot& s = slots_[probe(key)];
  if (s.generation == generation_) return {s.pos, false};
  s = Slot{key, pos, generation_};
  ++used_;
  return {pos, true};
}

std::optional<uint32_t> PendingIndex::find(const BlockKey& key) const {
  if (used_ == 0) return std::nullopt;
  const Slot& s = slots_[probe(key)];
  if (s.generation != generation_) return std::nullopt;
  return s.pos;
}

void PendingIndex::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.resize(std::max(kMinSlots, old.size() * 2));
  uint32_t live = generation_;
  generation_ = 1;
  for (const Slot& s : old)
    if (s.generation == live) slots_[probe(s.key)] = Slot{s.key, s.pos, generation_};
}

void PendingIndex::clear() {
  // A turn of a million changes (a restore) must not pin its table for the daemon's lifetime.
  if (slots_.size() > 64 * kMinSlots && used_ * 8 < slots_.size()) {
    slots_ = std::vector<Slot>();
  } else if (++generation_ == 0) {
    // After 2^32 turns: every stamp is old again.
    for (Slot& s : slots_) s.generation = 0;
    generation_ = 1;
  }
  used_ = 0;
}

}  // namespace rampart
