// rampartd reading alerts from, and writing its audit trail to, a real journald that is
// private to this test: the test process moves into its own mount namespace, hides /run,
// /var/log/journal and the catalog directories under tmpfs, and starts systemd-journald there.
// rampartd, logger, systemd-cat and journalctl are children and share that namespace.
#include <simdjson.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "harness.h"

namespace rampart::test {
namespace {

const std::string kDrop = R"(
  <command><name>firewall-drop</name><executable>firewall-drop</executable>
    <expect>srcip</expect><timeout_allowed>yes</timeout_allowed></command>
  <active-response><command>firewall-drop</command><location>local</location><level>10</level>
    <timeout>600</timeout></active-response>)";

// Entries from the "ossec" tag, or logger entries that name themselves "wazuh-test".
const std::string kJournal =
    "<journal><match>SYSLOG_IDENTIFIER=ossec</match><or/>"
    "<match>SYSLOG_IDENTIFIER=wazuh-test</match></journal>";

const char* kBlockedId = "ec18b432fd47453f9e7e6fc2a7afd87a";
const char* kSkippedId = "64442b76f7384a81a65758062c74a143";
const char* kConfigLoadedId = "00d77f28f3a4472ba4325c4b16431c53";
const char* kAlertRejectedId = "37a2898bba9043ac9034ac7ada3ed5cd";

pid_t g_journald = -1;
std::string g_setup_error;

// journalctl -o json for `matches`, one parsed object per entry, as field -> value.
std::vector<std::map<std::string, std::string>> journal_json(const std::string& matches) {
  std::string text = run("journalctl --no-pager -o json " + matches + " 2>/dev/null");
  std::vector<std::map<std::string, std::string>> out;
  simdjson::dom::parser parser;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    simdjson::dom::object obj;
    if (!parser.parse(text.substr(start, end - start)).get(obj)) {
      std::map<std::string, std::string> fields;
      for (auto [k, v] : obj) {
        std::string_view s;
        if (!v.get(s)) fields[std::string(k)] = std::string(s);
      }
      out.push_back(std::move(fields));
    }
    start = end + 1;
  }
  return out;
}

class JournalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() == 0) g_setup_error = enter_private_journal(&g_journald);
  }
  static void TearDownTestSuite() {
    if (g_journald > 0) {
      kill(g_journald, SIGTERM);
      waitpid(g_journald, nullptr, 0);
      g_journald = -1;
    }
  }
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(g_setup_error, "");
    ASSERT_EQ(enter_new_netns(), "");
  }

  std::string start() { return daemon.start(kDrop + daemon.rampart_section(kJournal)); }

  // An entry with structured ALERT_* fields, as any sd_journal_send() caller writes it.
  static void logger_alert(const std::string& srcip, const std::string& identifier = "wazuh-test",
                           int level = 10) {
    std::string fields = fmt::format(
        "MESSAGE=sshd: brute force from {0}\nSYSLOG_IDENTIFIER={1}\nALERT_RULE_ID=5712\n"
        "ALERT_LEVEL={2}\nALERT_GROUPS=syslog,sshd,authentication_failures\nALERT_SRCIP={0}\n"
        "ALERT_USER=root\nALERT_AGENT_ID=000\nALERT_ID=1732740000.{2}\n",
        srcip, identifier, level);
    int status = -1;
    run("logger --journald <<'EOF'\n" + fields + "EOF", &status);
    ASSERT_EQ(status, 0);
  }
  // Lines written by a program whose output goes to the journal (systemd-cat -t TAG).
  static void cat_lines(const std::vector<std::string>& lines, const std::string& tag = "ossec") {
    TempDir dir;
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    dir.write("lines", all);
    int status = -1;
    run("systemd-cat -t " + tag + " < " + dir.file("lines"), &status);
    ASSERT_EQ(status, 0);
  }

  size_t count(const std::string& set_name) {
    auto s = list_set(daemon.table(), set_name);
    return s ? s->size() : 0;
  }
  bool has(const std::string& set_name, const std::string& address) {
    auto s = list_set(daemon.table(), set_name);
    if (!s) return false;
    for (const auto& e : *s)
      if (e.address == address) return true;
    return false;
  }
  bool appears(const std::string& set_name, const std::string& address) {
    return wait_until([&] { return has(set_name, address); });
  }
  std::string cursor() {
    std::ifstream in(daemon.state_dir() + "/journal.cursor");
    std::string line;
    std::getline(in, line);
    return line;
  }

  DaemonProcess daemon;
};

