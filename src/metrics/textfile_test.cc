#include "metrics/textfile.h"
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"

namespace rampart {
namespace {

class TextfileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-textfile-XXXXXX";
    dir = mkdtemp(tmpl);
    old_umask = umask(0077);  // the unit's UMask
  }
  void TearDown() override {
    umask(old_umask);
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  mode_t old_umask = 0;
};

TEST_F(TextfileTest, ReplacesTheFileWholeAndReadableForNodeExporter) {
  std::string path = dir + "/rampart.prom";
  ASSERT_TRUE(write_textfile(path, "a 1\n"));
  ASSERT_TRUE(write_textfile(path, "a 2\nb 3\n"));
  EXPECT_EQ(test::read_file(path), "a 2\nb 3\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u) << "node_exporter runs as its own user";
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(TextfileTest, AMissingDirectoryIsAnErrorNamingThePath) {
  std::string path = dir + "/missing/rampart.prom";
  auto r = write_textfile(path, "a 1\n");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().message.find(dir + "/missing/rampart.prom.tmp"), std::string::npos)
      << r.error().message;
}

TEST_F(TextfileTest, ALeftoverTemporaryFileOrSymlinkIsReplacedNotFollowed) {
  std::string path = dir + "/rampart.prom";
  std::filesystem::create_symlink(dir + "/elsewhere", path + ".tmp");
  ASSERT_TRUE(write_textfile(path, "a 1\n"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/elsewhere"));
  EXPECT_EQ(test::read_file(path), "a 1\n");
}

}  // namespace
}  // namespace rampart
