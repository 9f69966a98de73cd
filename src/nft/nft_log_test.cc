#include "nft/nft_log.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

constexpr uint64_t kNow = 5'000'000'000;  // CLOCK_MONOTONIC µs
NftClock here() {
  NftClock c;
  c.boot_id[0] = 1;
  c.offset_us = 1'700'000'000'000'000;
  return c;
}

Address addr(const char* text) {
  return *Address::parse(text);
}

std::string log_of(const std::vector<std::string>& frames) {
  std::string bytes = encode_nft_log_header(7, "rampart");
  for (const auto& f : frames) bytes += f;
  return bytes;
}

TEST(NftLog, RoundTripsChangesNamesAndMarkers) {
  NftLogWriter w;
  w.add(addr("203.0.113.9"), "", "firewall-drop", 5712, kNow + 60'000'000);
  w.add(addr("2001:db8::/48"), "", "manual", 0, 0);
  w.add(addr("203.0.113.10"), "", "firewall-drop", 100, kNow + 1);
  std::string first = w.finish(here());
  w.remove(addr("203.0.113.10"), "");
  w.marker({RecordState::Settled, 42, 4026531840});
  w.add(addr("198.51.100.7"), "", "firewall-drop", 1, kNow + 2);
  std::string second = w.finish(here());
  EXPECT_TRUE(w.empty());

  auto log = decode_nft_log(log_of({first, second}), here(), "x");
  ASSERT_TRUE(log) << log.error().message;
  EXPECT_EQ(log->epoch, 7u);
  EXPECT_EQ(log->table, "rampart");
  EXPECT_EQ(log->names, (std::vector<std::string>{"", "firewall-drop", "manual"}));
  ASSERT_EQ(log->entries.size(), 5u);
  EXPECT_EQ(log->entries[0].address.str(), "203.0.113.9");
  EXPECT_EQ(log->entries[0].rule_id, 5712u);
  EXPECT_EQ(log->entries[0].expiry_us, kNow + 60'000'000);
  EXPECT_EQ(log->entries[1].address.str(), "2001:db8::/48");
  EXPECT_EQ(log->names[log->entries[1].command], "manual");
  EXPECT_EQ(log->entries[1].expiry_us, 0u);
  EXPECT_TRUE(log->entries[3].removed);
  ASSERT_TRUE(log->marker);
  EXPECT_EQ(*log->marker, (NftMarker{RecordState::Settled, 42, 4026531840}));
  EXPECT_TRUE(log->marker_this_boot);
  EXPECT_EQ(log->marked_entries, 4u);
  EXPECT_EQ(log->valid_bytes, log_of({first, second}).size());
}

// A crash or power cut can cut the last write short or leave garbage: everything before it
// counts, nothing after it.
TEST(NftLog, ATornFrameEndsTheLog) {
  NftLogWriter w;
  w.add(addr("203.0.113.9"), "", "firewall-drop", 1, 0);
  std::string first = w.finish(here());
  w.add(addr("203.0.113.10"), "", "firewall-drop", 1, 0);
  w.marker({RecordState::Settled, 3, 1});
  std::string second = w.finish(here());
  std::string whole = log_of({first, second});
  size_t header = log_of({}).size();
  for (size_t cut = header + first.size(); cut < whole.size(); ++cut) {
    auto log = decode_nft_log(std::string_view(whole).substr(0, cut), here(), "x");
    ASSERT_TRUE(log);
    EXPECT_EQ(log->entries.size(), 1u) << cut;
    EXPECT_FALSE(log->marker) << cut;
    EXPECT_EQ(log->valid_bytes, header + first.size());
  }
  std::string flipped = whole;
  flipped[header + first.size() + 40] ^= 0x20;
  auto log = decode_nft_log(flipped, here(), "x");
  ASSERT_TRUE(log);
  EXPECT_EQ(log->entries.size(), 1u);
  EXPECT_FALSE(decode_nft_log("RAMPART-NFTLOG-9\n", here(), "x"));
}

