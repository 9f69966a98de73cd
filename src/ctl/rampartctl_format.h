// Text for people and scripts: time spans, relative expiry, tables and JSON, for rampartctl.
// Pure functions, no D-Bus.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::ctl {

// "90" (seconds), "10m", "1h30m", "1h 30m", "2d", "1w", "500ms"; "0", "none" and "infinity"
// mean no timeout (0). nullopt when the text is not a time span.
std::optional<uint64_t> parse_timespan_usec(std::string_view text);

// "9m 58s", "1h 30m", "2d 3h": the two largest units, rounded down.
std::string format_duration(uint64_t usec);
// "in 9m 58s", "never" (expiry 0), "now" (due or past).
std::string format_expiry(uint64_t expiry_realtime_usec, uint64_t now_realtime_usec);
// "Tue 2026-11-27 21:08:22 UTC" in local time.
std::string format_timestamp(uint64_t realtime_usec);

// One block as ListBlocks and GetBlock send it ("(sstussss)"); the text points into the reply.
struct BlockRecord {
  std::string_view address, command;
  uint64_t expiry_usec = 0;  // CLOCK_REALTIME; 0 = never
  uint32_t rule_id = 0;
  std::string_view reason, backend;
  std::string_view scope;   // the command's <ports>; "" = all traffic
  std::string_view origin;  // the fleet node whose order made it; "" = this node
};
// {"address":...,"command":...,"expiry_usec":...,"rule_id":...,"reason":...,"backend":...,
//  "scope":...,"origin":...}
void append_block_json(std::string& out, const BlockRecord& block);
// `rampartctl list`: a table (with a header and a count when `legend`), or a JSON array.
std::string format_block_list(const std::vector<BlockRecord>& blocks, uint64_t now_usec, bool json,
                              bool legend);
// `rampartctl show`: one field a line, or one JSON object.
std::string format_block(const BlockRecord& block, uint64_t now_usec, bool json);

// The properties of org.rampart1.Manager, for `rampartctl status`.
struct Status {
  std::string version;
  uint32_t active_blocks = 0;
  uint64_t alerts_received = 0, alerts_rejected = 0;
  std::vector<std::string> backends;
  bool dry_run = false;
  struct Feed {  // a blocklist feed ("a(sttts)")
    std::string name;
    uint64_t entries = 0, ranges = 0, loaded_usec = 0;
    std::string error;
  };
  std::vector<Feed> feeds;
  // The fleet: "" without one.
  std::string fleet;
  uint64_t fleet_sent = 0, fleet_received = 0, fleet_pending = 0, fleet_lag_us = 0;
};
std::string format_status(const Status& status, bool json);

// Left-aligned columns; the last column is not padded. Built in one buffer, so 100,000 rows
// print with one write.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void reserve(size_t rows) { cells_.reserve(rows * headers_.size()); }
  // Cells are appended row by row; an empty cell prints as "-".
  void add(std::string cell) { cells_.push_back(std::move(cell)); }
  size_t rows() const { return cells_.size() / headers_.size(); }
  void render(std::string& out, bool header) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::string> cells_;
};

}  // namespace rampart::ctl
