// The nftables side of blocklist feeds: each feed has two interval sets, feed_<name>4 and
// feed_<name>6, and drop rules for them in two base chains of their own (feed_input and
// feed_forward), so a feed never touches the chains and sets of ordinary blocks. A load
// replaces a feed's elements in the same transaction that flushes them: the kernel commits
// both or neither, so no packet ever sees the set empty or half loaded. Pure building.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/address_range.h"
#include "nft/nft_batch.h"
namespace rampart {

inline constexpr std::string_view kNftFeedChains[] = {"feed_input", "feed_forward"};

std::string nft_feed_set(std::string_view feed, bool v4);

struct NftFeedLoad {
  std::string name;
  std::span<const AddressRange> ranges;  // both families, as merge_prefixes() sorts them
  // Set: the sets are not flushed; these ranges are deleted and `ranges` (only what is new)
  // added. A replace that changes a tenth of a list then costs a tenth of a load.
  std::optional<std::span<const AddressRange>> removed;
};

struct NftFeedPlan {
  std::vector<std::string> feeds;    // every configured feed: its sets and rules exist after
  std::vector<NftFeedLoad> loads;    // feeds whose elements are replaced
  std::vector<std::string> removed;  // feeds no longer configured: their sets are deleted
};

// NEWTABLE and the two chains (created if missing), the sets of every feed, the chains'
// rules flushed and written again for `feeds`, removed feeds' sets deleted, and for each load
// its sets flushed and filled (or its removed ranges deleted and its new ones added). With `genid`
// the kernel refuses it if the ruleset moved on.
NftBatch build_feed_batch(std::string_view table, const NftFeedPlan& plan, uint32_t first_seq,
                          std::optional<uint32_t> genid);

}  // namespace rampart
