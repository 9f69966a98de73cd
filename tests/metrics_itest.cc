// Observability end to end: org.freedesktop.LogControl1 on rampartd's bus connection (the
// interface `systemctl service-log-level` sets), the reasoning rampartd logs per alert at debug
// level, and its rate limit. A private system bus (dbus-daemon) for the suite, rampartd
// against the real kernel in a fresh network namespace per test.
#include <fmt/format.h>

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "harness.h"

namespace rampart::test {
namespace {

const std::string kDrop = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location>
    <level>10</level><timeout>600</timeout></active-response>)";

const std::string kNobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups ";
const std::string kLogControl =
    "org.rampart1 /org/freedesktop/LogControl1 org.freedesktop.LogControl1 ";

PrivateBus* g_bus = nullptr;

// An alert with its own id, so its debug lines can be told from the others'.
std::string alert_with_id(const std::string& srcip, const std::string& id) {
  std::string a = wazuh_alert(srcip);
  size_t at = a.find("1732740000.123456");
  return a.replace(at, 17, id);
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() == 0) g_bus = new PrivateBus();
  }
  static void TearDownTestSuite() {
    delete g_bus;
    g_bus = nullptr;
  }
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_TRUE(g_bus && g_bus->ok()) << "dbus-daemon did not start";
    ASSERT_EQ(enter_new_netns(), "");
  }
  std::string busctl(const std::string& args, int* status = nullptr, bool nobody = false) {
    return run((nobody ? kNobody : "") + "busctl --system " + args + " 2>&1", status);
  }
  // Waits until every alert sent so far was read, then for a stats line: everything logged
  // before it has been written out.
  bool settled(uint64_t alerts) {
    return wait_until([&] { return daemon.stat("alerts_received") == alerts; });
  }

  DaemonProcess daemon;
};

TEST_F(MetricsTest, LogLevelOverLogControl1AndTheReasoningAtDebug) {
  ASSERT_EQ(daemon.start(kDrop, {}, {g_bus->env()}), "");
  EXPECT_EQ(busctl("get-property " + kLogControl + "LogLevel"), "s \"info\"\n");
  EXPECT_EQ(busctl("get-property " + kLogControl + "SyslogIdentifier"), "s \"rampartd\"\n");

  ASSERT_TRUE(daemon.send({alert_with_id("203.0.113.1", "quiet.1")}));
  ASSERT_TRUE(settled(1));
  EXPECT_EQ(daemon.log().find("alert quiet.1:"), std::string::npos) << "info: no reasoning";

  int status = -1;
  std::string out = busctl("set-property " + kLogControl + "LogLevel s debug", &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(busctl("get-property " + kLogControl + "LogLevel"), "s \"debug\"\n");
  ASSERT_TRUE(daemon.send({alert_with_id("203.0.113.2", "loud.2")}));
  ASSERT_TRUE(settled(2));
  std::string log = daemon.log();
  EXPECT_NE(log.find("log level debug (was info), set over D-Bus by uid 0"), std::string::npos)
      << log;
  EXPECT_NE(log.find("alert loud.2: alert: format wazuh-json, rule 5712, level 10"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("alert loud.2: " + daemon.config_path() +
                     ":5 active-response 1 (firewall-drop): RESPONDS: firewall-drop "
                     "203.0.113.2 for 600s"),
            std::string::npos)
      << log;

  // Only root (or CAP_SYS_ADMIN) may change it, as for systemd's own daemons; anyone may read.
  out = busctl("set-property " + kLogControl + "LogLevel s err", &status, true);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("Access"), std::string::npos) << out;
  EXPECT_EQ(busctl("get-property " + kLogControl + "LogLevel", nullptr, true), "s \"debug\"\n");
  out = busctl("set-property " + kLogControl + "LogLevel s loud", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("\"loud\" is not a log level"), std::string::npos) << out;
  out = busctl("set-property " + kLogControl + "LogTarget s kmsg", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("stderr only"), std::string::npos) << out;

  ASSERT_EQ(busctl("set-property " + kLogControl + "LogLevel s info", &status), "");
  EXPECT_EQ(busctl("get-property " + kLogControl + "LogLevel"), "s \"info\"\n");
  ASSERT_TRUE(daemon.send({alert_with_id("203.0.113.3", "quiet.3")}));
  ASSERT_TRUE(settled(3));
  EXPECT_EQ(daemon.log().find("alert quiet.3:"), std::string::npos) << "back to info";
}

TEST_F(MetricsTest, TheReasoningIsRateLimitedUnderAFlood) {
  ASSERT_EQ(daemon.start(kDrop, {}, {g_bus->env()}), "");
  int status = -1;
  ASSERT_EQ(busctl("set-property " + kLogControl + "LogLevel s debug", &status), "");
  std::vector<std::string> flood;
  for (int i = 0; i < 500; ++i)
    flood.push_back(alert_with_id(fmt::format("198.51.100.{}", i % 250 + 1), "f"));
  ASSERT_TRUE(daemon.send(flood));
  ASSERT_TRUE(settled(500));
  size_t headers = count(daemon.log(), "alert f: alert: format");
  EXPECT_GE(headers, 1u);
  EXPECT_LE(headers, 10u) << "at most 10 alerts' reasoning a minute";
}

// The value of the sample line that starts with `prefix` in an exposition, -1 when absent.
double sample_value(const std::string& text, const std::string& prefix) {
  size_t at = text.find("\n" + prefix + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + prefix.size() + 2));
}