// Deadlines of another boot come across through the wall clock: a block with 60 s left when
// that boot wrote it, read 10 s of wall time later, has 50 s left.
TEST(NftLog, DeadlinesOfAnotherBootComeThroughTheWallClock) {
  NftClock before;
  before.boot_id[0] = 9;
  before.offset_us = here().offset_us - 10'000'000 + 700'000'000;  // other boot, 10 s earlier
  NftLogWriter w;
  uint64_t then = kNow - 700'000'000;  // "now" in the old boot's monotonic clock
  w.add(addr("203.0.113.9"), "", "firewall-drop", 1, then + 60'000'000);
  w.add(addr("203.0.113.10"), "", "firewall-drop", 1, then + 5'000'000);
  w.add(addr("203.0.113.11"), "", "firewall-drop", 1, 0);
  w.marker({RecordState::Settled, 3, 1});
  auto log = decode_nft_log(log_of({w.finish(before)}), here(), "x");
  ASSERT_TRUE(log);
  ASSERT_EQ(log->entries.size(), 3u);
  EXPECT_EQ(log->entries[0].expiry_us, kNow + 50'000'000);
  EXPECT_LE(log->entries[1].expiry_us, kNow);
  EXPECT_EQ(log->entries[2].expiry_us, 0u);
  EXPECT_FALSE(log->marker_this_boot);
  BlockSnapshot blocks = replay_nft_log({}, *log, log->entries.size(), kNow);
  ASSERT_EQ(blocks.blocks.size(), 2u) << "the one whose time passed is left out";
}

TEST(NftLog, ReplayPutsTheLastChangeOfEachAddressOverTheBase) {
  BlockSnapshot base;
  base.commands = {"firewall-drop", "manual"};
  base.reasons = {"", "sshd", "by hand"};
  auto block = [](const char* a, uint16_t cmd, uint32_t reason, uint64_t expiry) {
    return SnapshotBlock{addr(a), cmd, 10, reason, expiry};
  };
  base.blocks = {block("198.51.100.1", 0, 1, kNow + 100), block("198.51.100.2", 0, 1, kNow + 100),
                 block("198.51.100.2", 1, 2, kNow + 900), block("198.51.100.3", 1, 2, kNow + 50),
                 block("198.51.100.4", 0, 0, kNow - 1)};
  NftLogWriter w;
  w.add(addr("198.51.100.2"), "", "firewall-drop", 20, kNow + 5000);  // replaces both blocks
  w.remove(addr("198.51.100.3"), "");
  w.add(addr("203.0.113.1"), "", "other", 30, 0);                   // new command
  w.add(addr("198.51.100.1"), "", "firewall-drop", 40, kNow + 70);  // refreshed...
  w.remove(addr("198.51.100.1"), "");                               // ...then revoked
  w.add(addr("198.51.100.9"), "", "firewall-drop", 50, kNow + 1);   // only after the marker
  auto log = decode_nft_log(log_of({w.finish(here())}), here(), "x");
  ASSERT_TRUE(log);

  BlockSnapshot all = replay_nft_log(base, *log, log->entries.size(), kNow);
  EXPECT_EQ(all.commands, (std::vector<std::string>{"firewall-drop", "manual", "other"}));
  EXPECT_EQ(all.scopes, (std::vector<std::string>{"", "", ""}));
  std::vector<std::string> seen;
  for (const auto& b : all.blocks)
    seen.push_back(fmt::format("{} {} {} {} {}", b.address.str(), all.commands[b.command],
                               b.rule_id, all.reasons[b.reason],
                               b.expiry_us ? b.expiry_us - kNow : 0));
  EXPECT_EQ(seen, (std::vector<std::string>{"198.51.100.2 firewall-drop 20 sshd 5000",
                                            "198.51.100.9 firewall-drop 50  1",
                                            "203.0.113.1 other 30  0"}));
  BlockSnapshot before_tail = replay_nft_log(base, *log, 5, kNow);
  EXPECT_EQ(before_tail.blocks.size(), 2u);
}

// A per-service block (a command's <ports>) has its own kernel element: a change of it leaves
// the address's whole-traffic block alone, and the other way round.
TEST(NftLog, ReplayKeepsScopesApart) {
  BlockSnapshot base;
  base.commands = {"firewall-drop", "ssh-drop"};
  base.scopes = {"", "tcp/22"};
  base.reasons = {""};
  base.blocks = {{addr("198.51.100.1"), 0, 1, 0, kNow + 100},
                 {addr("198.51.100.1"), 1, 2, 0, kNow + 100}};
  NftLogWriter w;
  w.remove(addr("198.51.100.1"), "tcp/22");
  w.add(addr("198.51.100.2"), "tcp/22", "ssh-drop", 3, kNow + 50);
  w.add(addr("198.51.100.2"), "", "firewall-drop", 4, kNow + 60);
  w.remove(addr("198.51.100.2"), "");
  auto log = decode_nft_log(log_of({w.finish(here())}), here(), "x");
  ASSERT_TRUE(log);
  BlockSnapshot all = replay_nft_log(base, *log, log->entries.size(), kNow);
  std::vector<std::string> seen;
  for (const auto& b : all.blocks)
    seen.push_back(fmt::format("{} {}", b.address.str(), all.commands[b.command]));
  EXPECT_EQ(seen,
            (std::vector<std::string>{"198.51.100.1 firewall-drop", "198.51.100.2 ssh-drop"}));
}

}  // namespace
}  // namespace rampart
