// kill -9 during a flood: 100,000 alerts (20,000 under ASan) arrive through a private journald
// (see enter_private_journal), rampartd is killed at a random moment, and after the restart:
// every alert before the saved journal position has its block in the kernel, the daemon's view
// over D-Bus equals the kernel's sets, nothing is listed twice, and blocks from before the
// crash keep their deadlines instead of starting a fresh timeout.
#include <fcntl.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "base/handles_bus.h"
#include "harness.h"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kJournal = "<journal><match>SYSLOG_IDENTIFIER=ossec</match></journal>";

pid_t g_journald = -1;
std::string g_setup_error;

size_t flood_size() {
  return getenv("RAMPART_SANITIZED") ? 20000 : 100000;
}

constexpr size_t kFloodChunks = 100;
constexpr auto kFloodPause = 60ms;

// `lines` to `fd` in kFloodChunks pieces (whole lines), kFloodPause apart.
void write_paced(int fd, const std::string& lines) {
  size_t chunk = lines.size() / kFloodChunks + 1, pos = 0;
  while (pos < lines.size()) {
    size_t end = lines.find('\n', std::min(pos + chunk, lines.size() - 1)) + 1;
    while (pos < end) {
      ssize_t w = write(fd, lines.data() + pos, end - pos);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) return;
      pos += size_t(w);
    }
    std::this_thread::sleep_for(kFloodPause);
  }
}

std::string alert_line(const std::string& srcip) {
  return "ossec: Alert Level: 10; Rule: 5712 - sshd: brute force; Location: (web1) "
         "10.0.0.5->/var/log/auth.log; classification: syslog,sshd,; srcip: " +
         srcip + "; user: root; Failed password for root from " + srcip;
}

// The srcips of the flood's journal entries after `cursor` (all of them when it is empty).
std::set<std::string> srcips_after(const std::string& cursor) {
  std::string text = run("journalctl -q --no-pager -o cat SYSLOG_IDENTIFIER=ossec" +
                         (cursor.empty() ? "" : " --after-cursor='" + cursor + "'"));
  std::set<std::string> out;
  for (size_t at = 0; (at = text.find("srcip: ", at)) != std::string::npos;) {
    at += 7;
    out.insert(text.substr(at, text.find(';', at) - at));
  }
  return out;
}

// address -> remaining milliseconds in the kernel, both sets of one family and its prefixes.
struct Dump {
  std::map<std::string, uint64_t> expires_ms;
  size_t elements = 0;  // before folding into the map: a duplicate would make this larger
  Clock::time_point begin, end;
  uint64_t realtime_us = 0;  // at `begin`
};

uint64_t realtime_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

Dump dump(const std::string& table) {
  Dump d;
  d.begin = Clock::now();
  d.realtime_us = realtime_us();
  for (const char* set : {"blocked4", "blocked6", "blocked4_net", "blocked6_net"}) {
    auto elements = list_set(table, set);
    if (!elements) continue;
    d.elements += elements->size();
    for (const auto& e : *elements) d.expires_ms[e.address] = e.expires_ms;
  }
  d.end = Clock::now();
  return d;
}

struct BusBlock {
  std::string address;
  uint64_t expiry_us = 0;
};

// Every block rampartd lists over D-Bus, paged with ListBlocksAfter as rampartctl does.
std::vector<BusBlock> bus_blocks(std::string* ret_error) {
  std::vector<BusBlock> out;
  sd_bus* raw = nullptr;
  if (int r = sd_bus_open_system(&raw); r < 0) {
    *ret_error = strerror(-r);
    return out;
  }
  BusPtr bus(raw);
  std::string after;
  for (;;) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(raw, "org.rampart1", "/org/rampart1", "org.rampart1.Manager",
                               "ListBlocksAfter", &error, &reply, "su", after.c_str(), 10000u);
    if (r < 0) {
      *ret_error = error.message ? error.message : strerror(-r);
      sd_bus_error_free(&error);
      return out;
    }
    BusMessagePtr owned(reply);
    size_t before = out.size();
    sd_bus_message_enter_container(reply, 'a', "(sstussss)");
    const char *address, *command, *reason, *backend, *scope, *origin;
    uint64_t expiry;
    uint32_t rule;
    while (sd_bus_message_read(reply, "(sstussss)", &address, &command, &expiry, &rule, &reason,
                               &backend, &scope, &origin) > 0)
      out.push_back({address, expiry});
    if (out.size() == before) return out;
    after = out.back().address;
  }
}

