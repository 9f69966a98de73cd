// The org.rampart1 object itself, over a real dbus-daemon private to the test, with a fake
// Control behind it: argument checks, error names, paging, signals, and that a change is
// answered only once the daemon says it has been committed.
#include "bus/bus_api.h"
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdarg>
#include <map>

#include "bus/bus_fake_control.h"
#include "testing/private_bus.h"
namespace rampart {
namespace {

using fakes::A;
using fakes::FakeControl;

// Stands in for polkitd when the test does not run as root (root is never asked): it allows
// everything.
int on_check_authorization(sd_bus_message* m, void*, sd_bus_error*) {
  return sd_bus_reply_method_return(m, "(bba{ss})", 1, 0, 0);
}
const sd_bus_vtable kPolkitVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", on_check_authorization, 0),
    SD_BUS_VTABLE_END,
};

// One method call from the client, answered later.
struct Call {
  bool done = false;
  std::string error;  // the D-Bus error name; "" on success
  std::string message;
  BusMessagePtr reply;
  BusSlotPtr slot;
};

int on_reply(sd_bus_message* m, void* u, sd_bus_error*) {
  auto& call = *static_cast<Call*>(u);
  call.done = true;
  if (const sd_bus_error* e = sd_bus_message_get_error(m)) {
    call.error = e->name;
    call.message = e->message ? e->message : "";
  } else {
    call.reply.reset(sd_bus_message_ref(m));
  }
  return 0;
}

class BusApiTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { bus_ = new test::PrivateBus(); }
  static void TearDownTestSuite() { delete std::exchange(bus_, nullptr); }

  void SetUp() override {
    ASSERT_TRUE(bus_->ok()) << "cannot start dbus-daemon (apt-get install dbus)";
    sd_event* e = nullptr;
    ASSERT_GE(sd_event_new(&e), 0);
    event_.reset(e);
    auto api = BusApi::open(event_.get(), control_);
    ASSERT_TRUE(api) << api.error().message;
    ASSERT_NE(*api, nullptr) << "the private bus is not reachable";
    api_ = std::move(*api);
    client_ = connect();
    polkit_ = connect();
    ASSERT_GE(
        sd_bus_add_object_vtable(polkit_.get(), nullptr, "/org/freedesktop/PolicyKit1/Authority",
                                 "org.freedesktop.PolicyKit1.Authority", kPolkitVtable, nullptr),
        0);
    ASSERT_GE(sd_bus_request_name(polkit_.get(), "org.freedesktop.PolicyKit1", 0), 0);
  }

  BusPtr connect() {
    sd_bus* raw = nullptr;
    EXPECT_GE(sd_bus_open_system(&raw), 0);
    BusPtr b(raw);
    EXPECT_GE(sd_bus_attach_event(raw, event_.get(), SD_EVENT_PRIORITY_NORMAL), 0);
    return b;
  }

