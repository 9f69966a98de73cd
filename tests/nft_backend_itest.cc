// NftBackend against the real kernel, each test in a network namespace of its own, with the nft
// tool as the independent observer.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "harness.h"
#include "nft/nft_backend.h"
#include "nft/nft_lookup.h"
namespace rampart {
namespace {

using test::enter_new_netns;
using test::list_set;
using test::run;
using test::SetElement;
using test::wait_until;

constexpr uint64_t kHour = 3600 * 1000;

Change add(const std::string& addr, uint64_t timeout_ms = kHour,
           std::string comment = "firewall-drop:5712") {
  return {Change::Op::Add, *Address::parse(addr), timeout_ms, std::move(comment)};
}
Change del(const std::string& addr) {
  return {Change::Op::Delete, *Address::parse(addr), 0, {}};
}

// 2001:db8::/32 is the only documentation range big enough for floods.
Address flood_address(uint32_t i) {
  Address a = *Address::parse("2001:db8::");
  for (int b = 0; b < 4; ++b) a.bytes[15 - b] = static_cast<uint8_t>(i >> (8 * b));
  a.bytes[11] = 1;
  return a;
}

std::unique_ptr<NftBackend> open_ready() {
  auto nft = NftBackend::open("rampart");
  EXPECT_TRUE(nft) << nft.error().message;
  if (!nft) return nullptr;
  auto r = (*nft)->ensure_ruleset();
  EXPECT_TRUE(r) << r.error().message;
  return std::move(*nft);
}

std::vector<SetElement> elements(const std::string& set) {
  auto e = list_set("rampart", set);
  EXPECT_TRUE(e.has_value()) << "set " << set << " missing";
  return e.value_or(std::vector<SetElement>{});
}

std::vector<std::string> addresses(const std::vector<SetElement>& els) {
  std::vector<std::string> out;
  for (const auto& e : els) out.push_back(e.address);
  std::sort(out.begin(), out.end());
  return out;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

#define IN_NEW_NETNS()    \
  RAMPART_REQUIRE_ROOT(); \
  ASSERT_EQ(enter_new_netns(), "");

TEST(NftBackend, CreatesTheRulesetNftWouldWrite) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::string ours = run("nft list ruleset");

  // The same ruleset written by nft itself must list identically.
  test::TempDir dir;
  std::string chain_body =
      "ip saddr @blocked4 drop; ip saddr @blocked4_net drop; "
      "ip6 saddr @blocked6 drop; ip6 saddr @blocked6_net drop;";
  dir.write("rules.nft", fmt::format(R"(table inet rampart {{
  set blocked4 {{ type ipv4_addr; flags timeout; }}
  set blocked6 {{ type ipv6_addr; flags timeout; }}
  set blocked4_net {{ type ipv4_addr; flags interval,timeout; }}
  set blocked6_net {{ type ipv6_addr; flags interval,timeout; }}
  chain input {{ type filter hook input priority -10; policy accept; {0} }}
  chain forward {{ type filter hook forward priority -10; policy accept; {0} }}
}}
)",
                                     chain_body));
  int status = -1;
  run("nft flush ruleset && nft -f " + dir.file("rules.nft"), &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(ours, run("nft list ruleset"));
  EXPECT_NE(ours.find("type filter hook input priority filter - 10; policy accept;"),
            std::string::npos)
      << ours;
}

TEST(NftBackend, EnsureRulesetTwiceKeepsRulesAndElements) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9"), add("198.51.100.0/24")};
  ASSERT_EQ(nft->apply(c).applied, 2u);
  std::string before =
      run("nft list chains; nft list chain inet rampart input; "
          "nft list chain inet rampart forward");
  ASSERT_TRUE(nft->ensure_ruleset());
  auto again = NftBackend::open("rampart");  // a restarted daemon
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->ensure_ruleset());
  EXPECT_EQ(before, run("nft list chains; nft list chain inet rampart input; "
                        "nft list chain inet rampart forward"));
  EXPECT_EQ(run("nft list chain inet rampart input | grep -c drop"), "4\n");
  EXPECT_EQ(addresses(elements("blocked4")), std::vector<std::string>{"203.0.113.9"});
  EXPECT_EQ(addresses(elements("blocked4_net")), std::vector<std::string>{"198.51.100.0/24"});
}

