// The expressions of rampart's rules, as nft compiles them for an inet table (nft --debug=netlink
// shows the same): one helper per step, so every rule reads like its nft text.
#pragma once

#include <libnftnl/rule.h>

#include <cstdint>
#include <string_view>

namespace rampart {

// "meta nfproto ipv4|ipv6": an inet chain sees both families.
void nft_match_family(nftnl_rule* r, bool v4);
// "ip saddr" / "ip6 saddr" into `dreg`.
void nft_load_saddr(nftnl_rule* r, bool v4, uint32_t dreg);
// "meta l4proto" into `dreg`.
void nft_load_l4proto(nftnl_rule* r, uint32_t dreg);
// "th dport" (bytes 2-3 of the transport header) into `dreg`.
void nft_load_dport(nftnl_rule* r, uint32_t dreg);
// "@set" on what starts at `sreg`; `set_id` names a set created in the same transaction.
void nft_lookup(nftnl_rule* r, uint32_t sreg, std::string_view set, uint32_t set_id);
// "drop", "accept", ...
void nft_verdict(nftnl_rule* r, int verdict);

}  // namespace rampart
