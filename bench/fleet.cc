// The fleet's end to end numbers for scripts/bench: alerts written to the manager's socket
// until their elements are in the kernel of every agent, seen through each agent's nftables
// notifications (a netlink socket opened in each agent's network namespace).
//
//   fleet latency SOCKET SAMPLES RANGE LOAD_PER_SEC LOAD_RANGE NETNS...
//     one alert at a time (10 ms apart) until the last agent has its element; p50/p99/max,
//     while LOAD_PER_SEC other alerts per second go to the manager (0: idle);
//   fleet flood SOCKET N RANGE NETNS...
//     N alerts as fast as the socket takes them, until every agent has all N elements.
//
// Prints one JSON object. Times are from just before the alert's first byte is written.
#include <poll.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "alert_line.h"
#include "nft_notify.h"
#include "steady_load.h"
using namespace rampart;
using namespace rampart::bench;
using Clock = std::chrono::steady_clock;

namespace {

struct Agent {
  MnlSocketPtr nl;
  uint64_t seen = 0;  // elements of the measured range
  bool found = false;
  Clock::time_point last;
};

struct Watch {
  std::vector<Agent> agents;
  std::vector<char> rx = std::vector<char>(1 << 20);
  int overruns = 0;

  explicit Watch(char** names, int count) {
    for (int i = 0; i < count; ++i) agents.push_back({nft_listener(names[i])});
  }
  // Reads what is there (waiting up to `wait_ms` for something); `on_key` sees every key.
  template <typename F>
  void read(int wait_ms, F on_key) {
    std::vector<pollfd> fds;
    for (auto& a : agents) fds.push_back({mnl_socket_get_fd(a.nl.get()), POLLIN, 0});
    if (poll(fds.data(), fds.size(), wait_ms) <= 0) return;
    for (size_t i = 0; i < agents.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      ssize_t n = recv(fds[i].fd, rx.data(), rx.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == ENOBUFS) ++overruns;
        continue;
      }
      int len = int(n);
      for (auto* nlh = reinterpret_cast<const nlmsghdr*>(rx.data()); mnl_nlmsg_ok(nlh, len);
           nlh = mnl_nlmsg_next(nlh, &len))
        for_each_key16(nlh, [&](const uint8_t* key) { on_key(agents[i], key); });
    }
  }
};

double since(Clock::time_point t0, Clock::time_point t) {
  return std::chrono::duration<double, std::micro>(t - t0).count();
}

int latency(const char* socket_path, int samples, uint32_t range, uint32_t load,
            uint32_t load_range, Watch& w) {
  SteadyLoad loader(socket_path, load, load_range);
  if (load > 0) std::this_thread::sleep_for(std::chrono::seconds(1));  // let it settle
  int fd = connect_unix(socket_path);
  std::vector<double> us;
  int lost = 0;
  for (int i = 0; i < samples; ++i) {
    uint8_t want[16];
    bench_address_bytes(range, uint32_t(i), want);
    std::string line;
    append_wazuh_alert(line, bench_address(range, uint32_t(i)));
    for (auto& a : w.agents) a.found = false;
    size_t missing = w.agents.size();
    auto t0 = Clock::now();
    if (!write_all(fd, line)) return 1;
    auto deadline = t0 + std::chrono::seconds(10);
    while (missing > 0 && Clock::now() < deadline)
      w.read(10, [&](Agent& a, const uint8_t* key) {
        if (a.found || std::memcmp(key, want, 16) != 0) return;
        a.found = true;
        --missing;
      });
    if (missing == 0)
      us.push_back(since(t0, Clock::now()));
    else
      ++lost;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto [load_sent, load_s] = loader.stop();
  close(fd);
  std::printf(
      "{\"samples\": %d, \"measured\": %zu, \"lost\": %d, \"overruns\": %d, \"p50_ms\": %.2f, "
      "\"p90_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f, \"load_per_s\": %.0f}\n",
      samples, us.size(), lost, w.overruns, percentile(us, 0.5) / 1e3, percentile(us, 0.9) / 1e3,
      percentile(us, 0.99) / 1e3, us.empty() ? 0.0 : *std::max_element(us.begin(), us.end()) / 1e3,
      load ? double(load_sent) / load_s : 0.0);
  return lost == 0 ? 0 : 1;
}

int flood(const char* socket_path, uint32_t n, uint32_t range, Watch& w) {
  std::string data;
  for (uint32_t i = 0; i < n; ++i) append_wazuh_alert(data, bench_address(range, i));
  uint8_t prefix[16];
  bench_address_bytes(range, 0, prefix);
  int fd = connect_unix(socket_path);
  auto t0 = Clock::now();
  double write_us = 0;
  std::thread writer([&] {
    write_all(fd, data);
    write_us = since(t0, Clock::now());
    close(fd);
  });
  size_t done = 0;
  auto deadline = t0 + std::chrono::seconds(300);
  while (done < w.agents.size() && Clock::now() < deadline)
    w.read(100, [&](Agent& a, const uint8_t* key) {
      if (std::memcmp(key, prefix, 6) != 0 || a.seen >= n) return;
      if (++a.seen == n) {
        a.last = Clock::now();
        ++done;
      }
    });
  writer.join();
  double total_us = 0;
  std::string per_agent;
  for (auto& a : w.agents) {
    double s = a.seen == n ? since(t0, a.last) / 1e6 : -1;
    total_us = std::max(total_us, s * 1e6);
    per_agent += (per_agent.empty() ? "" : ", ") + std::to_string(s);
  }
  bool complete = done == w.agents.size();
  std::printf(
      "{\"n\": %u, \"complete\": %s, \"overruns\": %d, \"write_s\": %.3f, \"total_s\": %.3f, "
      "\"agents_s\": [%s], \"orders_per_s\": %.0f}\n",
      n, complete ? "true" : "false", w.overruns, write_us / 1e6, total_us / 1e6, per_agent.c_str(),
      complete ? n / (total_us / 1e6) : 0.0);
  return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "latency" && argc > 7) {
    Watch w(argv + 7, argc - 7);
    return latency(argv[2], std::atoi(argv[3]), uint32_t(std::strtoul(argv[4], nullptr, 0)),
                   uint32_t(std::strtoul(argv[5], nullptr, 10)),
                   uint32_t(std::strtoul(argv[6], nullptr, 0)), w);
  }
  if (mode == "flood" && argc > 5) {
    Watch w(argv + 5, argc - 5);
    return flood(argv[2], uint32_t(std::strtoul(argv[3], nullptr, 10)),
                 uint32_t(std::strtoul(argv[4], nullptr, 0)), w);
  }
  std::fprintf(stderr,
               "usage: %s latency SOCKET SAMPLES RANGE LOAD_PER_SEC LOAD_RANGE NETNS...\n"
               "       %s flood SOCKET N RANGE NETNS...\n",
               argv[0], argv[0]);
  return 2;
}
