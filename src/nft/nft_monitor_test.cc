// Feeds nftables notifications, built as the kernel sends them, to the change tracker: no
// kernel needed.
#include "nft/nft_monitor.h"
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "base/handles_nft.h"
#include "nft/nft_batch.h"
namespace rampart {
namespace {

constexpr uint32_t kOurs = 4242;
constexpr uint32_t kAdmin = 777;

using Message = std::vector<char>;

Message with_pid(const nlmsghdr* nlh, uint32_t pid) {
  Message m(reinterpret_cast<const char*>(nlh),
            reinterpret_cast<const char*>(nlh) + nlh->nlmsg_len);
  reinterpret_cast<nlmsghdr*>(m.data())->nlmsg_pid = pid;
  return m;
}

// The DELSETELEM messages that deleting `addresses` from table `table` produces.
std::vector<Message> deletions(const std::vector<std::string>& addresses, uint32_t pid,
                               const std::string& table = "rampart") {
  std::vector<Change> changes;
  for (const auto& a : addresses)
    changes.push_back({Change::Op::Delete, *Address::parse(a), 0, {}});
  std::vector<size_t> order(changes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  NftBatch batch = build_element_batch(table, changes, order, {});
  std::vector<Message> out;
  for (const NftMessage& m : batch.messages)
    out.push_back(with_pid(reinterpret_cast<const nlmsghdr*>(batch.bytes.data() + m.offset), pid));
  return out;
}

Message del_table(const std::string& name, uint32_t pid) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_DELTABLE, NFPROTO_INET, 0, 1);
  NftTablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  return with_pid(nlh, pid);
}

Message new_gen(uint32_t pid) {
  alignas(nlmsghdr) char buf[kNftSmallMessage];
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_NEWGEN, AF_UNSPEC, 0, 1);
  return with_pid(nlh, pid);
}

std::optional<NftForeignChange> feed(NftChangeTracker& t, const std::vector<Message>& ms) {
  std::optional<NftForeignChange> last;
  for (const Message& m : ms)
    if (auto c = t.feed(reinterpret_cast<const nlmsghdr*>(m.data()))) last = std::move(c);
  return last;
}

TEST(NftChangeTracker, ElementDeletedByAnAdminIsReportedAtTheEndOfItsTransaction) {
  NftChangeTracker t("rampart", kOurs);
  auto ms = deletions({"203.0.113.9", "2001:db8::9", "198.51.100.0/24"}, kAdmin);
  EXPECT_FALSE(feed(t, ms)) << "nothing before NEWGEN";
  auto change = feed(t, {new_gen(kAdmin)});
  ASSERT_TRUE(change);
  EXPECT_FALSE(change->ruleset_lost);
  EXPECT_EQ(change->portid, kAdmin);
  std::vector<std::string> got;
  for (const auto& e : change->deleted) got.push_back(e.address.str());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::string>{"198.51.100.0/24", "2001:db8::9", "203.0.113.9"}));
}

TEST(NftChangeTracker, OurOwnTransactionsAreIgnored) {
  NftChangeTracker t("rampart", kOurs);
  auto ms = deletions({"203.0.113.9"}, kOurs);
  ms.push_back(del_table("rampart", kOurs));
  ms.push_back(new_gen(kOurs));
  EXPECT_FALSE(feed(t, ms));
  EXPECT_EQ(t.own_ignored(), 1u);
}

TEST(NftChangeTracker, DeletedTableMeansTheRulesetIsLost) {
  NftChangeTracker t("rampart", kOurs);
  auto ms = deletions({"203.0.113.9"}, kAdmin);  // e.g. flush set + delete table in one go
  ms.push_back(del_table("rampart", kAdmin));
  ms.push_back(new_gen(kAdmin));
  auto change = feed(t, ms);
  ASSERT_TRUE(change);
  EXPECT_TRUE(change->ruleset_lost);
  EXPECT_TRUE(change->deleted.empty()) << "everything comes back: no block is forgotten";
}

TEST(NftChangeTracker, OtherTablesAreNotOurs) {
  NftChangeTracker t("rampart", kOurs);
  auto ms = deletions({"203.0.113.9"}, kAdmin, "filter");
  ms.push_back(del_table("filter", kAdmin));
  ms.push_back(new_gen(kAdmin));
  EXPECT_FALSE(feed(t, ms));
  // A transaction that does not touch us at all reports nothing either.
  EXPECT_FALSE(feed(t, {new_gen(kAdmin)}));
}

TEST(NftChangeTracker, TransactionsAreSeparate) {
  NftChangeTracker t("rampart", kOurs);
  auto own = deletions({"203.0.113.1"}, kOurs);
  own.push_back(new_gen(kOurs));
  EXPECT_FALSE(feed(t, own));
  auto admin = deletions({"203.0.113.2"}, kAdmin);
  admin.push_back(new_gen(kAdmin));
  auto change = feed(t, admin);
  ASSERT_TRUE(change);
  ASSERT_EQ(change->deleted.size(), 1u);
  EXPECT_EQ(change->deleted[0].address.str(), "203.0.113.2");
}

}  // namespace
}  // namespace rampart
