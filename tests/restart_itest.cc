// rampartd restarted with a million blocks in a real kernel set (a private network namespace):
// after a clean stop, after kill -9, after an `nft` change while it was down and after a
// reboot (an empty kernel, a new boot id), exactly the right blocks are in the kernel and in
// rampartd's view, with the right remaining time. READY is measured for each start, printed and
// recorded as a JUnit property; nothing here asserts a duration (scripts/bench does the
// measuring). Under ASan the test uses 100,000 blocks (RAMPART_RESTART_BLOCKS overrides).
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "harness.h"
#include "nft/nft_lookup.h"
#include "table/block_snapshot.h"
namespace rampart::test {
namespace {

using namespace std::chrono_literals;

size_t block_count() {
  if (const char* n = getenv("RAMPART_RESTART_BLOCKS")) return std::strtoull(n, nullptr, 10);
#if defined(__SANITIZE_ADDRESS__)
  return 100'000;  // ASan: ~5x slower; the paths are the same
#else
  return 1'000'000;
#endif
}

uint64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000 + uint64_t(ts.tv_nsec) / 1'000'000;
}

// 2001:db8:<range>::/48 + i: the flood, the blocks added just before kill -9, the short ones.
Address address(uint16_t range, uint32_t i) {
  Address a = *Address::parse("2001:db8::");
  a.bytes[4] = static_cast<uint8_t>(range >> 8);
  a.bytes[5] = static_cast<uint8_t>(range);
  for (int b = 0; b < 4; ++b) a.bytes[15 - b] = static_cast<uint8_t>(i >> (8 * b));
  return a;
}
constexpr uint16_t kFlood = 0x101, kLate = 0x102, kShort = 0x103;
constexpr uint32_t kLateCount = 1000, kShortCount = 100, kTouched = 1000;

const std::string kConfig = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location>
    <rules_id>5712</rules_id><timeout>3600</timeout></active-response>
  <active-response><command>firewall-drop</command><location>local</location>
    <rules_id>5713</rules_id><timeout>3</timeout></active-response>)";

// rampartd as systemd would run it: READY=1 on a notify socket, RUNTIME_DIRECTORY for its boot
// id. The log of a million blocks is ~100 MB, so it is only ever read from an offset.
class Rampartd {
 public:
  explicit Rampartd(TempDir& dir) : dir_(dir) {
    mkdir(dir_.file("run").c_str(), 0755);
    dir_.write("rampart.conf",
               "<ossec_config>" + kConfig + "<rampart><socket>" + socket() +
                   "</socket><state_directory>" + dir_.file("state") +
                   "</state_directory><max_blocks>2000000</max_blocks></rampart></ossec_config>\n");
  }
  ~Rampartd() {
    if (pid_ > 0) stop(SIGKILL);
  }
  std::string socket() const { return dir_.file("alerts.sock"); }
  std::string base() const { return dir_.file("state/nftables.blocks"); }
  std::string boot_id() const { return dir_.file("run/boot-id"); }

  // Starts it and returns the seconds from fork to READY=1, or a negative number.
  double start() {
    std::string notify = dir_.file("notify.sock");
    unlink(notify.c_str());
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify.c_str(), sizeof addr.sun_path - 1);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
    timeval limit{120, 0};  // only against a hang
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    log_mark_ = log_size();
    auto t0 = std::chrono::steady_clock::now();
    pid_ = fork();
    if (pid_ == 0) {
      int log = open(dir_.file("rampartd.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      dup2(log, STDERR_FILENO);
      setenv("NOTIFY_SOCKET", notify.c_str(), 1);
      setenv("RUNTIME_DIRECTORY", dir_.file("run").c_str(), 1);
      setenv("DBUS_SYSTEM_BUS_ADDRESS", ("unix:path=" + dir_.file("no-bus")).c_str(), 1);
      unsetenv("JOURNAL_STREAM");
      const char* exe = getenv("RAMPARTD");
      std::string conf = dir_.file("rampart.conf");
      execl(exe, exe, "--config", conf.c_str(), nullptr);
      _exit(127);
    }
    double ready = -1;
    char buf[4096];
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      if (std::string_view(buf, size_t(n)).find("READY=1") != std::string_view::npos) {
        ready = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        break;
      }
    }
    close(fd);
    // READY=1 goes out just before the log lines of the start are flushed.
    if (ready > 0) wait_until([&] { return logged(" ready: "); });
    return ready;
  }

