// What rampart knows about each blocklist feed, for `rampartctl status`, the D-Bus API and the
// audit trail.
#pragma once

#include <cstdint>
#include <string>

namespace rampart {

struct FeedStatus {
  std::string name;
  std::string file;
  uint64_t entries = 0;           // lines with an address in the loaded file
  uint64_t ranges = 0;            // what the kernel holds after merging and cutting
  uint64_t cuts = 0;              // ranges cut or skipped around addresses that stay reachable
  uint64_t last_load_us = 0;      // CLOCK_REALTIME of the last successful load; 0 = never
  uint64_t load_duration_us = 0;  // parse, merge and transaction of that load
  std::string last_error;         // of the last attempt; empty when it loaded
};

}  // namespace rampart
