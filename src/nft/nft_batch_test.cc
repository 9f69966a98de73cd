// Builds nftables transactions and parses them back with libnftnl, no kernel needed.
#include "nft/nft_batch.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <numeric>

#include "base/handles_nft.h"
#include "nft/nft_dump.h"
#include "nft/nft_ruleset.h"
namespace rampart {
namespace {

Change add(const std::string& a, uint64_t timeout_ms = 3600000, std::string comment = "c:1") {
  return {Change::Op::Add, *Address::parse(a), timeout_ms, std::move(comment)};
}
Change del(const std::string& a) {
  return {Change::Op::Delete, *Address::parse(a), 0, {}};
}

std::vector<size_t> all(std::span<const Change> c) {
  std::vector<size_t> order(c.size());
  std::iota(order.begin(), order.end(), size_t{0});
  return order;
}

NftBatch build(std::span<const Change> c, NftBatchOptions options = {}) {
  return build_element_batch("rampart", c, all(c), options);
}

std::vector<const nlmsghdr*> messages_of(const NftBatch& b) {
  std::vector<const nlmsghdr*> out;
  int len = static_cast<int>(b.bytes.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(b.bytes.data()); mnl_nlmsg_ok(nlh, len);
       nlh = mnl_nlmsg_next(nlh, &len))
    out.push_back(nlh);
  EXPECT_EQ(len, 0) << "trailing bytes";
  return out;
}

struct Elem {
  std::string key;
  bool end = false;
  std::optional<uint64_t> timeout;
  std::optional<std::string> comment;
};

struct ElemMessage {
  std::string table, set;
  std::vector<Elem> elems;
};

std::string key_text(const void* data, uint32_t len) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(len == 4 ? AF_INET : AF_INET6, data, buf, sizeof buf);
  return buf;
}

ElemMessage parse_elems(const nlmsghdr* nlh) {
  ElemMessage out;
  NftSetPtr s(nftnl_set_alloc());
  EXPECT_EQ(nftnl_set_elems_nlmsg_parse(nlh, s.get()), 0);
  out.table = nftnl_set_get_str(s.get(), NFTNL_SET_TABLE);
  out.set = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
  nftnl_set_elem_foreach(
      s.get(),
      [](nftnl_set_elem* e, void* p) {
        Elem el;
        uint32_t len = 0;
        const void* key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        el.key = key_text(key, len);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
          el.end = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS) & NFT_SET_ELEM_INTERVAL_END;
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT))
          el.timeout = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
        if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
          uint32_t ulen = 0;
          const void* ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &ulen);
          nftnl_udata_parse(
              ud, ulen,
              [](const nftnl_udata* attr, void* q) {
                if (nftnl_udata_type(attr) == NFTNL_UDATA_SET_ELEM_COMMENT)
                  *static_cast<std::optional<std::string>*>(q) =
                      static_cast<const char*>(nftnl_udata_get(attr));
                return 0;
              },
              &el.comment);
        }
        static_cast<std::vector<Elem>*>(p)->push_back(el);
        return 0;
      },
      &out.elems);
  return out;
}

uint16_t type_of(const nlmsghdr* nlh) {
  return nlh->nlmsg_type & 0xff;
}

TEST(NftBatch, FramedAsOneTransaction) {
  std::vector<Change> c = {add("203.0.113.9"), del("203.0.113.10")};
  NftBatch b = build(c, {.first_seq = 100});
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs.front()->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs.back()->nlmsg_type, NFNL_MSG_BATCH_END);
  auto* gen = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(msgs.front()));
  EXPECT_EQ(ntohs(gen->res_id), NFNL_SUBSYS_NFTABLES);
  EXPECT_EQ(b.begin_seq, 100u);
  EXPECT_EQ(b.end_seq, 103u);
  for (size_t i = 0; i < msgs.size(); ++i) EXPECT_EQ(msgs[i]->nlmsg_seq, 100 + i);
  EXPECT_EQ(msgs[1]->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
  // Failures are always reported; only the last message asks for an ack, to end the reading.
  EXPECT_FALSE(msgs[1]->nlmsg_flags & NLM_F_ACK);
  EXPECT_TRUE(msgs[2]->nlmsg_flags & NLM_F_ACK);
  EXPECT_EQ(b.next_seq(), 104u);
}