  int stop(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  size_t log_size() const {
    struct stat st {};
    return ::stat(dir_.file("rampartd.log").c_str(), &st) == 0 ? size_t(st.st_size) : 0;
  }
  // What it logged since `from` (default: since the last start), without the block lines.
  std::string log(std::optional<size_t> from = {}) const {
    std::ifstream in(dir_.file("rampartd.log"));
    in.seekg(static_cast<std::streamoff>(from.value_or(log_mark_)));
    std::string out, line;
    while (std::getline(in, line))
      if (!line.starts_with("blocked ") && !line.starts_with("expired ")) out += line + "\n";
    return out;
  }
  bool logged(const std::string& text) const { return log().find(text) != std::string::npos; }

  // SIGUSR1, and a counter of the stats line it writes.
  uint64_t stat(const std::string& name) {
    size_t from = log_size();
    kill(pid_, SIGUSR1);
    uint64_t value = UINT64_MAX;
    wait_until(
        [&] {
          std::string text = log(from);
          size_t at = text.find("stats: ");
          if (at == std::string::npos) return false;
          std::string line = text.substr(at, text.find('\n', at) - at);
          size_t key = line.find(" " + name + "=");
          if (key != std::string::npos)
            value = std::strtoull(line.c_str() + key + name.size() + 2, nullptr, 10);
          return true;
        },
        60s);
    return value;
  }

  // One connection, alerts written as they are made.
  bool send(uint16_t range, uint32_t count, const char* rule) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket().c_str(), sizeof addr.sun_path - 1);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
    std::string chunk;
    bool ok = true;
    for (uint32_t i = 0; i < count && ok; ++i) {
      chunk += fmt::format(R"({{"rule":{{"level":10,"id":"{}"}},"data":{{"srcip":"{}"}}}})"
                           "\n",
                           rule, address(range, i).str());
      if (chunk.size() > (1 << 16) || i + 1 == count) {
        for (size_t off = 0; off < chunk.size() && ok;) {
          ssize_t n = write(fd, chunk.data() + off, chunk.size() - off);
          ok = n > 0;
          off += n > 0 ? size_t(n) : 0;
        }
        chunk.clear();
      }
    }
    close(fd);
    return ok;
  }

 private:
  TempDir& dir_;
  pid_t pid_ = -1;
  size_t log_mark_ = 0;
};

// What each address should look like: absent, or present until this CLOCK_MONOTONIC ms.
struct Expected {
  std::vector<Address> addresses;
  std::vector<uint64_t> until_ms;  // 0: absent
  size_t present() const {
    return size_t(std::count_if(until_ms.begin(), until_ms.end(), [](uint64_t u) { return u; }));
  }
};

