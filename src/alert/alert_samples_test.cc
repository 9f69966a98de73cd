// The sample alert files in tests/data/alerts, one per format, parse line by line.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "alert/alert.h"
namespace rampart {
namespace {

// The sample files double as fuzz seeds. They are found through RAMPART_SOURCE_ROOT or, since
// the unit-test loop passes no such variable, relative to this file as the compiler saw it.
std::filesystem::path data_dir() {
  namespace fs = std::filesystem;
  if (const char* root = std::getenv("RAMPART_SOURCE_ROOT"))
    return fs::path(root) / "tests/data/alerts";
  std::error_code ec;
  fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  fs::path source = fs::path(__FILE__);
  if (source.is_relative()) source = exe_dir / source;
  return source.parent_path().parent_path().parent_path() / "tests/data/alerts";
}

TEST(AlertSamples, EveryLineOfEveryFormatParses) {
  AlertParser parser;
  struct File {
    const char* name;
    AlertFormat format;
  } files[] = {
      {"wazuh.jsonl", AlertFormat::WazuhJson},
      {"ossec.jsonl", AlertFormat::OssecJson},
      {"syslog-default.log", AlertFormat::SyslogDefault},
      {"syslog-json.log", AlertFormat::SyslogJson},
      {"syslog-splunk.log", AlertFormat::SyslogSplunk},
  };
  for (const auto& file : files) {
    std::ifstream in(data_dir() / file.name);
    ASSERT_TRUE(in) << "cannot open " << (data_dir() / file.name);
    std::string line;
    int count = 0;
    while (std::getline(in, line)) {
      Alert a;
      auto r = parser.parse(line, a);
      ASSERT_TRUE(r) << file.name << ":" << count + 1 << ": " << r.error().message;
      EXPECT_EQ(a.format, file.format) << file.name << ":" << count + 1;
      EXPECT_TRUE(a.rule_id) << file.name << ":" << count + 1;
      EXPECT_GT(a.level, 0) << file.name << ":" << count + 1;
      EXPECT_FALSE(a.description.empty()) << file.name << ":" << count + 1;
      EXPECT_TRUE(a.groups.empty() || a.groups.back() == ',') << file.name << ":" << count + 1;
      EXPECT_TRUE(a.srcip.empty() || a.address) << file.name << ":" << count + 1;
      ++count;
    }
    EXPECT_GE(count, 4) << file.name;
  }
}

}  // namespace
}  // namespace rampart
