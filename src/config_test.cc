#include "config.h"

#include <gtest/gtest.h>

namespace rampart {
TEST(Config, Default) {
  auto c = parse_config(kDefaultConfigText, "x");
  ASSERT_TRUE(c) << c.error().message;
}
}  // namespace rampart
