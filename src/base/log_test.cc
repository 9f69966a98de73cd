#include "base/log.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

TEST(Log, LevelNamesAreSyslogs) {
  EXPECT_EQ(log_level_name(LogLevel::Error), "err");
  EXPECT_EQ(log_level_name(LogLevel::Debug), "debug");
  EXPECT_EQ(log_level_from_name("warning"), LogLevel::Warning);
  EXPECT_EQ(log_level_from_name("emerg"), LogLevel::Emergency);
  EXPECT_EQ(log_level_from_name("error"), std::nullopt) << "syslog says err";
  EXPECT_EQ(log_level_from_name("DEBUG"), std::nullopt);
  EXPECT_EQ(log_target_from_name("console"), LogTarget::Console);
  EXPECT_EQ(log_target_name(LogTarget::Auto), "auto");
  EXPECT_EQ(log_target_from_name("kmsg"), std::nullopt) << "rampartd writes to stderr only";
}

TEST(Log, TheMaximumLevelAndTheNullTargetDecideWhatIsWritten) {
  log_set_max_level(LogLevel::Info);
  EXPECT_TRUE(log_enabled(LogLevel::Info));
  EXPECT_FALSE(log_enabled(LogLevel::Debug));
  log_set_max_level(LogLevel::Debug);
  EXPECT_TRUE(log_enabled(LogLevel::Debug));
  log_set_target(LogTarget::Null);
  EXPECT_FALSE(log_enabled(LogLevel::Error));
  log_set_target(LogTarget::Auto);
  log_set_max_level(LogLevel::Info);
}

}  // namespace
}  // namespace rampart