TEST(NftBatch, HostAddsCarryTimeoutAndCommentWithoutExcl) {
  std::vector<Change> c = {add("203.0.113.9", 3600000, "firewall-drop:5712"),
                           add("2001:db8::1", 7200000, "web:31101"), add("192.0.2.1", 0, "")};
  NftBatch b = build(c);
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 4u);  // one message per set, plus begin/end
  EXPECT_EQ(b.elements, 3u);
  for (int i : {1, 2}) {
    EXPECT_EQ(type_of(msgs[i]), NFT_MSG_NEWSETELEM);
    EXPECT_TRUE(msgs[i]->nlmsg_flags & NLM_F_CREATE);
    EXPECT_FALSE(msgs[i]->nlmsg_flags & NLM_F_EXCL);  // re-adding refreshes the timeout
    EXPECT_EQ(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(msgs[i]))->nfgen_family,
              NFPROTO_INET);
  }
  ElemMessage v4 = parse_elems(msgs[1]);
  EXPECT_EQ(v4.table, "rampart");
  EXPECT_EQ(v4.set, "blocked4");
  ASSERT_EQ(v4.elems.size(), 2u);
  EXPECT_EQ(v4.elems[0].key, "203.0.113.9");
  EXPECT_EQ(v4.elems[0].timeout, 3600000u);
  EXPECT_EQ(v4.elems[0].comment, "firewall-drop:5712");
  EXPECT_FALSE(v4.elems[0].end);
  EXPECT_EQ(v4.elems[1].key, "192.0.2.1");
  EXPECT_FALSE(v4.elems[1].timeout);  // no timeout attribute at all: stays until deleted
  EXPECT_FALSE(v4.elems[1].comment);
  ElemMessage v6 = parse_elems(msgs[2]);
  EXPECT_EQ(v6.set, "blocked6");
  ASSERT_EQ(v6.elems.size(), 1u);
  EXPECT_EQ(v6.elems[0].key, "2001:db8::1");
  EXPECT_EQ(v6.elems[0].timeout, 7200000u);
  EXPECT_EQ(v6.elems[0].comment, "web:31101");
  EXPECT_EQ(b.message(msgs[1]->nlmsg_seq)->changes, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(b.message(msgs[2]->nlmsg_seq)->changes, (std::vector<size_t>{1}));
}

TEST(NftBatch, PrefixesAreIntervalsOnePerMessage) {
  std::vector<Change> c = {add("198.51.100.0/24", 60000, "net"), add("2001:db8:1::/48"),
                           del("192.0.2.0/25")};
  NftBatch b = build(c);
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 5u);
  ElemMessage a = parse_elems(msgs[1]);
  EXPECT_EQ(a.set, "blocked4_net");
  ASSERT_EQ(a.elems.size(), 2u);
  EXPECT_EQ(a.elems[0].key, "198.51.100.0");
  EXPECT_FALSE(a.elems[0].end);
  EXPECT_EQ(a.elems[0].timeout, 60000u);
  EXPECT_EQ(a.elems[0].comment, "net");
  EXPECT_EQ(a.elems[1].key, "198.51.101.0");  // the first address after the prefix
  EXPECT_TRUE(a.elems[1].end);
  EXPECT_FALSE(a.elems[1].timeout);
  EXPECT_FALSE(a.elems[1].comment);
  ElemMessage v6 = parse_elems(msgs[2]);
  EXPECT_EQ(v6.set, "blocked6_net");
  ASSERT_EQ(v6.elems.size(), 2u);
  EXPECT_EQ(v6.elems[1].key, "2001:db8:2::");
  EXPECT_EQ(type_of(msgs[3]), NFT_MSG_DELSETELEM);
  ElemMessage d = parse_elems(msgs[3]);
  ASSERT_EQ(d.elems.size(), 2u);
  EXPECT_EQ(d.elems[0].key, "192.0.2.0");
  EXPECT_EQ(d.elems[1].key, "192.0.2.128");
  EXPECT_TRUE(d.elems[1].end);
  EXPECT_EQ(b.elements, 6u);
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(b.message(msgs[i]->nlmsg_seq)->changes, std::vector<size_t>{size_t(i - 1)});
}

TEST(NftBatch, DeletesGoOnePerMessageSoAnAckNamesOneChange) {
  std::vector<Change> c = {del("203.0.113.1"), del("203.0.113.2"), del("2001:db8::3")};
  NftBatch b = build(c);
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 5u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(type_of(msgs[i + 1]), NFT_MSG_DELSETELEM);
    EXPECT_FALSE(msgs[i + 1]->nlmsg_flags & NLM_F_CREATE);
    ElemMessage m = parse_elems(msgs[i + 1]);
    ASSERT_EQ(m.elems.size(), 1u);
    EXPECT_EQ(m.elems[0].key, c[i].address.str());
    EXPECT_FALSE(m.elems[0].timeout);
    EXPECT_EQ(b.message(msgs[i + 1]->nlmsg_seq)->changes, std::vector<size_t>{i});
  }
  EXPECT_EQ(b.message(b.begin_seq), nullptr);
  EXPECT_EQ(b.message(b.end_seq), nullptr);
}

