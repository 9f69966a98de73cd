// Blocklist feeds end to end: rampartd watches a list file and replaces its sets in the real
// kernel, in a private network namespace per test.
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "base/handles_nft.h"
#include "harness.h"
#include "nft/nft_backend.h"

namespace rampart::test {
namespace {

class FeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    RAMPART_REQUIRE_ROOT();
    ASSERT_EQ(enter_new_netns(), "");
  }

  std::string list_path() { return daemon.dir().file("drop.txt"); }

  // Writes the list next to it and renames it into place, as the feed unit's download does.
  void publish(const std::string& text) {
    std::string tmp = daemon.dir().file(".drop.txt.new");
    FILE* f = fopen(tmp.c_str(), "w");
    ASSERT_TRUE(f);
    fwrite(text.data(), 1, text.size(), f);
    fclose(f);
    ASSERT_EQ(rename(tmp.c_str(), list_path().c_str()), 0);
  }

  std::string config(const std::string& extra = "", const std::string& max = "200000") {
    return daemon.rampart_section(fmt::format(
        "<blocklist><name>drop</name><file>{}</file><max_entries>{}</max_entries></blocklist>{}",
        list_path(), max, extra));
  }

  std::vector<std::string> set(const std::string& name) {
    std::vector<std::string> out;
    if (auto s = list_set(daemon.table(), name))
      for (const auto& e : *s) out.push_back(e.address);
    return out;
  }

  // How many times "blocklist drop loaded" is in the log.
  size_t loads() {
    std::string log = daemon.log();
    size_t n = 0;
    for (size_t at = 0; (at = log.find("blocklist drop loaded", at)) != std::string::npos; ++at)
      ++n;
    return n;
  }

  DaemonProcess daemon;
};

// 100,000 IPv6 /64s, none adjacent to another, and `extra` lines.
std::string big_list(size_t first, size_t count) {
  std::string text = "; a generated list\n";
  for (size_t i = first; i < first + count; ++i)
    text += fmt::format("2001:db8:{:x}:{:x}::/64 ; SBL{}\n", 1 + i / 30000, 2 * (i % 30000), i);
  return text;
}

// Asks the kernel for the element of inet `table` `set` that holds `address` (GETSETELEM
// with one key, the lookup a packet gets): a fast reader, where `nft get element` lists the
// whole set first.
class ElementReader {
 public:
  ElementReader() : nl_(mnl_socket_open(NETLINK_NETFILTER)) {
    if (nl_ && mnl_socket_bind(nl_.get(), 0, MNL_SOCKET_AUTOPID) < 0) nl_.reset();
  }
  bool ok() const { return nl_ != nullptr; }
  // 1: present, 0: absent, -1: the question failed.
  int has(const std::string& table, const std::string& set, const std::string& address) {
    auto a = Address::parse(address);
    if (!a) return -1;
    alignas(nlmsghdr) char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_ACK, ++seq_);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, table.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set.c_str());
    nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
    mnl_attr_put(nlh, NFTA_DATA_VALUE, a->size(), a->bytes.data());
    mnl_attr_nest_end(nlh, key);
    mnl_attr_nest_end(nlh, elem);
    mnl_attr_nest_end(nlh, list);
    if (mnl_socket_sendto(nl_.get(), nlh, nlh->nlmsg_len) < 0) return -1;
    bool found = false;
    while (true) {
      ssize_t n = mnl_socket_recvfrom(nl_.get(), buf, sizeof buf);
      if (n < 0) return -1;
      int len = static_cast<int>(n);
      for (auto* m = reinterpret_cast<const nlmsghdr*>(buf); mnl_nlmsg_ok(m, len);
           m = mnl_nlmsg_next(m, &len)) {
        if (m->nlmsg_seq != seq_) continue;
        if ((m->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM) found = true;
        if (m->nlmsg_type == NLMSG_ERROR) {
          int error = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m))->error;
          if (error == 0) return found ? 1 : 0;
          return error == ENOENT ? 0 : -1;
        }
      }
    }
  }

 private:
  MnlSocketPtr nl_;
  uint32_t seq_ = 1;
};

uint32_t generation() {
  auto nft = NftBackend::open("rampart-observer");
  EXPECT_TRUE(nft);
  auto gen = (*nft)->generation();
  EXPECT_TRUE(gen);
  return gen ? *gen : 0;
}

