// Hostile and silly input against a running rampartd: a large stream of junk, of huge lines and
// of valid alerts with random addresses over the alert socket (memory stays bounded, the loop
// keeps answering), and a config with 10,000 <active-response> blocks.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "harness.h"

namespace rampart::test {
namespace {

// Total bytes of the flood: 1 GiB (40% junk, 40% huge lines, 20% valid alerts), about 20 s on a
// busy 2-core machine. RAMPART_HOSTILE_MIB makes it smaller (the ASan run uses 256).
size_t flood_bytes() {
  const char* env = getenv("RAMPART_HOSTILE_MIB");
  size_t mib = env ? std::strtoull(env, nullptr, 10) : 1024;
  return std::max<size_t>(mib, 5) << 20;
}

// Under ASan the RSS says more about its quarantine and shadow memory than about rampartd.
bool sanitized() {
  return getenv("RAMPART_SANITIZED") != nullptr;
}

uint64_t rss_kib(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10);
  return 0;
}

int connect_to(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n <= 0) return false;
    data.remove_prefix(size_t(n));
  }
  return true;
}

class HostileTest : public RampartTest {};

TEST_F(HostileTest, FloodKeepsMemoryBoundedAndTheLoopServing) {
  ASSERT_EQ(daemon.start(kDrop), "");
  // Steady state: the daemon after some ordinary work.
  std::vector<std::string> warm;
  for (int i = 0; i < 2000; ++i)
    warm.push_back(wazuh_alert(fmt::format("2001:db8:ffff::{:x}", i + 1)));
  ASSERT_TRUE(daemon.send(warm));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("blocked") == 2000u; })) << daemon.log();
  uint64_t steady = rss_kib(daemon.pid());
  ASSERT_GT(steady, 0u);

  const size_t total = flood_bytes();
  std::atomic<bool> done{false};
  std::atomic<size_t> sent{0};
  std::atomic<uint64_t> valid{0};
  std::thread writer([&] {
    std::mt19937_64 rng(9);
    int fd = connect_to(daemon.socket_path());
    if (fd < 0) return done.store(true);
    std::string chunk;
    // Junk: random bytes with occasional newlines.
    while (sent < total * 2 / 5) {
      chunk.resize(1 << 20);
      for (auto& c : chunk) c = static_cast<char>(rng() % 96 == 0 ? '\n' : rng() & 0xff);
      if (!write_all(fd, chunk)) break;
      sent += chunk.size();
    }
    // Huge lines: 1 MiB without a newline, then one.
    while (sent < total * 4 / 5) {
      chunk.assign(1 << 20, 'A');
      chunk.back() = '\n';
      if (!write_all(fd, chunk)) break;
      sent += chunk.size();
    }
    // Valid alerts with random addresses (IPv6 so they cannot hit a never-block range), out
    // of 65,536 so the block table reaches a steady size and the rest are refreshes.
    while (sent < total) {
      chunk.clear();
      while (chunk.size() < (1 << 20)) {
        chunk += wazuh_alert(fmt::format("2001:db8:1:2::{:x}", rng() & 0xffff));
        chunk += '\n';
        ++valid;
      }
      if (!write_all(fd, chunk)) break;
      sent += chunk.size();
    }
    close(fd);
    done = true;
  });

  uint64_t peak = steady;
  int answered = 0, asked = 0;
  auto t0 = std::chrono::steady_clock::now();
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    peak = std::max(peak, rss_kib(daemon.pid()));
    // The loop keeps serving while the flood goes on: a stats request is answered.
    if (++asked % 2 == 0 && daemon.stat("alerts_received")) ++answered;
  }
  writer.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_GE(sent.load(), total) << "the daemon stopped reading";
  // Every valid alert is decided: blocked (new) or refreshed/unchanged (a repeat).
  ASSERT_TRUE(wait_until([&] { return daemon.stat("responses") >= 2000 + valid; },
                         std::chrono::seconds(60)))
      << daemon.stat("responses").value_or(0) << " of " << 2000 + valid;
  uint64_t blocked = daemon.stat("blocked").value_or(0);
  // n random draws out of 65,536 hit 65,536 * (1 - e^(-n/65,536)) distinct addresses.
  double distinct = 65536.0 * (1 - std::exp(-double(valid) / 65536.0));
  EXPECT_NEAR(double(blocked - 2000), distinct, distinct * 0.02 + 100);
  peak = std::max(peak, rss_kib(daemon.pid()));
  fmt::print(
      "flood: {} MiB in {:.1f} s ({:.1f} MiB/s), {} valid alerts; RSS steady {} KiB, peak "
      "{} KiB (+{} KiB); {} of {} stats requests answered during the flood\n",
      total >> 20, secs, double(total >> 20) / secs, valid.load(), steady, peak, peak - steady,
      answered, asked / 2);
  if (!sanitized()) {
    EXPECT_LT(peak - steady, 64u * 1024) << "RSS grew by more than 64 MiB";
  }
  EXPECT_EQ(answered, asked / 2) << "the loop stopped serving during the flood";
  EXPECT_GT(daemon.stat("alerts_rejected").value_or(0), 1000u) << "rejected lines are counted";
  // Still alive and still blocking.
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.99")}));
  EXPECT_TRUE(wait_until([&] {
    auto s = list_set(daemon.table(), "blocked4");
    return s && !s->empty();
  }));
  EXPECT_TRUE(daemon.running());
}

TEST(HostileConfig, TenThousandActiveResponsesLoadQuickly) {
  const char* exe = getenv("RAMPARTD");
  ASSERT_TRUE(exe);
  TempDir dir;
  std::string body = "<ossec_config>" + kDrop;
  for (int i = 0; i < 10000; ++i)
    body += fmt::format(
        "<active-response><command>firewall-drop</command><location>local</location>"
        "<rules_id>{}</rules_id><timeout>{}</timeout></active-response>\n",
        100000 + i, 60 + i % 600);
  body += "</ossec_config>";
  dir.write("big.conf", body);
  auto t0 = std::chrono::steady_clock::now();
  int status = -1;
  std::string out = run(
      std::string(exe) + " --check-config --config " + dir.file("big.conf") + " >/dev/null 2>&1",
      &status);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(status, 0) << out;
  // Measured, not asserted: the machine running the tests may be busy.
  fmt::print("10,001 <active-response> blocks ({} KiB): --check-config took {:.0f} ms\n",
             body.size() >> 10, ms);
}

}  // namespace
}  // namespace rampart::test
