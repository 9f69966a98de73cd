// Per-service transactions built and parsed back with libnftnl, no kernel needed.
#include "nft/nft_service.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/in.h>

#include "base/handles_nft.h"
namespace rampart {
namespace {

const nlmsghdr* header(const NftBatch& b, const NftMessage& m) {
  return reinterpret_cast<const nlmsghdr*>(b.bytes.data() + m.offset);
}

std::string hex(const void* data, uint32_t len) {
  std::string out;
  for (uint32_t i = 0; i < len; ++i)
    out += fmt::format("{:02x}", static_cast<const uint8_t*>(data)[i]);
  return out;
}

Change add(const char* address, const char* ports) {
  Change c{Change::Op::Add, *Address::parse(address), 600000, "ssh-drop:5712"};
  c.ports = *parse_ports(ports);
  return c;
}

TEST(NftService, SetsChainsAndRulesComeFirst) {
  std::vector<Change> changes = {add("203.0.113.9", "tcp/22")};
  size_t order[] = {0};
  NftBatch b = build_service_batch("rampart", changes, order, 1, 7);
  std::vector<std::string> what;
  for (const NftMessage& m : b.messages) what.push_back(m.what);
  EXPECT_EQ(what, (std::vector<std::string>{
                      "table inet rampart",
                      "chain service_input",
                      "chain service_forward",
                      "set service4",
                      "set service6",
                      "flushing chain service_input",
                      "rule \"ip saddr . meta l4proto . th dport @service4 drop\" in chain "
                      "service_input",
                      "rule \"ip6 saddr . meta l4proto . th dport @service6 drop\" in chain "
                      "service_input",
                      "flushing chain service_forward",
                      "rule \"ip saddr . meta l4proto . th dport @service4 drop\" in chain "
                      "service_forward",
                      "rule \"ip6 saddr . meta l4proto . th dport @service6 drop\" in chain "
                      "service_forward",
                      "adding 203.0.113.9 (tcp/22) to set service4",
                  }));
  for (const NftMessage& m : b.messages) {
    if (m.type == NFT_MSG_NEWSET) {
      NftSetPtr s(nftnl_set_alloc());
      ASSERT_EQ(nftnl_set_nlmsg_parse(header(b, m), s.get()), 0);
      EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS),
                uint32_t{NFT_SET_INTERVAL | NFT_SET_TIMEOUT | NFT_SET_CONCAT});
      bool v4 = m.what == "set service4";
      EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN), v4 ? 12u : 24u);
      // ipv4_addr . inet_proto . inet_service, as nft names it.
      EXPECT_EQ(nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE), v4 ? 29453u : 33549u);
    }
    if (m.type == NFT_MSG_NEWRULE) {
      NftRulePtr r(nftnl_rule_alloc());
      ASSERT_EQ(nftnl_rule_nlmsg_parse(header(b, m), r.get()), 0);
      char text[2048];
      nftnl_rule_snprintf(text, sizeof text, r.get(), NFTNL_OUTPUT_DEFAULT, 0);
      std::string t(text);
      bool v4 = m.what.find("@service4") != std::string::npos;
      EXPECT_NE(t.find(v4 ? "load 4b @ network header + 12 => reg 8"
                          : "load 16b @ network header + 8 => reg 8"),
                std::string::npos)
          << t;
      EXPECT_NE(t.find(v4 ? "meta load l4proto => reg 9" : "meta load l4proto => reg 12"),
                std::string::npos)
          << t;
      EXPECT_NE(t.find(v4 ? "load 2b @ transport header + 2 => reg 10"
                          : "load 2b @ transport header + 2 => reg 13"),
                std::string::npos)
          << t;
      EXPECT_NE(t.find(v4 ? "lookup reg 1 set service4" : "lookup reg 1 set service6"),
                std::string::npos)
          << t;
    }
  }
}

TEST(NftService, OneElementPerPortWithKeyEnd) {
  std::vector<Change> changes = {add("2001:db8:1:2::/64", "tcp/22,udp/6000-6007")};
  Change del{Change::Op::Delete, *Address::parse("198.51.100.7")};
  del.ports = *parse_ports("tcp/22");
  changes.push_back(del);
  size_t order[] = {0, 1};
  NftBatch b = build_service_batch("rampart", changes, order, 1, std::nullopt);
  const NftMessage& m = b.messages[b.messages.size() - 2];
  ASSERT_EQ(m.type, NFT_MSG_NEWSETELEM);
  EXPECT_EQ(m.changes, std::vector<size_t>{0});
  NftSetPtr s(nftnl_set_alloc());
  ASSERT_EQ(nftnl_set_elems_nlmsg_parse(header(b, m), s.get()), 0);
  std::vector<std::string> keys;
  nftnl_set_elem_foreach(
      s.get(),
      [](nftnl_set_elem* e, void* p) {
        uint32_t len = 0, end_len = 0;
        const void* k = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
        const void* end = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &end_len);
        auto* out = static_cast<std::vector<std::string>*>(p);
        out->push_back(hex(k, len) + " " + hex(end, end_len) + " " +
                       std::to_string(nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT)));
        return 0;
      },
      &keys);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "20010db8000100020000000000000000"
                      "06000000"
                      "00160000 "
                      "20010db800010002ffffffffffffffff"
                      "06000000"
                      "00160000 600000",
                      "20010db8000100020000000000000000"
                      "11000000"
                      "17700000 "
                      "20010db800010002ffffffffffffffff"
                      "11000000"
                      "17770000 600000",
                  }));
  const NftMessage& d = b.messages.back();
  EXPECT_EQ(d.type, NFT_MSG_DELSETELEM);
  EXPECT_EQ(d.what, "deleting 198.51.100.7 (tcp/22) from set service4");
  EXPECT_EQ(b.elements, 3u);
}

}  // namespace
}  // namespace rampart