TEST(NftBackend, ForeignSetOfTheSameNameIsAReadableError) {
  IN_NEW_NETNS();
  int status = -1;
  run("nft add table inet rampart && "
      "nft add set inet rampart blocked6 '{ type ipv4_addr; }'",
      &status);
  ASSERT_EQ(status, 0);
  auto nft = NftBackend::open("rampart");
  ASSERT_TRUE(nft);
  auto r = (*nft)->ensure_ruleset();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "set blocked6 in table inet rampart exists with another type or flags (delete it or "
            "use another table name)");
}

TEST(NftBackend, AddsHostsWithTimeoutsAndComments) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9", kHour, "firewall-drop:5712"),
                           add("192.0.2.7", 600 * 1000, "sshd:5710"),
                           add("2001:db8::42", 2 * kHour, "web:31101"), add("203.0.113.10", 0, "")};
  auto r = nft->apply(c);
  EXPECT_EQ(r.applied, 4u);
  EXPECT_TRUE(r.rejected.empty());

  auto v4 = elements("blocked4");
  ASSERT_EQ(v4.size(), 3u);
  std::sort(v4.begin(), v4.end(), [](auto& a, auto& b) { return a.address < b.address; });
  EXPECT_EQ(v4[0].address, "192.0.2.7");
  EXPECT_EQ(v4[0].timeout_ms, 600 * 1000u);
  EXPECT_EQ(v4[0].comment, "sshd:5710");
  EXPECT_EQ(v4[1].address, "203.0.113.10");
  EXPECT_EQ(v4[1].timeout_ms, 0u);  // no timeout: stays until deleted
  EXPECT_EQ(v4[1].expires_ms, 0u);
  EXPECT_EQ(v4[1].comment, "");
  EXPECT_EQ(v4[2].address, "203.0.113.9");
  EXPECT_EQ(v4[2].timeout_ms, kHour);
  EXPECT_GT(v4[2].expires_ms, kHour - 60 * 1000);
  EXPECT_EQ(v4[2].comment, "firewall-drop:5712");
  EXPECT_NE(run("nft list set inet rampart blocked4").find("comment \"firewall-drop:5712\""),
            std::string::npos);

  auto v6 = elements("blocked6");
  ASSERT_EQ(v6.size(), 1u);
  EXPECT_EQ(v6[0].address, "2001:db8::42");
  EXPECT_EQ(v6[0].timeout_ms, 2 * kHour);
  EXPECT_EQ(v6[0].comment, "web:31101");
}

TEST(NftBackend, ReAddRefreshesTheTimeout) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> first = {add("203.0.113.9", kHour)};
  ASSERT_EQ(nft->apply(first).applied, 1u);
  std::vector<Change> longer = {add("203.0.113.9", 2 * kHour, "refreshed")};
  auto r = nft->apply(longer);
  EXPECT_EQ(r.applied, 1u);
  EXPECT_TRUE(r.rejected.empty());
  auto e = elements("blocked4");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].timeout_ms, 2 * kHour);
  EXPECT_GT(e[0].expires_ms, 2 * kHour - 60 * 1000);
  EXPECT_EQ(e[0].comment, "firewall-drop:5712");  // a re-add changes the timeout only

  // A shorter timeout is taken as given too (kernel 6.18): the block then ends sooner. The
  // daemon, not the backend, decides whether a re-add may shorten a block.
  std::vector<Change> shorter = {add("203.0.113.9", 600 * 1000)};
  r = nft->apply(shorter);
  EXPECT_EQ(r.applied, 1u);
  e = elements("blocked4");
  ASSERT_EQ(e.size(), 1u);
  std::printf(
      "[ info ] re-add with shorter timeout: timeout %llu ms, expires %llu ms, "
      "comment \"%s\"\n",
      static_cast<unsigned long long>(e[0].timeout_ms),
      static_cast<unsigned long long>(e[0].expires_ms), e[0].comment.c_str());
  EXPECT_EQ(e[0].timeout_ms, 600 * 1000u);
  EXPECT_LE(e[0].expires_ms, 600 * 1000u);
}

