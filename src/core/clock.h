// Time, behind a seam so the core's tests can move it.
#pragma once

#include <time.h>

#include <cstdint>

namespace rampart {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t monotonic_us() const = 0;
  virtual uint64_t realtime_us() const = 0;

  // Converts a CLOCK_MONOTONIC deadline to CLOCK_REALTIME for people and D-Bus.
  uint64_t to_realtime(uint64_t monotonic) const {
    if (monotonic == 0) return 0;
    uint64_t now = monotonic_us();
    return realtime_us() + (monotonic > now ? monotonic - now : 0);
  }
};

class SystemClock final : public Clock {
 public:
  uint64_t monotonic_us() const override { return read(CLOCK_MONOTONIC); }
  uint64_t realtime_us() const override { return read(CLOCK_REALTIME); }

 private:
  static uint64_t read(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
  }
};

}  // namespace rampart
