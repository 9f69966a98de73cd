// A Prometheus histogram of durations with fixed buckets: observing is an index search and two
// additions, so it can sit on the path of every block without costing the flood anything.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace rampart {

class Histogram {
 public:
  // Upper bounds in microseconds, from 100 µs (an idle daemon's alert → kernel) to 10 s (a
  // million-element transaction on a loaded machine). Everything slower lands in +Inf.
  static constexpr std::array<uint64_t, 16> kBoundsUs{
      100,   250,    500,    1000,   2500,    5000,    10000,   25000,
      50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

  // `n` observations of `us` microseconds each (a batch acknowledges many blocks at once).
  void observe(uint64_t us, uint64_t n = 1);

  // Observations at most kBoundsUs[i] (cumulative, as the exposition prints them); i ==
  // kBoundsUs.size() is +Inf, the count of all.
  uint64_t cumulative(size_t i) const;
  uint64_t count() const { return count_; }
  uint64_t sum_us() const { return sum_us_; }

 private:
  std::array<uint64_t, kBoundsUs.size() + 1> buckets_{};  // per bucket, not cumulative
  uint64_t count_ = 0;
  uint64_t sum_us_ = 0;
};

// The time from the loop turn that read an alert to the kernel's acknowledgement of the batch
// that carried its block. The daemon stamps each change as it is queued and hands the batch's
// acknowledgement time over once the backend has answered.
class AckTimer {
 public:
  // One more change queued, decided in the loop turn that started at `read_us`.
  void queued(uint64_t read_us);
  // Everything queued so far was acknowledged at `acked_us`: into `histogram`.
  void acked(uint64_t acked_us, Histogram& histogram);
  bool empty() const { return stamps_used_ == 0; }

 private:
  // A turn reads many alerts with one timestamp, and a batch rarely spans more than a few
  // turns: a handful of (time, count) pairs, not one per alert.
  struct Stamp {
    uint64_t read_us = 0;
    uint64_t n = 0;
  };
  std::array<Stamp, 8> stamps_{};
  size_t stamps_used_ = 0;
};

}  // namespace rampart