TEST(NftBackend, ShortTimeoutReallyExpires) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9", 2000), add("198.51.100.0/24", 2000)};
  ASSERT_EQ(nft->apply(c).applied, 2u);
  EXPECT_EQ(elements("blocked4").size(), 1u);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(
      wait_until([] { return elements("blocked4").empty() && elements("blocked4_net").empty(); },
                 std::chrono::seconds(10)));
  EXPECT_GT(seconds_since(t0), 1.0);
  auto dumped = nft->dump();
  ASSERT_TRUE(dumped);
  EXPECT_TRUE(dumped->empty());
  // Whatever the kernel leaves of an expired interval must not block adding it again.
  auto r = nft->apply(c);
  EXPECT_EQ(r.applied, 2u);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(addresses(elements("blocked4_net")), std::vector<std::string>{"198.51.100.0/24"});
}

TEST(NftBackend, DeletesHostsAndPrefixes) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9"),    add("203.0.113.10"),    add("198.51.100.0/24"),
                           add("192.0.2.128/25"), add("2001:db8:1::/48"), add("2001:db8::7")};
  ASSERT_EQ(nft->apply(c).applied, 6u);
  EXPECT_EQ(addresses(elements("blocked4_net")),
            (std::vector<std::string>{"192.0.2.128/25", "198.51.100.0/24"}));
  auto v6net = elements("blocked6_net");
  ASSERT_EQ(v6net.size(), 1u);
  EXPECT_EQ(v6net[0].address, "2001:db8:1::/48");
  EXPECT_EQ(v6net[0].comment, "firewall-drop:5712");
  EXPECT_EQ(v6net[0].timeout_ms, kHour);

  std::vector<Change> d = {del("203.0.113.9"), del("198.51.100.0/24"), del("2001:db8:1::/48"),
                           del("2001:db8::7")};
  auto r = nft->apply(d);
  EXPECT_EQ(r.applied, 4u);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(addresses(elements("blocked4")), std::vector<std::string>{"203.0.113.10"});
  EXPECT_EQ(addresses(elements("blocked4_net")), std::vector<std::string>{"192.0.2.128/25"});
  EXPECT_TRUE(elements("blocked6_net").empty());
  EXPECT_TRUE(elements("blocked6").empty());
}

TEST(NftBackend, OneStaleDeleteDoesNotAbortTenThousandAdds) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c;
  for (uint32_t i = 0; i < 5000; ++i) c.push_back({Change::Op::Add, flood_address(i), kHour, "x"});
  c.push_back(del("203.0.113.9"));  // never added (or expired meanwhile)
  for (uint32_t i = 5000; i < 10000; ++i)
    c.push_back({Change::Op::Add, flood_address(i), kHour, "x"});
  NftCounters before = nft->counters();
  auto r = nft->apply(c);
  EXPECT_EQ(r.applied, 10000u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].first, 5000u);
  EXPECT_EQ(r.rejected[0].second.code, ENOENT);
  EXPECT_EQ(r.rejected[0].second.message, "203.0.113.9: not in set blocked4 (already expired?)");
  const NftCounters& after = nft->counters();
  EXPECT_EQ(after.batches - before.batches, 2u);
  EXPECT_EQ(after.resends - before.resends, 1u);
  EXPECT_EQ(after.rejected - before.rejected, 1u);
  EXPECT_EQ(elements("blocked6").size(), 10000u);
}

