// Feed transactions built and parsed back with libnftnl, no kernel needed.
#include "nft/nft_feed.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "base/handles_nft.h"
namespace rampart {
namespace {

std::vector<AddressRange> ranges(std::initializer_list<const char*> prefixes) {
  std::vector<Address> p;
  for (const char* t : prefixes) p.push_back(*Address::parse(t));
  return merge_prefixes(p);
}

// Every message as "TYPE what", and the elements of each set as "key" / "key end".
struct Parsed {
  std::vector<std::string> steps;
  std::map<std::string, std::vector<std::string>> elements;
};

Parsed parse(const NftBatch& b) {
  Parsed out;
  for (const NftMessage& m : b.messages) {
    auto* nlh = reinterpret_cast<const nlmsghdr*>(b.bytes.data() + m.offset);
    if (m.type != NFT_MSG_NEWSETELEM) {
      out.steps.push_back(m.what);
      continue;
    }
    NftSetPtr s(nftnl_set_alloc());
    EXPECT_EQ(nftnl_set_elems_nlmsg_parse(nlh, s.get()), 0);
    std::string set = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
    if (out.steps.empty() || out.steps.back() != m.what) out.steps.push_back(m.what);
    auto& list = out.elements[set];
    nftnl_set_elem_foreach(
        s.get(),
        [](nftnl_set_elem* e, void* p) {
          uint32_t len = 0;
          const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
          char text[INET6_ADDRSTRLEN];
          inet_ntop(len == 4 ? AF_INET : AF_INET6, key, text, sizeof text);
          bool end = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS) &&
                     (nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END);
          static_cast<std::vector<std::string>*>(p)->push_back(std::string(text) +
                                                               (end ? " end" : ""));
          return 0;
        },
        &list);
  }
  return out;
}

TEST(NftFeed, OneTransactionFlushesAndFills) {
  auto drop = ranges({"198.51.100.0/24", "203.0.113.0/25", "2001:db8::/32"});
  NftFeedPlan plan{{"drop", "zz"}, {{"drop", drop}}, {"old"}};
  NftBatch b = build_feed_batch("rampart", plan, 7, 42);
  Parsed p = parse(b);
  EXPECT_EQ(p.steps, (std::vector<std::string>{
                         "table inet rampart",
                         "chain feed_input",
                         "chain feed_forward",
                         "set feed_drop4",
                         "set feed_drop6",
                         "set feed_zz4",
                         "set feed_zz6",
                         "flushing chain feed_input",
                         "flushing chain feed_forward",
                         "deleting set feed_old4",
                         "deleting set feed_old6",
                         "flushing set feed_drop4",
                         "adding elements of set feed_drop4",
                         "flushing set feed_drop6",
                         "adding elements of set feed_drop6",
                         "rule \"ip saddr @feed_drop4 drop\" in chain feed_input",
                         "rule \"ip6 saddr @feed_drop6 drop\" in chain feed_input",
                         "rule \"ip saddr @feed_zz4 drop\" in chain feed_input",
                         "rule \"ip6 saddr @feed_zz6 drop\" in chain feed_input",
                         "rule \"ip saddr @feed_drop4 drop\" in chain feed_forward",
                         "rule \"ip6 saddr @feed_drop6 drop\" in chain feed_forward",
                         "rule \"ip saddr @feed_zz4 drop\" in chain feed_forward",
                         "rule \"ip6 saddr @feed_zz6 drop\" in chain feed_forward",
                     }));
  EXPECT_EQ(p.elements["feed_drop4"],
            (std::vector<std::string>{"198.51.100.0", "198.51.101.0 end", "203.0.113.0",
                                      "203.0.113.128 end"}));
  EXPECT_EQ(p.elements["feed_drop6"], (std::vector<std::string>{"2001:db8::", "2001:db9:: end"}));
  EXPECT_EQ(b.elements, 6u);
  // The last message asks for the ack that closes the batch.
  EXPECT_TRUE(b.messages.back().flags & NLM_F_ACK);
}

TEST(NftFeed, SetsAreIntervalsWithoutTimeoutAndRulesDrop) {
  NftFeedPlan plan{{"drop"}, {}, {}};
  NftBatch b = build_feed_batch("t", plan, 1, std::nullopt);
  for (const NftMessage& m : b.messages) {
    auto* nlh = reinterpret_cast<const nlmsghdr*>(b.bytes.data() + m.offset);
    if (m.type == NFT_MSG_NEWSET) {
      NftSetPtr s(nftnl_set_alloc());
      ASSERT_EQ(nftnl_set_nlmsg_parse(nlh, s.get()), 0);
      EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS), uint32_t{NFT_SET_INTERVAL});
      EXPECT_TRUE(m.flags & NLM_F_CREATE);
      EXPECT_FALSE(m.flags & NLM_F_EXCL);
    } else if (m.type == NFT_MSG_NEWRULE) {
      NftRulePtr r(nftnl_rule_alloc());
      ASSERT_EQ(nftnl_rule_nlmsg_parse(nlh, r.get()), 0);
      char text[1024];
      nftnl_rule_snprintf(text, sizeof text, r.get(), NFTNL_OUTPUT_DEFAULT, 0);
      EXPECT_NE(std::string(text).find("lookup reg 1 set feed_drop"), std::string::npos) << text;
      EXPECT_NE(std::string(text).find("immediate reg 0 drop"), std::string::npos) << text;
    }
  }
}