std::string syslog_default(const std::string& srcip) {
  return "ossec: Alert Level: 10; Rule: 5712 - sshd: brute force; Location: (web1) "
         "10.0.0.5->/var/log/auth.log; classification: syslog,sshd,; srcip: " +
         srcip + "; user: root; Failed password for root from " + srcip;
}

TEST_F(JournalTest, AlertsFromEveryFormatAreBlockedAndOthersIgnored) {
  // Written before the first start: the journal is read from its end, so this stays unread.
  ASSERT_NO_FATAL_FAILURE(logger_alert("198.51.100.50"));
  // journald stores entries asynchronously: "before the start" means stored before it.
  ASSERT_TRUE(wait_until([] { return !journal_json("ALERT_SRCIP=198.51.100.50").empty(); }));
  ASSERT_EQ(start(), "");
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.9"));
  ASSERT_NO_FATAL_FAILURE(logger_alert("2001:db8::9"));
  ASSERT_NO_FATAL_FAILURE(cat_lines(
      {wazuh_alert("203.0.113.10"), syslog_default("203.0.113.11"), "ossec: not an alert at all"}));
  // Not matched: another identifier, whatever it says.
  ASSERT_NO_FATAL_FAILURE(cat_lines({wazuh_alert("203.0.113.99")}, "something-else"));
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.98", "other"));
  // Matched, but below the binding's level.
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.97", "wazuh-test", 5));

  for (const char* a : {"203.0.113.9", "203.0.113.10", "203.0.113.11"})
    ASSERT_TRUE(appears("blocked4", a)) << a << "\n" << daemon.log();
  ASSERT_TRUE(appears("blocked6", "2001:db8::9")) << daemon.log();
  // The last entry (level 5) blocks nothing: wait until it has been read.
  EXPECT_TRUE(wait_until([&] { return daemon.stat("alerts_received") == 6u; })) << daemon.log();
  EXPECT_EQ(daemon.stat("alerts_rejected"), 1u);
  EXPECT_EQ(count("blocked4"), 3u);
  EXPECT_FALSE(has("blocked4", "198.51.100.50"));
  EXPECT_NE(daemon.log().find("blocked 203.0.113.9 with firewall-drop for 600s (rule 5712"),
            std::string::npos)
      << daemon.log();
  EXPECT_NE(daemon.log().find("rejected alert line:"), std::string::npos);
}

TEST_F(JournalTest, RestartResumesExactlyAfterTheSavedCursor) {
  ASSERT_EQ(start(), "");
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.20"));
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.21"));
  ASSERT_TRUE(appears("blocked4", "203.0.113.21")) << daemon.log();
  ASSERT_TRUE(wait_until([&] { return !cursor().empty(); })) << daemon.log();
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  std::string saved = cursor();

  // Written while rampartd is down.
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.22"));
  ASSERT_NO_FATAL_FAILURE(cat_lines({wazuh_alert("203.0.113.23")}));
  ASSERT_EQ(start(), "");
  ASSERT_TRUE(appears("blocked4", "203.0.113.22")) << daemon.log();
  ASSERT_TRUE(appears("blocked4", "203.0.113.23")) << daemon.log();
  // Only the two new entries were read: the committed ones were not replayed.
  EXPECT_EQ(daemon.stat("alerts_received"), 2u) << daemon.log();
  EXPECT_TRUE(wait_until([&] { return cursor() != saved; }));
  EXPECT_NE(daemon.log().find("journal: resuming after the saved position"), std::string::npos)
      << daemon.log();
}

TEST_F(JournalTest, InvalidCursorFallsBackToTheTail) {
  std::filesystem::create_directories(daemon.state_dir());
  daemon.dir().write("state/journal.cursor", "garbage\n");
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.30"));
  ASSERT_TRUE(wait_until([] { return !journal_json("ALERT_SRCIP=203.0.113.30").empty(); }));
  ASSERT_EQ(start(), "");
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.31"));
  ASSERT_TRUE(appears("blocked4", "203.0.113.31")) << daemon.log();
  EXPECT_FALSE(has("blocked4", "203.0.113.30"));
  EXPECT_NE(daemon.log().find("is not a valid cursor"), std::string::npos) << daemon.log();
}

