// A blocklist feed file as the ranges its nftables interval sets get: one address or CIDR
// prefix per line, comments after ';' or '#' (so Spamhaus DROP, FireHOL netsets and ipdeny
// zone files load as they are), overlapping and adjacent entries joined, and addresses that
// must stay reachable (allowlist, never-block, this host) cut out. Pure: no file I/O.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address.h"
#include "base/address_range.h"
#include "base/error.h"
namespace rampart {

// What must never be blocked, with why (for the log line of a cut).
struct FeedExclusion {
  Address prefix;
  std::string why;  // "allowlisted (203.0.113.5)", "loopback", "address of this host"
};

struct FeedList {
  std::vector<AddressRange> ranges;  // sorted, IPv4 first, disjoint and not adjacent
  size_t entries = 0;                // lines that held an address
  std::vector<std::string> cuts;     // one line per range that lost addresses, and why
};

// Parses `text` (the contents of `file`). A line that is not an address or prefix, or more
// than `max_entries` entries, refuses the whole file with "file:line: what and the fix": a
// half-downloaded list must not replace a good one. So does a file without any entry.
Result<FeedList> parse_feed(std::string_view text, std::string_view file, size_t max_entries,
                            std::span<const FeedExclusion> exclude);

}  // namespace rampart
