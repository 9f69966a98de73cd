// The table, sets, chains and rules rampart owns, as one nftables transaction (pure building;
// the backend decides which parts are missing and sends it).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "nft/nft_batch.h"
namespace rampart {

// The base chains, in the order they are created.
inline constexpr std::string_view kNftChains[] = {"input", "forward"};
// Priority of both base chains: just before the usual filter chains (0), so a block wins.
inline constexpr int32_t kNftChainPriority = -10;

struct NftRulesetPlan {
  // Rules go into a chain only when it has none yet, so a restart does not duplicate them.
  bool rules_input = true;
  bool rules_forward = true;
};

// NEWTABLE, four NEWSETs, two NEWCHAINs (all NLM_F_CREATE without NLM_F_EXCL: existing objects
// and their elements are kept) and the drop rules the plan asks for. With `genid` the kernel
// refuses the transaction (ERESTART) if the ruleset changed since the plan was made.
NftBatch build_ruleset_batch(std::string_view table, const NftRulesetPlan& plan, uint32_t first_seq,
                             std::optional<uint32_t> genid);

}  // namespace rampart
