#include "fleet/outbox.h"
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace rampart {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/rampart-outbox-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

std::vector<std::string> publish_all(Outbox& box, uint64_t now) {
  std::vector<std::string> ids;
  box.send(SIZE_MAX, now, [&](const Outbox::Entry& e) {
    ids.push_back(e.id);
    return true;
  });
  return ids;
}

TEST(Outbox, KeepsOrdersAcrossARestartUntilAcknowledged) {
  TempDir dir;
  std::string path = dir.path + "/fleet.outbox";
  {
    auto box = Outbox::open(path, 10);
    ASSERT_TRUE(box) << box.error().message;
    for (int i = 0; i < 3; ++i)
      ASSERT_TRUE((*box)->add("id-" + std::to_string(i), "rampart.order.all", "{\"n\":1}"));
    ASSERT_TRUE((*box)->sync());
    EXPECT_EQ(publish_all(**box, 1), (std::vector<std::string>{"id-0", "id-1", "id-2"}));
    auto taken = (*box)->take("id-1");
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->text, "{\"n\":1}");
    EXPECT_FALSE((*box)->take("id-1")) << "a second ack finds nothing";
    ASSERT_TRUE((*box)->sync());
  }
  auto again = Outbox::open(path, 10);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->size(), 2u) << "id-1 was acknowledged; the others come back";
  EXPECT_EQ(publish_all(**again, 1), (std::vector<std::string>{"id-0", "id-2"}));
  (*again)->take("id-0");
  (*again)->take("id-2");
  ASSERT_TRUE((*again)->sync());
  EXPECT_EQ(std::filesystem::file_size(path), 0u) << "emptied once all are stored";
}

TEST(Outbox, IsBounded) {
  TempDir dir;
  auto box = Outbox::open(dir.path + "/fleet.outbox", 2);
  ASSERT_TRUE(box);
  EXPECT_TRUE((*box)->add("a", "s", "{}"));
  EXPECT_TRUE((*box)->add("b", "s", "{}"));
  EXPECT_FALSE((*box)->add("c", "s", "{}"));
  EXPECT_FALSE((*box)->add("a", "s", "{}")) << "an id is kept once";
}

TEST(Outbox, UnacknowledgedOrdersAreSentAgain) {
  TempDir dir;
  auto box = Outbox::open(dir.path + "/fleet.outbox", 10);
  ASSERT_TRUE(box);
  (*box)->add("a", "s", "{}");
  (*box)->add("b", "s", "{}");
  EXPECT_EQ(publish_all(**box, 100).size(), 2u);
  EXPECT_EQ((*box)->waiting(), 0u);
  (*box)->add("c", "s", "{}");
  EXPECT_EQ(publish_all(**box, 200), std::vector<std::string>{"c"});
  EXPECT_EQ((*box)->resend_older(150), 2u);
  EXPECT_EQ(publish_all(**box, 300), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ((*box)->resend_older(UINT64_MAX), 3u) << "the connection was lost";
  // A refusal stops the round: order is kept.
  size_t calls = 0;
  (*box)->send(SIZE_MAX, 400, [&](const Outbox::Entry&) { return ++calls < 2; });
  EXPECT_EQ((*box)->waiting(), 2u);
}

TEST(Outbox, TornLastLineIsDropped) {
  TempDir dir;
  std::string path = dir.path + "/fleet.outbox";
  std::ofstream(path) << "a rampart.order.all {\"x\":1}\nb-torn";
  auto box = Outbox::open(path, 10);
  ASSERT_TRUE(box) << box.error().message;
  EXPECT_EQ((*box)->size(), 1u);
}

}  // namespace
}  // namespace rampart