// 50,000 alerts, each for its own address, written while rampartd is down.
void write_backlog(JournalTest* t, size_t n, std::vector<std::string>& addresses) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < n; ++i) {
    addresses.push_back(fmt::format("2001:db8::{:x}:{:x}", i / 65536 + 1, i % 65536));
    lines.push_back(i % 2 ? wazuh_alert(addresses.back()) : syslog_default(addresses.back()));
  }
  TempDir dir;
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  dir.write("lines", all);
  int status = -1;
  run("systemd-cat -t ossec < " + dir.file("lines"), &status);
  ASSERT_EQ(status, 0);
  (void)t;
}

// Counts the entries of the set cheaply (the JSON of 50,000 elements is slow to poll).
size_t count_fast(const std::string& table, const std::string& set) {
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  std::string out = run("nft list set inet " + table + " " + set +
                        " 2>/dev/null | grep -o "
                        "'2001:db8::' | wc -l");
  return std::strtoull(out.c_str(), nullptr, 10);
}

TEST_F(JournalTest, BacklogIsReadInChunksAndMeasured) {
  constexpr size_t kEntries = 50000;
  ASSERT_EQ(start(), "");
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.40"));
  ASSERT_TRUE(appears("blocked4", "203.0.113.40"));
  ASSERT_TRUE(wait_until([&] { return !cursor().empty(); }));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  std::vector<std::string> addresses;
  ASSERT_NO_FATAL_FAILURE(write_backlog(this, kEntries, addresses));

  auto begin = std::chrono::steady_clock::now();
  ASSERT_EQ(start(), "");
  ASSERT_TRUE(wait_until([&] { return count_fast(daemon.table(), "blocked6") == kEntries; },
                         std::chrono::seconds(120)))
      << count_fast(daemon.table(), "blocked6");
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::printf(
      "journal input: %zu entries from start to all blocks in the kernel in %.2f s: "
      "%.0f entries/s\n",
      kEntries, s, kEntries / s);
  EXPECT_EQ(daemon.stat("alerts_received"), kEntries);
  std::string log = daemon.log();
  size_t at = log.find("journal: caught up after");
  EXPECT_NE(at, std::string::npos) << log;
  if (at != std::string::npos)
    std::printf("rampartd: %s\n", log.substr(at, log.find('\n', at) - at).c_str());
}

TEST_F(JournalTest, KillDuringBacklogLosesNoAlert) {
  constexpr size_t kEntries = 50000;
  ASSERT_EQ(start(), "");
  ASSERT_NO_FATAL_FAILURE(logger_alert("203.0.113.41"));
  ASSERT_TRUE(appears("blocked4", "203.0.113.41"));
  ASSERT_TRUE(wait_until([&] { return !cursor().empty(); }));
  EXPECT_EQ(daemon.stop(SIGTERM), 0);
  std::vector<std::string> addresses;
  ASSERT_NO_FATAL_FAILURE(write_backlog(this, kEntries, addresses));

  std::string before = cursor();
  ASSERT_EQ(start(), "");
  // Killed as soon as the first chunks are committed and their position saved.
  ASSERT_TRUE(wait_until([&] { return cursor() != before; }, std::chrono::seconds(60)));
  daemon.stop(SIGKILL);
  size_t at_kill = count_fast(daemon.table(), "blocked6");
  std::printf("killed with %zu of %zu blocks in the kernel\n", at_kill, kEntries);
  EXPECT_LT(at_kill, kEntries) << "rampartd finished before it could be killed";

  ASSERT_EQ(start(), "");
  ASSERT_TRUE(wait_until([&] { return count_fast(daemon.table(), "blocked6") == kEntries; },
                         std::chrono::seconds(120)))
      << count_fast(daemon.table(), "blocked6") << "\n"
      << daemon.log();
  // Every address, not just the right number.
  auto elements = list_set(daemon.table(), "blocked6");
  ASSERT_TRUE(elements);
  std::set<std::string> present;
  for (const auto& e : *elements) present.insert(e.address);
  for (const auto& a : addresses) ASSERT_TRUE(present.count(a)) << a;
}