TEST(NftBackend, EveryRefusedChangeIsReportedAfterOneResend) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> setup = {add("198.51.100.0/24")};
  ASSERT_EQ(nft->apply(setup).applied, 1u);
  std::vector<Change> c = {add("203.0.113.1"), del("203.0.113.9"), add("198.51.100.0/25"),
                           del("2001:db8::9"), add("2001:db8::1"), add("192.0.2.0/24")};
  NftCounters before = nft->counters();
  auto r = nft->apply(c);
  EXPECT_EQ(r.applied, 3u);
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_EQ(r.rejected[0].first, 1u);
  EXPECT_EQ(r.rejected[1].first, 2u);
  EXPECT_EQ(r.rejected[1].second.code, EEXIST);
  EXPECT_EQ(r.rejected[1].second.message,
            "198.51.100.0/25: overlaps an interval already in set blocked4_net");
  EXPECT_EQ(r.rejected[2].first, 3u);
  EXPECT_EQ(r.rejected[2].second.message, "2001:db8::9: not in set blocked6 (already expired?)");
  EXPECT_EQ(nft->counters().resends - before.resends, 1u);
  EXPECT_EQ(addresses(elements("blocked4_net")),
            (std::vector<std::string>{"192.0.2.0/24", "198.51.100.0/24"}));
  EXPECT_EQ(addresses(elements("blocked4")), std::vector<std::string>{"203.0.113.1"});
}

TEST(NftBackend, RefusedElementInsideAPackedAddIsPinnedByItsOffset) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c;
  for (uint32_t i = 0; i < 1000; ++i) c.push_back({Change::Op::Add, flood_address(i), kHour, "x"});
  c[500].timeout_ms = uint64_t{1} << 63;  // beyond what the kernel can count: ERANGE
  NftCounters before = nft->counters();
  auto r = nft->apply(c);
  EXPECT_EQ(r.applied, 999u);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].first, 500u);
  EXPECT_EQ(r.rejected[0].second.code, ERANGE);
  EXPECT_EQ(r.rejected[0].second.message.rfind(
                flood_address(500).str() + ": kernel refused adding it to set blocked6: ", 0),
            0u)
      << r.rejected[0].second.message;
  EXPECT_EQ(nft->counters().resends - before.resends, 1u);
  EXPECT_EQ(nft->counters().batches - before.batches, 2u);
  EXPECT_EQ(elements("blocked6").size(), 999u);
}

TEST(NftBackend, SameAddressTwiceInOneSpan) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9", kHour, "first"),
                           add("203.0.113.9", 2 * kHour, "second"), add("203.0.113.10"),
                           del("203.0.113.10"), add("203.0.113.10", 0, "back")};
  auto r = nft->apply(c);
  EXPECT_EQ(r.applied, 5u);
  EXPECT_TRUE(r.rejected.empty());
  auto e = elements("blocked4");
  std::sort(e.begin(), e.end(), [](auto& a, auto& b) { return a.address < b.address; });
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].address, "203.0.113.10");
  EXPECT_EQ(e[0].comment, "back");
  EXPECT_EQ(e[1].address, "203.0.113.9");
  // The second add refreshes the timeout; the kernel keeps the comment of the first.
  EXPECT_EQ(e[1].timeout_ms, 2 * kHour);
  EXPECT_EQ(e[1].comment, "first");
}

TEST(NftBackend, MissingRulesetIsReadable) {
  IN_NEW_NETNS();
  auto nft = NftBackend::open("rampart");
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9"), add("203.0.113.10")};
  auto r = (*nft)->apply(c);
  EXPECT_EQ(r.applied, 0u);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].second.message,
            "203.0.113.9: set inet rampart blocked4 does not exist (ruleset not created, or "
            "removed by someone else?)");
  auto d = (*nft)->dump();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, ENOENT);
}

