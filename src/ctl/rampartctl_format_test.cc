// What rampartctl prints: time spans in, durations, tables and JSON out.
#include "ctl/rampartctl_format.h"
#include <gtest/gtest.h>
#include <time.h>

#include <cstdlib>

namespace rampart::ctl {
namespace {

constexpr uint64_t kSec = 1000000;
// Tue 2026-11-24 21:08:22 UTC.
constexpr uint64_t kNow = 1795554502 * kSec;

TEST(Timespan, Units) {
  EXPECT_EQ(parse_timespan_usec("90"), 90 * kSec);
  EXPECT_EQ(parse_timespan_usec("10m"), 600 * kSec);
  EXPECT_EQ(parse_timespan_usec("1h30m"), 5400 * kSec);
  EXPECT_EQ(parse_timespan_usec("1h 30m"), 5400 * kSec);
  EXPECT_EQ(parse_timespan_usec("2d"), 2 * 86400 * kSec);
  EXPECT_EQ(parse_timespan_usec("1w"), 7 * 86400 * kSec);
  EXPECT_EQ(parse_timespan_usec("500ms"), 500000u);
  EXPECT_EQ(parse_timespan_usec("3min"), 180 * kSec);
  EXPECT_EQ(parse_timespan_usec("2 hours"), 7200 * kSec);
}

TEST(Timespan, NoTimeoutAndNonsense) {
  EXPECT_EQ(parse_timespan_usec("0"), 0u);
  EXPECT_EQ(parse_timespan_usec("none"), 0u);
  EXPECT_EQ(parse_timespan_usec("infinity"), 0u);
  EXPECT_FALSE(parse_timespan_usec(""));
  EXPECT_FALSE(parse_timespan_usec("soon"));
  EXPECT_FALSE(parse_timespan_usec("10x"));
  EXPECT_FALSE(parse_timespan_usec("-5"));
  EXPECT_FALSE(parse_timespan_usec("10mins"));
  EXPECT_FALSE(parse_timespan_usec("99999999999999999999")) << "overflow";
  EXPECT_FALSE(parse_timespan_usec("99999999999999w")) << "overflow through the unit";
}

TEST(Duration, TheTwoLargestUnitsRoundedDown) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(59 * kSec + 999999), "59s");
  EXPECT_EQ(format_duration(598 * kSec), "9m 58s");
  EXPECT_EQ(format_duration(5400 * kSec), "1h 30m");
  EXPECT_EQ(format_duration((2 * 86400 + 3 * 3600 + 59) * kSec), "2d 3h");
  EXPECT_EQ(format_duration(3600 * kSec + 59 * kSec), "1h") << "a zero unit ends it";
}

TEST(Expiry, RelativeToNow) {
  EXPECT_EQ(format_expiry(0, kNow), "never");
  EXPECT_EQ(format_expiry(kNow, kNow), "now");
  EXPECT_EQ(format_expiry(kNow - kSec, kNow), "now");
  EXPECT_EQ(format_expiry(kNow + 598 * kSec, kNow), "in 9m 58s");
  EXPECT_EQ(format_expiry(kNow + 598 * kSec - 1, kNow), "in 9m 58s") << "rounded to the second";
}

TEST(Timestamp, LocalTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_timestamp(kNow), "Tue 2026-11-24 21:08:22 UTC");
}

TEST(Table, ColumnsAreAlignedAndEmptyCellsAreDashes) {
  Table t({"ADDRESS", "COMMAND", "REASON"});
  t.add("203.0.113.9");
  t.add("firewall-drop");
  t.add("");
  t.add("2001:db8::1");
  t.add("manual");
  t.add("scanner");
  EXPECT_EQ(t.rows(), 2u);
  std::string out;
  t.render(out, true);
  EXPECT_EQ(out,
            "ADDRESS     COMMAND       REASON\n"
            "203.0.113.9 firewall-drop -\n"
            "2001:db8::1 manual        scanner\n");
  std::string bare;
  t.render(bare, false);
  EXPECT_EQ(bare,
            "203.0.113.9 firewall-drop -\n"
            "2001:db8::1 manual        scanner\n");
}

const std::vector<BlockRecord> kBlocks = {
    {"198.51.100.0/24", "manual", 0, 0, "scanner \"x\"", "nftables"},
    {"203.0.113.9", "ssh-drop", kNow + 600 * kSec, 5712, "sshd brute force", "nftables", "tcp/22"},
    {"2001:db8::7", "firewall-drop", kNow + 60 * kSec, 5710, "", "nftables", "", "manager"},
};

