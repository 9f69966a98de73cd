#include "state/state_store.h"
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace rampart {
namespace {

Address A(std::string_view s) {
  return *Address::parse(s);
}

class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest() {
    char tmpl[] = "/tmp/rampart-state-XXXXXX";
    dir = std::string(mkdtemp(tmpl)) + "/state";
  }
  ~StateStoreTest() override {
    std::filesystem::remove_all(std::filesystem::path(dir).parent_path());
  }

  std::unique_ptr<StateStore> open() {
    auto s = StateStore::open(dir);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  static UndoRecord exec_record(std::string command, std::string_view address) {
    UndoRecord r;
    r.kind = CommandKind::Exec;
    r.command = std::move(command);
    r.address = A(address);
    r.deadline_us = 1'700'000'123'000'000;
    r.rule_id = 5712;
    r.rkey = "custom-block-203.0.113.9";
    r.request.program = "/usr/lib/rampart/active-response/bin/custom block";
    r.request.protocol = ExecProtocol::Json;
    r.request.args = {"{\"version\":1,\"a\":\"tab\\there\\nnewline\"}\tliteral tab\nand newline\\"};
    return r;
  }

  std::string dir;
};

TEST_F(StateStoreTest, RecordsSurviveAReopen) {
  {
    auto s = open();
    s->put(exec_record("custom-block", "203.0.113.9"));
    s->put(exec_record("other", "203.0.113.9"));
    UndoRecord hd{
        .kind = CommandKind::HostsDeny, .command = "host-deny", .address = A("2001:db8::1")};
    s->put(hd);
    s->put_offence("firewall-drop", A("198.51.100.7"), {3, 1'700'000'000});
    s->erase(CommandKind::Exec, "other", A("203.0.113.9"));
    ASSERT_TRUE(s->flush());
  }
  auto s = open();
  EXPECT_EQ(s->undo_count(), 2u);
  const UndoRecord* r = s->find(CommandKind::Exec, "custom-block", A("203.0.113.9"));
  ASSERT_TRUE(r);
  UndoRecord want = exec_record("custom-block", "203.0.113.9");
  EXPECT_EQ(r->deadline_us, want.deadline_us);
  EXPECT_EQ(r->rule_id, 5712u);
  EXPECT_EQ(r->rkey, want.rkey);
  EXPECT_EQ(r->request.program, want.request.program);
  EXPECT_EQ(r->request.args, want.request.args);
  EXPECT_FALSE(s->find(CommandKind::Exec, "other", A("203.0.113.9")));
  // hosts.deny is one undo per address, whatever the command.
  ASSERT_TRUE(s->find(CommandKind::HostsDeny, "", A("2001:db8::1")));
  EXPECT_EQ(s->find(CommandKind::HostsDeny, "", A("2001:db8::1"))->command, "host-deny");
  size_t seen = 0;
  s->for_each_offence([&](std::string_view command, const Address& a, const OffenceRecord& o) {
    ++seen;
    EXPECT_EQ(command, "firewall-drop");
    EXPECT_EQ(a, A("198.51.100.7"));
    EXPECT_EQ(o.count, 3u);
    EXPECT_EQ(o.last_sec, 1'700'000'000u);
  });
  EXPECT_EQ(seen, 1u);
}

TEST_F(StateStoreTest, UnflushedRecordsAreWrittenAtDestruction) {
  { open()->put_offence("x", A("192.0.2.1"), {1, 5}); }
  EXPECT_EQ(open()->offence_count(), 1u);
}

TEST_F(StateStoreTest, ACutLastLineIsIgnored) {
  {
    auto s = open();
    s->put_offence("x", A("192.0.2.1"), {1, 5});
    ASSERT_TRUE(s->flush());
  }
  {
    std::ofstream log(dir + "/state.log", std::ios::app);
    log << "o\tx\t192.0.2.1\t7\t9\no\tx\t192.0.2.2\t1";  // a crash cut the second line short
  }
  auto s = open();
  EXPECT_EQ(s->offence_count(), 1u);
  s->for_each_offence(
      [](std::string_view, const Address&, const OffenceRecord& o) { EXPECT_EQ(o.count, 7u); });
  // The reopen compacted: new records are not glued to the cut line.
  s->put_offence("x", A("192.0.2.3"), {1, 5});
  ASSERT_TRUE(s->flush());
  s.reset();
  EXPECT_EQ(open()->offence_count(), 2u);
}

TEST_F(StateStoreTest, CompactionDropsQuietOffencesAndEmptiesTheLog) {
  auto s = open();
  uint64_t now = static_cast<uint64_t>(time(nullptr));
  s->put_offence("x", A("192.0.2.1"), {2, now - 7200});
  s->put_offence("x", A("192.0.2.2"), {2, now - 60});
  ASSERT_TRUE(s->flush());
  s->set_offence_ttl(3600);
  ASSERT_TRUE(s->compact());
  EXPECT_EQ(s->log_bytes(), 0u);
  EXPECT_EQ(s->offence_count(), 1u);
  s.reset();
  EXPECT_EQ(open()->offence_count(), 1u);
}

// A file size limit stands in for a full disk: writes past it fail (EFBIG) after writing what
// fits, like ENOSPC on a full filesystem.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &saved_);
    rlimit l{bytes, saved_.rlim_max};
    setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() { lift(); }
  void lift() { setrlimit(RLIMIT_FSIZE, &saved_); }

 private:
  rlimit saved_{};
};

off_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

TEST_F(StateStoreTest, AFullDiskKeepsRecordsInMemoryAndWritesThemLater) {
  auto s = open();
  s->put_offence("x", A("192.0.2.1"), {1, 5});
  ASSERT_TRUE(s->flush());
  off_t before = file_size(dir + "/state.log");
  {
    FileSizeLimit full(before + 100);
    for (uint32_t i = 0; i < 100; ++i)
      s->put_offence("x", A("2001:db8::1:" + std::to_string(i)), {1, 5});
    EXPECT_FALSE(s->flush());
    EXPECT_TRUE(s->failing());
    EXPECT_TRUE(s->dirty());
    // The short write was cut off again: no half record for the retry to glue onto.
    EXPECT_EQ(file_size(dir + "/state.log"), before);
    EXPECT_FALSE(s->flush());
    full.lift();
    ASSERT_TRUE(s->flush());
  }
  EXPECT_FALSE(s->failing());
  s.reset();
  EXPECT_EQ(open()->offence_count(), 101u);
}

TEST_F(StateStoreTest, AFullDiskDropsTheBufferAndCatchesUpWithASnapshot) {
  auto s = open();
  s->put_offence("x", A("192.0.2.1"), {1, 5});
  ASSERT_TRUE(s->flush());
  {
    FileSizeLimit full(file_size(dir + "/state.log"));
    s->put_offence("x", A("192.0.2.2"), {1, 5});
    ASSERT_FALSE(s->flush());
    // Far more than the 1 MiB buffer: memory keeps them, the buffer does not grow.
    for (uint32_t i = 0; i < 60'000; ++i)
      s->put_offence("y", A(fmt::format("2001:db8::{:x}:{:x}", i >> 16, i & 0xffff)), {2, 5});
    s->erase(CommandKind::Exec, "none", A("192.0.2.3"));
    EXPECT_FALSE(s->flush());
    EXPECT_LT(file_size(dir + "/state.log"), 100);
    full.lift();
    ASSERT_TRUE(s->flush());
  }
  EXPECT_EQ(s->log_bytes(), 0u) << "caught up with a snapshot";
  EXPECT_EQ(access((dir + "/state.snapshot.tmp").c_str(), F_OK), -1);
  s.reset();
  EXPECT_EQ(open()->offence_count(), 60'002u);
}

TEST_F(StateStoreTest, AFullDiskAtStartDoesNotStopTheStart) {
  open().reset();  // creates the directory
  {
    std::ofstream log(dir + "/state.log");
    log << "o\tx\t192.0.2.1\t7\t9\no\tx\t192.0.2.2\t1";  // a crash cut the last line
  }
  std::unique_ptr<StateStore> s;
  {
    FileSizeLimit full(10);  // the compaction at start cannot write its snapshot
    auto opened = StateStore::open(dir);
    ASSERT_TRUE(opened) << opened.error().message;
    s = std::move(*opened);
    EXPECT_EQ(s->offence_count(), 1u);
    EXPECT_TRUE(s->dirty()) << "the snapshot is still owed";
    s->put_offence("x", A("192.0.2.3"), {1, 5});
    EXPECT_FALSE(s->flush());
  }
  ASSERT_TRUE(s->flush());
  s.reset();
  EXPECT_EQ(open()->offence_count(), 2u);
}

TEST_F(StateStoreTest, OneDirectoryOneDaemon) {
  auto s = open();
  auto second = StateStore::open(dir);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, EBUSY);
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(StateStoreTest, AMillionRecordsRoundTrip) {
  auto t0 = std::chrono::steady_clock::now();
  {
    auto s = open();
    for (uint32_t i = 0; i < 1'000'000; ++i)
      s->put_offence("firewall-drop", Address::v4(0x0a000000 + i), {1, 1'700'000'000});
    ASSERT_TRUE(s->flush());
    EXPECT_EQ(s->offence_count(), 1'000'000u);
  }
  auto t1 = std::chrono::steady_clock::now();
  auto s = open();
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(s->offence_count(), 1'000'000u);
  auto ms = [](auto d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
  RecordProperty("write_ms", static_cast<int>(ms(t1 - t0)));
  RecordProperty("load_ms", static_cast<int>(ms(t2 - t1)));
  std::printf("1,000,000 offences: written in %lld ms, loaded in %lld ms\n",
              static_cast<long long>(ms(t1 - t0)), static_cast<long long>(ms(t2 - t1)));
}

}  // namespace
}  // namespace rampart
