// The log half of rampart's own record of its nftables blocks (the other half is the base, a
// block snapshot: table/block_snapshot.h). Every change sent to the kernel is appended before
// the transaction that carries it, and after it a marker with the generation the ruleset then
// reached; so a start knows what the kernel holds without dumping the sets (quadratic in their
// size), a crash loses nothing the kernel has, and a reboot can put every block back.
//
// Pure: the format only. A log file is a header (magic, epoch of its base, table) and frames,
// one per write(): length, checksum, the boot and clock offset of the writer, then records
// (add, remove, name, marker), little-endian. A torn last frame (a crash in the middle
// of a write, a power cut) fails its length or checksum and is ignored with everything after.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "table/block_snapshot.h"
namespace rampart {

// Which boot wrote a frame, and its CLOCK_REALTIME - CLOCK_MONOTONIC then: deadlines are
// monotonic, and carried into another boot through the wall clock.
struct NftClock {
  std::array<uint8_t, 16> boot_id{};
  int64_t offset_us = 0;
};

// The kernel's state as far as the record knows it (see RecordState).
struct NftMarker {
  RecordState state = RecordState::Settled;
  uint32_t genid = 0;
  uint64_t netns = 0;
  bool operator==(const NftMarker&) const = default;
};

// Builds one frame at a time. A block's kernel element is per address and <ports> scope
// ("tcp/22,udp/51820"; "" for all traffic). Commands and scopes are names, numbered per log
// file: a name is written the first time a frame uses it.
class NftLogWriter {
 public:
  void add(const Address& address, std::string_view scope, std::string_view command,
           uint32_t rule_id, uint64_t expiry_us);
  void remove(const Address& address, std::string_view scope);
  void marker(const NftMarker& marker);
  bool empty() const { return payload_.empty(); }
  size_t size() const { return payload_.size(); }
  // A frame is header() followed by payload(), written together (writev: a flood's frame is
  // megabytes, not copied again); clear() then starts the next one.
  std::string header(const NftClock& clock) const;
  std::string_view payload() const { return payload_; }
  void clear() { payload_.clear(); }
  // Both in one string (tests).
  std::string finish(const NftClock& clock);
  // A new log file starts: names are written again.
  void restart();
  // Appending to an existing log whose names are these, numbered in order.
  void seed(const std::vector<std::string>& names);

 private:
  uint16_t name(std::string_view text);
  std::string payload_;
  std::unordered_map<std::string, uint16_t> names_;
  // Floods repeat one command and one scope: the last two names skip the map.
  std::string recent_[2];
  uint16_t recent_id_[2] = {UINT16_MAX, UINT16_MAX};
};

std::string encode_nft_log_header(uint64_t epoch, std::string_view table);

struct NftLogEntry {
  Address address;
  bool removed = false;
  uint16_t scope = 0;    // into NftLog::names
  uint16_t command = 0;  // into NftLog::names
  uint32_t rule_id = 0;
  uint64_t expiry_us = 0;  // CLOCK_MONOTONIC of the reading boot; 0 = no timeout
};

struct NftLog {
  uint64_t epoch = 0;
  std::string table;
  std::vector<std::string> names;    // commands and scopes
  std::vector<NftLogEntry> entries;  // in the order written
  std::optional<NftMarker> marker;   // the last one
  bool marker_this_boot = false;     // the last marker was written in the reading boot
  size_t marked_entries = 0;         // entries written before the last marker
  size_t valid_bytes = 0;            // whole frames end here; a torn write follows
};

// `now`: the reading boot and its clock offset. Deadlines of frames from another boot are
// moved into this one's monotonic clock through the wall clock (and may then have passed).
Result<NftLog> decode_nft_log(std::string_view bytes, const NftClock& now, std::string_view name);

// The blocks of `base` (deadlines already in this boot's clock) with the first `upto` entries
// of `log` on top: a logged add replaces every block of its address in its scope (keeping the
// reason of a base block of the same command), a logged removal drops them. Blocks whose
// deadline is at or before `now_us` are left out. The result is in address order.
BlockSnapshot replay_nft_log(BlockSnapshot base, const NftLog& log, size_t upto, uint64_t now_us);

// A deadline of `from` carried into `to` (0 stays 0; one that has passed becomes 1).
uint64_t nft_carry_deadline(uint64_t expiry_us, int64_t from_offset_us, int64_t to_offset_us);

}  // namespace rampart