TEST_F(FeedTest, OverlapsAreMergedAndAllowlistedAddressesCutOut) {
  publish(
      "# FireHOL-style\n198.51.100.0/25\n198.51.100.128/25\n198.51.100.7\n203.0.113.0/24\n"
      "127.0.0.0/8\n2001:db8::/48\n2001:db8:0:1::/64\n");
  ASSERT_EQ(daemon.start("<global><white_list>203.0.113.5</white_list></global>" + config()), "");
  ASSERT_TRUE(wait_until([&] { return loads() == 1; })) << daemon.log();
  EXPECT_EQ(set("feed_drop4"),
            (std::vector<std::string>{"198.51.100.0/24", "203.0.113.0-203.0.113.4",
                                      "203.0.113.6-203.0.113.255"}));
  EXPECT_EQ(set("feed_drop6"), (std::vector<std::string>{"2001:db8::/48"}));
  std::string log = daemon.log();
  EXPECT_NE(log.find("blocklist drop: cut 203.0.113.0/24 around 203.0.113.5 (allowlisted)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("blocklist drop: skipped 127.0.0.0/8: within 127.0.0.0/8 (allowlisted)"),
            std::string::npos)
      << log;
  std::string ruleset = run("nft list table inet " + daemon.table());
  EXPECT_NE(ruleset.find("ip saddr @feed_drop4 drop"), std::string::npos) << ruleset;
  EXPECT_NE(ruleset.find("ip6 saddr @feed_drop6 drop"), std::string::npos) << ruleset;
}

TEST_F(FeedTest, AHundredThousandLinesLoadInOneTransaction) {
  ASSERT_EQ(daemon.start(config()), "");
  ASSERT_TRUE(wait_until([&] { return daemon.log().find("cannot read") != std::string::npos; }))
      << daemon.log();
  uint32_t before = generation();
  auto start = std::chrono::steady_clock::now();
  publish(big_list(0, 100000));
  ASSERT_TRUE(wait_until([&] { return loads() == 1; }, std::chrono::seconds(120))) << daemon.log();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(generation(), before + 1) << "one load, one transaction";
  EXPECT_EQ(set("feed_drop6").size(), 100000u);
  printf(
      "[ timing ] 100,000-line feed written to loaded: %lld ms\n",
      static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

// The kernel commits a transaction whole: a reader that polls three sentinels during the
// replace sees the old list or the new one, never an empty or half-loaded set.
TEST_F(FeedTest, AReplaceIsNeverEmptyOrPartial) {
  publish(big_list(0, 100000));
  ASSERT_EQ(daemon.start(config()), "");
  ASSERT_TRUE(wait_until([&] { return loads() == 1; }, std::chrono::seconds(120))) << daemon.log();
  // 10% churn: the first 10,000 entries go, 10,000 new ones come.
  const std::string old_only = "2001:db8:1::1", kept = "2001:db8:2:2::1",
                    new_only = fmt::format("2001:db8:4:{:x}::1", 2 * (100000 % 30000));
  std::atomic<bool> stop = false;
  std::atomic<int> old_seen = 0, new_seen = 0, bad = 0, straddled = 0;
  std::string bad_sample;
  ElementReader reader_socket;
  ASSERT_TRUE(reader_socket.ok());
  std::thread reader([&] {
    while (!stop) {
      auto present = [&](const std::string& a) {
        return reader_socket.has(daemon.table(), "feed_drop6", a);
      };
      // The three questions are not one read: a commit may fall between them. A sample
      // counts when asking again gives the same answers, so the state held still meanwhile.
      int o = present(old_only), k = present(kept), n = present(new_only);
      if (o != present(old_only) || k != present(kept) || n != present(new_only)) {
        ++straddled;
      } else if (k == 1 && o == 1 && n == 0) {
        ++old_seen;
      } else if (k == 1 && n == 1 && o == 0) {
        ++new_seen;
      } else {
        ++bad;
        bad_sample = fmt::format("old {} kept {} new {}", o, k, n);
      }
    }
  });
  bool reading = wait_until([&] { return old_seen > 3 || bad > 0; });
  if (reading) publish(big_list(10000, 100000));
  bool loaded = reading && wait_until([&] { return loads() == 2; }, std::chrono::seconds(120));
  wait_until([&] { return new_seen > 3 || bad > 0; });
  stop = true;
  reader.join();
  ASSERT_TRUE(reading) << "the reader never saw the old list: " << bad_sample;
  ASSERT_TRUE(loaded) << daemon.log();
  EXPECT_EQ(bad, 0) << bad_sample;
  EXPECT_GT(old_seen, 0);
  EXPECT_GT(new_seen, 0);
  EXPECT_EQ(set("feed_drop6").size(), 100000u);
  printf(
      "[ reader ] %d polls saw the old list, %d the new one, %d anything else; %d straddled "
      "a commit\n",
      old_seen.load(), new_seen.load(), bad.load(), straddled.load());
}

// A replace sends only the difference; when someone changed the set meanwhile the kernel
// refuses that, and the whole list goes instead.
TEST_F(FeedTest, AReplaceOfAChangedSetFallsBackToTheWholeList) {
  publish("198.51.100.0/24\n203.0.113.0/25\n203.0.113.128/26\n");
  ASSERT_EQ(daemon.start(config()), "");
  ASSERT_TRUE(wait_until([&] { return loads() == 1; })) << daemon.log();
  int status = 0;
  run("nft delete element inet " + daemon.table() + " feed_drop4 '{ 198.51.100.0/24 }'", &status);
  ASSERT_EQ(status, 0);
  publish("192.0.2.0/24\n203.0.113.0/25\n203.0.113.128/26\n");
  ASSERT_TRUE(wait_until([&] { return loads() == 2; })) << daemon.log();
  EXPECT_EQ(set("feed_drop4"),
            (std::vector<std::string>{"192.0.2.0/24", "203.0.113.0-203.0.113.191"}));
}

// The download unit's directory appears with its first download, possibly after rampartd
// started: it is watched as soon as it is there.
TEST_F(FeedTest, AListDirectoryThatAppearsLaterIsWatched) {
  std::string dir = daemon.dir().file("later");
  ASSERT_EQ(daemon.start(daemon.rampart_section("<blocklist><name>drop</name><file>" + dir +
                                                "/drop.txt</file></blocklist>")),
            "");
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find("trying again every 10 s") != std::string::npos;
  })) << daemon.log();
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  daemon.dir().write("later/drop.txt", "198.51.100.0/24\n");
  ASSERT_TRUE(wait_until([&] { return loads() == 1; }, std::chrono::seconds(30))) << daemon.log();
  EXPECT_EQ(set("feed_drop4"), std::vector<std::string>{"198.51.100.0/24"});
}

