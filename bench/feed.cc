// Alerts -> kernel, end to end: writes N Wazuh alerts.json lines with distinct addresses to
// rampartd's socket as fast as the socket takes them, then asks rampartd for its counters
// (SIGUSR1, read back from its log) until `nft_elements` reaches the expected value. rampartd
// commits synchronously, so that counter means "acknowledged by the kernel".
//
//   feed SOCKET N RANGE PID LOG EXPECT
//
// Prints one JSON object: {"n":..,"write_s":..,"total_s":..,"bytes":..,"polls":..}.
// The clock starts just before the first byte is written.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>

#include "alert_line.h"
#include "unix_socket.h"

using namespace rampart::bench;
using Clock = std::chrono::steady_clock;

namespace {

// The value of `key=` in the first "stats:" line of `log` at or after `from`.
std::optional<uint64_t> stats_value(const char* log, off_t from, const char* key) {
  int fd = open(log, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[1 << 16];
  ssize_t n;
  off_t at = from;
  while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
    text.append(buf, size_t(n));
    at += n;
  }
  close(fd);
  size_t line = text.find("stats: ");
  if (line == std::string::npos) return std::nullopt;
  size_t end = text.find('\n', line);
  if (end == std::string::npos) return std::nullopt;
  std::string needle = std::string(" ") + key + "=";
  size_t k = text.find(needle, line);
  if (k == std::string::npos || k > end) return std::nullopt;
  return std::strtoull(text.c_str() + k + needle.size(), nullptr, 10);
}

off_t file_size(const char* path) {
  struct stat st;
  return stat(path, &st) == 0 ? st.st_size : 0;
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s SOCKET N RANGE PID LOG EXPECT_NFT_ELEMENTS\n", argv[0]);
    return 2;
  }
  const char* socket_path = argv[1];
  uint32_t n = uint32_t(std::strtoul(argv[2], nullptr, 10));
  uint32_t range = uint32_t(std::strtoul(argv[3], nullptr, 0));
  pid_t pid = pid_t(std::strtol(argv[4], nullptr, 10));
  const char* log = argv[5];
  uint64_t expect = std::strtoull(argv[6], nullptr, 10);

  int fd = connect_unix(socket_path);
  int big = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);

  // Lines are generated while writing, in 256 KiB chunks: a 1M-alert flood is ~450 MB of
  // text, and building a chunk costs far less than rampartd's parsing of it.
  std::string chunk;
  chunk.reserve(300 * 1024);
  uint64_t bytes = 0;
  auto t0 = Clock::now();
  for (uint32_t i = 0; i < n; ++i) {
    append_wazuh_alert(chunk, bench_address(range, i));
    if (chunk.size() >= 256 * 1024 || i + 1 == n) {
      if (!write_all(fd, chunk.data(), chunk.size())) {
        std::fprintf(stderr, "feed: write: %s\n", std::strerror(errno));
        return 1;
      }
      bytes += chunk.size();
      chunk.clear();
    }
  }
  auto written = Clock::now();

  // Poll the daemon's counters; each poll costs it one log line.
  int polls = 0;
  uint64_t seen = 0;
  auto deadline = written + std::chrono::seconds(600);
  while (Clock::now() < deadline) {
    off_t from = file_size(log);
    ++polls;
    kill(pid, SIGUSR1);
    std::optional<uint64_t> v;
    for (int tries = 0; tries < 2000 && !v; ++tries) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      v = stats_value(log, from, "nft_elements");
    }
    if (!v) {
      std::fprintf(stderr, "feed: rampartd (pid %d) wrote no stats line\n", int(pid));
      return 1;
    }
    seen = *v;
    if (seen >= expect) break;
  }
  auto done = Clock::now();
  close(fd);
  if (seen < expect) {
    std::fprintf(stderr, "feed: only %llu of %llu elements reached the kernel\n",
                 (unsigned long long)seen, (unsigned long long)expect);
    return 1;
  }
  std::printf(
      "{\"n\": %u, \"write_s\": %.6f, \"total_s\": %.6f, \"bytes\": %llu, \"polls\": %d, "
      "\"nft_elements\": %llu}\n",
      n, seconds(written - t0), seconds(done - t0), (unsigned long long)bytes, polls,
      (unsigned long long)seen);
  return 0;
}
