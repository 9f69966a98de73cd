#include "nft/nft_expr.h"
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <string>

namespace rampart {
namespace {

nftnl_expr* add(nftnl_rule* r, const char* name) {
  nftnl_expr* e = nftnl_expr_alloc(name);
  nftnl_rule_add_expr(r, e);
  return e;
}

void payload(nftnl_rule* r, uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg) {
  nftnl_expr* e = add(r, "payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

void meta(nftnl_rule* r, uint32_t key, uint32_t dreg) {
  nftnl_expr* e = add(r, "meta");
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
}

}  // namespace

void nft_match_family(nftnl_rule* r, bool v4) {
  meta(r, NFT_META_NFPROTO, NFT_REG_1);
  nftnl_expr* cmp = add(r, "cmp");
  nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set_u8(cmp, NFTNL_EXPR_CMP_DATA, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
}

void nft_load_saddr(nftnl_rule* r, bool v4, uint32_t dreg) {
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 12 : 8, v4 ? 4 : 16, dreg);
}

void nft_load_l4proto(nftnl_rule* r, uint32_t dreg) {
  meta(r, NFT_META_L4PROTO, dreg);
}

void nft_load_dport(nftnl_rule* r, uint32_t dreg) {
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, dreg);
}

void nft_lookup(nftnl_rule* r, uint32_t sreg, std::string_view set, uint32_t set_id) {
  nftnl_expr* e = add(r, "lookup");
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
  nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, std::string(set).c_str());
  nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set_id);
}

void nft_verdict(nftnl_rule* r, int verdict) {
  nftnl_expr* e = add(r, "immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(verdict));
}

}  // namespace rampart
