#include "metrics/histogram.h"
#include <algorithm>

namespace rampart {

void Histogram::observe(uint64_t us, uint64_t n) {
  size_t i = std::lower_bound(kBoundsUs.begin(), kBoundsUs.end(), us) - kBoundsUs.begin();
  buckets_[i] += n;
  count_ += n;
  sum_us_ += us * n;
}

uint64_t Histogram::cumulative(size_t i) const {
  uint64_t total = 0;
  for (size_t k = 0; k <= i && k < buckets_.size(); ++k) total += buckets_[k];
  return total;
}

void AckTimer::queued(uint64_t read_us) {
  if (stamps_used_ > 0 && stamps_[stamps_used_ - 1].read_us == read_us) {
    ++stamps_[stamps_used_ - 1].n;
    return;
  }
  if (stamps_used_ == stamps_.size()) {
    // More turns than slots without a commit (not seen in practice): the oldest two merge,
    // keeping the earlier time, so no observation is lost and none looks faster than it was.
    stamps_[0].n += stamps_[1].n;
    std::copy(stamps_.begin() + 2, stamps_.end(), stamps_.begin() + 1);
    --stamps_used_;
  }
  stamps_[stamps_used_++] = {read_us, 1};
}

void AckTimer::acked(uint64_t acked_us, Histogram& histogram) {
  for (size_t i = 0; i < stamps_used_; ++i) {
    const Stamp& s = stamps_[i];
    histogram.observe(acked_us > s.read_us ? acked_us - s.read_us : 0, s.n);
  }
  stamps_used_ = 0;
}

}  // namespace rampart
