#include "nft/nft_service.h"
#include <arpa/inet.h>  // before the linux/ headers, which clash with it otherwise
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <endian.h>

#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "base/address_range.h"
#include "base/handles_nft.h"
#include "nft/nft_expr.h"
#include "nft/nft_objects.h"
#include "nft/nft_ruleset.h"
namespace rampart {
namespace {

constexpr uint32_t kServiceSetId = 2000;
// Each part of a concatenated key takes a whole number of 32-bit registers.
constexpr size_t kProtoPart = 4, kPortPart = 4;

uint32_t concat_type(bool v4) {
  return ((v4 ? kNftTypeIpv4Addr : kNftTypeIpv6Addr) << 12) | (kNftTypeInetProto << 6) |
         kNftTypeInetService;
}

// address . proto . port, each part padded to 4 bytes, as the kernel compares them.
std::vector<uint8_t> key(const Address& a, uint8_t proto, uint16_t port) {
  std::vector<uint8_t> k(a.size() + kProtoPart + kPortPart, 0);
  std::copy(a.bytes.begin(), a.bytes.begin() + static_cast<ptrdiff_t>(a.size()), k.begin());
  k[a.size()] = proto;
  uint16_t be = htons(port);
  std::memcpy(k.data() + a.size() + kProtoPart, &be, sizeof be);
  return k;
}

class ServiceBuilder : public NftObjectBuilder {
 public:
  using NftObjectBuilder::NftObjectBuilder;

  void ruleset() {
    nft_append_table(writer_, table_);
    for (size_t i = 0; i < 2; ++i)
      nft_append_base_chain(writer_, table_, kNftServiceChains[i],
                            i ? NF_INET_FORWARD : NF_INET_LOCAL_IN);
    for (bool v4 : {true, false}) set(v4);
    for (std::string_view c : kNftServiceChains) {
      nft_append_chain_flush(writer_, table_, c);
      for (bool v4 : {true, false}) rule(c, v4);
    }
  }

  void change(const Change& c, size_t index) {
    bool add = c.op == Change::Op::Add;
    bool v4 = c.address.is_v4();
    // Room for the header and every port's element (two keys, timeouts and a comment each).
    std::vector<char> buf(1024 + c.ports.size() * (256 + kNftCommentMax));
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf.data(), add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
                                          NFPROTO_INET, add ? NLM_F_CREATE : 0, 0);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table_.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, std::string(nft_service_set(v4)).c_str());
    nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    uint32_t first_element = nlh->nlmsg_len;
    AddressRange range = AddressRange::of(c.address);
    for (const ServicePort& p : c.ports) {
      nlattr* e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
      put_key(nlh, NFTA_SET_ELEM_KEY, key(range.first, p.proto, p.first));
      put_key(nlh, NFTA_SET_ELEM_KEY_END, key(range.last, p.proto, p.last));
      if (add && c.timeout_ms > 0) {
        // The expiration too, so that a re-add restarts the countdown (see nft_batch.cc).
        mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(c.timeout_ms));
        mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(c.timeout_ms));
      }
      if (add && !c.comment.empty()) comment(nlh, c.comment);
      mnl_attr_nest_end(nlh, e);
      ++elements_;
    }
    mnl_attr_nest_end(nlh, list);
    NftMessage& m = writer_.append(nlh);
    m.changes = {index};
    m.element_offsets = {first_element};
    m.what = fmt::format("{} {} ({}) {} set {}", add ? "adding" : "deleting", c.address.str(),
                         ports_text(c.ports), add ? "to" : "from", nft_service_set(v4));
  }

 private:
  void set(bool v4) {
    // The parts' own lengths: address, protocol, port.
    static constexpr uint8_t kParts4[] = {4, 1, 2}, kParts6[] = {16, 1, 2};
    nft_append_set(
        writer_, table_,
        {std::string(nft_service_set(v4)), NFT_SET_INTERVAL | NFT_SET_TIMEOUT | NFT_SET_CONCAT,
         concat_type(v4), static_cast<uint32_t>((v4 ? 4 : 16) + kProtoPart + kPortPart),
         kServiceSetId + (v4 ? 0 : 1), v4 ? kParts4 : kParts6});
  }

  // "ip saddr . meta l4proto . th dport @service4 drop": the parts go into consecutive 32-bit
  // registers from NFT_REG_1 on, which the lookup reads as one key.
  void rule(std::string_view chain, bool v4) {
    NftRulePtr r = new_rule(chain);
    nft_match_family(r.get(), v4);
    nft_load_saddr(r.get(), v4, NFT_REG32_00);
    nft_load_l4proto(r.get(), v4 ? NFT_REG32_01 : NFT_REG32_04);
    nft_load_dport(r.get(), v4 ? NFT_REG32_02 : NFT_REG32_05);
    nft_lookup(r.get(), NFT_REG_1, nft_service_set(v4), kServiceSetId + (v4 ? 0 : 1));
    nft_verdict(r.get(), NF_DROP);
    nlmsghdr* nlh = header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    writer_.append(nlh).what =
        fmt::format("rule \"{} saddr . meta l4proto . th dport @{} drop\" in chain {}",
                    v4 ? "ip" : "ip6", nft_service_set(v4), chain);
  }

  void put_key(nlmsghdr* nlh, uint16_t type, const std::vector<uint8_t>& k) {
    nlattr* n = mnl_attr_nest_start(nlh, type);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, k.size(), k.data());
    mnl_attr_nest_end(nlh, n);
  }

  void comment(nlmsghdr* nlh, const std::string& text) {
    NftUdataBufPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
    std::string z = text.substr(0, kNftCommentMax);
    nftnl_udata_put_strz(ud.get(), NFTNL_UDATA_SET_ELEM_COMMENT, z.c_str());
    mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, nftnl_udata_buf_len(ud.get()),
                 nftnl_udata_buf_data(ud.get()));
  }
};

}  // namespace

std::string_view nft_service_set(bool v4) {
  return v4 ? "service4" : "service6";
}

NftBatch build_service_batch(std::string_view table, std::span<const Change> changes,
                             std::span<const size_t> order, uint32_t first_seq,
                             std::optional<uint32_t> genid) {
  ServiceBuilder b(table, first_seq, genid);
  b.ruleset();
  for (size_t i : order) b.change(changes[i], i);
  return b.finish();
}

}  // namespace rampart