TEST(NftBatch, SplitsAddsAtTheSixteenBitListLimit) {
  std::vector<Change> c;
  for (uint32_t i = 0; i < 20000; ++i)
    c.push_back({Change::Op::Add, Address::v4(0xc0000200u + i), 3600000, "firewall-drop:5712"});
  for (uint32_t max : {uint32_t{UINT16_MAX}, uint32_t{1000}}) {
    NftBatch b = build(c, {.max_list_bytes = max});
    auto msgs = messages_of(b);
    ASSERT_GT(msgs.size(), 3u);
    size_t next = 0;
    for (size_t i = 1; i + 1 < msgs.size(); ++i) {
      const nlattr* list = nullptr;
      mnl_attr_parse(
          msgs[i], sizeof(nfgenmsg),
          [](const nlattr* a, void* p) {
            if (mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_ELEMENTS)
              *static_cast<const nlattr**>(p) = a;
            return MNL_CB_OK;
          },
          &list);
      ASSERT_NE(list, nullptr);
      EXPECT_LE(list->nla_len, max);
      ElemMessage m = parse_elems(msgs[i]);
      const NftMessage* meta = b.message(msgs[i]->nlmsg_seq);
      ASSERT_EQ(meta->changes.size(), m.elems.size());
      for (size_t k = 0; k < m.elems.size(); ++k, ++next) {
        EXPECT_EQ(meta->changes[k], next);
        EXPECT_EQ(m.elems[k].key, c[next].address.str());
      }
    }
    EXPECT_EQ(next, c.size());
    if (max == UINT16_MAX) {
      EXPECT_LT(msgs.size(), 30u);  // a few dozen for 20,000
    }
  }
}

TEST(NftBatch, ErrorOffsetPointsAtTheChange) {
  std::vector<Change> c = {add("203.0.113.1"), add("203.0.113.2"), add("203.0.113.3")};
  NftBatch b = build(c);
  const NftMessage& m = b.messages[0];
  ASSERT_EQ(m.element_offsets.size(), 3u);
  EXPECT_EQ(m.change_at(m.element_offsets[1]), 1u);
  EXPECT_EQ(m.change_at(m.element_offsets[2] + 8), 2u);  // an attribute inside the element
  EXPECT_EQ(m.change_at(m.element_offsets[0] - 4), std::nullopt);  // table or set name
}

TEST(NftBatch, DeleteNeverOvertakesAnEarlierAdd) {
  std::vector<Change> c = {add("203.0.113.1"), add("203.0.113.2"), del("203.0.113.1"),
                           add("203.0.113.3")};
  NftBatch b = build(c);
  ASSERT_EQ(b.messages.size(), 3u);
  EXPECT_EQ(b.messages[0].changes, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(b.messages[1].changes, std::vector<size_t>{2});
  EXPECT_EQ(b.messages[1].type, NFT_MSG_DELSETELEM);
  EXPECT_EQ(b.messages[2].changes, std::vector<size_t>{3});

  // Unrelated deletes do not break up the packing.
  std::vector<Change> d = {add("203.0.113.1"), del("203.0.113.9"), add("203.0.113.3")};
  b = build(d);
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0].type, NFT_MSG_DELSETELEM);
  EXPECT_EQ(b.messages[1].changes, (std::vector<size_t>{0, 2}));
}

