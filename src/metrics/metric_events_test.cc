#include "metrics/metric_events.h"
#include <gtest/gtest.h>

namespace rampart {
namespace {

TEST(MetricEvents, TimesBlocksOfTheKernelBackendFromTheirTurnToTheAck) {
  uint64_t turn = 1000;
  MetricEvents m("nftables", [&] { return turn; });
  m.emit(Event{.type = EventType::Blocked, .backend = "nftables"});
  m.emit(Event{.type = EventType::Refreshed, .backend = "nftables"});
  m.emit(Event{.type = EventType::Blocked, .backend = "exec"});  // no kernel ack to wait for
  m.emit(Event{.type = EventType::Skipped, .backend = "nftables"});
  turn = 2000;
  m.emit(Event{.type = EventType::Blocked, .backend = "nftables"});
  m.committed(2300);
  EXPECT_EQ(m.latency().count(), 3u);
  EXPECT_EQ(m.latency().sum_us(), 1300u + 1300u + 300u);
  m.committed(5000);  // nothing new: nothing observed
  EXPECT_EQ(m.latency().count(), 3u);
}

TEST(MetricEvents, BackendFailuresByBackend) {
  MetricEvents m("", [] { return uint64_t{0}; });
  m.emit(Event{.type = EventType::BackendFailure, .backend = "exec"});
  m.emit(Event{.type = EventType::BackendFailure, .backend = "firewalld"});
  m.emit(Event{.type = EventType::BackendFailure, .backend = "exec"});
  MetricSet set;
  m.collect(set);
  EXPECT_EQ(set.value("rampart_backend_failures_total", {{"backend", "exec"}}), 2);
  EXPECT_EQ(set.value("rampart_backend_failures_total", {{"backend", "firewalld"}}), 1);
  EXPECT_EQ(set.exposition().find("rampart_alert_to_kernel_seconds"), std::string::npos)
      << "no kernel backend, no histogram";
}

}  // namespace
}  // namespace rampart
