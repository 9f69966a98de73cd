#include "table/block_table.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

BlockKey key(const char* ip, CommandId cmd = 0) {
  return {*Address::parse(ip), cmd};
}

TEST(BlockTable, AddExtendNeverShorten) {
  BlockTable t;
  EXPECT_EQ(t.upsert(key("203.0.113.9"), 1000, 1, 0, CommandKind::Firewall), Upsert::Added);
  EXPECT_EQ(t.upsert(key("203.0.113.9"), 500, 1, 0, CommandKind::Firewall), Upsert::Unchanged);
  EXPECT_EQ(t.find(key("203.0.113.9"))->expiry_us, 1000u);
  EXPECT_EQ(t.upsert(key("203.0.113.9"), 2000, 2, 0, CommandKind::Firewall), Upsert::Extended);
  EXPECT_EQ(t.find(key("203.0.113.9"))->expiry_us, 2000u);
  EXPECT_EQ(t.find(key("203.0.113.9"))->rule_id, 2u);
  // No timeout outlasts everything and is never shortened.
  EXPECT_EQ(t.upsert(key("203.0.113.9"), 0, 3, 0, CommandKind::Firewall), Upsert::Extended);
  EXPECT_EQ(t.upsert(key("203.0.113.9"), 9000, 4, 0, CommandKind::Firewall), Upsert::Unchanged);
  EXPECT_EQ(t.find(key("203.0.113.9"))->expiry_us, 0u);
}

TEST(BlockTable, ExpiresInOrderAndSkipsExtended) {
  BlockTable t;
  t.upsert(key("203.0.113.1"), 300, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.2"), 100, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.3"), 200, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.4"), 0, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.2"), 400, 0, 0, CommandKind::Firewall);  // extended past the others
  EXPECT_EQ(t.next_expiry(), 200u);
  std::vector<std::pair<BlockKey, Block>> out;
  t.expire(250, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first.address.str(), "203.0.113.3");
  out.clear();
  t.expire(1000, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first.address.str(), "203.0.113.1");
  EXPECT_EQ(out[1].first.address.str(), "203.0.113.2");
  EXPECT_EQ(t.size(), 1u);  // the one without timeout
  EXPECT_FALSE(t.next_expiry());
}

TEST(BlockTable, RemovedBlocksDoNotExpire) {
  BlockTable t;
  t.upsert(key("203.0.113.1"), 100, 0, 0, CommandKind::Firewall);
  EXPECT_TRUE(t.remove(key("203.0.113.1")));
  EXPECT_FALSE(t.remove(key("203.0.113.1")));
  std::vector<std::pair<BlockKey, Block>> out;
  t.expire(1000, out);
  EXPECT_TRUE(out.empty());
}

TEST(BlockTable, MaxBlocksRefusesNewButExtendsOld) {
  BlockTable t(2);
  EXPECT_EQ(t.upsert(key("203.0.113.1"), 100, 0, 0, CommandKind::Firewall), Upsert::Added);
  EXPECT_EQ(t.upsert(key("203.0.113.2"), 100, 0, 0, CommandKind::Firewall), Upsert::Added);
  EXPECT_EQ(t.upsert(key("203.0.113.3"), 100, 0, 0, CommandKind::Firewall), Upsert::Refused);
  EXPECT_EQ(t.upsert(key("203.0.113.1"), 200, 0, 0, CommandKind::Firewall), Upsert::Extended);
}

TEST(BlockTable, RangeGroupsCommandsOfOneAddress) {
  BlockTable t;
  t.upsert(key("203.0.113.1", 0), 100, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.1", 3), 100, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.2", 1), 100, 0, 0, CommandKind::Firewall);
  auto [first, last] = t.range(*Address::parse("203.0.113.1"));
  EXPECT_EQ(std::distance(first, last), 2);
}