TEST(NftBatch, GroupsKeepBisectedHalvesApart) {
  std::vector<Change> c = {add("203.0.113.1"), add("203.0.113.2"), add("203.0.113.3"),
                           add("203.0.113.4")};
  std::vector<uint32_t> groups = {1, 1, 2, 2};
  NftBatch b = build(c, {.groups = groups});
  ASSERT_EQ(b.messages.size(), 2u);
  EXPECT_EQ(b.messages[0].changes, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(b.messages[1].changes, (std::vector<size_t>{2, 3}));
}

TEST(NftBatch, OrderSelectsWhatIsResent) {
  std::vector<Change> c = {add("203.0.113.1"), del("203.0.113.2"), add("203.0.113.3")};
  std::vector<size_t> order = {0, 2};
  NftBatch b = build_element_batch("rampart", c, order, {});
  ASSERT_EQ(b.messages.size(), 1u);
  EXPECT_EQ(b.messages[0].changes, (std::vector<size_t>{0, 2}));
}

TEST(NftBatch, LongCommentsAreCut) {
  std::vector<Change> c = {add("203.0.113.1", 1000, std::string(300, 'x'))};
  ElemMessage m = parse_elems(messages_of(build(c))[1]);
  ASSERT_TRUE(m.elems[0].comment);
  EXPECT_EQ(m.elems[0].comment->size(), kNftCommentMax);
}

TEST(NftBatch, FlushIsOneEmptyDeletePerSetUnderAGeneration) {
  NftBatch b = build_flush_batch("rampart", 7, 42);
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 6u);
  uint32_t genid = 0;
  mnl_attr_parse(
      msgs[0], sizeof(nfgenmsg),
      [](const nlattr* a, void* p) {
        if (mnl_attr_get_type(a) == NFNL_BATCH_GENID)
          *static_cast<uint32_t*>(p) = ntohl(mnl_attr_get_u32(a));
        return MNL_CB_OK;
      },
      &genid);
  EXPECT_EQ(genid, 42u);
  std::vector<std::string> sets;
  for (size_t i = 1; i <= 4; ++i) {
    EXPECT_EQ(type_of(msgs[i]), NFT_MSG_DELSETELEM);
    ElemMessage m = parse_elems(msgs[i]);
    EXPECT_TRUE(m.elems.empty());
    sets.push_back(m.set);
  }
  EXPECT_EQ(sets,
            (std::vector<std::string>{"blocked4", "blocked6", "blocked4_net", "blocked6_net"}));
}

std::vector<std::string> expr_names(nftnl_rule* r) {
  std::vector<std::string> names;
  nftnl_expr_foreach(
      r,
      [](nftnl_expr* e, void* p) {
        static_cast<std::vector<std::string>*>(p)->push_back(
            nftnl_expr_get_str(e, NFTNL_EXPR_NAME));
        return 0;
      },
      &names);
  return names;
}

TEST(NftRuleset, TableSetsChainsAndRules) {
  NftBatch b = build_ruleset_batch("rampart", {}, 1, 5);
  auto msgs = messages_of(b);
  ASSERT_EQ(msgs.size(), 2u + 1 + 4 + 2 + 8);
  EXPECT_EQ(type_of(msgs[1]), NFT_MSG_NEWTABLE);
  for (size_t i = 1; i + 1 < msgs.size(); ++i) {
    EXPECT_TRUE(msgs[i]->nlmsg_flags & NLM_F_CREATE);
    EXPECT_FALSE(msgs[i]->nlmsg_flags & NLM_F_EXCL);  // existing objects are kept
  }
  const char* names[] = {"blocked4", "blocked6", "blocked4_net", "blocked6_net"};
  for (size_t i = 0; i < 4; ++i) {
    ASSERT_EQ(type_of(msgs[2 + i]), NFT_MSG_NEWSET);
    NftSetPtr s(nftnl_set_alloc());
    ASSERT_EQ(nftnl_set_nlmsg_parse(msgs[2 + i], s.get()), 0);
    EXPECT_STREQ(nftnl_set_get_str(s.get(), NFTNL_SET_NAME), names[i]);
    bool net = i >= 2, v4 = i % 2 == 0;
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS),
              uint32_t{NFT_SET_TIMEOUT} | (net ? uint32_t{NFT_SET_INTERVAL} : 0u));
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN), v4 ? 4u : 16u);
    EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), v4 ? 7u : 8u);
  }
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(type_of(msgs[6 + i]), NFT_MSG_NEWCHAIN);
    NftChainPtr ch(nftnl_chain_alloc());
    ASSERT_EQ(nftnl_chain_nlmsg_parse(msgs[6 + i], ch.get()), 0);
    EXPECT_STREQ(nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_NAME), i ? "forward" : "input");
    EXPECT_EQ(nftnl_chain_get_u32(ch.get(), NFTNL_CHAIN_HOOKNUM),
              i ? unsigned{NF_INET_FORWARD} : unsigned{NF_INET_LOCAL_IN});
    EXPECT_EQ(nftnl_chain_get_s32(ch.get(), NFTNL_CHAIN_PRIO), -10);
    EXPECT_EQ(nftnl_chain_get_u32(ch.get(), NFTNL_CHAIN_POLICY), unsigned{NF_ACCEPT});
    EXPECT_STREQ(nftnl_chain_get_str(ch.get(), NFTNL_CHAIN_TYPE), "filter");
  }
  const char* sets[] = {"blocked4", "blocked4_net", "blocked6", "blocked6_net"};
  for (size_t i = 0; i < 8; ++i) {
    const nlmsghdr* nlh = msgs[8 + i];
    ASSERT_EQ(type_of(nlh), NFT_MSG_NEWRULE);
    EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_APPEND);
    NftRulePtr r(nftnl_rule_alloc());
    ASSERT_EQ(nftnl_rule_nlmsg_parse(nlh, r.get()), 0);
    EXPECT_STREQ(nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN), i < 4 ? "input" : "forward");
    EXPECT_EQ(expr_names(r.get()),
              (std::vector<std::string>{"meta", "cmp", "payload", "lookup", "immediate"}));
    EXPECT_EQ(b.message(nlh->nlmsg_seq)->what,
              fmt::format("rule \"{} saddr @{} drop\" in chain {}", i % 4 < 2 ? "ip" : "ip6",
                          sets[i % 4], i < 4 ? "input" : "forward"));
  }
}

