#include "journal/audit.h"
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>

#include "journal/audit_ids.h"
namespace rampart {
namespace {

// Parses the native protocol back into fields.
std::multimap<std::string, std::string> fields_of(std::string_view bytes) {
  std::multimap<std::string, std::string> out;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    std::string_view line = bytes.substr(0, nl);
    size_t eq = line.find('=');
    if (eq != std::string_view::npos) {
      out.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
      bytes.remove_prefix(nl + 1);
      continue;
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(bytes[nl + 1 + i])) << (8 * i);
    out.emplace(std::string(line), std::string(bytes.substr(nl + 9, n)));
    bytes.remove_prefix(nl + 9 + n + 1);
  }
  return out;
}

TEST(JournalRecordTest, NativeProtocol) {
  JournalRecord r;
  r.add("MESSAGE", "two\nlines").add("PRIORITY", uint64_t(6)).add("EMPTY", "");
  std::string expected = "MESSAGE\n";
  expected += std::string("\x09\0\0\0\0\0\0\0", 8);
  expected += "two\nlines\nPRIORITY=6\nEMPTY=\n";
  EXPECT_EQ(r.bytes(), expected);
  auto f = fields_of(r.bytes());
  EXPECT_EQ(f.find("MESSAGE")->second, "two\nlines");
}

TEST(JournalRecordTest, LongValuesAreCut) {
  JournalRecord r;
  r.add("X", std::string(JournalRecord::kMaxValue + 100, 'a'));
  EXPECT_EQ(r.bytes().size(), 2 + JournalRecord::kMaxValue + 1);
}

TEST(AuditTest, BlockedEventLineAndRecord) {
  Address a = *Address::parse("203.0.113.9");
  Event e{.type = EventType::Blocked,
          .address = &a,
          .command = "firewall-drop",
          .backend = "nftables",
          .reason = "sshd: brute force",
          .alert_id = "1732740000.1",
          .agent_id = "001",
          .rule_id = 5712,
          .level = 10,
          .timeout_sec = 600,
          .expiry_realtime_us = 1795813702000000ull};
  EventText t = event_text(e);
  EXPECT_EQ(t.text,
            "blocked 203.0.113.9 with firewall-drop for 600s (rule 5712, level 10, nftables): "
            "sshd: brute force");
  JournalRecord r;
  event_record(e, t.text, t.level, r);
  auto f = fields_of(r.bytes());
  EXPECT_EQ(f.find("MESSAGE_ID")->second, audit_id::kBlocked);
  EXPECT_EQ(f.find("PRIORITY")->second, "6");
  EXPECT_EQ(f.find("SYSLOG_IDENTIFIER")->second, "rampartd");
  EXPECT_EQ(f.find("RAMPART_ADDRESS")->second, "203.0.113.9");
  EXPECT_EQ(f.find("RAMPART_COMMAND")->second, "firewall-drop");
  EXPECT_EQ(f.find("RAMPART_BACKEND")->second, "nftables");
  EXPECT_EQ(f.find("RAMPART_RULE_ID")->second, "5712");
  EXPECT_EQ(f.find("RAMPART_LEVEL")->second, "10");
  EXPECT_EQ(f.find("RAMPART_TIMEOUT_SEC")->second, "600");
  EXPECT_EQ(f.find("RAMPART_EXPIRY_USEC")->second, "1795813702000000");
  EXPECT_EQ(f.find("RAMPART_ALERT_ID")->second, "1732740000.1");
  EXPECT_EQ(f.find("RAMPART_AGENT_ID")->second, "001");
  EXPECT_EQ(f.find("RAMPART_REASON")->second, "sshd: brute force");
  EXPECT_EQ(f.count("RAMPART_CALLER_UID"), 0u);
}

TEST(AuditTest, FleetLines) {
  Address a = *Address::parse("203.0.113.9");
  Event e{.type = EventType::Blocked,
          .address = &a,
          .command = "firewall-drop",
          .backend = "nftables",
          .reason = "sshd",
          .origin = "manager",
          .order_id = "000-17-1",
          .target = "agent:005",
          .rule_id = 5712,
          .level = 10,
          .narrowed = "203.0.113.0/24 holds 192.0.2.1"};
  EXPECT_EQ(event_text(e).text,
            "blocked 203.0.113.9 with firewall-drop with no timeout (rule 5712, level 10, "
            "nftables) ordered by manager: sshd; 203.0.113.0/24 holds 192.0.2.1");
  e.type = EventType::OrderSent;
  EXPECT_EQ(event_text(e).text,
            "order sent to agent:005: 203.0.113.9 with firewall-drop (order 000-17-1, rule 5712)");
  e.type = EventType::OrderApplied;
  EXPECT_EQ(event_text(e).text,
            "order applied from manager: 203.0.113.9 with firewall-drop (order 000-17-1)");
  e.detail = "already blocked at least that long";
  e.type = EventType::OrderReceived;
  EXPECT_EQ(event_text(e).text,
            "order received from manager: 203.0.113.9 with firewall-drop (order 000-17-1): "
            "already blocked at least that long");
  Event refused{.type = EventType::OrderRefused, .detail = "malformed order: no \"op\""};
  EventText t = event_text(refused);
  EXPECT_EQ(t.text, "order refused from ?:  (order ?): malformed order: no \"op\"");
  EXPECT_EQ(t.level, LogLevel::Warning);
}

TEST(AuditTest, LinesTestsGrepForStayTheSame) {
  Address a = *Address::parse("198.51.100.7");
  Event skipped{.type = EventType::Skipped,
                .address = &a,
                .command = "firewall-drop",
                .reason = "desc",
                .detail = "allowlisted (198.51.100.0/24)",
                .rule_id = 5712,
                .level = 10};
  EXPECT_EQ(event_text(skipped).text,
            "skipped 198.51.100.7 for firewall-drop: allowlisted (198.51.100.0/24) (rule 5712, "
            "level 10)");
  JournalRecord r;
  event_record(skipped, "", LogLevel::Notice, r);
  auto f = fields_of(r.bytes());
  EXPECT_EQ(f.find("MESSAGE_ID")->second, audit_id::kSkipped);
  EXPECT_EQ(f.find("RAMPART_REASON")->second, "allowlisted (198.51.100.0/24)");
  EXPECT_EQ(f.find("RAMPART_DESCRIPTION")->second, "desc");

  Event expired{.type = EventType::Expired,
                .address = &a,
                .command = "firewall-drop",
                .backend = "nftables",
                .detail = "expired"};
  EXPECT_EQ(event_text(expired).text, "expired 198.51.100.7 (firewall-drop, nftables)");
  Event restored{.type = EventType::Restored, .backend = "nftables", .count = 3};
  EXPECT_EQ(event_text(restored).text, "restored 3 active blocks from nftables");
  Event revoked{.type = EventType::Unblocked,
                .address = &a,
                .command = "manual",
                .backend = "nftables",
                .detail = "revoked",
                .caller_uid = 1000};
  EXPECT_EQ(event_text(revoked).text,
            "unblocked 198.51.100.7 (manual, nftables): revoked by uid 1000");
  event_record(revoked, "", LogLevel::Info, r);
  f = fields_of(r.bytes());
  EXPECT_EQ(f.find("MESSAGE_ID")->second, audit_id::kUnblocked);
  EXPECT_EQ(f.find("RAMPART_CALLER_UID")->second, "1000");
  EXPECT_EQ(f.count("RAMPART_RULE_ID"), 0u);
}

TEST(AuditTest, EveryMessageIdIsDistinctAndInTheCatalog) {
  std::vector<std::string_view> ids{
      audit_id::kBlocked,        audit_id::kRefreshed,     audit_id::kUnblocked,
      audit_id::kExpired,        audit_id::kSkipped,       audit_id::kRefused,
      audit_id::kBackendFailure, audit_id::kRestored,      audit_id::kConfigLoaded,
      audit_id::kConfigRejected, audit_id::kAlertRejected, audit_id::kSummary,
      audit_id::kFeedLoaded,     audit_id::kFeedRefused};
  std::set<std::string_view> unique(ids.begin(), ids.end());
  EXPECT_EQ(unique.size(), ids.size());
  // meson passes the source root; otherwise __FILE__ is "../src/journal/audit_test.cc" from the
  // build directory, where meson runs tests.
  std::string self = __FILE__;
  const char* root = getenv("RAMPART_SOURCE_ROOT");
  std::string path = root ? std::string(root) + "/catalog/rampart.catalog"
                          : self.substr(0, self.rfind('/')) + "/../../catalog/rampart.catalog";
  FILE* f = fopen(path.c_str(), "r");
  ASSERT_TRUE(f) << path;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  fclose(f);
  for (auto id : ids) EXPECT_NE(text.find("-- " + std::string(id) + "\n"), std::string::npos) << id;
}

// The writer speaks to any unix datagram socket; here one the test reads.
TEST(JournalWriterTest, SendsAndQueuesWhenTheReaderIsBehind) {
  char dir[] = "/tmp/rampart-audit-XXXXXX";
  ASSERT_TRUE(mkdtemp(dir));
  std::string path = std::string(dir) + "/socket";
  int server = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  EXPECT_EQ(JournalWriter::open(std::string(dir) + "/none"), nullptr);
  auto writer = JournalWriter::open(path);
  ASSERT_TRUE(writer);
  sd_event* event = nullptr;
  ASSERT_GE(sd_event_new(&event), 0);
  writer->attach(event);
  JournalRecord r;
  // Far more than the kernel queues (net.unix.max_dgram_qlen): the rest waits, nothing blocks.
  constexpr int kRecords = 2000;
  for (int i = 0; i < kRecords; ++i) {
    r.clear();
    r.add("N", uint64_t(i));
    EXPECT_TRUE(writer->send(r));
  }
  EXPECT_GT(writer->queued(), 0u);
  int received = 0;
  char buf[256];
  while (received < kRecords) {
    while (recv(server, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      EXPECT_EQ(std::string(buf, 2), "N=");
      ++received;
    }
    if (received < kRecords) {
      ASSERT_GE(sd_event_run(event, 1000000), 0);
    }
  }
  EXPECT_EQ(writer->queued(), 0u);
  EXPECT_EQ(writer->sent(), uint64_t(kRecords));
  writer.reset();
  sd_event_unref(event);
  close(server);
  unlink(path.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace rampart
