// A background flood for the latency drivers: `rate` alerts per second of new addresses in
// `range`, from a connection of its own, sent every millisecond on an absolute schedule so
// that a late tick catches up instead of lowering the rate.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>

#include "alert_line.h"
#include "nft_notify.h"

namespace rampart::bench {

class SteadyLoad {
 public:
  SteadyLoad(const char* socket_path, uint32_t rate, uint32_t range) : start_(Clock::now()) {
    if (rate == 0) return;
    int fd = connect_unix(socket_path);
    thread_ = std::thread([this, fd, rate, range] {
      std::string buf;
      uint64_t sent = 0;
      while (!stop_.load(std::memory_order_relaxed)) {
        double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        uint64_t due = uint64_t(elapsed * rate);
        buf.clear();
        for (; sent < due; ++sent) append_wazuh_alert(buf, bench_address(range, uint32_t(sent)));
        if (!buf.empty() && !write_all(fd, buf)) break;
        sent_.store(sent, std::memory_order_relaxed);
        std::this_thread::sleep_until(start_ +
                                      std::chrono::microseconds(uint64_t((elapsed + 0.001) * 1e6)));
      }
      close(fd);
    });
  }
  ~SteadyLoad() { stop(); }

  // Stops the flood: how many alerts it sent, in how many seconds.
  std::pair<uint64_t, double> stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return {sent_.load(), std::chrono::duration<double>(Clock::now() - start_).count()};
  }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::thread thread_;
};

}  // namespace rampart::bench