TEST_F(FeedTest, AMalformedFileIsRefusedAndTheOldListStays) {
  PrivateBus bus;
  ASSERT_TRUE(bus.ok());
  publish("198.51.100.0/24\n203.0.113.9\n");
  ASSERT_EQ(daemon.start(config(), {}, {bus.env()}), "");
  ASSERT_TRUE(wait_until([&] { return loads() == 1; })) << daemon.log();
  publish("198.51.100.0/24\n# fine\n203.0.113.9\n203.0.113.300 ; broken\n");
  std::string expected = list_path() +
                         ":4: \"203.0.113.300\" is not an IPv4 or IPv6 address or CIDR prefix; the "
                         "list was not loaded and the previous one stays";
  ASSERT_TRUE(wait_until([&] { return daemon.log().find(expected) != std::string::npos; }))
      << daemon.log();
  EXPECT_EQ(set("feed_drop4"), (std::vector<std::string>{"198.51.100.0/24", "203.0.113.9"}));
  // The status shows the error too, over D-Bus.
  const char* ctl = getenv("RAMPARTCTL");
  ASSERT_TRUE(ctl);
  std::string status = run(bus.env() + " " + ctl + " status");
  EXPECT_NE(status.find("Blocklist drop: 2 entries as 2 ranges, loaded "), std::string::npos)
      << status;
  EXPECT_NE(status.find("last error: " + expected), std::string::npos) << status;
  // Too many entries is refused the same way (also at start).
  daemon.stop();
  publish("198.51.100.1\n198.51.100.3\n198.51.100.5\n");
  ASSERT_EQ(daemon.start(config("", "2"), {}, {bus.env()}), "");
  ASSERT_TRUE(wait_until([&] {
    return daemon.log().find(list_path() + ":3: more than 2 entries") != std::string::npos;
  })) << daemon.log();
  EXPECT_EQ(set("feed_drop4"), (std::vector<std::string>{"198.51.100.0/24", "203.0.113.9"}));
}

}  // namespace
}  // namespace rampart::test