  // Runs the event loop until `done` holds; the bound only stops a hung test.
  bool pump_until(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      sd_event_run(event_.get(), 100000);
    }
    return true;
  }

  // Starts a call of org.rampart1.Manager.`method`; the reply arrives while pumping.
  std::unique_ptr<Call> start(const char* method, const char* types = nullptr, ...) {
    va_list ap;
    va_start(ap, types);
    auto c = start_v(method, types, ap);
    va_end(ap);
    return c;
  }

  // Calls and waits for the answer, committing whenever the daemon would.
  std::unique_ptr<Call> call(const char* method, const char* types = nullptr, ...) {
    va_list ap;
    va_start(ap, types);
    auto c = start_v(method, types, ap);
    va_end(ap);
    EXPECT_TRUE(pump_until([&] {
      control_.commit();
      return c->done;
    }));
    return c;
  }

  std::unique_ptr<Call> start_v(const char* method, const char* types, va_list ap) {
    auto c = std::make_unique<Call>();
    sd_bus_message* raw = nullptr;
    EXPECT_GE(sd_bus_message_new_method_call(client_.get(), &raw, kBusName, kBusPath, kBusInterface,
                                             method),
              0);
    BusMessagePtr m(raw);
    if (types) {
      EXPECT_GE(sd_bus_message_appendv(raw, types, ap), 0);
    }
    sd_bus_slot* slot = nullptr;
    EXPECT_GE(sd_bus_call_async(client_.get(), &slot, raw, on_reply, c.get(), 0), 0);
    c->slot.reset(slot);
    return c;
  }

  // A round trip to rampart's connection: whatever it sent us before is here afterwards.
  void round_trip() {
    Call ping;
    sd_bus_slot* slot = nullptr;
    ASSERT_GE(sd_bus_call_method_async(client_.get(), &slot, kBusName, kBusPath,
                                       "org.freedesktop.DBus.Peer", "Ping", on_reply, &ping, ""),
              0);
    ping.slot.reset(slot);
    ASSERT_TRUE(pump_until([&] { return ping.done; }));
    ASSERT_EQ(ping.error, "");
  }

  std::unique_ptr<Call> get_properties() {
    auto c = std::make_unique<Call>();
    sd_bus_slot* slot = nullptr;
    EXPECT_GE(sd_bus_call_method_async(client_.get(), &slot, kBusName, kBusPath,
                                       "org.freedesktop.DBus.Properties", "GetAll", on_reply,
                                       c.get(), "s", kBusInterface),
              0);
    c->slot.reset(slot);
    EXPECT_TRUE(pump_until([&] { return c->done; }));
    return c;
  }

  std::vector<std::string> read_blocks(sd_bus_message* m) {
    std::vector<std::string> out;
    EXPECT_GE(sd_bus_message_enter_container(m, 'a', "(sstussss)"), 0);
    const char *address, *command, *reason, *backend, *scope, *origin;
    uint64_t expiry;
    uint32_t rule;
    while (sd_bus_message_read(m, "(sstussss)", &address, &command, &expiry, &rule, &reason,
                               &backend, &scope, &origin) > 0)
      out.push_back(std::string(address) + " " + command);
    return out;
  }

  static test::PrivateBus* bus_;
  FakeControl control_;
  EventPtr event_;
  std::unique_ptr<BusApi> api_;
  BusPtr client_, polkit_;
};

test::PrivateBus* BusApiTest::bus_ = nullptr;

TEST_F(BusApiTest, BlockIsAnsweredOnlyAfterTheCommit) {
  auto c = start("Block", "sts", "203.0.113.9", uint64_t(600'000'000), "scanner");
  ASSERT_TRUE(pump_until([&] { return control_.blocks.contains(A("203.0.113.9")); }));
  EXPECT_EQ(control_.last_uid, getuid());
  round_trip();
  EXPECT_FALSE(c->done) << "answered before the change reached the backends";
  ASSERT_EQ(control_.after_commit.size(), 1u);
  control_.commit();
  ASSERT_TRUE(pump_until([&] { return c->done; }));
  EXPECT_EQ(c->error, "") << c->message;
}

TEST_F(BusApiTest, ABlockTheBackendRefusedIsAFailure) {
  control_.backend_refuses = A("203.0.113.9");
  auto c = call("Block", "sts", "203.0.113.9", uint64_t(0), "");
  EXPECT_EQ(c->error, "org.rampart1.Error.BackendFailed");
  EXPECT_EQ(c->message, "the firewall backend refused to block 203.0.113.9; see rampartd's log");
}

TEST_F(BusApiTest, EachRefusalHasItsErrorName) {
  const std::pair<Refusal, std::string> expected[] = {
      {Refusal::TooWide, "org.freedesktop.DBus.Error.InvalidArgs"},
      {Refusal::NeverBlock, "org.rampart1.Error.Allowlisted"},
      {Refusal::HostAddress, "org.rampart1.Error.Allowlisted"},
      {Refusal::Allowlisted, "org.rampart1.Error.Allowlisted"},
      {Refusal::NoBackend, "org.freedesktop.DBus.Error.NotSupported"},
      {Refusal::TooMany, "org.rampart1.Error.TooManyBlocks"},
  };
  for (const auto& [refusal, name] : expected) {
    control_.refusal = refusal;
    auto c = call("Block", "sts", "198.51.100.0/24", uint64_t(0), "");
    EXPECT_EQ(c->error, name) << to_string(refusal);
    EXPECT_EQ(c->message, "refused: 198.51.100.0/24");
  }
  EXPECT_TRUE(control_.blocks.empty());
}

