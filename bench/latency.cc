// Latency of one alert: from writing its line to rampartd's socket until the kernel announces
// the element (an NFT_MSG_NEWSETELEM notification on NFNLGRP_NFTABLES, sent when the
// transaction commits). Optionally under a background flood of distinct-address alerts from a
// second connection. Run it in rampartd's network namespace.
//
//   latency SOCKET SAMPLES RANGE [LOAD_PER_SEC LOAD_RANGE]
//
// Prints one JSON object with p50/p90/p99/max in microseconds and the load actually sent.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "alert_line.h"
#include "nft_notify.h"
#include "steady_load.h"
using namespace rampart;
using namespace rampart::bench;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  if (argc != 4 && argc != 6) {
    std::fprintf(stderr, "usage: %s SOCKET SAMPLES RANGE [LOAD_PER_SEC LOAD_RANGE]\n", argv[0]);
    return 2;
  }
  const char* socket_path = argv[1];
  int samples = std::atoi(argv[2]);
  uint32_t range = uint32_t(std::strtoul(argv[3], nullptr, 0));
  uint32_t load = argc == 6 ? uint32_t(std::strtoul(argv[4], nullptr, 10)) : 0;
  uint32_t load_range = argc == 6 ? uint32_t(std::strtoul(argv[5], nullptr, 0)) : 0;

  MnlSocketPtr nl = nft_listener();
  int nlfd = mnl_socket_get_fd(nl.get());

  SteadyLoad loader(socket_path, load, load_range);
  if (load > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let it settle

  int fd = connect_unix(socket_path);
  std::vector<double> us;
  int lost = 0, overruns = 0;
  std::vector<char> rx(1 << 20);
  auto sampling_start = Clock::now();
  for (int i = 0; i < samples; ++i) {
    uint8_t want[16];
    std::string addr = bench_address(range, uint32_t(i));
    bench_address_bytes(range, uint32_t(i), want);
    std::string line;
    append_wazuh_alert(line, addr);
    auto t0 = Clock::now();
    if (!write_all(fd, line)) {
      std::perror("latency: write");
      return 1;
    }
    bool found = false;
    auto deadline = t0 + std::chrono::seconds(2);
    while (!found) {
      auto now = Clock::now();
      if (now >= deadline) break;
      pollfd p{nlfd, POLLIN, 0};
      int wait_ms =
          int(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
      if (poll(&p, 1, wait_ms) <= 0) continue;
      ssize_t n = recv(nlfd, rx.data(), rx.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ENOBUFS) ++overruns;  // notifications lost; keep waiting for ours
        continue;
      }
      int len = int(n);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(rx.data()); mnl_nlmsg_ok(nlh, len);
           nlh = mnl_nlmsg_next(nlh, &len))
        if (carries(nlh, want)) found = true;
      if (found) us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    if (!found) ++lost;
    // Single alerts, not a burst: let the daemon go idle between samples.
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  double sampling_s = std::chrono::duration<double>(Clock::now() - sampling_start).count();
  auto [load_sent, load_s] = loader.stop();
  close(fd);

  double mean = 0;
  for (double v : us) mean += v;
  if (!us.empty()) mean /= double(us.size());
  std::printf(
      "{\"samples\": %zu, \"lost\": %d, \"overruns\": %d, \"p50_us\": %.1f, \"p90_us\": %.1f, "
      "\"p99_us\": %.1f, \"max_us\": %.1f, \"mean_us\": %.1f, \"sampling_s\": %.3f, "
      "\"load_sent\": %llu, \"load_per_s\": %.0f}\n",
      us.size(), lost, overruns, percentile(us, 0.5), percentile(us, 0.9), percentile(us, 0.99),
      us.empty() ? 0.0 : *std::max_element(us.begin(), us.end()), mean, sampling_s,
      (unsigned long long)load_sent, load ? double(load_sent) / load_s : 0.0);
  return lost == 0 ? 0 : 1;
}