// Until when (CLOCK_MONOTONIC ms) the kernel keeps each address, 0 for absent: keyed lookups
// (a dump of a million elements takes minutes), in slices so that each slice's remaining times
// are read against the clock of that slice.
std::vector<uint64_t> kernel_until(const std::vector<Address>& addresses) {
  auto lookup = NftLookup::open("rampart");
  EXPECT_TRUE(lookup) << lookup.error().message;
  std::vector<uint64_t> out;
  if (!lookup) return out;
  for (size_t at = 0; at < addresses.size(); at += 10'000) {
    size_t n = std::min<size_t>(10'000, addresses.size() - at);
    auto found = (*lookup)->find(std::span(addresses).subspan(at, n));
    EXPECT_TRUE(found) << found.error().message;
    if (!found) return {};
    uint64_t now = now_ms();
    for (auto& e : *found) out.push_back(e ? now + e->expires_ms : 0);
  }
  return out;
}

// The kernel holds exactly the expected blocks, each with its remaining time (2.5 s of slack:
// the record's write and the kernel's commit are not the same instant).
void expect_kernel(const Expected& want, const std::string& when) {
  SCOPED_TRACE(when);
  std::vector<uint64_t> found = kernel_until(want.addresses);
  ASSERT_EQ(found.size(), want.addresses.size());
  size_t missing = 0, extra = 0, off = 0;
  std::string example;
  for (size_t i = 0; i < found.size(); ++i) {
    bool bad = false;
    if (!want.until_ms[i]) {
      bad = found[i] != 0;
      extra += bad;
    } else if (!found[i]) {
      bad = true;
      ++missing;
    } else {
      int64_t diff = int64_t(found[i]) - int64_t(want.until_ms[i]);
      bad = diff > 2500 || diff < -2500;
      off += bad;
    }
    if (bad && example.empty()) example = want.addresses[i].str();
  }
  EXPECT_EQ(missing, 0u) << "e.g. " << example;
  EXPECT_EQ(extra, 0u) << "e.g. " << example;
  EXPECT_EQ(off, 0u) << "blocks with another remaining time, e.g. " << example;
}

// rampartd's view at its last clean stop (the record's base) is the same.
void expect_view(const Rampartd& d, const Expected& want, const std::string& when) {
  SCOPED_TRACE(when);
  std::ifstream in(d.base(), std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  auto base = decode_snapshot(bytes.str(), d.base());
  ASSERT_TRUE(base) << base.error().message;
  std::unordered_map<Address, uint64_t, AddressHash> view;
  for (const SnapshotBlock& b : base->blocks) view[b.address] = b.expiry_us / 1000;
  EXPECT_EQ(view.size(), want.present());
  size_t wrong = 0;
  std::string example;
  for (size_t i = 0; i < want.addresses.size(); ++i) {
    auto it = view.find(want.addresses[i]);
    bool ok = want.until_ms[i] ? it != view.end() && it->second + 2500 > want.until_ms[i] &&
                                     it->second < want.until_ms[i] + 2500
                               : it == view.end();
    if (!ok && wrong++ == 0) example = want.addresses[i].str();
  }
  EXPECT_EQ(wrong, 0u) << "e.g. " << example;
}

void report(const char* name, double ready_s, size_t blocks) {
  fmt::print("[ ready ] {}: READY {:.3f} s after the start, {} blocks\n", name, ready_s, blocks);
  ::testing::Test::RecordProperty(std::string("ready_") + name + "_s",
                                  fmt::format("{:.3f}", ready_s));
}

TEST(Restart, AMillionBlocksSurviveEveryKindOfRestart) {
  RAMPART_REQUIRE_ROOT();
  ASSERT_EQ(enter_new_netns(), "");
  ASSERT_TRUE(getenv("RAMPARTD")) << "run through meson test";
  const size_t n = block_count();
  ::testing::Test::RecordProperty("blocks", std::to_string(n));
  TempDir dir;
  Rampartd d(dir);
  ASSERT_GT(d.start(), 0) << d.log();

  // The flood, and what the kernel then says about every address.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(d.send(kFlood, uint32_t(n), "5712"));
  ASSERT_TRUE(wait_until([&] { return d.stat("nft_elements") >= n; }, 600s)) << d.log();
  fmt::print("{} blocks in the kernel {:.1f} s after the first alert\n", n,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  Expected want;
  for (uint32_t i = 0; i < n; ++i) want.addresses.push_back(address(kFlood, i));
  for (uint32_t i = 0; i < kLateCount; ++i) want.addresses.push_back(address(kLate, i));
  for (uint32_t i = 0; i < kShortCount; ++i) want.addresses.push_back(address(kShort, i));
  want.until_ms = kernel_until(want.addresses);
  ASSERT_EQ(want.until_ms.size(), want.addresses.size());
  ASSERT_EQ(want.present(), n);

  // 1. A clean stop: the base, and nothing sent again at the start.
  ASSERT_EQ(d.stop(SIGTERM), 0);
  expect_view(d, want, "the view at the first clean stop");
  double ready = d.start();
  ASSERT_GT(ready, 0) << d.log();
  report("clean_stop", ready, n);
  EXPECT_FALSE(d.logged("reading the blocks from the kernel")) << d.log();
  EXPECT_EQ(d.stat("active"), n);
  EXPECT_EQ(d.stat("nft_elements"), 0u) << "nothing is re-inserted";

  // 2. kill -9 just after more blocks went in: they are in the log only.
  ASSERT_TRUE(d.send(kLate, kLateCount, "5712"));
  ASSERT_TRUE(wait_until([&] { return d.stat("nft_elements") >= kLateCount; }, 60s));
  {
    auto late = kernel_until(
        std::vector<Address>(want.addresses.begin() + n, want.addresses.begin() + n + kLateCount));
    ASSERT_EQ(late.size(), kLateCount);
    std::copy(late.begin(), late.end(), want.until_ms.begin() + n);
  }
  d.stop(SIGKILL);
  ready = d.start();
  ASSERT_GT(ready, 0) << d.log();
  report("kill_9", ready, n + kLateCount);
  EXPECT_FALSE(d.logged("reading the blocks from the kernel")) << d.log();
  EXPECT_EQ(d.stat("active"), n + kLateCount);
  EXPECT_EQ(d.stat("nft_elements"), 0u);

  // 3. While it is down, an administrator deletes some elements, gives others two hours, and
  // another table appears: the generation moves on.
  ASSERT_EQ(d.stop(SIGTERM), 0);
  expect_view(d, want, "the view after kill -9 and a start");
  std::string script = "delete element inet rampart blocked6 {";
  for (uint32_t i = 0; i < kTouched; ++i) script += address(kFlood, i).str() + ",";
  script += "}\nadd element inet rampart blocked6 {";
  for (uint32_t i = kTouched; i < 2 * kTouched; ++i)
    script += address(kFlood, i).str() + " timeout 2h,";
  script += "}\nadd table inet other\n";
  dir.write("admin.nft", script);
  int status = -1;
  run("nft -f " + dir.file("admin.nft"), &status);
  ASSERT_EQ(status, 0);
  uint64_t retimed = now_ms() + 2 * 3600 * 1000;
  for (uint32_t i = 0; i < kTouched; ++i) want.until_ms[i] = 0;
  for (uint32_t i = kTouched; i < 2 * kTouched; ++i) want.until_ms[i] = retimed;
  ready = d.start();
  ASSERT_GT(ready, 0) << d.log();
  report("foreign_change", ready, n + kLateCount);
  EXPECT_TRUE(d.logged("nftables changed since the record")) << d.log();
  ASSERT_TRUE(wait_until([&] { return d.logged("blocks against table inet rampart in"); }, 600s))
      << d.log();
  EXPECT_TRUE(d.logged(fmt::format("{} were gone", kTouched))) << d.log();
  EXPECT_TRUE(d.logged(fmt::format("{} had another timeout", kTouched))) << d.log();
  EXPECT_EQ(d.stat("active"), want.present());
  EXPECT_EQ(d.stat("nft_elements"), 0u) << "a check sends nothing";

  ASSERT_EQ(d.stop(SIGTERM), 0);
  expect_view(d, want, "the view after the check");

  // 4. A reboot: blocks of 3 s are added, rampartd stops, the kernel is empty afterwards, the
  // runtime directory too. Every block with time left comes back, the short ones do not.
  ASSERT_GT(d.start(), 0) << d.log();
  ASSERT_TRUE(d.send(kShort, kShortCount, "5713"));
  ASSERT_TRUE(wait_until([&] { return d.stat("nft_elements") >= kShortCount; }, 60s));
  ASSERT_EQ(d.stop(SIGTERM), 0);
  run("nft delete table inet rampart; nft delete table inet other");
  ASSERT_EQ(unlink(d.boot_id().c_str()), 0);
  std::this_thread::sleep_for(3500ms);
  ready = d.start();
  ASSERT_GT(ready, 0) << d.log();
  report("reboot", ready, want.present());
  EXPECT_TRUE(d.logged("the record is from another boot")) << d.log();
  ASSERT_TRUE(wait_until([&] { return d.logged("re-added "); }, 600s)) << d.log();
  EXPECT_TRUE(d.logged(fmt::format("re-added {} blocks", want.present()))) << d.log();
  expect_kernel(want, "after the reboot");
  EXPECT_EQ(d.stat("active"), want.present());
  ASSERT_EQ(d.stop(SIGTERM), 0);
  expect_view(d, want, "the view after the reboot");
}

}  // namespace
}  // namespace rampart::test
