// Helpers for the config parser's tests (config_*_test.cc): documents around a body, and
// parsing that expects success or an error.
#pragma once

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "config/config.h"
namespace rampart::config_test {

namespace fs = std::filesystem;

// The source tree: $RAMPART_SOURCE_ROOT, else found from this file's path as the compiler saw
// it (relative to the build directory, where the test binary lives).
inline fs::path source_root() {
  if (const char* env = std::getenv("RAMPART_SOURCE_ROOT")) return env;
  fs::path file = __FILE__;
  if (file.is_relative()) file = fs::read_symlink("/proc/self/exe").parent_path() / file;
  return fs::weakly_canonical(file).parent_path().parent_path().parent_path();
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One <ossec_config> around `body`, which then starts on line 2.
inline std::string conf(std::string_view body) {
  return fmt::format("<ossec_config>\n{}</ossec_config>\n", body);
}

inline constexpr std::string_view kFirewallDrop =
    "<command><name>firewall-drop</name><executable>firewall-drop</executable>"
    "<timeout_allowed>yes</timeout_allowed></command>\n";

inline Config parse_ok(const std::string& text) {
  auto config = parse_config(text, "t.conf");
  EXPECT_TRUE(config) << config.error().message;
  return config ? std::move(*config) : Config{};
}

inline std::string parse_error(const std::string& text) {
  auto config = parse_config(text, "t.conf");
  EXPECT_FALSE(config) << "expected an error";
  if (config) return {};
  EXPECT_EQ(config.error().code, EINVAL);
  return config.error().message;
}

// A response bound to firewall-drop (line 2) with `inner` as its body, on line 3.
inline std::string with_response(std::string_view inner) {
  return conf(fmt::format("{}<active-response>{}</active-response>\n", kFirewallDrop, inner));
}

inline Address addr(std::string_view text) {
  return *Address::parse(text);
}

}  // namespace rampart::config_test
