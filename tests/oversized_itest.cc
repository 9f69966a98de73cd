// Oversized input against a running rampartd: megabyte-sized strings in every D-Bus method that
// takes one, a 16 MiB string and an 8 MB array where none is expected, and a 16 MiB line on the
// alert socket. Each is refused with an error that names the problem, and the daemon keeps
// serving: the next ordinary request works and reaches the kernel.
#include <systemd/sd-bus.h>

#include <fmt/format.h>

#include <chrono>
#include <functional>
#include <string>

#include "base/handles_bus.h"
#include "harness.h"

namespace rampart::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
const std::string kMiB(1 << 20, 'x');

// What a method call answered: an error name and message, or "" for a method return.
struct Reply {
  std::string error, message;
};

// Calls org.rampart1.Manager.`method`; `append` adds the arguments.
Reply call(const char* method, const std::function<int(sd_bus_message*)>& append) {
  sd_bus* raw = nullptr;
  if (int r = sd_bus_open_system(&raw); r < 0) return {"open", strerror(-r)};
  BusPtr bus(raw);
  sd_bus_message* m = nullptr;
  if (int r = sd_bus_message_new_method_call(raw, &m, "org.rampart1", "/org/rampart1",
                                             "org.rampart1.Manager", method);
      r < 0)
    return {"new", strerror(-r)};
  BusMessagePtr msg(m);
  if (int r = append(m); r < 0) return {"append", strerror(-r)};
  sd_bus_error error = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call(raw, m, 30'000'000, &error, &reply);
  BusMessagePtr owned(reply);
  Reply out;
  if (r < 0) {
    out.error = error.name ? error.name : strerror(-r);
    out.message = error.message ? error.message : "";
  }
  sd_bus_error_free(&error);
  return out;
}

Reply call_s(const char* method, const std::string& s) {
  return call(method, [&](sd_bus_message* m) { return sd_bus_message_append(m, "s", s.c_str()); });
}

class OversizedTest : public RampartBusTest {
 protected:
  void SetUp() override {
    RampartBusTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    ASSERT_EQ(start(), "");
  }

  bool in_kernel(const std::string& set_name, const std::string& address) {
    return find(set_name, address).has_value();
  }
  // The daemon still answers and still blocks.
  void expect_serving(const std::string& address) {
    Reply r = call("Block", [&](sd_bus_message* m) {
      return sd_bus_message_append(m, "sts", address.c_str(), uint64_t(600'000'000), "still here");
    });
    EXPECT_EQ(r.error, "") << r.message;
    EXPECT_TRUE(in_kernel("blocked4", address));
    EXPECT_TRUE(daemon.running());
  }
};