TEST_F(MetricsTest, GetMetricsMatchesStatusAndPassesPromtool) {
  ASSERT_EQ(daemon.start(kDrop, {}, {g_bus->env()}), "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.1"), wazuh_alert("203.0.113.2"),
                           wazuh_alert("2001:db8::7"), wazuh_alert("203.0.113.3", 5),
                           "not an alert at all"}));
  ASSERT_TRUE(settled(5));
  std::string ctl = getenv("RAMPARTCTL");
  int status = -1;
  std::string text = run(ctl + " metrics", &status);
  ASSERT_EQ(status, 0) << text;
  printf("rampartctl metrics: %zu bytes\n", text.size());

  // What an admin compares: rampartctl status against the scrape.
  std::string st = run(ctl + " status --json");
  auto field = [&](const std::string& name) {
    size_t at = st.find("\"" + name + "\":");
    return at == std::string::npos ? -1.0 : std::stod(st.substr(at + name.size() + 3));
  };
  EXPECT_EQ(field("ActiveBlocks"), 3);
  EXPECT_EQ(sample_value(text, "rampart_blocks_active{backend=\"nftables\",family=\"ipv4\"}") +
                sample_value(text, "rampart_blocks_active{backend=\"nftables\",family=\"ipv6\"}"),
            field("ActiveBlocks"));
  EXPECT_EQ(sample_value(text, "rampart_alerts_total{format=\"wazuh-json\"}") +
                sample_value(text, "rampart_alerts_rejected_total"),
            field("AlertsReceived"));
  EXPECT_EQ(sample_value(text, "rampart_alerts_rejected_total"), field("AlertsRejected"));
  EXPECT_EQ(sample_value(text, "rampart_blocks_total{event=\"blocked\"}"), daemon.stat("blocked"));
  EXPECT_EQ(sample_value(text, "rampart_nft_batches_total"), daemon.stat("nft_batches"));
  EXPECT_GE(sample_value(text, "rampart_alert_to_kernel_seconds_count"), 1);

  // promtool (scripts/deps test) on what a scrape really returns.
  daemon.dir().write("scrape.prom", text);
  std::string lint =
      run("promtool check metrics < " + daemon.dir().file("scrape.prom") + " 2>&1", &status);
  ASSERT_NE(WEXITSTATUS(status), 127) << "promtool is missing: apt-get install prometheus";
  EXPECT_EQ(status, 0) << lint;
  EXPECT_EQ(lint, "");

  // The HTTP side, as rampart-metrics@.service runs it (a dynamic user: here nobody), on a pipe.
  std::string http = run("printf 'GET /metrics HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' | " +
                             kNobody + ctl + " metrics --http",
                         &status);
  EXPECT_EQ(status, 0) << http;
  EXPECT_TRUE(http.starts_with("HTTP/1.1 200 OK\r\n")) << http;
  EXPECT_NE(http.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(http.find("\r\n\r\n# HELP rampart_build_info"), std::string::npos) << http;
}