TEST(NftRuleset, RulesOnlyWhereAChainHasNone) {
  NftBatch b = build_ruleset_batch("rampart", {.rules_input = false, .rules_forward = true}, 1,
                                   std::nullopt);
  ASSERT_EQ(b.messages.size(), 1u + 4 + 2 + 4);
  for (size_t i = 7; i < 11; ++i)
    EXPECT_EQ(b.messages[i].what.find("in chain forward") != std::string::npos, true);
}

TEST(NftDump, ElementMessagesReadBackIntoPrefixes) {
  std::vector<Change> c = {add("198.51.100.0/24", 60000, "a"), add("192.0.2.128/25", 0, ""),
                           add("192.0.2.0/25", 5000, "b")};
  NftBatch b = build(c);
  NftElementCollector collector(NftSetKind::Net4);
  // The kernel dumps in its own order; feed the messages back to front.
  for (auto it = b.messages.rbegin(); it != b.messages.rend(); ++it)
    collector.add(reinterpret_cast<const nlmsghdr*>(b.bytes.data() + it->offset));
  auto out = collector.finish();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].address.str(), "192.0.2.0/25");
  EXPECT_EQ(out[0].timeout_ms, 5000u);
  EXPECT_EQ(out[0].comment, "b");
  EXPECT_EQ(out[1].address.str(), "192.0.2.128/25");  // shares its start with out[0]'s end
  EXPECT_EQ(out[1].timeout_ms, 0u);
  EXPECT_EQ(out[2].address.str(), "198.51.100.0/24");
  EXPECT_EQ(out[2].comment, "a");

  NftElementCollector hosts(NftSetKind::Host6);
  std::vector<Change> h = {add("2001:db8::1", 9000, "x")};
  NftBatch hb = build(h);
  hosts.add(reinterpret_cast<const nlmsghdr*>(hb.bytes.data() + hb.messages[0].offset));
  auto ho = hosts.finish();
  ASSERT_EQ(ho.size(), 1u);
  EXPECT_EQ(ho[0].address.str(), "2001:db8::1");
  EXPECT_EQ(ho[0].timeout_ms, 9000u);
  EXPECT_EQ(ho[0].comment, "x");
}

std::vector<std::string> prefixes(const std::string& first, std::optional<std::string> end) {
  std::optional<Address> e;
  if (end) e = *Address::parse(*end);
  std::vector<std::string> out;
  for (const Address& a : nft_range_to_prefixes(*Address::parse(first), e)) out.push_back(a.str());
  return out;
}

TEST(NftDump, RangesBecomeCoveringPrefixes) {
  EXPECT_EQ(prefixes("198.51.100.0", "198.51.101.0"), std::vector<std::string>{"198.51.100.0/24"});
  EXPECT_EQ(prefixes("192.0.2.1", "192.0.2.7"),
            (std::vector<std::string>{"192.0.2.1", "192.0.2.2/31", "192.0.2.4/31", "192.0.2.6"}));
  EXPECT_EQ(prefixes("0.0.0.0", std::nullopt), std::vector<std::string>{"0.0.0.0/0"});
  EXPECT_EQ(prefixes("255.255.255.0", std::nullopt), std::vector<std::string>{"255.255.255.0/24"});
  EXPECT_EQ(prefixes("2001:db8::", "2001:db9::"), std::vector<std::string>{"2001:db8::/32"});
  EXPECT_EQ(prefixes("ff00::", std::nullopt), std::vector<std::string>{"ff00::/8"});
}

}  // namespace
}  // namespace rampart