TEST(NftBackend, FlushEmptiesTheFourSets) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9"), add("2001:db8::1"), add("198.51.100.0/24"),
                           add("2001:db8:1::/48"), add("192.0.2.0/25")};
  ASSERT_EQ(nft->apply(c).applied, 5u);
  auto n = nft->flush();
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 5u);
  for (auto set : {"blocked4", "blocked6", "blocked4_net", "blocked6_net"})
    EXPECT_TRUE(elements(set).empty()) << set;
  EXPECT_EQ(run("nft list chain inet rampart forward | grep -c drop"), "4\n");
  n = nft->flush();
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(NftBackend, DumpMatchesWhatNftLists) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9", kHour, "a"),
                           add("192.0.2.1", 0, "b"),
                           add("2001:db8::5", 5 * kHour, ""),
                           add("198.51.100.0/24", kHour, "c"),
                           add("198.51.100.0/31"),
                           add("192.0.2.128/25", 2 * kHour, "adjacent"),
                           add("192.0.2.64/26", 2 * kHour, "adjacent"),
                           add("2001:db8:ff00::/40", 0, "v6net")};
  auto r = nft->apply(c);
  ASSERT_EQ(r.rejected.size(), 1u);  // the /31 inside the /24
  auto dumped = nft->dump();
  ASSERT_TRUE(dumped) << dumped.error().message;
  std::vector<SetElement> ours;
  for (const auto& e : *dumped)
    ours.push_back({e.address.str(), e.timeout_ms, e.expires_ms, e.comment});
  std::vector<SetElement> theirs;
  for (auto set : {"blocked4", "blocked6", "blocked4_net", "blocked6_net"})
    for (auto& e : elements(set)) theirs.push_back(e);
  auto by_addr = [](const SetElement& a, const SetElement& b) { return a.address < b.address; };
  std::sort(ours.begin(), ours.end(), by_addr);
  std::sort(theirs.begin(), theirs.end(), by_addr);
  ASSERT_EQ(ours.size(), 7u);
  ASSERT_EQ(theirs.size(), ours.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    EXPECT_EQ(ours[i].address, theirs[i].address);
    EXPECT_EQ(ours[i].timeout_ms, theirs[i].timeout_ms) << ours[i].address;
    EXPECT_EQ(ours[i].comment, theirs[i].comment) << ours[i].address;
    // nft -j rounds expiry down to seconds and lists a moment later.
    EXPECT_NEAR(static_cast<double>(ours[i].expires_ms), static_cast<double>(theirs[i].expires_ms),
                5000.0)
        << ours[i].address;
  }
}

// Keyed lookups see what the kernel holds: hosts and prefixes with their remaining time and
// comment, nothing for keys that are absent (also several in a row, and at the end of a
// request), and nothing for a prefix that is only covered by a larger one.
TEST(NftLookup, FindsHostsAndPrefixesAndNothingElse) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  std::vector<Change> c = {add("203.0.113.9", kHour, "a:1"), add("2001:db8::5", 0, "b:2"),
                           add("198.51.100.0/24", 2 * kHour, "c:3"),
                           add("2001:db8:ff00::/40", kHour, "d:4")};
  for (uint32_t i = 0; i < 250; i += 2) c.push_back(add(flood_address(i).str(), kHour, "f:5"));
  ASSERT_TRUE(nft->apply(c).rejected.empty());
  std::vector<Address> keys;
  for (const char* a : {"203.0.113.9", "203.0.113.10", "2001:db8::5", "198.51.100.0/24",
                        "198.51.100.128/25", "2001:db8:ff00::/40", "2001:db8:ff01::/48"})
    keys.push_back(*Address::parse(a));
  for (uint32_t i = 0; i < 250; ++i) keys.push_back(flood_address(i));
  keys.push_back(*Address::parse("203.0.113.11"));
  auto lookup = NftLookup::open("rampart");
  ASSERT_TRUE(lookup) << lookup.error().message;
  auto found = (*lookup)->find(keys);
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), keys.size());
  auto expect = [&](size_t i, bool present, uint64_t timeout_ms, const char* comment) {
    SCOPED_TRACE(keys[i].str());
    ASSERT_EQ((*found)[i].has_value(), present);
    if (!present) return;
    EXPECT_EQ((*found)[i]->timeout_ms, timeout_ms);
    EXPECT_EQ((*found)[i]->comment, comment);
    if (timeout_ms) {
      EXPECT_NEAR(double((*found)[i]->expires_ms), double(timeout_ms), 5000.0);
    }
  };
  expect(0, true, kHour, "a:1");
  expect(1, false, 0, "");
  expect(2, true, 0, "b:2");
  expect(3, true, 2 * kHour, "c:3");
  expect(4, false, 0, "");
  expect(5, true, kHour, "d:4");
  expect(6, false, 0, "");
  for (uint32_t i = 0; i < 250; ++i) expect(7 + i, i % 2 == 0, kHour, "f:5");
  expect(keys.size() - 1, false, 0, "");

  run("nft delete table inet rampart");
  auto gone = (*lookup)->find(keys);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ENOENT) << gone.error().message;
}

