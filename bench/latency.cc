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
#include "base/handles_nft.h"
using namespace rampart;
using namespace rampart::bench;
using Clock = std::chrono::steady_clock;

namespace {

int connect_unix(const char* path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    std::fprintf(stderr, "latency: connect %s: %s\n", path, std::strerror(errno));
    std::exit(1);
  }
  return fd;
}

bool write_all(int fd, const std::string& s) {
  const char* p = s.data();
  size_t n = s.size();
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

// Attributes of the nest (or message payload) [begin, begin+len).
template <typename F>
void for_each_attr(const void* begin, size_t len, F f) {
  auto* a = static_cast<const nlattr*>(begin);
  int left = int(len);
  while (mnl_attr_ok(a, left)) {
    f(a);
    left -= int(MNL_ALIGN(a->nla_len));
    a = reinterpret_cast<const nlattr*>(reinterpret_cast<const char*>(a) + MNL_ALIGN(a->nla_len));
  }
}

template <typename F>
void for_each_nested(const nlattr* nest, F f) {
  for_each_attr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), f);
}

// True when the NEWSETELEM message `nlh` carries a 16-byte key equal to `want`.
bool carries(const nlmsghdr* nlh, const uint8_t want[16]) {
  if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWSETELEM ||
      (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES)
    return false;
  bool found = false;
  const char* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh));
  size_t header = MNL_ALIGN(sizeof(nfgenmsg));
  size_t len = mnl_nlmsg_get_payload_len(nlh);
  if (len < header) return false;
  for_each_attr(payload + header, len - header, [&](const nlattr* list) {
    if (mnl_attr_get_type(list) != NFTA_SET_ELEM_LIST_ELEMENTS) return;
    for_each_nested(list, [&](const nlattr* elem) {
      for_each_nested(elem, [&](const nlattr* a) {
        if (mnl_attr_get_type(a) != NFTA_SET_ELEM_KEY) return;
        for_each_nested(a, [&](const nlattr* v) {
          if (mnl_attr_get_type(v) == NFTA_DATA_VALUE && mnl_attr_get_payload_len(v) == 16 &&
              std::memcmp(mnl_attr_get_payload(v), want, 16) == 0)
            found = true;
        });
      });
    });
  });
  return found;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = size_t(p * double(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

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

  MnlSocketPtr nl(mnl_socket_open(NETLINK_NETFILTER));
  if (!nl || mnl_socket_bind(nl.get(), 1u << (NFNLGRP_NFTABLES - 1), MNL_SOCKET_AUTOPID) < 0) {
    std::perror("latency: netlink");
    return 1;
  }
  int nlfd = mnl_socket_get_fd(nl.get());
  int big = 64 << 20;
  setsockopt(nlfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);

  // Background flood: LOAD alerts per second of new addresses, sent every millisecond on an
  // absolute schedule so a late tick catches up instead of lowering the rate.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> load_sent{0};
  std::thread loader;
  auto load_start = Clock::now();
  if (load > 0) {
    int lfd = connect_unix(socket_path);
    loader = std::thread([&, lfd] {
      std::string buf;
      uint64_t sent = 0;
      auto start = Clock::now();
      while (!stop.load(std::memory_order_relaxed)) {
        double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        uint64_t due = uint64_t(elapsed * load);
        buf.clear();
        for (; sent < due; ++sent)
          append_wazuh_alert(buf, bench_address(load_range, uint32_t(sent)));
        if (!buf.empty() && !write_all(lfd, buf)) break;
        load_sent.store(sent, std::memory_order_relaxed);
        std::this_thread::sleep_until(start +
                                      std::chrono::microseconds(uint64_t((elapsed + 0.001) * 1e6)));
      }
      close(lfd);
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the flood settle
  }

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
  stop = true;
  if (loader.joinable()) loader.join();
  double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();
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
      (unsigned long long)load_sent.load(), load ? double(load_sent.load()) / load_s : 0.0);
  return lost == 0 ? 0 : 1;
}