// A textfile is complete when it ends with a newline and has as many families as rampartd
// writes; one cut short by a reader racing a writer would have fewer, or a partial last line.
struct Textfile {
  std::string text;
  size_t families() const { return count(text, "# TYPE "); }
  bool complete(size_t expected) const {
    return !text.empty() && text.back() == '\n' && families() == expected;
  }
  // The line of one sample, "" when absent.
  std::string sample(const std::string& prefix) const {
    size_t at = text.find("\n" + prefix);
    if (at == std::string::npos) return "";
    return text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  }
};

Textfile read_textfile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return {ss.str()};
}

TEST_F(MetricsTest, ATextfileReaderNeverSeesAPartialFileDuringAFlood) {
  std::string path = daemon.dir().file("rampart.prom");
  ASSERT_EQ(daemon.start(kDrop + daemon.rampart_section("<metrics><textfile>" + path +
                                                        "</textfile><interval>1</interval>"
                                                        "</metrics>")),
            "");
  ASSERT_TRUE(wait_until([&] { return !read_textfile(path).text.empty(); })) << daemon.log();
  Textfile first = read_textfile(path);
  size_t families = first.families();
  ASSERT_GE(families, 20u) << first.text;
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u) << "node_exporter reads it as its own user";

  // A reader polls as fast as it can while rampartd rewrites the file every second under
  // rounds of alerts; every read must be a whole file.
  std::atomic<bool> stop{false};
  std::atomic<size_t> reads{0}, partial{0};
  std::string bad;
  std::set<std::string> versions;
  std::thread reader([&] {
    while (!stop) {
      Textfile t = read_textfile(path);
      ++reads;
      if (!t.complete(families)) {
        if (partial++ == 0) bad = t.text;
        continue;
      }
      versions.insert(t.sample("rampart_alerts_total{format=\"wazuh-json\"}"));
    }
  });
  const int kRounds = 4, kPerRound = 20000;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::string> flood;
    for (int i = 0; i < kPerRound; ++i)
      flood.push_back(wazuh_alert(fmt::format("2001:db8:{:x}::{:x}", round + 1, i + 1)));
    ASSERT_TRUE(daemon.send(flood));
    std::string want =
        fmt::format("rampart_alerts_total{{format=\"wazuh-json\"}} {}", (round + 1) * kPerRound);
    ASSERT_TRUE(wait_until(
        [&] {
          return read_textfile(path).sample("rampart_alerts_total{format=\"wazuh-json\"}") == want;
        },
        std::chrono::seconds(60)))
        << want << "\n"
        << read_textfile(path).text;
  }
  stop = true;
  reader.join();
  printf("textfile: %zu reads, %zu versions seen, %zu partial\n", reads.load(), versions.size(),
         partial.load());
  EXPECT_EQ(partial, 0u) << bad;
  EXPECT_GE(versions.size(), size_t{kRounds}) << "the reader saw the file change";
  Textfile last = read_textfile(path);
  EXPECT_EQ(last.sample("rampart_blocks_active{backend=\"nftables\",family=\"ipv6\"}"),
            fmt::format("rampart_blocks_active{{backend=\"nftables\",family=\"ipv6\"}} {}",
                        kRounds * kPerRound));
  EXPECT_NE(last.sample("rampart_alert_to_kernel_seconds_count"), "");
}

}  // namespace
}  // namespace rampart::test