// range() right after an upsert starts from the block upserted (no tree walk): it must still
// find the whole group, whichever command of the address was touched, and nothing stale after
// removals and expiry.
TEST(BlockTable, RangeAfterUpsertFindsTheWholeGroup) {
  BlockTable t;
  auto count = [&](const char* a) {
    auto [first, last] = t.range(*Address::parse(a));
    for (auto it = first; it != last; ++it) EXPECT_EQ(it->first.address, *Address::parse(a));
    return std::distance(first, last);
  };
  t.upsert(key("203.0.113.0", 5), 100, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.2", 0), 100, 0, 0, CommandKind::Firewall);
  for (CommandId c : {4, 1, 7, 2}) {
    t.upsert(key("203.0.113.1", c), 100, 0, 0, CommandKind::Firewall);
    EXPECT_GE(count("203.0.113.1"), 1);
  }
  EXPECT_EQ(count("203.0.113.1"), 4);
  t.upsert(key("203.0.113.1", 1), 200, 0, 0, CommandKind::Firewall);  // extended, in the middle
  EXPECT_EQ(count("203.0.113.1"), 4);
  EXPECT_EQ(count("203.0.113.0"), 1);
  t.upsert(key("203.0.113.1", 2), 50, 0, 0, CommandKind::Firewall);  // unchanged
  t.remove(key("203.0.113.1", 2));
  EXPECT_EQ(count("203.0.113.1"), 3);
  t.upsert(key("203.0.113.1", 4), 300, 0, 0, CommandKind::Firewall);
  std::vector<std::pair<BlockKey, Block>> out;
  t.expire(100, out);  // the blocks of 203.0.113.1 with 100 go, the one last touched stays
  EXPECT_EQ(count("203.0.113.1"), 2);
  t.upsert(key("203.0.113.1", 1), 300, 0, 0, CommandKind::Firewall);
  t.expire(250, out);  // 1 stays (300), 4 stays (300)
  EXPECT_EQ(count("203.0.113.1"), 2);
  t.expire(300, out);
  EXPECT_EQ(count("203.0.113.1"), 0);
  EXPECT_EQ(count("203.0.113.2"), 0);
  t.clear();
  EXPECT_EQ(count("203.0.113.0"), 0);
}

TEST(BlockTable, HeapStaysBoundedUnderRefreshStorms) {
  BlockTable t;
  for (uint64_t i = 1; i <= 100000; ++i)
    t.upsert(key("203.0.113.1"), i, 0, 0, CommandKind::Firewall);
  std::vector<std::pair<BlockKey, Block>> out;
  t.expire(99999, out);
  EXPECT_TRUE(out.empty());
  t.expire(100000, out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(BlockTable, CountsByKindAndFamilyFollowEveryWayOut) {
  BlockTable t;
  t.upsert(key("203.0.113.1"), 100, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.2"), 0, 0, 0, CommandKind::Firewall);
  t.upsert(key("203.0.113.2", 1), 0, 0, 0, CommandKind::Exec);
  t.upsert(key("2001:db8::1"), 0, 0, 0, CommandKind::Firewall);
  t.upsert(key("2001:db8::1"), 0, 0, 0, CommandKind::Firewall);  // unchanged: counted once
  EXPECT_EQ(t.count(CommandKind::Firewall, false), 2u);
  EXPECT_EQ(t.count(CommandKind::Firewall, true), 1u);
  EXPECT_EQ(t.count(CommandKind::Exec, false), 1u);
  EXPECT_EQ(t.count(CommandKind::HostsDeny, false), 0u);
  std::vector<std::pair<BlockKey, Block>> out;
  t.expire(100, out);
  EXPECT_EQ(t.count(CommandKind::Firewall, false), 1u);
  t.remove(key("203.0.113.2", 1));
  EXPECT_EQ(t.count(CommandKind::Exec, false), 0u);
  t.clear();
  EXPECT_EQ(t.count(CommandKind::Firewall, true), 0u);
}

TEST(BlockTable, InternsReasons) {
  BlockTable t;
  uint32_t a = t.intern("sshd brute force");
  EXPECT_EQ(t.intern("sshd brute force"), a);
  EXPECT_NE(t.intern("web scan"), a);
  EXPECT_EQ(t.reason(a), "sshd brute force");
  EXPECT_EQ(t.intern(""), 0u);
}

TEST(OffenderCounts, CountsAndResetsAfterQuiet) {
  OffenderCounts o;
  EXPECT_EQ(o.record(key("203.0.113.1"), 100, 3600), 1u);
  EXPECT_EQ(o.record(key("203.0.113.1"), 200, 3600), 2u);
  EXPECT_EQ(o.record(key("203.0.113.1"), 3000, 3600), 3u);
  EXPECT_EQ(o.record(key("203.0.113.1"), 6600, 3600), 1u);  // quiet for an hour
}

TEST(OffenderCounts, TimeoutLadder) {
  std::vector<uint32_t> ladder{30, 60, 120};
  EXPECT_EQ(offence_timeout(600, ladder, 1), 600u);
  EXPECT_EQ(offence_timeout(600, ladder, 2), 30u * 60);
  EXPECT_EQ(offence_timeout(600, ladder, 3), 60u * 60);
  EXPECT_EQ(offence_timeout(600, ladder, 4), 120u * 60);
  EXPECT_EQ(offence_timeout(600, ladder, 9), 120u * 60);
  EXPECT_EQ(offence_timeout(600, {}, 5), 600u);
  EXPECT_FALSE(offence_timeout(std::nullopt, ladder, 3));
}

}  // namespace
}  // namespace rampart