TEST_F(BusApiTest, BadArgumentsNeverReachTheDaemon) {
  auto bad = call("Block", "sts", "203.0.113.300", uint64_t(0), "");
  EXPECT_EQ(bad->error, "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(bad->message, "\"203.0.113.300\" is not an IPv4/IPv6 address or CIDR prefix");
  auto two_lines = call("Block", "sts", "203.0.113.9", uint64_t(0), "one\ntwo");
  EXPECT_EQ(two_lines->message, "the reason must be one line of printable text");
  uint64_t eleven_years = uint64_t(11) * 366 * 24 * 3600 * 1000000;
  auto forever = call("Block", "sts", "203.0.113.9", eleven_years, "");
  EXPECT_EQ(forever->message, "the timeout is longer than ten years; use 0 for no timeout");
  auto huge = call("SubmitAlert", "s", std::string(kMaxAlertBytes + 1, 'x').c_str());
  EXPECT_EQ(huge->error, "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_FALSE(control_.last_uid) << "the daemon was asked";
}

TEST_F(BusApiTest, UnblockGetAndFlush) {
  EXPECT_EQ(call("Unblock", "s", "203.0.113.9")->error, "org.rampart1.Error.NotBlocked");
  EXPECT_EQ(call("GetBlock", "s", "203.0.113.9")->error, "org.rampart1.Error.NotBlocked");
  ASSERT_EQ(call("Block", "sts", "203.0.113.9", uint64_t(0), "why")->error, "");
  auto got = call("GetBlock", "s", "203.0.113.9");
  ASSERT_EQ(got->error, "");
  const char *address, *command, *reason, *backend, *scope, *origin;
  uint64_t expiry;
  uint32_t rule;
  ASSERT_GE(sd_bus_message_read(got->reply.get(), "(sstussss)", &address, &command, &expiry, &rule,
                                &reason, &backend, &scope, &origin),
            0);
  EXPECT_STREQ(scope, "");
  EXPECT_STREQ(address, "203.0.113.9");
  EXPECT_STREQ(reason, "why");
  EXPECT_EQ(call("Unblock", "s", "203.0.113.9")->error, "");
  EXPECT_TRUE(control_.blocks.empty());
  control_.blocks[A("203.0.113.1")] = {{A("203.0.113.1"), "manual"}};
  control_.blocks[A("203.0.113.2")] = {{A("203.0.113.2"), "manual"}};
  auto flushed = call("Flush");
  ASSERT_EQ(flushed->error, "");
  uint32_t n = 0;
  ASSERT_GE(sd_bus_message_read(flushed->reply.get(), "u", &n), 0);
  EXPECT_EQ(n, 2u);
}

TEST_F(BusApiTest, EverywhereActsHereAndOrdersTheFleet) {
  EXPECT_EQ(call("BlockEverywhere", "sts", "203.0.113.9", uint64_t(0), "x")->error,
            "org.rampart1.Error.NoFleet");
  control_.in_fleet = true;
  ASSERT_EQ(call("BlockEverywhere", "sts", "203.0.113.9", uint64_t(0), "x")->error, "");
  EXPECT_TRUE(control_.blocks.contains(A("203.0.113.9"))) << "blocked here too";
  ASSERT_EQ(call("UnblockEverywhere", "s", "203.0.113.9")->error, "");
  // Not blocked here, maybe elsewhere: the order goes out all the same.
  ASSERT_EQ(call("UnblockEverywhere", "s", "203.0.113.9")->error, "");
  ASSERT_EQ(call("FlushEverywhere")->error, "");
  EXPECT_EQ(control_.orders, (std::vector<std::string>{"block 203.0.113.9", "unblock 203.0.113.9",
                                                       "unblock 203.0.113.9", "flush"}));
}

TEST_F(BusApiTest, PagesNeverSplitAnAddress) {
  for (int i = 1; i <= 25; ++i) {
    Address a = A(fmt::format("198.51.100.{}", i));
    control_.blocks[a] = {{a, "firewall-drop"}};
  }
  // Three commands blocked 198.51.100.10: its records come out together.
  Address ten = A("198.51.100.10");
  control_.blocks[ten].push_back({ten, "host-deny"});
  control_.blocks[ten].push_back({ten, "route-null"});

  auto whole = call("ListBlocks");
  ASSERT_EQ(whole->error, "");
  std::vector<std::string> all = read_blocks(whole->reply.get());
  ASSERT_EQ(all.size(), 27u);

  std::vector<std::string> paged;
  std::string after;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = call("ListBlocksAfter", "su", after.c_str(), uint32_t(10));
    ASSERT_EQ(page->error, "") << page->message;
    std::vector<std::string> got = read_blocks(page->reply.get());
    if (got.empty()) break;
    EXPECT_LE(got.size(), 10u);
    // 198.51.100.10's three records are on one page, never split across two.
    auto tens = std::ranges::count_if(
        got, [](const std::string& b) { return b.starts_with("198.51.100.10 "); });
    EXPECT_TRUE(tens == 0 || tens == 3) << tens;
    std::string last = got.back().substr(0, got.back().find(' '));
    paged.insert(paged.end(), got.begin(), got.end());
    after = last;
  }
  EXPECT_EQ(paged, all);
}

