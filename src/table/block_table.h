// The daemon's view of every active block, keyed by (address, command), with an expiry index.
// Pure: times are passed in (CLOCK_MONOTONIC microseconds), nothing here reads a clock.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "config/command_kind.h"
namespace rampart {

// Commands are referred to by a stable id (interned name) so a config reload that reorders
// or removes commands leaves existing blocks intact.
using CommandId = uint16_t;

struct BlockKey {
  Address address;
  CommandId command = 0;
  auto operator<=>(const BlockKey&) const = default;
  bool operator==(const BlockKey&) const = default;
};

// Kept small on purpose: a million of these must fit in ~160 MB with the index.
struct Block {
  uint64_t expiry_us = 0;  // CLOCK_MONOTONIC; 0 = no timeout
  uint32_t rule_id = 0;
  uint32_t reason = 0;  // id from BlockTable::intern()
  CommandKind kind = CommandKind::Firewall;
  uint16_t origin = 0;  // the fleet node that ordered it (interned by the enforcer); 0 = this one
};

enum class Upsert : uint8_t {
  Added,      // a new block
  Extended,   // an existing block now lasts longer
  Unchanged,  // an existing block already lasts at least as long
  Refused,    // new block refused: max_blocks reached
};

class BlockTable {
 public:
  using Map = std::map<BlockKey, Block>;

  explicit BlockTable(size_t max_blocks = 1000000) : max_blocks_(max_blocks) {}
  BlockTable(const BlockTable&) = delete;  // last_ points into blocks_
  BlockTable& operator=(const BlockTable&) = delete;

  void set_max_blocks(size_t max) { max_blocks_ = max; }
  size_t max_blocks() const { return max_blocks_; }

  // Adds or extends. A block is never shortened: the new expiry is the later of the two, and
  // "no timeout" outlasts any deadline. Updates rule, reason and origin on Added/Extended.
  Upsert upsert(const BlockKey& key, uint64_t expiry_us, uint32_t rule_id, uint32_t reason,
                CommandKind kind, uint16_t origin = 0);

  std::optional<Block> remove(const BlockKey& key);
  const Block* find(const BlockKey& key) const;

  // Moves every block whose expiry is <= now into `out` (which is appended to).
  void expire(uint64_t now_us, std::vector<std::pair<BlockKey, Block>>& out);
  // The earliest pending expiry, if any.
  std::optional<uint64_t> next_expiry();

  size_t size() const { return blocks_.size(); }
  bool empty() const { return blocks_.empty(); }
  // Blocks of one kind and address family, kept as blocks come and go: a metrics scrape must
  // not walk a million blocks.
  size_t count(CommandKind kind, bool v6) const { return counts_[slot(kind, v6)]; }
  const Map& blocks() const { return blocks_; }
  // All blocks of one address (every command), in command order.
  std::pair<Map::const_iterator, Map::const_iterator> range(const Address& address) const;
  void clear();

  // Reasons are mostly rule descriptions shared by many blocks: store each once.
  uint32_t intern(std::string_view reason);
  const std::string& reason(uint32_t id) const { return reasons_[id]; }
  const std::vector<std::string>& reasons() const { return reasons_; }

 private:
  struct Deadline {
    uint64_t expiry_us;
    BlockKey key;
    bool operator>(const Deadline& o) const { return expiry_us > o.expiry_us; }
  };
  void schedule(const BlockKey& key, uint64_t expiry_us);
  void drop_stale_deadlines();
  static size_t slot(CommandKind kind, bool v6) { return static_cast<size_t>(kind) * 2 + v6; }
  void count_in(const BlockKey& key, const Block& block) {
    ++counts_[slot(block.kind, !key.address.is_v4())];
  }
  void count_out(const BlockKey& key, const Block& block) {
    --counts_[slot(block.kind, !key.address.is_v4())];
  }

  size_t max_blocks_;
  Map blocks_;
  // The block upsert() last touched: range() of its address, asked right after, starts there
  // instead of walking the tree again. end() after anything that erases.
  Map::const_iterator last_ = blocks_.end();
  // Lazy min-heap: entries whose block was extended or removed are skipped when they surface.
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  std::vector<std::string> reasons_{""};
  std::unordered_map<std::string, uint32_t> reason_ids_{{"", 0}};
  std::array<size_t, 8> counts_{};  // by slot(kind, v6)
};

// Repeated-offender counts per (command, address), forgotten after a quiet period.
class OffenderCounts {
 public:
  // Records one offence at `now_sec` and returns how many offences (this one included) the key
  // has had since it was last quiet for `reset_sec`.
  uint32_t record(const BlockKey& key, uint64_t now_sec, uint64_t reset_sec);
  // Puts back a count kept across a restart.
  void set(const BlockKey& key, uint32_t count, uint64_t last_sec) {
    counts_[key] = Entry{count, last_sec};
  }
  size_t size() const { return counts_.size(); }

 private:
  struct Entry {
    uint32_t count = 0;
    uint64_t last_sec = 0;
  };
  std::map<BlockKey, Entry> counts_;
};

// The timeout for the Nth offence: the first uses `timeout`; the Nth later one uses the Nth
// entry of repeated_offenders (minutes), and the last entry after that.
std::optional<uint32_t> offence_timeout(std::optional<uint32_t> timeout_sec,
                                        const std::vector<uint32_t>& repeated_offenders_min,
                                        uint32_t offences);

}  // namespace rampart
