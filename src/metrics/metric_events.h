// What the enforcer's counters do not break down, gathered from its events: backend failures
// by backend, and the time from the loop turn that read an alert to the kernel's
// acknowledgement of the batch that carried its block.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/events.h"
#include "metrics/histogram.h"
#include "metrics/metric_set.h"
namespace rampart {

class MetricEvents final : public EventSink {
 public:
  static constexpr std::string_view kFailuresHelp =
      "Blocks a backend could not apply (they leave the table), by backend.";

  // `kernel_backend`: the backend whose batches the kernel acknowledges before apply()
  // returns ("nftables"; "" when there is none). `turn_us`: when the current loop turn began
  // (sd_event_now), which is when its alerts were read.
  MetricEvents(std::string kernel_backend, std::function<uint64_t()> turn_us)
      : kernel_backend_(std::move(kernel_backend)), turn_us_(std::move(turn_us)) {}
  void set_kernel_backend(std::string name) { kernel_backend_ = std::move(name); }

  void emit(const Event& e) override;
  // The backends have been handed everything decided so far; the kernel has answered.
  void committed(uint64_t now_us) {
    if (!ack_.empty()) ack_.acked(now_us, latency_);
  }

  // rampart_backend_failures_total{backend} and rampart_alert_to_kernel_seconds.
  void collect(MetricSet& m) const;
  const Histogram& latency() const { return latency_; }

 private:
  std::string kernel_backend_;
  std::function<uint64_t()> turn_us_;
  AckTimer ack_;
  Histogram latency_;
  std::vector<std::pair<std::string, uint64_t>> failures_;  // a few backends at most
};

}  // namespace rampart