TEST_F(BusApiTest, AListTooLargeForOneReplyAsksForPaging) {
  for (int i = 1; i <= 25; ++i) {
    Address a = A(fmt::format("198.51.100.{}", i));
    control_.blocks[a] = {{a, "manual", 0, 0, std::string(1 << 20, 'r'), "nftables"}};
  }
  auto c = call("ListBlocks");
  EXPECT_EQ(c->error, "org.freedesktop.DBus.Error.LimitsExceeded");
  EXPECT_EQ(c->message,
            "25 active blocks do not fit in one reply; page with ListBlocksAfter (rampartctl "
            "list does)");
}

TEST_F(BusApiTest, SubmitExplainAndReload) {
  auto fired = call("SubmitAlert", "s", "an alert\n");
  ASSERT_EQ(fired->error, "");
  const char *command, *address;
  ASSERT_GE(sd_bus_message_enter_container(fired->reply.get(), 'a', "(ss)"), 0);
  ASSERT_GT(sd_bus_message_read(fired->reply.get(), "(ss)", &command, &address), 0);
  EXPECT_STREQ(command, "firewall-drop");
  EXPECT_STREQ(address, "203.0.113.9");
  auto bad = call("SubmitAlert", "s", "bad");
  EXPECT_EQ(bad->error, "org.freedesktop.DBus.Error.InvalidArgs");
  EXPECT_EQ(bad->message, "not an alert");

  auto explained = call("ExplainAlert", "s", "an alert\r\n");
  ASSERT_EQ(explained->error, "");
  const char* text = nullptr;
  ASSERT_GE(sd_bus_message_read(explained->reply.get(), "s", &text), 0);
  EXPECT_STREQ(text, "explained: an alert");

  auto metrics = call("GetMetrics");
  ASSERT_EQ(metrics->error, "");
  ASSERT_GE(sd_bus_message_read(metrics->reply.get(), "s", &text), 0);
  EXPECT_STREQ(text, control_.metrics().c_str());

  EXPECT_EQ(call("Reload")->error, "");
  control_.config_error = "rampart.conf:3: <level> must be a number from 0 to 20, not \"x\"";
  auto rejected = call("Reload");
  EXPECT_EQ(rejected->error, "org.rampart1.Error.InvalidConfig");
  EXPECT_EQ(rejected->message, control_.config_error);
}

TEST_F(BusApiTest, Properties) {
  control_.blocks[A("203.0.113.9")] = {{A("203.0.113.9"), "manual"}};
  auto all = get_properties();
  ASSERT_EQ(all->error, "") << all->message;
  std::map<std::string, std::string> seen;
  sd_bus_message* m = all->reply.get();
  ASSERT_GE(sd_bus_message_enter_container(m, 'a', "{sv}"), 0);
  while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
    const char *name, *type;
    ASSERT_GE(sd_bus_message_read(m, "s", &name), 0);
    ASSERT_GE(sd_bus_message_peek_type(m, nullptr, &type), 0);
    std::string value;
    if (std::string_view(type) == "u") {
      uint32_t u = 0;
      sd_bus_message_read(m, "v", "u", &u);
      value = std::to_string(u);
    } else if (std::string_view(type) == "t") {
      uint64_t t = 0;
      sd_bus_message_read(m, "v", "t", &t);
      value = std::to_string(t);
    } else if (std::string_view(type) == "b") {
      int b = 0;
      sd_bus_message_read(m, "v", "b", &b);
      value = b ? "true" : "false";
    } else if (std::string_view(type) == "as") {
      sd_bus_message_enter_container(m, 'v', "as");
      sd_bus_message_enter_container(m, 'a', "s");
      const char* s = nullptr;
      while (sd_bus_message_read(m, "s", &s) > 0) value += s;
      sd_bus_message_exit_container(m);
      sd_bus_message_exit_container(m);
    } else {
      sd_bus_message_skip(m, "v");
    }
    seen[name] = value;
    sd_bus_message_exit_container(m);
  }
  EXPECT_EQ(seen["ActiveBlocks"], "1");
  EXPECT_EQ(seen["AlertsReceived"], "7");
  EXPECT_EQ(seen["AlertsRejected"], "2");
  EXPECT_EQ(seen["Backends"], "nftables");
  EXPECT_EQ(seen["DryRun"], "true");
}

