#include "hosts_deny/hosts_deny.h"
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"

namespace rampart {
namespace {

Address A(std::string_view s) {
  return *Address::parse(s);
}

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
  test::TempDir dir;
  std::string path = dir.path() + "/hosts.deny";
  { std::ofstream(path) << "# mine\n"; }
  chmod(path.c_str(), 0640);
  ASSERT_TRUE(update_hosts_deny(path, {{A("192.0.2.1"), true}}));
  EXPECT_EQ(test::read_file(path), "# mine\nALL:192.0.2.1\n");
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  size_t files = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
}

TEST(HostsDeny, EditsForTheHelperRoundTrip) {
  HostsDenyEdits edits{{A("203.0.113.9"), true}, {A("2001:db8::9"), false}};
  std::string text = encode_hosts_deny_edits(edits);
  EXPECT_NE(text.find("+203.0.113.9\n"), std::string::npos);
  EXPECT_NE(text.find("-2001:db8::9\n"), std::string::npos);
  auto back = parse_hosts_deny_edits(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, edits);
  EXPECT_EQ(parse_hosts_deny_edits("+203.0.113.9\n*nope\n").error().message,
            "line 2: \"*nope\" is not +ADDRESS or -ADDRESS");
  EXPECT_FALSE(parse_hosts_deny_edits("+203.0.113.0/24\n"));
}

}  // namespace
}  // namespace rampart
