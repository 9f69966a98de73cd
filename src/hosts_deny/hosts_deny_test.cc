#include "hosts_deny/hosts_deny.h"
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"
#include "state/state_store.h"
namespace rampart {
namespace {

using fakes::FakeClock;

Address A(std::string_view s) {
  return *Address::parse(s);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/rampart-hosts-deny-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST(HostsDeny, Lines) {
  EXPECT_EQ(hosts_deny_line(A("203.0.113.9")), "ALL:203.0.113.9");
  EXPECT_EQ(hosts_deny_line(A("2001:db8::9")), "ALL:[2001:db8::9]");
  EXPECT_EQ(hosts_deny_address("ALL:203.0.113.9"), A("203.0.113.9"));
  EXPECT_EQ(hosts_deny_address("ALL: 203.0.113.9 "), A("203.0.113.9"));
  EXPECT_EQ(hosts_deny_address("ALL:[2001:db8::9]"), A("2001:db8::9"));
  EXPECT_EQ(hosts_deny_address("ALL:2001:db8::9"), A("2001:db8::9"));
  EXPECT_FALSE(hosts_deny_address("sshd: 203.0.113.9"));
  EXPECT_FALSE(hosts_deny_address("ALL: 203.0.113.9 : spawn /bin/true"));
  EXPECT_FALSE(hosts_deny_address("ALL: 203.0.113.9, 203.0.113.10"));
  EXPECT_FALSE(hosts_deny_address("ALL: .example.com"));
  EXPECT_FALSE(hosts_deny_address("# ALL:203.0.113.9"));
}

TEST(HostsDeny, RemovalIsExactAndKeepsOtherLines) {
  std::string before =
      "# /etc/hosts.deny\n"
      "sshd: 10.0.0.1\n"
      "ALL:10.0.0.1\n"
      "ALL:10.0.0.10\n"
      "ALL:[2001:db8::1]\n"
      "ALL:[2001:db8::10]\n"
      "ALL: 10.0.0.1 : spawn /bin/echo\n";
  HostsDenyEdits edits{{A("10.0.0.1"), false}, {A("2001:db8::1"), false}};
  EXPECT_EQ(rewrite_hosts_deny(before, edits),
            "# /etc/hosts.deny\n"
            "sshd: 10.0.0.1\n"
            "ALL:10.0.0.10\n"
            "ALL:[2001:db8::10]\n"
            "ALL: 10.0.0.1 : spawn /bin/echo\n");
}

TEST(HostsDeny, AddAppendsOnceWithBracketsForIPv6) {
  HostsDenyEdits edits{{A("10.0.0.2"), true}, {A("2001:db8::2"), true}, {A("10.0.0.10"), true}};
  EXPECT_EQ(rewrite_hosts_deny("# keep\nALL:10.0.0.10", edits),
            "# keep\nALL:10.0.0.10\nALL:10.0.0.2\nALL:[2001:db8::2]\n");
  EXPECT_EQ(rewrite_hosts_deny("# no newline", {}), "# no newline");
  EXPECT_EQ(rewrite_hosts_deny("", {{A("10.0.0.3"), true}}), "ALL:10.0.0.3\n");
}

TEST(HostsDeny, FileRewriteKeepsModeAndIsAtomic) {
  TempDir dir;
  std::string path = dir.path + "/hosts.deny";
  { std::ofstream(path) << "# mine\n"; }
  chmod(path.c_str(), 0640);
  ASSERT_TRUE(update_hosts_deny(path, {{A("192.0.2.1"), true}}));
  EXPECT_EQ(slurp(path), "# mine\nALL:192.0.2.1\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path)) ++files;
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

TEST(HostsDeny, TenThousandBlocksAreOneRewrite) {
  TempDir dir;
  std::string path = dir.path + "/hosts.deny";
  { std::ofstream(path) << "# admin line\nsshd: 192.0.2.1\n"; }
  FakeClock clock;
  auto state = StateStore::open(dir.path + "/state");
  ASSERT_TRUE(state) << state.error().message;
  HostsDenyBackend backend(path, clock, state->get());
  std::vector<Change> changes;
  for (uint32_t i = 0; i < 10000; ++i) {
    Change c;
    c.address = Address::v4(0x0a000000 + i);
    c.timeout_ms = 600000;
    c.command = "host-deny";
    c.comment = "host-deny:5712";
    changes.push_back(c);
  }
  ApplyResult r = backend.apply(changes);
  EXPECT_EQ(r.applied, 10000u);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(backend.rewrites(), 1u);
  std::string content = slurp(path);
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 10002);
  EXPECT_TRUE(content.starts_with("# admin line\nsshd: 192.0.2.1\nALL:10.0.0.0\n"));
  EXPECT_EQ((*state)->undo_count(), 10000u);

  // Removing half is one more rewrite, and their undo records go.
  std::vector<Change> deletes;
  for (uint32_t i = 0; i < 10000; i += 2) {
    Change c;
    c.op = Change::Op::Delete;
    c.address = Address::v4(0x0a000000 + i);
    deletes.push_back(c);
  }
  backend.apply(deletes);
  EXPECT_EQ(backend.rewrites(), 2u);
  content = slurp(path);
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 5002);
  EXPECT_EQ(content.find("ALL:10.0.0.0\n"), std::string::npos);
  EXPECT_NE(content.find("ALL:10.0.0.1\n"), std::string::npos);
  EXPECT_EQ((*state)->undo_count(), 5000u);
}

TEST(HostsDeny, RestoreRemovesExpiredAndKeepsTheRest) {
  TempDir dir;
  std::string path = dir.path + "/hosts.deny";
  FakeClock clock;
  {
    auto state = StateStore::open(dir.path + "/state");
    ASSERT_TRUE(state);
    HostsDenyBackend backend(path, clock, state->get());
    Change a{.address = A("198.51.100.1"), .timeout_ms = 5000, .comment = "host-deny:1"};
    a.command = "host-deny";
    Change b{.address = A("2001:db8::5"), .timeout_ms = 60000, .comment = "host-deny:2"};
    b.command = "host-deny";
    std::vector<Change> changes{a, b};
    backend.apply(changes);
  }
  EXPECT_EQ(slurp(path), "ALL:198.51.100.1\nALL:[2001:db8::5]\n");
  clock.now += 10'000'000;  // 10 s later: the first one is due
  auto state = StateStore::open(dir.path + "/state");
  ASSERT_TRUE(state);
  HostsDenyBackend backend(path, clock, state->get());
  auto blocks = backend.restore();
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].address, A("2001:db8::5"));
  EXPECT_EQ((*blocks)[0].command, "host-deny");
  EXPECT_EQ((*blocks)[0].rule_id, 2u);
  EXPECT_NEAR(double((*blocks)[0].remaining_ms), 50000.0, 10.0);
  EXPECT_EQ(slurp(path), "ALL:[2001:db8::5]\n");
  EXPECT_EQ((*state)->undo_count(), 1u);
}

}  // namespace
}  // namespace rampart
