#include "nft/nft_record.h"
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rampart {
namespace {

NftStartFacts facts() {
  NftStartFacts f;
  f.marker = {RecordState::Settled, 40, 7};
  f.marker_this_boot = true;
  f.netns = 7;
  f.generation = 40;
  f.table_whole = true;
  return f;
}

TEST(NftStartPlan, TrustsTheRecordOnlyWhenNothingCanHaveChanged) {
  EXPECT_EQ(plan_start(facts(), "rampart").work, NftWork::None);
  NftStartFacts tail = facts();
  tail.tail = true;
  EXPECT_TRUE(plan_start(tail, "rampart").drop_tail) << "written ahead, never committed";

  NftStartFacts moved = facts();
  moved.generation = 41;
  NftStartPlan p = plan_start(moved, "rampart");
  EXPECT_EQ(p.work, NftWork::Verify);
  EXPECT_FALSE(p.drop_tail);
  EXPECT_EQ(p.why, "nftables changed since the record (generation 40 then, 41 now)");

  NftStartFacts reboot = facts();
  reboot.marker_this_boot = false;
  EXPECT_EQ(plan_start(reboot, "rampart").work, NftWork::Readd);
  NftStartFacts gone = facts();
  gone.table_whole = false;
  EXPECT_EQ(plan_start(gone, "rampart").why, "table inet rampart is not whole");
  EXPECT_EQ(plan_start(gone, "rampart").work, NftWork::Readd);
  NftStartFacts other_ns = facts();
  other_ns.netns = 8;
  EXPECT_EQ(plan_start(other_ns, "rampart").work, NftWork::Verify);

  NftStartFacts unfinished = facts();
  unfinished.marker.state = RecordState::NeedsReadd;
  EXPECT_EQ(plan_start(unfinished, "rampart").work, NftWork::Repair);
  unfinished.marker.state = RecordState::NeedsVerify;
  EXPECT_EQ(plan_start(unfinished, "rampart").work, NftWork::Verify);
}

class NftRecordFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-record-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    mkdir((dir_ + "/run").c_str(), 0700);
    setenv("RUNTIME_DIRECTORY", (dir_ + "/run").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("RUNTIME_DIRECTORY");
    std::filesystem::remove_all(dir_);
  }
  std::unique_ptr<NftRecord> open() {
    auto r = NftRecord::open(dir_ + "/state", "rampart", nullptr);
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : nullptr;
  }
  // A new record holding one logged block.
  std::unique_ptr<NftRecord> one_block() {
    auto record = open();
    std::string why;
    record->load(why);
    EXPECT_TRUE(record->rebase({}, {RecordState::Settled, 1, 1}));
    record->writer().add(*Address::parse("203.0.113.7"), "", "manual", 0, 0);
    record->append();
    return record;
  }
  static BlockSnapshot two_blocks(uint64_t expiry) {
    BlockSnapshot s;
    s.commands = {"firewall-drop"};
    s.reasons = {"", "sshd"};
    s.blocks = {{*Address::parse("198.51.100.1"), 0, 1, 1, expiry},
                {*Address::parse("198.51.100.2"), 0, 2, 0, 0}};
    return s;
  }
  std::string dir_;
};

TEST_F(NftRecordFiles, BaseAndLogComeBackAndTheLogGoesOn) {
  auto record = open();
  ASSERT_TRUE(record);
  std::string why;
  EXPECT_FALSE(record->load(why));
  EXPECT_EQ(why, "no record of the blocks");
  ASSERT_TRUE(record->rebase(two_blocks(9'000'000'000'000), {RecordState::Settled, 5, 1}));
  record->writer().add(*Address::parse("203.0.113.7"), "", "manual", 0, 0);
  record->writer().marker({RecordState::Settled, 6, 1});
  record->append();
  record.reset();

  record = open();
  auto loaded = record->load(why);
  ASSERT_TRUE(loaded) << why;
  EXPECT_EQ(loaded->base.blocks.size(), 2u);
  EXPECT_EQ(loaded->base.reasons[loaded->base.blocks[0].reason], "sshd");
  EXPECT_EQ(loaded->log.entries.size(), 1u);
  EXPECT_EQ(loaded->marker, (NftMarker{RecordState::Settled, 6, 1}));
  EXPECT_TRUE(loaded->marker_this_boot);
  // Appending goes on after what is there, with the names the log already has.
  record->writer().add(*Address::parse("203.0.113.8"), "", "manual", 0, 0);
  record->writer().remove(*Address::parse("198.51.100.1"), "");
  record->append();
  record.reset();

  record = open();
  loaded = record->load(why);
  ASSERT_TRUE(loaded) << why;
  ASSERT_EQ(loaded->log.entries.size(), 3u);
  EXPECT_EQ(loaded->log.names, (std::vector<std::string>{"", "manual"}));
  EXPECT_EQ(loaded->log.marked_entries, 1u);
  BlockSnapshot now =
      replay_nft_log(std::move(loaded->base), loaded->log, loaded->log.entries.size(), 1);
  ASSERT_EQ(now.blocks.size(), 3u);
  EXPECT_EQ(now.blocks[0].address.str(), "198.51.100.2");
}

// A write cut short by a crash is cut off the file, and the next frame follows the last whole
// one.
TEST_F(NftRecordFiles, ATornTailIsCutOff) {
  auto record = one_block();
  std::string why;
  std::string log = record->log_path();
  record.reset();
  auto whole = std::filesystem::file_size(log);
  {
    std::ofstream out(log, std::ios::app | std::ios::binary);
    out.write("\x40\x00\x00\x00garbage", 11);
  }
  record = open();
  auto loaded = record->load(why);
  ASSERT_TRUE(loaded) << why;
  EXPECT_EQ(loaded->log.entries.size(), 1u);
  EXPECT_EQ(std::filesystem::file_size(log), whole);
  record->writer().add(*Address::parse("203.0.113.8"), "", "manual", 0, 0);
  record->append();
  record.reset();
  record = open();
  loaded = record->load(why);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->log.entries.size(), 2u);
}

// A crash between a new base and its log leaves the old log: the base already holds it.
TEST_F(NftRecordFiles, ALogOfAnOlderBaseIsIgnored) {
  auto record = one_block();
  std::string why;
  std::string old_log = dir_ + "/old.log";
  std::filesystem::copy_file(record->log_path(), old_log);
  ASSERT_TRUE(record->rebase(two_blocks(0), {RecordState::Settled, 2, 1}));
  std::filesystem::copy_file(old_log, record->log_path(),
                             std::filesystem::copy_options::overwrite_existing);
  record.reset();
  record = open();
  auto loaded = record->load(why);
  ASSERT_TRUE(loaded) << why;
  EXPECT_EQ(loaded->base.blocks.size(), 2u);
  EXPECT_TRUE(loaded->log.entries.empty());
  EXPECT_EQ(loaded->marker.genid, 2u);
}

// Under the unit the boot is rampart's own id in the runtime directory: the same until the
// directory is emptied (a reboot), then a new one.
TEST_F(NftRecordFiles, TheBootIdLivesInTheRuntimeDirectory) {
  auto first = nft_boot_id();
  ASSERT_TRUE(first) << first.error().message;
  auto again = nft_boot_id();
  ASSERT_TRUE(again);
  EXPECT_EQ(*first, *again);
  std::filesystem::remove(dir_ + "/run/boot-id");
  auto after_reboot = nft_boot_id();
  ASSERT_TRUE(after_reboot);
  EXPECT_NE(*first, *after_reboot);
}

}  // namespace
}  // namespace rampart
