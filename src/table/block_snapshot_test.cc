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