TEST_F(BusApiTest, FeedsProperty) {
  control_.feeds = {{"drop", "/x/drop.txt", 1200, 1100, 2, 1764536400000000, 0, ""},
                    {"fh1", "/x/fh1.txt", 0, 0, 0, 0, 0, "/x/fh1.txt:3: bad line"}};
  auto c = std::make_unique<Call>();
  sd_bus_slot* slot = nullptr;
  ASSERT_GE(sd_bus_call_method_async(client_.get(), &slot, kBusName, kBusPath,
                                     "org.freedesktop.DBus.Properties", "Get", on_reply, c.get(),
                                     "ss", kBusInterface, "Feeds"),
            0);
  c->slot.reset(slot);
  ASSERT_TRUE(pump_until([&] { return c->done; }));
  ASSERT_EQ(c->error, "") << c->message;
  sd_bus_message* raw = c->reply.get();
  ASSERT_GE(sd_bus_message_enter_container(raw, 'v', "a(sttts)"), 0);
  ASSERT_GE(sd_bus_message_enter_container(raw, 'a', "(sttts)"), 0);
  std::vector<std::string> got;
  const char *name, *last_error;
  uint64_t entries, ranges, loaded;
  while (sd_bus_message_read(raw, "(sttts)", &name, &entries, &ranges, &loaded, &last_error) > 0)
    got.push_back(fmt::format("{} {} {} {} {}", name, entries, ranges, loaded, last_error));
  EXPECT_EQ(got, (std::vector<std::string>{"drop 1200 1100 1764536400000000 ",
                                           "fh1 0 0 0 /x/fh1.txt:3: bad line"}));
}

TEST_F(BusApiTest, UnblockedSignalsCarryWhy) {
  std::vector<std::string> signals;
  sd_bus_slot* slot = nullptr;
  ASSERT_GE(sd_bus_match_signal(
                client_.get(), &slot, kBusName, kBusPath, kBusInterface, "Unblocked",
                [](sd_bus_message* m, void* u, sd_bus_error*) {
                  const char *address, *why;
                  if (sd_bus_message_read(m, "ss", &address, &why) >= 0)
                    static_cast<std::vector<std::string>*>(u)->push_back(std::string(address) +
                                                                         " " + why);
                  return 0;
                },
                &signals),
            0);
  BusSlotPtr match(slot);
  round_trip();  // the match is in place at the bus
  Address a = A("203.0.113.9");
  const std::pair<UnblockWhy, const char*> whys[] = {{UnblockWhy::Revoked, "revoked"},
                                                     {UnblockWhy::Flushed, "flushed"},
                                                     {UnblockWhy::Replaced, "replaced"},
                                                     {UnblockWhy::External, "revoked"}};
  for (auto [why, text] : whys)
    api_->emit({.type = EventType::Unblocked, .address = &a, .unblock_why = why});
  api_->emit({.type = EventType::Expired, .address = &a});
  ASSERT_TRUE(pump_until([&] { return signals.size() == 5; }));
  EXPECT_EQ(signals, (std::vector<std::string>{"203.0.113.9 revoked", "203.0.113.9 flushed",
                                               "203.0.113.9 replaced", "203.0.113.9 revoked",
                                               "203.0.113.9 expired"}));
}

}  // namespace
}  // namespace rampart
