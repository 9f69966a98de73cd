#include "table/pending_index.h"
#include <gtest/gtest.h>

#include <map>
#include <random>

namespace rampart {
namespace {

BlockKey key(uint32_t i, CommandId command = 0) {
  return BlockKey{Address::v4(0xc6336400 + i), command};
}

TEST(PendingIndexTest, InsertFindAndKeepTheFirstPosition) {
  PendingIndex index;
  EXPECT_FALSE(index.find(key(1)));
  EXPECT_EQ(index.try_emplace(key(1), 7), std::make_pair(7u, true));
  EXPECT_EQ(index.try_emplace(key(1), 9), std::make_pair(7u, false));
  EXPECT_EQ(index.find(key(1)), 7u);
  // The same address under another command is another key.
  EXPECT_FALSE(index.find(key(1, 3)));
  EXPECT_EQ(index.try_emplace(key(1, 3), 8), std::make_pair(8u, true));
  EXPECT_EQ(index.size(), 2u);
}

TEST(PendingIndexTest, ClearForgetsEverything) {
  PendingIndex index;
  for (uint32_t i = 0; i < 100; ++i) index.try_emplace(key(i), i);
  index.clear();
  EXPECT_EQ(index.size(), 0u);
  for (uint32_t i = 0; i < 100; ++i) EXPECT_FALSE(index.find(key(i))) << i;
  EXPECT_EQ(index.try_emplace(key(5), 42), std::make_pair(42u, true));
}

// Against std::map over many turns of random sizes: growth, clears, the release of a table
// grown for one huge turn, and IPv6 keys that differ only in their low bits.
TEST(PendingIndexTest, MatchesAMapOverManyTurns) {
  PendingIndex index;
  std::mt19937 rng(12345);
  for (int turn = 0; turn < 60; ++turn) {
    std::map<BlockKey, uint32_t> expected;
    size_t n = turn == 10 ? 200000 : rng() % 5000;
    for (uint32_t i = 0; i < n; ++i) {
      Address a = *Address::parse("2001:db8::");
      uint32_t r = rng() % (n + 1);
      a.bytes[14] = uint8_t(r >> 8);
      a.bytes[15] = uint8_t(r);
      a.bytes[13] = uint8_t(r >> 16);
      BlockKey k{a, CommandId(rng() % 3)};
      auto [pos, inserted] = index.try_emplace(k, i);
      auto [it, expect_inserted] = expected.try_emplace(k, i);
      ASSERT_EQ(inserted, expect_inserted);
      ASSERT_EQ(pos, it->second);
    }
    ASSERT_EQ(index.size(), expected.size());
    for (const auto& [k, pos] : expected) ASSERT_EQ(index.find(k), pos);
    index.clear();
    for (const auto& [k, pos] : expected) ASSERT_FALSE(index.find(k));
  }
}

}  // namespace
}  // namespace rampart
