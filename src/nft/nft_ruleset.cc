#include "nft/nft_ruleset.h"
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <string>

#include <fmt/format.h>

#include "base/handles_nft.h"
#include "nft/nft_expr.h"
#include "nft/nft_objects.h"
namespace rampart {
namespace {

// Set ids let rules refer to sets created in the same transaction.
uint32_t set_id(NftSetKind kind) {
  return static_cast<uint32_t>(kind) + 1;
}

class Builder {
 public:
  Builder(std::string_view table, uint32_t first_seq, std::optional<uint32_t> genid)
      : table_(table), writer_(first_seq, genid) {}

  void table() { nft_append_table(writer_, table_); }

  void set(NftSetKind kind) {
    bool v4 = nft_set_is_v4(kind);
    uint32_t flags = NFT_SET_TIMEOUT | (nft_set_is_interval(kind) ? NFT_SET_INTERVAL : 0);
    nft_append_set(writer_, table_,
                   {std::string(nft_set_name(kind)), flags,
                    v4 ? kNftTypeIpv4Addr : kNftTypeIpv6Addr, v4 ? 4u : 16u, set_id(kind)})
        .set = kind;
  }

  void chain(std::string_view name, uint32_t hook) {
    nft_append_base_chain(writer_, table_, name, hook);
  }

  // "ip saddr @blocked4 drop" as nft compiles it for an inet table: the nfproto match first,
  // since an inet chain sees both families.
  void rule(std::string_view chain, NftSetKind kind) {
    bool v4 = nft_set_is_v4(kind);
    std::string c(chain), set(nft_set_name(kind));
    NftRulePtr r(nftnl_rule_alloc());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table_.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.c_str());
    nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);

    nft_match_family(r.get(), v4);
    nft_load_saddr(r.get(), v4, NFT_REG_1);
    nft_lookup(r.get(), NFT_REG_1, set, set_id(kind));
    nft_verdict(r.get(), NF_DROP);

    nlmsghdr* nlh = header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    NftMessage& m = writer_.append(nlh);
    m.set = kind;
    m.what = fmt::format("rule \"{} saddr @{} drop\" in chain {}", v4 ? "ip" : "ip6", set, c);
  }

  NftBatch finish() { return writer_.finish(); }

 private:
  nlmsghdr* header(uint16_t type, uint16_t flags) {
    return nftnl_nlmsg_build_hdr(buf_, type, NFPROTO_INET, flags, 0);
  }

  std::string table_;
  NftBatchWriter writer_;
  alignas(nlmsghdr) char buf_[kNftSmallMessage];
};

}  // namespace

NftBatch build_ruleset_batch(std::string_view table, const NftRulesetPlan& plan, uint32_t first_seq,
                             std::optional<uint32_t> genid) {
  Builder b(table, first_seq, genid);
  b.table();
  for (NftSetKind kind : kNftSetKinds) b.set(kind);
  b.chain(kNftChains[0], NF_INET_LOCAL_IN);
  b.chain(kNftChains[1], NF_INET_FORWARD);
  constexpr NftSetKind kRuleOrder[] = {NftSetKind::Host4, NftSetKind::Net4, NftSetKind::Host6,
                                       NftSetKind::Net6};
  for (size_t i = 0; i < 2; ++i) {
    if (!(i == 0 ? plan.rules_input : plan.rules_forward)) continue;
    for (NftSetKind kind : kRuleOrder) b.rule(kNftChains[i], kind);
  }
  return b.finish();
}

}  // namespace rampart