TEST(NftBackend, HundredThousandAddsAreOneTransaction) {
  IN_NEW_NETNS();
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  constexpr uint32_t kCount = 100000;
  std::vector<Change> c;
  c.reserve(kCount);
  for (uint32_t i = 0; i < kCount; ++i)
    c.push_back({Change::Op::Add, flood_address(i), kHour, "firewall-drop:5712"});
  NftCounters before = nft->counters();
  auto t0 = std::chrono::steady_clock::now();
  auto r = nft->apply(c);
  double ours = seconds_since(t0);
  EXPECT_EQ(r.applied, kCount);
  EXPECT_TRUE(r.rejected.empty());
  const NftCounters& after = nft->counters();
  EXPECT_EQ(after.batches - before.batches, 1u);
  EXPECT_LT(after.messages - before.messages, 150u);
  EXPECT_EQ(after.elements - before.elements, kCount);

  // The same elements through nft -f, into a second table of the same shape.
  test::TempDir dir;
  std::string text =
      "add table inet other\n"
      "add set inet other blocked6 { type ipv6_addr; flags timeout; }\n"
      "add element inet other blocked6 {\n";
  for (uint32_t i = 0; i < kCount; ++i)
    text +=
        fmt::format("{} timeout 3600s comment \"firewall-drop:5712\",\n", flood_address(i).str());
  text += "}\n";
  dir.write("flood.nft", text);
  auto t1 = std::chrono::steady_clock::now();
  int status = -1;
  run("nft -f " + dir.file("flood.nft"), &status);
  double theirs = seconds_since(t1);
  EXPECT_EQ(status, 0);
  std::printf("[ info ] 100000 adds: apply() %.3f s in %llu messages; nft -f %.3f s\n", ours,
              static_cast<unsigned long long>(after.messages - before.messages), theirs);

  auto t2 = std::chrono::steady_clock::now();
  auto dumped = nft->dump();
  double dump_s = seconds_since(t2);
  ASSERT_TRUE(dumped);
  EXPECT_EQ(dumped->size(), kCount);
  std::vector<Address> keys;
  for (uint32_t i = 0; i < kCount; ++i) keys.push_back(flood_address(i));
  auto lookup = NftLookup::open("rampart");
  ASSERT_TRUE(lookup);
  auto t4 = std::chrono::steady_clock::now();
  auto found = (*lookup)->find(keys);
  double lookup_s = seconds_since(t4);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(std::count_if(found->begin(), found->end(), [](auto& e) { return e.has_value(); }),
            std::ptrdiff_t{kCount});
  std::printf("[ info ] 100000 keyed lookups: %.3f s in %llu requests\n", lookup_s,
              static_cast<unsigned long long>((*lookup)->requests()));
  auto t3 = std::chrono::steady_clock::now();
  auto n = nft->flush();
  std::printf("[ info ] dump() of 100000: %.3f s; flush(): %.3f s\n", dump_s, seconds_since(t3));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, kCount);
}

