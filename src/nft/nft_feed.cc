#include "nft/nft_feed.h"
#include <arpa/inet.h>  // before the linux/ headers, which clash with it otherwise
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "base/handles_nft.h"
#include "nft/nft_expr.h"
#include "nft/nft_objects.h"
#include "nft/nft_ruleset.h"
namespace rampart {
namespace {

// Set ids of this transaction; the element sets of blocks use small ones.
constexpr uint32_t kFirstFeedSetId = 1000;
// An element list is one attribute with a 16-bit length; leave room for the largest element.
constexpr size_t kMaxListBytes = UINT16_MAX - 256;

class FeedBuilder : public NftObjectBuilder {
 public:
  using NftObjectBuilder::NftObjectBuilder;

  void table() { nft_append_table(writer_, table_); }
  void chain(std::string_view name, uint32_t hook) {
    nft_append_base_chain(writer_, table_, name, hook);
  }
  void flush_chain(std::string_view name) { nft_append_chain_flush(writer_, table_, name); }

  void set(const std::string& name, bool v4) {
    nft_append_set(writer_, table_,
                   {name, NFT_SET_INTERVAL, v4 ? kNftTypeIpv4Addr : kNftTypeIpv6Addr, v4 ? 4u : 16u,
                    set_id(name)});
  }

  void delete_set(const std::string& name) {
    nlmsghdr* nlh = header(NFT_MSG_DELSET, 0);
    mnl_attr_put_strz(nlh, NFTA_SET_TABLE, table_.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_NAME, name.c_str());
    writer_.append(nlh).what = fmt::format("deleting set {}", name);
  }

  // A DELSETELEM without elements empties the set.
  void flush_set(const std::string& name) {
    nlmsghdr* nlh = header(NFT_MSG_DELSETELEM, 0);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table_.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, name.c_str());
    writer_.append(nlh).what = fmt::format("flushing set {}", name);
  }

  // Each range is a start element and, after it, the first address past it flagged
  // INTERVAL_END, as nft sends them; a range reaching the top of the family has no end and
  // is marked open instead.
  void elements(const std::string& set, std::span<const AddressRange> ranges, bool add = true) {
    std::vector<char> buf(kMaxListBytes + 4096);
    nlmsghdr* nlh = nullptr;
    nlattr* list = nullptr;
    auto close = [&] {
      if (!nlh) return;
      mnl_attr_nest_end(nlh, list);
      writer_.append(nlh).what =
          fmt::format("{} elements of set {}", add ? "adding" : "deleting", set);
      nlh = nullptr;
    };
    for (const AddressRange& r : ranges) {
      if (nlh && static_cast<size_t>(reinterpret_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) -
                                     reinterpret_cast<char*>(list)) > kMaxListBytes)
        close();
      if (!nlh) {
        nlh = nftnl_nlmsg_build_hdr(buf.data(), add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
                                    NFPROTO_INET, add ? NLM_F_CREATE : 0, 0);
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table_.c_str());
        mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
        list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
      }
      auto end = r.last.range_end();  // the last address as a /32 or /128: the next one
      element(nlh, r.first, false, !end);
      if (end) element(nlh, *end, true, false);
      elements_ += end ? 2 : 1;
    }
    close();
  }

  void rule(std::string_view chain, const std::string& set, bool v4) {
    NftRulePtr r = new_rule(chain);
    nft_match_family(r.get(), v4);
    nft_load_saddr(r.get(), v4, NFT_REG_1);
    nft_lookup(r.get(), NFT_REG_1, set, set_id(set));
    nft_verdict(r.get(), NF_DROP);
    nlmsghdr* nlh = header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    writer_.append(nlh).what =
        fmt::format("rule \"{} saddr @{} drop\" in chain {}", v4 ? "ip" : "ip6", set, chain);
  }

 private:
  uint32_t set_id(const std::string& name) {
    auto [it, added] = set_ids_.try_emplace(name, kFirstFeedSetId + set_ids_.size());
    return it->second;
  }

  void element(nlmsghdr* nlh, const Address& key, bool end, bool open) {
    nlattr* e = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    nlattr* k = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, key.size(), key.bytes.data());
    mnl_attr_nest_end(nlh, k);
    if (end) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(NFT_SET_ELEM_INTERVAL_END));
    if (open) {
      NftUdataBufPtr ud(nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN));
      nftnl_udata_put_u32(ud.get(), NFTNL_UDATA_SET_ELEM_FLAGS, NFTNL_SET_ELEM_F_INTERVAL_OPEN);
      mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, nftnl_udata_buf_len(ud.get()),
                   nftnl_udata_buf_data(ud.get()));
    }
    mnl_attr_nest_end(nlh, e);
  }

  std::map<std::string, uint32_t> set_ids_;
};

// The ranges of one family (IPv4 ranges sort first).
std::span<const AddressRange> family(std::span<const AddressRange> ranges, bool v4) {
  auto v6 = std::find_if(ranges.begin(), ranges.end(),
                         [](const AddressRange& r) { return !r.first.is_v4(); });
  size_t split = static_cast<size_t>(v6 - ranges.begin());
  return v4 ? ranges.first(split) : ranges.subspan(split);
}

}  // namespace

std::string nft_feed_set(std::string_view feed, bool v4) {
  return fmt::format("feed_{}{}", feed, v4 ? '4' : '6');
}

NftBatch build_feed_batch(std::string_view table, const NftFeedPlan& plan, uint32_t first_seq,
                          std::optional<uint32_t> genid) {
  FeedBuilder b(table, first_seq, genid);
  b.table();
  b.chain(kNftFeedChains[0], NF_INET_LOCAL_IN);
  b.chain(kNftFeedChains[1], NF_INET_FORWARD);
  for (const std::string& feed : plan.feeds)
    for (bool v4 : {true, false}) b.set(nft_feed_set(feed, v4), v4);
  for (std::string_view chain : kNftFeedChains) b.flush_chain(chain);
  for (const std::string& feed : plan.removed)
    for (bool v4 : {true, false}) b.delete_set(nft_feed_set(feed, v4));
  for (const NftFeedLoad& load : plan.loads) {
    for (bool v4 : {true, false}) {
      std::string set = nft_feed_set(load.name, v4);
      if (load.removed)
        b.elements(set, family(*load.removed, v4), false);
      else
        b.flush_set(set);
      b.elements(set, family(load.ranges, v4));
    }
  }
  for (std::string_view chain : kNftFeedChains)
    for (const std::string& feed : plan.feeds)
      for (bool v4 : {true, false}) b.rule(chain, nft_feed_set(feed, v4), v4);
  return b.finish();
}

}  // namespace rampart
