#include "metrics/metric_events.h"

namespace rampart {

void MetricEvents::emit(const Event& e) {
  switch (e.type) {
    case EventType::Blocked:
    case EventType::Refreshed:
      // Each new or extended block queues one change for its backend's next batch.
      if (!kernel_backend_.empty() && e.backend == kernel_backend_) ack_.queued(turn_us_());
      break;
    case EventType::BackendFailure: {
      for (auto& [backend, n] : failures_)
        if (backend == e.backend) {
          ++n;
          return;
        }
      failures_.emplace_back(std::string(e.backend), 1);
      break;
    }
    default:
      break;
  }
}

void MetricEvents::collect(MetricSet& m) const {
  for (const auto& [backend, n] : failures_)
    m.counter("rampart_backend_failures_total", kFailuresHelp, n, {{"backend", backend}});
  if (!kernel_backend_.empty())
    m.histogram("rampart_alert_to_kernel_seconds",
                "Time from the loop turn that read an alert (or a Block call) to the kernel's "
                "acknowledgement of the nftables batch that carried the block.",
                latency_);
}

}  // namespace rampart