TEST(BlockList, Table) {
  EXPECT_EQ(format_block_list(kBlocks, kNow, false, true),
            "ADDRESS         COMMAND       SCOPE  EXPIRES RULE BACKEND  ORIGIN  REASON\n"
            "198.51.100.0/24 manual        all    never   -    nftables -       scanner \"x\"\n"
            "203.0.113.9     ssh-drop      tcp/22 in 10m  5712 nftables -       sshd brute force\n"
            "2001:db8::7     firewall-drop all    in 1m   5710 nftables manager -\n"
            "\n3 blocks listed.\n");
  EXPECT_EQ(format_block_list({kBlocks[1]}, kNow, false, false),
            "203.0.113.9 ssh-drop tcp/22 in 10m 5712 nftables - sshd brute force\n");
  EXPECT_EQ(format_block_list({}, kNow, false, true), "No active blocks.\n");
  EXPECT_EQ(format_block_list({}, kNow, false, false), "");
}

TEST(BlockList, Json) {
  EXPECT_EQ(
      format_block_list(kBlocks, kNow, true, true),
      R"([{"address":"198.51.100.0/24","command":"manual","expiry_usec":0,"rule_id":0,)"
      R"("reason":"scanner \"x\"","backend":"nftables","scope":"","origin":""},)"
      R"({"address":"203.0.113.9","command":"ssh-drop","expiry_usec":)" +
          std::to_string(kNow + 600 * kSec) +
          R"(,"rule_id":5712,"reason":"sshd brute force","backend":"nftables",)"
          R"("scope":"tcp/22","origin":""},)"
          R"({"address":"2001:db8::7","command":"firewall-drop","expiry_usec":)" +
          std::to_string(kNow + 60 * kSec) +
          R"(,"rule_id":5710,"reason":"","backend":"nftables","scope":"","origin":"manager"}])"
          "\n");
  EXPECT_EQ(format_block_list({}, kNow, true, true), "[]\n");
}

TEST(Block, Fields) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(format_block(kBlocks[1], kNow, false),
            "Address: 203.0.113.9\n"
            "Command: ssh-drop\n"
            "  Scope: tcp/22\n"
            "Expires: in 10m (Tue 2026-11-24 21:18:22 UTC)\n"
            "   Rule: 5712\n"
            "Backend: nftables\n"
            " Origin: this node\n"
            " Reason: sshd brute force\n");
  EXPECT_NE(format_block(kBlocks[2], kNow, false).find(" Origin: manager\n Reason: -\n"),
            std::string::npos);
  BlockRecord bare{"198.51.100.0/24", "manual", 0, 0, "", "nftables"};
  EXPECT_EQ(format_block(bare, kNow, false),
            "Address: 198.51.100.0/24\nCommand: manual\n  Scope: all traffic\nExpires: never\n"
            "   Rule: -\n"
            "Backend: nftables\n Origin: this node\n Reason: -\n");
  EXPECT_EQ(format_block(bare, kNow, true),
            R"({"address":"198.51.100.0/24","command":"manual","expiry_usec":0,"rule_id":0,)"
            R"("reason":"","backend":"nftables","scope":"","origin":""})"
            "\n");
  EXPECT_NE(format_block(kBlocks[2], kNow, true).find(R"("origin":"manager"})"), std::string::npos);
}

TEST(Status, Feeds) {
  Status s{"0.1.0", 0, 0, 0, {"nftables"}, false};
  s.feeds = {{"drop", 1200, 1100, 0, ""}, {"fh1", 0, 0, 0, "/x/fh1.txt:3: \"bad\" is not..."}};
  std::string text = format_status(s, false);
  EXPECT_NE(text.find("  Blocklist drop: 1200 entries as 1100 ranges, loaded never\n"
                      "  Blocklist fh1: 0 entries as 0 ranges, loaded never\n"
                      "    last error: /x/fh1.txt:3: \"bad\" is not...\n"),
            std::string::npos)
      << text;
  EXPECT_NE(format_status(s, true).find(
                R"("Feeds":[{"Name":"drop","Entries":1200,"Ranges":1100,"LastLoadUsec":0,)"
                R"("LastError":""},{"Name":"fh1",)"),
            std::string::npos);
}

TEST(Status, TextAndJson) {
  Status s{"0.1.0", 3, 120, 4, {"nftables"}, false};
  EXPECT_EQ(format_status(s, false),
            "        Version: 0.1.0\n"
            "  Active blocks: 3\n"
            "Alerts received: 120\n"
            "Alerts rejected: 4\n"
            "       Backends: nftables\n"
            "        Dry run: no\n");
  EXPECT_EQ(format_status(s, true),
            R"({"Version":"0.1.0","ActiveBlocks":3,"AlertsReceived":120,"AlertsRejected":4,)"
            R"("Backends":["nftables"],"DryRun":false,"Feeds":[]})"
            "\n");
  Status none{"0.1.0", 0, 0, 0, {}, true};
  EXPECT_NE(format_status(none, false).find("       Backends: -\n        Dry run: yes\n"),
            std::string::npos);
}

}  // namespace
}  // namespace rampart::ctl