// A veth pair between this namespace and a peer namespace: the peer sends datagrams to us.
class PeerLink {
 public:
  bool setup(std::string* why) {
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0 || unshare(CLONE_NEWNET) != 0) return fail(why, "unshare");
    peer_ns_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    tx4_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    tx6_ = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    bool back = setns(self, CLONE_NEWNET) == 0;
    close(self);
    if (!back) return fail(why, "setns back");
    std::string peer = fmt::format("/proc/{}/fd/{}", getpid(), peer_ns_);
    int status = -1;
    run(fmt::format("ip link add rt0 type veth peer name rt1 netns {0} && "
                    "ip addr add 192.0.2.1/24 dev rt0 && "
                    "ip -6 addr add 2001:db8:ff::1/64 dev rt0 nodad && ip link set rt0 up && "
                    "nsenter --net={0} sh -c 'ip link set lo up && "
                    "ip addr add 192.0.2.2/24 dev rt1 && "
                    "ip -6 addr add 2001:db8:ff::2/64 dev rt1 nodad && ip link set rt1 up'",
                    peer),
        &status);
    if (status != 0) return fail(why, "ip link/addr");
    rx4_ = bound(AF_INET, "192.0.2.1");
    rx6_ = bound(AF_INET6, "2001:db8:ff::1");
    return rx4_ >= 0 && rx6_ >= 0 ? true : fail(why, "bind");
  }
  ~PeerLink() {
    for (int fd : {peer_ns_, tx4_, tx6_, rx4_, rx6_})
      if (fd >= 0) close(fd);
  }
  // Whether a datagram from the peer's address arrives.
  bool delivered(bool v6) {
    int rx = v6 ? rx6_ : rx4_;
    char buf[16];
    while (recv(rx, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
    sockaddr_storage to{};
    fill(v6 ? AF_INET6 : AF_INET, v6 ? "2001:db8:ff::1" : "192.0.2.1", &to);
    sendto(v6 ? tx6_ : tx4_, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd p{rx, POLLIN, 0};
    return poll(&p, 1, 300) == 1;
  }

 private:
  static bool fail(std::string* why, const char* what) {
    *why = what;
    return false;
  }
  static void fill(int family, const char* addr, sockaddr_storage* ss) {
    if (family == AF_INET) {
      auto* s = reinterpret_cast<sockaddr_in*>(ss);
      s->sin_family = AF_INET;
      s->sin_port = htons(5555);
      inet_pton(AF_INET, addr, &s->sin_addr);
    } else {
      auto* s = reinterpret_cast<sockaddr_in6*>(ss);
      s->sin6_family = AF_INET6;
      s->sin6_port = htons(5555);
      inet_pton(AF_INET6, addr, &s->sin6_addr);
    }
  }
  static int bound(int family, const char* addr) {
    int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_storage ss{};
    fill(family, addr, &ss);
    if (bind(fd, reinterpret_cast<sockaddr*>(&ss), sizeof ss) != 0) return -1;
    return fd;
  }
  int peer_ns_ = -1, tx4_ = -1, tx6_ = -1, rx4_ = -1, rx6_ = -1;
};

TEST(NftBackend, BlockedSourcesAreReallyDropped) {
  IN_NEW_NETNS();
  PeerLink link;
  std::string why;
  ASSERT_TRUE(link.setup(&why)) << why;
  auto nft = open_ready();
  ASSERT_TRUE(nft);
  ASSERT_TRUE(wait_until([&] { return link.delivered(false) && link.delivered(true); }));

  auto expect = [&](std::vector<Change> c, bool v4_passes, bool v6_passes) {
    auto r = nft->apply(c);
    EXPECT_TRUE(r.rejected.empty());
    if (v4_passes)
      EXPECT_TRUE(wait_until([&] { return link.delivered(false); }));
    else
      EXPECT_FALSE(link.delivered(false));
    if (v6_passes)
      EXPECT_TRUE(wait_until([&] { return link.delivered(true); }));
    else
      EXPECT_FALSE(link.delivered(true));
  };
  expect({add("192.0.2.2")}, false, true);
  expect({del("192.0.2.2")}, true, true);
  expect({add("192.0.2.0/24")}, false, true);
  expect({del("192.0.2.0/24"), add("2001:db8:ff::2")}, true, false);
  expect({del("2001:db8:ff::2"), add("2001:db8:ff::/64")}, true, false);
  expect({del("2001:db8:ff::/64")}, true, true);
}

}  // namespace
}  // namespace rampart
