#include "metrics/histogram.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

TEST(Histogram, BoundsAreInclusive) {
  Histogram h;
  h.observe(100);
  h.observe(101);
  EXPECT_EQ(h.cumulative(0), 1u);  // le=0.0001
  EXPECT_EQ(h.cumulative(1), 2u);  // le=0.00025
  EXPECT_EQ(h.count(), 2u);
  EXPECT_EQ(h.sum_us(), 201u);
}

TEST(Histogram, WeightedObservations) {
  Histogram h;
  h.observe(3000, 65536);
  EXPECT_EQ(h.cumulative(4), 0u);  // le=0.0025
  EXPECT_EQ(h.cumulative(5), 65536u);
  EXPECT_EQ(h.cumulative(Histogram::kBoundsUs.size()), 65536u);
  EXPECT_EQ(h.sum_us(), 3000u * 65536);
}

TEST(AckTimer, EachChangeIsTimedFromTheTurnThatReadIt) {
  Histogram h;
  AckTimer t;
  t.queued(1000);
  t.queued(1000);
  t.queued(1400);
  EXPECT_FALSE(t.empty());
  t.acked(1500, h);  // 500 µs twice, 100 µs once
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.sum_us(), 1100u);
  EXPECT_EQ(h.cumulative(0), 1u);
  EXPECT_EQ(h.cumulative(2), 3u);
  t.acked(2000, h);  // nothing queued: nothing observed
  EXPECT_EQ(h.count(), 3u);
}

TEST(AckTimer, ManyTurnsBeforeOneCommitLoseNothing) {
  Histogram h;
  AckTimer t;
  for (uint64_t turn = 0; turn < 20; ++turn) t.queued(1000 + turn);
  t.acked(2000, h);
  EXPECT_EQ(h.count(), 20u);
  // Merged stamps keep the earlier time: never faster than the truth.
  EXPECT_GE(h.sum_us(), 20u * 1000 - 190);
}

}  // namespace
}  // namespace rampart
