#include "fleet/fleet_link.h"
#include <gtest/gtest.h>

#include "fleet/order_codec.h"

namespace rampart {
namespace {

TEST(FleetLink, BatchesFitTheStreamAndTheServer) {
  EXPECT_EQ(batch_bytes_for(0, 0), kMaxBatchBytes) << "no limit known";
  EXPECT_EQ(batch_bytes_for(kMaxBatchBytes + kMessageHeaderRoom, 1 << 20), kMaxBatchBytes)
      << "a stream made by this rampartd, NATS's default max_payload";
  EXPECT_EQ(batch_bytes_for(kMaxOrderBytes + 4096, 1 << 20), kMaxOrderBytes)
      << "a stream made by a rampartd that sent 64 KiB messages";
  EXPECT_EQ(batch_bytes_for(-1, 256 * 1024), 256 * 1024 - kMessageHeaderRoom)
      << "a server with a smaller max_payload";
  EXPECT_EQ(batch_bytes_for(1000, 1000), kMaxOrderBytes) << "one order must always fit";
}

}  // namespace
}  // namespace rampart