TEST(NftFeed, ADeltaDeletesTheOldRangesAndAddsTheNewWithoutAFlush) {
  auto gone = ranges({"198.51.100.0/25"});
  auto added = ranges({"203.0.113.0/24", "2001:db8:1::/48"});
  NftFeedPlan plan{{"drop"}, {{"drop", added, gone}}, {}};
  NftBatch b = build_feed_batch("rampart", plan, 1, std::nullopt);
  Parsed p = parse(b);
  std::vector<std::string> steps(p.steps.begin() + 7, p.steps.end() - 4);
  EXPECT_EQ(steps, (std::vector<std::string>{"deleting elements of set feed_drop4",
                                             "adding elements of set feed_drop4",
                                             "adding elements of set feed_drop6"}));
  for (const NftMessage& m : b.messages) {
    if (m.type != NFT_MSG_DELSETELEM) continue;
    NftSetPtr s(nftnl_set_alloc());
    ASSERT_EQ(nftnl_set_elems_nlmsg_parse(
                  reinterpret_cast<const nlmsghdr*>(b.bytes.data() + m.offset), s.get()),
              0);
    EXPECT_EQ(nftnl_set_get_str(s.get(), NFTNL_SET_NAME), std::string("feed_drop4"));
    EXPECT_FALSE(m.flags & NLM_F_CREATE);
  }
}

// 100,000 ranges fill many messages, none with an element list over 64 KiB.
TEST(NftFeed, LargeListsSpanMessages) {
  std::vector<Address> p;
  for (uint32_t i = 0; i < 100000; ++i) p.push_back(Address::v4(0x0a000000 + 2 * i));
  auto r = merge_prefixes(p);
  ASSERT_EQ(r.size(), 100000u);
  NftFeedPlan plan{{"big"}, {{"big", r}}, {}};
  NftBatch b = build_feed_batch("rampart", plan, 1, std::nullopt);
  EXPECT_EQ(b.elements, 200000u);
  Parsed parsed = parse(b);
  ASSERT_EQ(parsed.elements["feed_big4"].size(), 200000u);
  EXPECT_EQ(parsed.elements["feed_big4"][1], "10.0.0.1 end");
  size_t messages = 0;
  for (const NftMessage& m : b.messages)
    if (m.type == NFT_MSG_NEWSETELEM) {
      ++messages;
      auto* nlh = reinterpret_cast<const nlmsghdr*>(b.bytes.data() + m.offset);
      EXPECT_LT(nlh->nlmsg_len, 65536u + 512u);
    }
  EXPECT_GT(messages, 10u);
}

}  // namespace
}  // namespace rampart