TEST_F(JournalTest, AuditRecordsCarryTheFieldsAndTheCatalogExplainsThem) {
  ASSERT_EQ(daemon.start("<global><white_list>198.51.100.0/24</white_list></global>" + kDrop +
                         daemon.rampart_section(kJournal)),
            "");
  ASSERT_TRUE(daemon.send({wazuh_alert("203.0.113.9", 10, "5712", "\"sshd\"", "000"),
                           wazuh_alert("198.51.100.7"), "not an alert"}));
  ASSERT_TRUE(appears("blocked4", "203.0.113.9")) << daemon.log();

  std::vector<std::map<std::string, std::string>> blocked;
  ASSERT_TRUE(wait_until([&] {
    blocked = journal_json(std::string("MESSAGE_ID=") + kBlockedId +
                           " RAMPART_ADDRESS=203.0.113.9 _PID=" + std::to_string(daemon.pid()));
    return !blocked.empty();
  })) << daemon.log();
  auto& b = blocked.front();
  EXPECT_EQ(b["SYSLOG_IDENTIFIER"], "rampartd");
  EXPECT_EQ(b["PRIORITY"], "6");
  EXPECT_EQ(b["RAMPART_EVENT"], "blocked");
  EXPECT_EQ(b["RAMPART_COMMAND"], "firewall-drop");
  EXPECT_EQ(b["RAMPART_BACKEND"], "nftables");
  EXPECT_EQ(b["RAMPART_RULE_ID"], "5712");
  EXPECT_EQ(b["RAMPART_LEVEL"], "10");
  EXPECT_EQ(b["RAMPART_TIMEOUT_SEC"], "600");
  EXPECT_EQ(b["RAMPART_ALERT_ID"], "1732740000.123456");
  EXPECT_EQ(b["RAMPART_AGENT_ID"], "000");
  EXPECT_FALSE(b["RAMPART_EXPIRY_USEC"].empty());
  EXPECT_EQ(b["RAMPART_REASON"], "sshd: brute force trying to get access to the system.");
  EXPECT_EQ(b["MESSAGE"].rfind("blocked 203.0.113.9 with firewall-drop for 600s", 0), 0u)
      << b["MESSAGE"];
  EXPECT_EQ(b["_PID"], std::to_string(daemon.pid()));

  std::vector<std::map<std::string, std::string>> skipped, loaded, rejected;
  ASSERT_TRUE(wait_until([&] {
    skipped = journal_json(std::string("MESSAGE_ID=") + kSkippedId);
    loaded = journal_json(std::string("MESSAGE_ID=") + kConfigLoadedId +
                          " _PID=" + std::to_string(daemon.pid()));
    rejected = journal_json(std::string("MESSAGE_ID=") + kAlertRejectedId +
                            " _PID=" + std::to_string(daemon.pid()));
    return !skipped.empty() && !loaded.empty() && !rejected.empty();
  }));
  EXPECT_EQ(skipped.back()["RAMPART_ADDRESS"], "198.51.100.7");
  EXPECT_EQ(skipped.back()["RAMPART_REASON"].rfind("allowlisted", 0), 0u);
  EXPECT_EQ(loaded.back()["RAMPART_CONFIG_FILES"], daemon.config_path());
  EXPECT_EQ(rejected.back()["RAMPART_SAMPLE"], "not an alert");
  EXPECT_EQ(rejected.back()["RAMPART_SUPPRESSED"], "0");

  // The catalog, installed into this namespace's private catalog directory.
  const char* root = getenv("RAMPART_SOURCE_ROOT");
  ASSERT_TRUE(root);
  std::filesystem::copy_file(std::string(root) + "/catalog/rampart.catalog",
                             "/usr/lib/systemd/catalog/rampart.catalog",
                             std::filesystem::copy_options::overwrite_existing);
  int status = -1;
  run("journalctl --update-catalog 2>&1", &status);
  ASSERT_EQ(status, 0);
  std::string listed = run(std::string("journalctl --list-catalog ") + kBlockedId);
  EXPECT_NE(listed.find("rampart blocked"), std::string::npos) << listed;
  std::string explained = run(std::string("journalctl --no-pager -x MESSAGE_ID=") + kBlockedId +
                              " _PID=" + std::to_string(daemon.pid()));
  EXPECT_NE(explained.find("Subject: rampart blocked 203.0.113.9"), std::string::npos) << explained;
}

}  // namespace
}  // namespace rampart::test
