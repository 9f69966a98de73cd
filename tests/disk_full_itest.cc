// A full disk under rampartd's state directory: the test moves into its own mount namespace and
// mounts a 2 MiB tmpfs as the state directory, fills it, and floods alerts whose
// repeated-offender counts must be recorded there. Blocks must keep reaching the kernel, the
// error must be logged once (not once per write), and the state must catch up when space
// returns, so that a restart still knows every offender.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <thread>

#include "harness.h"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

// The second offence of an address within a day gets 30 minutes instead of 600 s.
const std::string kRepeatDrop = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><level>10</level>
    <timeout>600</timeout><repeated_offenders>30,60</repeated_offenders></active-response>)";

constexpr size_t kFlood = 30000;  // ~1.4 MB of offence records: more than the 1 MiB buffer

std::string flood_address(size_t i) {
  return fmt::format("2001:db8::1:{:x}", i + 1);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

// Writes zeros into `path` until the filesystem refuses more.
void fill(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  std::string zeros(64 << 10, '\0');
  while (write(fd, zeros.data(), zeros.size()) > 0) {
  }
  int e = errno;
  close(fd);
  ASSERT_EQ(e, ENOSPC);
}

// The addresses of every offence record in the state files (snapshot, then log).
std::set<std::string> offenders_on_disk(const std::string& dir) {
  std::set<std::string> out;
  for (const char* name : {"state.snapshot", "state.log"}) {
    std::ifstream in(dir + "/" + name);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.starts_with("o\t")) continue;
      size_t a = line.find('\t', 2);
      if (a == std::string::npos) continue;
      out.insert(line.substr(a + 1, line.find('\t', a + 1) - a - 1));
    }
  }
  return out;
}

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(enter_new_netns(), "");
    // Mounts made here are this test process's (and its children's) only.
    ASSERT_EQ(unshare(CLONE_NEWNS), 0) << strerror(errno);
    ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << strerror(errno);
    std::filesystem::create_directories(daemon.state_dir());
    ASSERT_EQ(mount("tmpfs", daemon.state_dir().c_str(), "tmpfs", 0, "size=2m,mode=0700"), 0)
        << strerror(errno);
  }
  void TearDown() override { umount2(daemon.state_dir().c_str(), MNT_DETACH); }

  size_t kernel_count() {
    // Counting lines is cheaper than JSON for 30,000 elements.
    std::string out =
        run("nft list set inet " + daemon.table() + " blocked6 2>/dev/null | grep -c 2001:db8");
    return std::strtoull(out.c_str(), nullptr, 10);
  }

  DaemonProcess daemon;
};

TEST_F(DiskFullTest, EnforcementGoesOnAndStateCatchesUpWhenSpaceReturns) {
  ASSERT_EQ(daemon.start(kRepeatDrop), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.1")}));
  ASSERT_TRUE(wait_until([&] {
    return offenders_on_disk(daemon.state_dir()).count("203.0.113.1");
  })) << daemon.log();

  std::string filler = daemon.state_dir() + "/filler";
  ASSERT_NO_FATAL_FAILURE(fill(filler));
  // The flood in 20 parts, so that many loop turns have records to write.
  auto t0 = std::chrono::steady_clock::now();
  for (size_t part = 0; part < 20; ++part) {
    std::vector<std::string> lines;
    for (size_t i = part * kFlood / 20; i < (part + 1) * kFlood / 20; ++i)
      lines.push_back(wazuh_alert(flood_address(i)));
    ASSERT_TRUE(daemon.send(lines));
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(wait_until([&] { return kernel_count() == kFlood; }, 60s))
      << kernel_count() << " of " << kFlood << " blocks reached the kernel\n"
      << daemon.log();
  double enforce_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(wait_until([&] { return daemon.log().find("writes fail") != std::string::npos; }))
      << daemon.log();
  EXPECT_NE(daemon.log().find("No space left on device"), std::string::npos) << daemon.log();

  // Full for 8 s more: the retries 1 and 3 s after the first failure fail too (even when the
  // loaded machine runs them late), and are not logged again.
  std::this_thread::sleep_for(8s);
  EXPECT_TRUE(daemon.running());
  std::filesystem::remove(filler);
  auto freed = std::chrono::steady_clock::now();
  std::smatch m;
  std::string log;
  ASSERT_TRUE(wait_until(
      [&] {
        log = daemon.log();
        return std::regex_search(log, m, std::regex(R"(written again after (\d+) failed attempt)"));
      },
      30s))
      << log;
  double catch_up_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - freed).count();
  size_t attempts = std::stoul(m[1]);
  EXPECT_GE(attempts, 3u) << log;
  EXPECT_EQ(count(log, "writes fail"), 1u) << "the error is logged once a minute, not per write\n"
                                           << log;
  auto on_disk = offenders_on_disk(daemon.state_dir());
  EXPECT_EQ(on_disk.size(), kFlood + 1);
  for (size_t i = 0; i < kFlood; ++i) ASSERT_TRUE(on_disk.count(flood_address(i))) << i;
  fmt::print(
      "disk full: {} alerts blocked in {:.2f} s with the state directory full; {} failed writes, "
      "1 error logged; state written {:.2f} s after space returned\n",
      kFlood, enforce_s, attempts, catch_up_s);

  // A restart after a crash knows every offender: a second offence gets the longer timeout.
  daemon.stop(SIGKILL);
  ASSERT_EQ(daemon.start(kRepeatDrop), "");
  EXPECT_NE(daemon.log().find(
                fmt::format("0 pending undo actions, {} repeated-offender counts", kFlood + 1)),
            std::string::npos)
      << daemon.log();
  std::string again = flood_address(kFlood / 2);
  ASSERT_TRUE(daemon.send({wazuh_alert(again)}));
  EXPECT_TRUE(wait_until([&] {
    auto s = list_set(daemon.table(), "blocked6");
    if (!s) return false;
    for (const auto& e : *s)
      if (e.address == again) return e.timeout_ms == 30 * 60 * 1000;
    return false;
  })) << "the second offence of "
      << again << " did not get the 30-minute timeout\n"
      << daemon.log();
}

}  // namespace
}  // namespace rampart::test
