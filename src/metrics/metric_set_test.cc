#include "metrics/metric_set.h"
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace rampart {
namespace {

TEST(MetricSet, CounterAndGaugeWithHelpAndType) {
  MetricSet m;
  m.counter("rampart_nft_batches_total", "Transactions sent to nftables.", 42);
  m.gauge("rampart_state_log_bytes", "Size of the state log.", 1.5);
  EXPECT_EQ(m.exposition(),
            "# HELP rampart_nft_batches_total Transactions sent to nftables.\n"
            "# TYPE rampart_nft_batches_total counter\n"
            "rampart_nft_batches_total 42\n"
            "# HELP rampart_state_log_bytes Size of the state log.\n"
            "# TYPE rampart_state_log_bytes gauge\n"
            "rampart_state_log_bytes 1.5\n");
}

TEST(MetricSet, SamplesOfOneFamilyArePrintedTogetherWhateverTheOrder) {
  MetricSet m;
  m.counter("rampart_blocks_total", "Block events.", 1, {{"event", "blocked"}});
  m.counter("rampart_commits_total", "Commits.", 7);
  m.counter("rampart_blocks_total", "ignored: the first HELP counts", 2, {{"event", "expired"}});
  EXPECT_EQ(m.exposition(),
            "# HELP rampart_blocks_total Block events.\n"
            "# TYPE rampart_blocks_total counter\n"
            "rampart_blocks_total{event=\"blocked\"} 1\n"
            "rampart_blocks_total{event=\"expired\"} 2\n"
            "# HELP rampart_commits_total Commits.\n"
            "# TYPE rampart_commits_total counter\n"
            "rampart_commits_total 7\n");
}

TEST(MetricSet, EqualLabelsAddUp) {
  MetricSet m;
  // firewall-drop and firewalld-drop both go to firewalld when it is the firewall backend.
  m.gauge("rampart_blocks_active", "Blocks.", 3, {{"backend", "firewalld"}, {"family", "ipv4"}});
  m.gauge("rampart_blocks_active", "Blocks.", 4, {{"backend", "firewalld"}, {"family", "ipv4"}});
  m.gauge("rampart_blocks_active", "Blocks.", 1, {{"backend", "firewalld"}, {"family", "ipv6"}});
  EXPECT_EQ(m.value("rampart_blocks_active", {{"backend", "firewalld"}, {"family", "ipv4"}}), 7);
  EXPECT_EQ(m.value("rampart_blocks_active", {{"backend", "firewalld"}, {"family", "ipv6"}}), 1);
  EXPECT_EQ(m.value("rampart_blocks_active", {{"backend", "exec"}, {"family", "ipv6"}}), -1);
}

TEST(MetricSet, EscapesHelpAndLabelValues) {
  MetricSet m;
  m.counter("rampart_x_total", "a \\ and a\nnewline", 1, {{"path", "C:\\x \"y\"\nz"}});
  EXPECT_EQ(m.exposition(),
            "# HELP rampart_x_total a \\\\ and a\\nnewline\n"
            "# TYPE rampart_x_total counter\n"
            "rampart_x_total{path=\"C:\\\\x \\\"y\\\"\\nz\"} 1\n");
}

TEST(MetricSet, LargeCountersStayExactIntegers) {
  MetricSet m;
  m.counter("rampart_nft_elements_total", "Elements.", 1000000);
  m.counter("rampart_alerts_total", "Alerts.", 4503599627370497ull);
  std::string text = m.exposition();
  EXPECT_NE(text.find("rampart_nft_elements_total 1000000\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rampart_alerts_total 4503599627370497\n"), std::string::npos) << text;
}

TEST(MetricSet, StatsLineKeepsItsKeysAndOrder) {
  MetricSet m;
  m.stat("active", 3);
  m.counter("rampart_blocks_total", "Block events.", 5, {{"event", "blocked"}}, "blocked");
  m.counter("rampart_blocks_total", "Block events.", 2, {{"event", "expired"}}, "expired");
  m.counter("rampart_metrics_only_total", "Not in the stats line.", 9);
  EXPECT_EQ(m.stats_line(), "active=3 blocked=5 expired=2");
}

TEST(MetricSet, HistogramBucketsAreCumulativeInSeconds) {
  Histogram h;
  h.observe(80);        // <= 100 µs
  h.observe(700, 2);    // <= 1 ms
  h.observe(20000000);  // beyond 10 s: +Inf only
  MetricSet m;
  m.histogram("rampart_alert_to_kernel_seconds", "Alert read to kernel ack.", h);
  std::string text = m.exposition();
  EXPECT_NE(text.find("# TYPE rampart_alert_to_kernel_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_bucket{le=\"0.0001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_bucket{le=\"0.0005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_bucket{le=\"0.001\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_bucket{le=\"10\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_bucket{le=\"+Inf\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_sum 20.00148\n"), std::string::npos) << text;
  EXPECT_NE(text.find("rampart_alert_to_kernel_seconds_count 4\n"), std::string::npos);
}

// A set shaped like the daemon's: every kind of family, labels, a histogram.
MetricSet daemon_like() {
  MetricSet m;
  m.counter("rampart_alerts_total", "Alerts read and parsed, by format.", 10,
            {{"format", "wazuh-json"}});
  m.counter("rampart_alerts_rejected_total", "Alert lines that could not be parsed.", 1);
  m.gauge("rampart_blocks_active", "Active blocks, by backend and address family.", 3,
          {{"backend", "nftables"}, {"family", "ipv4"}});
  for (const char* event : {"blocked", "refreshed", "expired", "unblocked", "skipped", "refused"})
    m.counter("rampart_blocks_total", "Block events, by event.", 1, {{"event", event}});
  m.counter("rampart_exec_runs_total", "Finished script runs, by result.", 2, {{"result", "ok"}});
  m.gauge("rampart_build_info", "rampartd's version; always 1.", 1, {{"version", "0.1.0"}});
  Histogram h;
  h.observe(300, 5);
  m.histogram("rampart_alert_to_kernel_seconds",
              "Time from the loop turn that read an alert to the kernel's ack of its batch.", h);
  return m;
}

// What Prometheus' own checker says about the text: Debian's promtool (package prometheus,
// scripts/deps test). Missing promtool fails: the check is part of the suite.
TEST(MetricSet, PromtoolAcceptsTheExposition) {
  char path[] = "/tmp/rampart-metrics-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = daemon_like().exposition();
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  std::string cmd = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  unlink(path);
  ASSERT_NE(WEXITSTATUS(status), 127)
      << "promtool is missing: apt-get install prometheus (scripts/deps test)";
  EXPECT_EQ(status, 0) << out << "\n" << text;
  EXPECT_EQ(out, "") << "promtool's lint found problems:\n" << out;
}

}  // namespace
}  // namespace rampart
