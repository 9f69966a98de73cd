#include "table/block_table.h"
#include <algorithm>

namespace rampart {

Upsert BlockTable::upsert(const BlockKey& key, uint64_t expiry_us, uint32_t rule_id,
                          uint32_t reason, CommandKind kind, uint16_t origin) {
  // Keys in ascending order (a snapshot being restored) go to the end without a tree walk.
  auto it =
      !blocks_.empty() && blocks_.rbegin()->first < key ? blocks_.end() : blocks_.lower_bound(key);
  if (it == blocks_.end() || it->first != key) {
    if (blocks_.size() >= max_blocks_) return Upsert::Refused;
    last_ = blocks_.emplace_hint(it, key, Block{expiry_us, rule_id, reason, kind, origin});
    count_in(key, last_->second);
    schedule(key, expiry_us);
    return Upsert::Added;
  }
  last_ = it;
  Block& b = it->second;
  bool longer = b.expiry_us != 0 && (expiry_us == 0 || expiry_us > b.expiry_us);
  if (!longer) return Upsert::Unchanged;
  b.expiry_us = expiry_us;
  b.rule_id = rule_id;
  b.reason = reason;
  b.origin = origin;
  schedule(key, expiry_us);
  return Upsert::Extended;
}

std::optional<Block> BlockTable::remove(const BlockKey& key) {
  auto it = blocks_.find(key);
  if (it == blocks_.end()) return std::nullopt;
  Block b = it->second;
  count_out(key, b);
  blocks_.erase(it);
  last_ = blocks_.end();
  drop_stale_deadlines();
  return b;
}

const Block* BlockTable::find(const BlockKey& key) const {
  auto it = blocks_.find(key);
  return it == blocks_.end() ? nullptr : &it->second;
}

void BlockTable::schedule(const BlockKey& key, uint64_t expiry_us) {
  if (expiry_us == 0) return;
  deadlines_.push({expiry_us, key});
  drop_stale_deadlines();
}

// Keeps the lazy heap from growing without bound under refresh storms: once stale entries
// outnumber live blocks, rebuild it from the table.
void BlockTable::drop_stale_deadlines() {
  if (deadlines_.size() < 1024 || deadlines_.size() <= 2 * blocks_.size()) return;
  std::vector<Deadline> live;
  live.reserve(blocks_.size());
  for (const auto& [key, block] : blocks_)
    if (block.expiry_us) live.push_back({block.expiry_us, key});
  deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
}

void BlockTable::expire(uint64_t now_us, std::vector<std::pair<BlockKey, Block>>& out) {
  while (!deadlines_.empty() && deadlines_.top().expiry_us <= now_us) {
    Deadline d = deadlines_.top();
    deadlines_.pop();
    auto it = blocks_.find(d.key);
    if (it == blocks_.end() || it->second.expiry_us != d.expiry_us) continue;  // stale
    out.emplace_back(it->first, it->second);
    count_out(it->first, it->second);
    if (it == last_) last_ = blocks_.end();
    blocks_.erase(it);
  }
}

std::optional<uint64_t> BlockTable::next_expiry() {
  while (!deadlines_.empty()) {
    const Deadline& d = deadlines_.top();
    auto it = blocks_.find(d.key);
    if (it != blocks_.end() && it->second.expiry_us == d.expiry_us) return d.expiry_us;
    deadlines_.pop();
  }
  return std::nullopt;
}

std::pair<BlockTable::Map::const_iterator, BlockTable::Map::const_iterator> BlockTable::range(
    const Address& address) const {
  // One tree walk, or none for the address just upserted; an address rarely has more than a
  // block or two.
  Map::const_iterator first;
  if (last_ != blocks_.end() && last_->first.address == address) {
    first = last_;
    while (first != blocks_.begin() && std::prev(first)->first.address == address) --first;
  } else {
    first = blocks_.lower_bound(BlockKey{address, 0});
  }
  auto last = first;
  while (last != blocks_.end() && last->first.address == address) ++last;
  return {first, last};
}

void BlockTable::clear() {
  blocks_.clear();
  counts_ = {};
  last_ = blocks_.end();
  deadlines_ = {};
}

uint32_t BlockTable::intern(std::string_view reason) {
  // Free-text reasons (manual blocks) could grow this without bound; past the cap new ones
  // are not kept, the blocks themselves are.
  static constexpr size_t kMaxReasons = 65536;
  auto it = reason_ids_.find(std::string(reason));
  if (it != reason_ids_.end()) return it->second;
  if (reasons_.size() >= kMaxReasons) return 0;
  uint32_t id = static_cast<uint32_t>(reasons_.size());
  reasons_.emplace_back(reason);
  reason_ids_.emplace(reasons_.back(), id);
  return id;
}

uint32_t OffenderCounts::record(const BlockKey& key, uint64_t now_sec, uint64_t reset_sec) {
  Entry& e = counts_[key];
  if (e.count && now_sec >= e.last_sec + reset_sec) e.count = 0;
  e.count++;
  e.last_sec = now_sec;
  return e.count;
}

std::optional<uint32_t> offence_timeout(std::optional<uint32_t> timeout_sec,
                                        const std::vector<uint32_t>& repeated_offenders_min,
                                        uint32_t offences) {
  if (!timeout_sec || offences <= 1 || repeated_offenders_min.empty()) return timeout_sec;
  size_t i = std::min<size_t>(offences - 2, repeated_offenders_min.size() - 1);
  return repeated_offenders_min[i] * 60;
}

}  // namespace rampart