class CrashTest : public RampartBusTest {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    g_setup_error = enter_private_journal(&g_journald);
    RampartBusTest::SetUpTestSuite();
  }
  static void TearDownTestSuite() {
    RampartBusTest::TearDownTestSuite();
    if (g_journald > 0) {
      kill(g_journald, SIGTERM);
      waitpid(g_journald, nullptr, 0);
    }
  }
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(g_setup_error, "");
    RampartBusTest::SetUp();
  }

  std::string start() {
    return RampartBusTest::start(kDropCommand + drop_binding(3600) +
                                 daemon.rampart_section(kJournal));
  }
  std::string cursor() {
    std::ifstream in(daemon.state_dir() + "/journal.cursor");
    std::string line;
    std::getline(in, line);
    return line;
  }
  size_t blocked6() {
    std::string out =
        run("nft list set inet " + daemon.table() + " blocked6 2>/dev/null | grep -c 2001:db8");
    return std::strtoull(out.c_str(), nullptr, 10);
  }
};

TEST_F(CrashTest, KillDuringAJournalFloodLosesNothingAndKeepsDeadlines) {
  const size_t n = flood_size();
  uint64_t seed = std::random_device{}();
  if (const char* s = getenv("RAMPART_CRASH_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::mt19937_64 rng(seed);
  // The moment is a random point of progress, not of time: the flood takes 3-15 s here,
  // depending on the load, and the kill must land inside it.
  size_t target = std::uniform_int_distribution<size_t>(n / 20, n * 9 / 10)(rng);
  fmt::print("seed {} (RAMPART_CRASH_SEED={} repeats this run): SIGKILL after {} blocks\n", seed,
             seed, target);

  ASSERT_EQ(start(), "");
  // A first alert, so that a position is saved before the flood.
  TempDir files;
  files.write("first", alert_line("203.0.113.1") + "\n");
  run("systemd-cat -t ossec < " + files.file("first"));
  ASSERT_TRUE(wait_until([&] { return !cursor().empty(); })) << daemon.log();

  std::vector<std::string> addresses;
  std::string lines;
  for (size_t i = 0; i < n; ++i) {
    addresses.push_back(fmt::format("2001:db8::{:x}:{:x}", i / 65536 + 1, i % 65536));
    lines += alert_line(addresses.back()) + "\n";
  }
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t writer = fork();
  if (writer == 0) {
    dup2(pipe_fds[0], STDIN_FILENO);
    execl("/bin/sh", "sh", "-c", "exec systemd-cat -t ossec", nullptr);
    _exit(127);
  }
  close(pipe_fds[0]);
  // The flood is paced to take at least kFloodChunks x kFloodPause: unpaced, an idle machine
  // could log the last 10% of it faster than the block count is polled and the kill lands.
  std::jthread pacer([&lines, fd = pipe_fds[1]] {
    write_paced(fd, lines);
    close(fd);
  });
  auto t0 = Clock::now();
  ASSERT_TRUE(wait_until([&] { return daemon.stat("blocked").value_or(0) >= target; }, 300s))
      << daemon.log();
  daemon.stop(SIGKILL);
  auto killed_at = Clock::now();
  std::string saved = cursor();
  Dump at_kill = dump(daemon.table());
  pacer.join();
  int status = 0;
  waitpid(writer, &status, 0);
  ASSERT_EQ(status, 0);
  fmt::print("killed {} ms after the flood began, with {} of {} blocks in the kernel\n",
             std::chrono::duration_cast<std::chrono::milliseconds>(killed_at - t0).count(),
             at_kill.elements - 1, n);
  EXPECT_LT(at_kill.elements - 1, n) << "the flood was over before the kill";

  // Everything journald was given is stored before the position is compared with it.
  ASSERT_TRUE(wait_until([&] { return srcips_after("").size() == n + 1; }, 60s));
  std::set<std::string> unread = srcips_after(saved);
  size_t before_cursor = 0, missing = 0;
  std::string example;
  for (const auto& a : addresses) {
    if (unread.count(a)) continue;
    ++before_cursor;
    if (!at_kill.expires_ms.count(a) && missing++ == 0) example = a;
  }
  EXPECT_EQ(missing, 0u) << "alerts before the saved position without a block in the kernel, "
                            "e.g. "
                         << example;
  fmt::print("{} alerts were before the saved position, {} after it\n", before_cursor,
             unread.size());

  // The remaining times of the blocks must visibly differ from a fresh timeout.
  std::this_thread::sleep_for(5s);
  auto restart = Clock::now();
  ASSERT_EQ(start(), "");
  double ready_s = std::chrono::duration<double>(Clock::now() - restart).count();
  ASSERT_TRUE(wait_until([&] { return blocked6() == n; }, 300s))
      << blocked6() << " of " << n << "\n"
      << daemon.log();
  double all_s = std::chrono::duration<double>(Clock::now() - restart).count();
  std::string last =
      run("journalctl -q --no-pager -o cat -n 1 --show-cursor SYSLOG_IDENTIFIER=ossec | "
          "sed -n 's/^-- cursor: //p'");
  while (!last.empty() && last.back() == '\n') last.pop_back();
  EXPECT_TRUE(wait_until([&] { return cursor() == last; })) << "the final position is saved";
  fmt::print("restart: ready after {:.2f} s, all {} blocks in the kernel after {:.2f} s\n", ready_s,
             n, all_s);

  // The daemon's view equals the kernel's, without duplicates.
  Dump now = dump(daemon.table());
  std::string error;
  std::vector<BusBlock> listed = bus_blocks(&error);
  ASSERT_EQ(error, "");
  EXPECT_EQ(now.elements, n + 1);
  EXPECT_EQ(now.expires_ms.size(), now.elements) << "an address twice in the kernel";
  std::map<std::string, uint64_t> view;
  for (const auto& b : listed) view[b.address] = b.expiry_us;
  EXPECT_EQ(listed.size(), view.size()) << "an address listed twice over D-Bus";
  ASSERT_EQ(view.size(), now.expires_ms.size());
  size_t differ = 0;
  uint64_t slack_us =
      2000000 +
      uint64_t(std::chrono::duration_cast<std::chrono::microseconds>(now.end - now.begin).count());
  for (const auto& [address, expires_ms] : now.expires_ms) {
    auto it = view.find(address);
    if (it == view.end()) {
      ADD_FAILURE() << address << " is in the kernel but not in rampartd's view";
      break;
    }
    uint64_t kernel_deadline = now.realtime_us + expires_ms * 1000;
    uint64_t gap =
        it->second > kernel_deadline ? it->second - kernel_deadline : kernel_deadline - it->second;
    if (gap > slack_us && differ++ == 0) example = address;
  }
  EXPECT_EQ(differ, 0u) << "deadlines differ between rampartd and the kernel, e.g. " << example;

  // Blocks from before the saved position were not replayed: their deadline did not move.
  auto ms = [](Clock::duration d) {
    return uint64_t(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
  };
  uint64_t min_elapsed = ms(now.begin - at_kill.end), max_elapsed = ms(now.end - at_kill.begin);
  size_t moved = 0;
  for (const auto& a : addresses) {
    if (unread.count(a)) continue;
    auto before = at_kill.expires_ms.find(a);
    auto after = now.expires_ms.find(a);
    if (before == at_kill.expires_ms.end() || after == now.expires_ms.end()) continue;
    // The JSON gives whole seconds: 1 s of rounding each side.
    bool kept = after->second + min_elapsed <= before->second + 2000 &&
                after->second + max_elapsed + 2000 >= before->second;
    if (!kept && moved++ == 0)
      example = fmt::format("{}: {} ms left at the kill, {} ms left {}..{} ms later", a,
                            before->second, after->second, min_elapsed, max_elapsed);
  }
  EXPECT_EQ(moved, 0u) << "blocks whose deadline moved across the restart, e.g. " << example;
}

}  // namespace
}  // namespace rampart::test
