// The enforcer's index of one loop turn's pending changes: key -> position in the turn's
// change list. Open addressing with linear probing, emptied in O(1) by a generation stamp.
// std::unordered_map spent a malloc, a free and a cache miss per pending change on its nodes
// (about 8% of rampartd's CPU in a flood) and cleared its bucket array every turn.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "table/block_table.h"
namespace rampart {

class PendingIndex {
 public:
  // The position stored for `key`, or `pos` stored for it now (second: true when inserted).
  std::pair<uint32_t, bool> try_emplace(const BlockKey& key, uint32_t pos);
  std::optional<uint32_t> find(const BlockKey& key) const;
  // Forgets every key. A table grown far beyond what the last turn needed is released.
  void clear();
  size_t size() const { return used_; }

 private:
  struct Slot {
    BlockKey key;
    uint32_t pos = 0;
    uint32_t generation = 0;  // the slot is in use when this equals generation_
  };
  static constexpr size_t kMinSlots = 1024;

  static size_t hash(const BlockKey& key);
  // The slot holding `key`, or the empty one where it would go.
  size_t probe(const BlockKey& key) const;
  void grow();

  std::vector<Slot> slots_;
  size_t used_ = 0;
  uint32_t generation_ = 1;
};

}  // namespace rampart
