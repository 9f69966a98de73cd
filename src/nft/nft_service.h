// Per-service blocks: a command with <ports> drops only that traffic. Its blocks live in two
// concatenated interval sets with timeouts,
//   set service4 { type ipv4_addr . inet_proto . inet_service; flags interval,timeout; }
//   set service6 { type ipv6_addr . inet_proto . inet_service; flags interval,timeout; }
// one element per (address or prefix, protocol, port range), matched by one rule per family
// ("ip saddr . meta l4proto . th dport @service4 drop") in base chains of their own
// (service_input, service_forward). Pure building; tested without a kernel.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "nft/nft_batch.h"
namespace rampart {

inline constexpr std::string_view kNftServiceChains[] = {"service_input", "service_forward"};
std::string_view nft_service_set(bool v4);

// The chains, sets and rules (created if missing; the chains' rules written again, in the same
// transaction), then one message per change of `order`: its elements, one per port of the
// change, added with the change's timeout and comment (NLM_F_CREATE without NLM_F_EXCL, so a
// re-add refreshes) or deleted. An error ack therefore names exactly one change.
NftBatch build_service_batch(std::string_view table, std::span<const Change> changes,
                             std::span<const size_t> order, uint32_t first_seq,
                             std::optional<uint32_t> genid);

}  // namespace rampart