TEST_F(OversizedTest, MegabyteStringsInEveryMethodAreRefused) {
  const std::string huge_address = "203.0.113." + kMiB;
  auto expect_address_error = [&](const Reply& r, const char* method) {
    EXPECT_EQ(r.error, kInvalidArgs) << method << ": " << r.message.substr(0, 200);
    EXPECT_NE(
        r.message.find(fmt::format("({} bytes) is not an IPv4/IPv6 address", huge_address.size())),
        std::string::npos)
        << method << ": " << r.message.substr(0, 200);
    EXPECT_LT(r.message.size(), 200u) << method << ": the argument is not echoed whole";
  };
  expect_address_error(call("Block",
                            [&](sd_bus_message* m) {
                              return sd_bus_message_append(m, "sts", huge_address.c_str(),
                                                           uint64_t(0), "reason");
                            }),
                       "Block");
  expect_address_error(call_s("GetBlock", huge_address), "GetBlock");
  expect_address_error(call_s("Unblock", huge_address), "Unblock");
  expect_address_error(call("ListBlocksAfter",
                            [&](sd_bus_message* m) {
                              return sd_bus_message_append(m, "su", huge_address.c_str(), 10u);
                            }),
                       "ListBlocksAfter");
  // Multi-byte characters: the echo is cut at a character boundary, or the reply could not
  // be sent at all (D-Bus strings are UTF-8).
  std::string accents;
  while (accents.size() < (1 << 20)) accents += "\xc3\xa9";  // é
  Reply r = call_s("GetBlock", "x" + accents);
  EXPECT_EQ(r.error, kInvalidArgs) << r.message.substr(0, 200);

  r = call("Block", [&](sd_bus_message* m) {
    return sd_bus_message_append(m, "sts", "203.0.113.9", uint64_t(0), kMiB.c_str());
  });
  EXPECT_EQ(r.error, kInvalidArgs);
  EXPECT_EQ(r.message, "the reason is 1048576 bytes; at most 1024 are accepted");
  for (const char* method : {"SubmitAlert", "ExplainAlert"}) {
    r = call_s(method, kMiB);
    EXPECT_EQ(r.error, kInvalidArgs) << method;
    EXPECT_EQ(r.message, "the alert is 1048576 bytes; at most 65536 are accepted") << method;
  }
  // A valid alert padded to 16 MiB.
  r = call_s("SubmitAlert", wazuh_alert("203.0.113.10") + std::string(16 << 20, ' '));
  EXPECT_EQ(r.error, kInvalidArgs);
  EXPECT_EQ(r.message, fmt::format("the alert is {} bytes; at most 65536 are accepted",
                                   wazuh_alert("203.0.113.10").size() + (16 << 20)));
  EXPECT_FALSE(in_kernel("blocked4", "203.0.113.9"));
  EXPECT_FALSE(in_kernel("blocked4", "203.0.113.10"));
  expect_serving("203.0.113.11");
}

TEST_F(OversizedTest, AHugeArrayWhereNoneIsExpectedIsRefused) {
  // No method takes an array: 100,000 strings (8 MB) are refused by their signature before
  // rampart reads them.
  auto strings = [](sd_bus_message* m) {
    int r = sd_bus_message_open_container(m, 'a', "s");
    std::string s(80, 'a');
    for (int i = 0; r >= 0 && i < 100000; ++i) r = sd_bus_message_append(m, "s", s.c_str());
    return r < 0 ? r : sd_bus_message_close_container(m);
  };
  for (const char* method : {"Block", "ListBlocks", "SubmitAlert", "Flush"}) {
    Reply r = call(method, strings);
    EXPECT_EQ(r.error, kInvalidArgs) << method << ": " << r.message;
    EXPECT_NE(r.message.find("Invalid arguments 'as'"), std::string::npos)
        << method << ": " << r.message;
  }
  expect_serving("203.0.113.12");
  EXPECT_EQ(daemon.stat("active"), 1u) << "Flush with the wrong arguments flushed nothing";
}

TEST_F(OversizedTest, ASixteenMebibyteLineOnTheSocketIsOneRejectedLine) {
  ASSERT_TRUE(daemon.send_raw(wazuh_alert("203.0.113.20") + "\n" + std::string(16 << 20, 'A') +
                              "\n" + wazuh_alert("203.0.113.21") + "\n"));
  ASSERT_TRUE(wait_until([&] { return in_kernel("blocked4", "203.0.113.21"); }))
      << "the alert after the long line on the same connection" << daemon.log();
  EXPECT_TRUE(in_kernel("blocked4", "203.0.113.20"));
  EXPECT_EQ(daemon.stat("alerts_rejected"), 1u) << "one line, rejected once";
  EXPECT_NE(daemon.log().find("line longer than 65536 bytes"), std::string::npos) << daemon.log();
  // The same without a newline before the connection closes.
  ASSERT_TRUE(daemon.send_raw(std::string(16 << 20, '{')));
  ASSERT_TRUE(wait_until([&] { return daemon.stat("alerts_rejected") == 2u; })) << daemon.log();
  expect_serving("203.0.113.22");
}

}  // namespace
}  // namespace rampart::test
