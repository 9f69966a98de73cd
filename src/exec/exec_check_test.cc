#include "exec/exec_check.h"
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace rampart {
namespace {

class ExecCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (files owned by root)";
    char tmpl[] = "/tmp/rampart-exec-check-XXXXXX";
    root = mkdtemp(tmpl);
    dir = root + "/bin";
    mkdir(dir.c_str(), 0755);
    chmod(dir.c_str(), 0755);
  }
  void TearDown() override {
    if (!root.empty()) std::filesystem::remove_all(root);
  }
  std::string script(const std::string& path, mode_t mode = 0755) {
    { std::ofstream(path) << "#!/bin/sh\nexit 0\n"; }
    chmod(path.c_str(), mode);
    return path;
  }
  std::string error(const std::string& executable) {
    auto r = check_exec_program(dir, executable);
    return r ? "" : r.error().message;
  }

  std::string root, dir;
};

TEST_F(ExecCheckTest, AcceptsARootOwnedScript) {
  script(dir + "/ok.sh");
  auto r = check_exec_program(dir, "ok.sh");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, dir + "/ok.sh");
  // A symlink that stays inside the directory is fine.
  symlink("ok.sh", (dir + "/alias").c_str());
  EXPECT_EQ(error("alias"), "");
}

TEST_F(ExecCheckTest, RefusesWhatRootShouldNotRun) {
  EXPECT_NE(error("missing.sh").find("does not exist"), std::string::npos);
  script(dir + "/gw.sh", 0775);
  EXPECT_NE(error("gw.sh").find("writable by its group"), std::string::npos) << error("gw.sh");
  EXPECT_NE(error("gw.sh").find("chmod go-w"), std::string::npos);
  script(dir + "/ow.sh", 0757);
  EXPECT_NE(error("ow.sh").find("writable by others"), std::string::npos);
  script(dir + "/noexec.sh", 0644);
  EXPECT_NE(error("noexec.sh").find("not executable"), std::string::npos);
  script(dir + "/mine.sh");
  chown((dir + "/mine.sh").c_str(), 65534, 0);
  EXPECT_NE(error("mine.sh").find("not root"), std::string::npos);
  script(root + "/outside.sh");
  symlink((root + "/outside.sh").c_str(), (dir + "/escape.sh").c_str());
  EXPECT_NE(error("escape.sh").find("outside <exec_directory>"), std::string::npos)
      << error("escape.sh");
  symlink("/nonexistent", (dir + "/dangling").c_str());
  EXPECT_NE(error("dangling").find("does not exist"), std::string::npos);
  EXPECT_NE(error("../outside.sh").find("plain file name"), std::string::npos);
  chmod(dir.c_str(), 0777);
  script(dir + "/ok.sh");
  EXPECT_NE(error("ok.sh").find("<exec_directory>"), std::string::npos);
}

TEST_F(ExecCheckTest, ConfigCheckErrorsForUsedAndWarnsForUnused) {
  Config config;
  config.settings.exec_directory = dir;
  Command used{.name = "used", .executable = "missing.sh", .file = "rampart.conf", .line = 7};
  Command unused{.name = "unused", .executable = "gone.sh", .file = "rampart.conf", .line = 9};
  config.commands = {used, unused};
  ActiveResponse ar;
  ar.command = 0;
  config.responses = {ar};
  auto r = check_exec_commands(config);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("rampart.conf:7: command \"used\" cannot run: "))
      << r.error().message;
  ASSERT_EQ(config.warnings.size(), 1u);
  EXPECT_TRUE(config.warnings[0].starts_with("rampart.conf:9: command \"unused\""));
}

}  // namespace
}  // namespace rampart
