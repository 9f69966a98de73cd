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

// nft's own datatype numbers and byte order tag (nftables src/datatype.h): they make
// `nft list` print "type ipv4_addr" and addresses rather than raw hex.
constexpr uint32_t kTypeIpv4Addr = 7;
constexpr uint32_t kTypeIpv6Addr = 8;
constexpr uint32_t kByteorderBigEndian = 2;

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
    std::string name(nft_set_name(kind));
    NftSetPtr s(nftnl_set_alloc());
    nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table_.c_str());
    nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
    nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
    uint32_t flags = NFT_SET_TIMEOUT | (nft_set_is_interval(kind) ? NFT_SET_INTERVAL : 0);
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, flags);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, v4 ? kTypeIpv4Addr : kTypeIpv6Addr);
    nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
    nftnl_set_set_u32(s.get(), NFTNL_SET_ID, set_id(kind));
    NftUdataBufPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBigEndian);
    nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()),
                       nftnl_udata_buf_len(ud.get()));
    nlmsghdr* nlh = header(NFT_MSG_NEWSET, NLM_F_CREATE);
    nftnl_set_nlmsg_build_payload(nlh, s.get());
    NftMessage& m = writer_.append(nlh);
    m.set = kind;
    m.what = fmt::format("set {}", name);
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
