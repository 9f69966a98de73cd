#include "nft/nft_objects.h"
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <fmt/format.h>

#include "base/handles_nft.h"
#include "nft/nft_ruleset.h"
namespace rampart {

void nft_append_table(NftBatchWriter& w, const std::string& table) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  NftTablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, table.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWTABLE, NFPROTO_INET, NLM_F_CREATE, 0);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  w.append(nlh).what = fmt::format("table inet {}", table);
}

void nft_append_base_chain(NftBatchWriter& w, const std::string& table, std::string_view name,
                           uint32_t hook) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  std::string n(name);
  NftChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, n.c_str());
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, NFPROTO_INET);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, "filter");
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hook);
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, kNftChainPriority);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE, 0);
  nftnl_chain_nlmsg_build_payload(nlh, c.get());
  w.append(nlh).what = fmt::format("chain {}", n);
}

NftMessage& nft_append_set(NftBatchWriter& w, const std::string& table, const NftSetSpec& spec) {
  // nft's byte order tag for a big-endian key (nftables src/datatype.h).
  constexpr uint32_t kByteorderBigEndian = 2;
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  NftSetPtr s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, spec.name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, spec.flags);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, spec.key_type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, spec.key_len);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, spec.id);
  if (!spec.concat.empty())
    nftnl_set_set_data(s.get(), NFTNL_SET_DESC_CONCAT, spec.concat.data(),
                       static_cast<uint32_t>(spec.concat.size()));
  NftUdataBufPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
  nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_KEYBYTEORDER, kByteorderBigEndian);
  nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud.get()),
                     nftnl_udata_buf_len(ud.get()));
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE, 0);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  NftMessage& m = w.append(nlh);
  m.what = fmt::format("set {}", spec.name);
  return m;
}

void nft_append_chain_flush(NftBatchWriter& w, const std::string& table, std::string_view name) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_DELRULE, NFPROTO_INET, 0, 0);
  mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table.c_str());
  mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, std::string(name).c_str());
  w.append(nlh).what = fmt::format("flushing chain {}", name);
}

NftBatch NftObjectBuilder::finish() {
  NftBatch batch = writer_.finish();
  batch.elements = elements_;
  return batch;
}

NftRulePtr NftObjectBuilder::new_rule(std::string_view chain) const {
  NftRulePtr r(nftnl_rule_alloc());
  std::string c(chain);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table_.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  return r;
}

nlmsghdr* NftObjectBuilder::header(uint16_t type, uint16_t flags) {
  return nftnl_nlmsg_build_hdr(small_, type, NFPROTO_INET, flags, 0);
}

}  // namespace rampart
