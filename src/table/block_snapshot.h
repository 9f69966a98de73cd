// The block table of one backend as a file, so that a restart need not read a million
// elements back from the kernel (nftables dumps a set in time quadratic in its size). Written
// at a clean stop; trusted at the next start only if nothing can have changed in between: the
// same boot, the same network namespace, the same table, and an nftables generation id that
// has not moved (every transaction of anyone's moves it; expiry does not, and expired blocks
// are dropped on load). Anything else and rampartd reads the kernel as it always did.
//
// Pure: encoding and decoding only. The format is little-endian binary, versioned by its
// magic: a header, the command and reason strings, then fixed-size records in table order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/error.h"
namespace rampart {

// Where and when the snapshot was taken.
struct SnapshotOrigin {
  std::array<uint8_t, 16> boot_id{};
  uint64_t netns = 0;  // inode of /proc/self/ns/net
  uint32_t genid = 0;  // nftables generation the blocks match
  std::string table;
  bool operator==(const SnapshotOrigin&) const = default;
};

struct SnapshotBlock {
  Address address;
  uint16_t command = 0;  // index into BlockSnapshot::commands
  uint32_t rule_id = 0;
  uint32_t reason = 0;     // index into BlockSnapshot::reasons
  uint64_t expiry_us = 0;  // CLOCK_MONOTONIC (same boot); 0 = no timeout
};

struct BlockSnapshot {
  SnapshotOrigin origin;
  std::vector<std::string> commands;
  std::vector<std::string> reasons;
  std::vector<SnapshotBlock> blocks;
};

std::string encode_snapshot(const BlockSnapshot& snapshot);
// `name` is for messages. Refuses anything malformed or truncated as a whole.
Result<BlockSnapshot> decode_snapshot(std::string_view bytes, std::string_view name);

}  // namespace rampart
