#include "base/error.h"
#include <gtest/gtest.h>

#include <cerrno>

#include "base/log.h"

namespace rampart {
namespace {

TEST(FailErrno, AppendsTheErrnoText) {
  Result<void> r = fail_errno(ENOENT, "cannot open {}", "/etc/rampart/rampart.conf");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_EQ(r.error().message, "cannot open /etc/rampart/rampart.conf: No such file or directory");
}

TEST(FailErrno, TakesTheNegativeCodesOfSdFunctions) {
  Result<int> r = fail_errno(-EACCES, "sd_bus_request_name");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, EACCES);
  EXPECT_EQ(r.error().message, "sd_bus_request_name: Permission denied");
}

TEST(FailErrno, TheTextAlone) {
  Result<void> r = fail_errno(-ENOSPC);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOSPC);
  EXPECT_EQ(r.error().message, "No space left on device");
}

TEST(ErrnoText, EitherSign) {
  EXPECT_STREQ(errno_text(EPERM), "Operation not permitted");
  EXPECT_STREQ(errno_text(-EPERM), "Operation not permitted");
}

TEST(LogErrno, WritesTheMessageAndTheErrnoText) {
  testing::internal::CaptureStderr();
  log_warning_errno(-EAGAIN, "reading {}", "notifications");
  log_error_errno(EBADF, "closing");
  std::string written = testing::internal::GetCapturedStderr();
  EXPECT_EQ(written,
            "warning: reading notifications: Resource temporarily unavailable\n"
            "error: closing: Bad file descriptor\n");
}

}  // namespace
}  // namespace rampart
