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

// What the snapshot promises about the backend it was taken of.
enum class RecordState : uint8_t {
  Settled = 0,      // the backend, at `genid`, holds exactly these blocks
  NeedsReadd = 1,   // it may lack some (a reboot, a removed table): add every block again
  NeedsVerify = 2,  // it may have lost some: look every block up before trusting it
};

// Where and when the snapshot was taken.
struct SnapshotOrigin {
  std::array<uint8_t, 16> boot_id{};
  uint64_t netns = 0;  // inode of /proc/self/ns/net
  uint32_t genid = 0;  // nftables generation the blocks match
  std::string table;
  // CLOCK_REALTIME - CLOCK_MONOTONIC when it was written, so that deadlines (monotonic, of the
  // boot that wrote them) can be carried into another boot. Unknown in version 1 files.
  int64_t clock_offset_us = 0;
  bool clock_known = true;
  RecordState state = RecordState::Settled;
  uint64_t epoch = 0;  // the log written on top of it carries the same number
  bool operator==(const SnapshotOrigin&) const = default;
};

struct SnapshotBlock {
  Address address;
  uint16_t command = 0;  // index into BlockSnapshot::commands
  uint32_t rule_id = 0;
  uint32_t reason = 0;     // index into BlockSnapshot::reasons
  uint64_t expiry_us = 0;  // CLOCK_MONOTONIC of the boot in origin; 0 = no timeout
};

struct BlockSnapshot {
  SnapshotOrigin origin;
  std::vector<std::string> commands;
  // Per command: the <ports> its blocks drop ("tcp/22,udp/51820"; "" for all traffic), as
  // they were when the snapshot was taken. Blocks of one address share a kernel element per
  // scope. Empty in version 1 files: all traffic.
  std::vector<std::string> scopes;
  std::vector<std::string> reasons;
  std::vector<SnapshotBlock> blocks;
};

std::string encode_snapshot(const BlockSnapshot& snapshot);
// `name` is for messages. Refuses anything malformed or truncated as a whole. Reads version 1
// files too (from rampart before the log; their clock offset is unknown).
Result<BlockSnapshot> decode_snapshot(std::string_view bytes, std::string_view name);

}  // namespace rampart
