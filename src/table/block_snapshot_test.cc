#include "table/block_snapshot.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

BlockSnapshot sample() {
  BlockSnapshot s;
  s.origin.boot_id[0] = 0xab;
  s.origin.netns = 4026531840;
  s.origin.genid = 77;
  s.origin.table = "rampart";
  s.origin.clock_offset_us = 1700000000000000;
  s.origin.state = RecordState::NeedsVerify;
  s.origin.epoch = 42;
  s.commands = {"firewall-drop", "manual"};
  s.reasons = {"", "sshd brute force"};
  s.blocks.push_back({*Address::parse("203.0.113.9"), 0, 5712, 1, 123456789});
  s.blocks.push_back({*Address::parse("2001:db8::/48"), 1, 0, 0, 0});
  return s;
}

TEST(BlockSnapshot, RoundTrips) {
  BlockSnapshot s = sample();
  auto back = decode_snapshot(encode_snapshot(s), "x");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->origin, s.origin);
  EXPECT_EQ(back->commands, s.commands);
  EXPECT_EQ(back->reasons, s.reasons);
  ASSERT_EQ(back->blocks.size(), 2u);
  EXPECT_EQ(back->blocks[0].address.str(), "203.0.113.9");
  EXPECT_EQ(back->blocks[0].rule_id, 5712u);
  EXPECT_EQ(back->blocks[0].reason, 1u);
  EXPECT_EQ(back->blocks[0].expiry_us, 123456789u);
  EXPECT_EQ(back->blocks[1].address.str(), "2001:db8::/48");
  EXPECT_EQ(back->blocks[1].command, 1u);
}

// Files from before the log (version 1) still load, with no clock offset and nothing pending.
TEST(BlockSnapshot, VersionOneFilesLoad) {
  BlockSnapshot s = sample();
  std::string bytes = encode_snapshot(s);
  bytes.replace(0, 17, "RAMPART-BLOCKS-1\n");
  size_t extra = 17 + 4 + 16 + 8 + 4 + 4 + s.origin.table.size();
  bytes.erase(extra, 8 + 1 + 8);  // clock offset, state, epoch
  size_t commands = extra + 4;
  for (const auto& c : s.commands) commands += 4 + c.size();
  bytes.erase(commands, 4);  // the (empty) scope table
  auto back = decode_snapshot(bytes, "x");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_FALSE(back->origin.clock_known);
  EXPECT_EQ(back->origin.state, RecordState::Settled);
  EXPECT_EQ(back->origin.genid, 77u);
  ASSERT_EQ(back->blocks.size(), 2u);
  EXPECT_EQ(back->blocks[0].expiry_us, 123456789u);
}

TEST(BlockSnapshot, EveryTruncationIsRefused) {
  std::string bytes = encode_snapshot(sample());
  for (size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_snapshot(std::string_view(bytes).substr(0, n), "x")) << n;
  EXPECT_FALSE(decode_snapshot(bytes + "x", "x")) << "trailing bytes";
}

TEST(BlockSnapshot, OutOfRangeRecordsAndOtherFilesAreRefused) {
  BlockSnapshot s = sample();
  s.blocks[0].command = 7;
  auto r = decode_snapshot(encode_snapshot(s), "/var/lib/rampart/nftables.blocks");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "/var/lib/rampart/nftables.blocks: a block record is out of range; ignoring it (the "
            "blocks are read from the firewall instead)");
  EXPECT_FALSE(decode_snapshot("203.0.113.9\n", "x"));
}

}  // namespace
}  // namespace rampart
