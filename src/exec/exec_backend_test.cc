#include "exec/exec_backend.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"
#include "exec/exec_runner_fake.h"
#include "state/state_store.h"
namespace rampart {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A legacy command (OSSEC argv) and a JSON one (Wazuh stdin), two at a time, 7 s time limit.
constexpr std::string_view kConfig = R"(<ossec_config>
<command><name>drop</name><executable>drop.sh</executable><expect>srcip</expect>
<timeout_allowed>yes</timeout_allowed><protocol>legacy</protocol></command>
<command><name>notify</name><executable>notify.sh</executable><expect>srcip</expect>
<timeout_allowed>yes</timeout_allowed></command>
<command><name>notify2</name><executable>notify.sh</executable><expect>srcip</expect>
<timeout_allowed>yes</timeout_allowed></command>
<rampart><exec_directory>/ar/bin</exec_directory><exec_timeout>7</exec_timeout>
<exec_concurrency>2</exec_concurrency><node><name>n1</name></node></rampart>
</ossec_config>
)";

class ExecBackendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/rampart-exec-backend-XXXXXX";
    dir = mkdtemp(tmpl);
    auto config = parse_config(kConfig, "t.conf");
    ASSERT_TRUE(config) << config.error().message;
    config_ = std::make_shared<Config>(std::move(*config));
    open_state();
    make_backend();
  }
  void TearDown() override {
    backend.reset();
    state.reset();
    std::filesystem::remove_all(dir);
  }
  void open_state() {
    auto s = StateStore::open(dir);
    ASSERT_TRUE(s) << s.error().message;
    state = std::move(*s);
  }
  void make_backend() {
    backend = std::make_unique<ExecBackend>(
        clock, state.get(), runner, [this](const std::string& d, const std::string& exe) {
          return refuse_program == exe ? fail(EPERM, "{}/{} is writable by others", d, exe)
                                       : Result<std::string>(d + "/" + exe);
        });
    backend->set_config(config_);
    backend->set_failure_handler([this](const Change& c, const Error& e) {
      failures.push_back(c.address.str() + " " + c.command + ": " + e.message);
    });
  }
  Change add(std::string_view address, std::string_view command = "drop",
             uint64_t timeout_ms = 60000) {
    auto alert = std::make_shared<Alert>();
    alert->srcip = std::string(address);
    alert->address = Address::parse_host(address);
    alert->rule_id = 5712;
    alert->id = "1732740000.1";
    alert->location = "/var/log/auth.log";
    Change c{.op = Change::Op::Add,
             .address = *Address::parse_host(address),
             .timeout_ms = timeout_ms,
             .comment = std::string(command) + ":5712"};
    c.command = std::string(command);
    c.alert = alert;
    return c;
  }
  Change del(std::string_view address, std::string_view command = "drop") {
    Change c{.op = Change::Op::Delete, .address = *Address::parse_host(address)};
    c.command = std::string(command);
    return c;
  }
  ApplyResult apply(std::vector<Change> changes) { return backend->apply(changes); }
  const UndoRecord* undo(std::string_view command, std::string_view address) {
    return state->find(CommandKind::Exec, command, *Address::parse_host(address));
  }
  std::vector<std::string> argv(size_t i) { return runner.runs.at(i)->spec.argv; }
  // The reply written to run i after its stdin line, e.g. "continue".
  std::string reply(size_t i) {
    const std::string& in = runner.runs.at(i)->stdin_written;
    size_t nl = in.find('\n');
    std::string second = nl == std::string::npos ? "" : in.substr(nl + 1);
    for (std::string word : {"continue", "abort"})
      if (second.find("\"command\":\"" + word + "\"") != std::string::npos) return word;
    return "";
  }
  static std::string check_keys(std::string_view key) {
    return fmt::format(
        R"({{"version":1,"origin":{{"name":"notify.sh","module":"active-response"}},)"
        R"("command":"check_keys","parameters":{{"keys":["{}"]}}}})",
        key);
  }

  std::string dir;
  std::shared_ptr<Config> config_;
  fakes::FakeClock clock;
  fakes::FakeRunner runner;
  std::unique_ptr<StateStore> state;
  std::unique_ptr<ExecBackend> backend;
  std::string refuse_program;
  std::vector<std::string> failures;
};

TEST_F(ExecBackendTest, LegacyAddThenDeleteWithOssecArgv) {
  auto r = apply({add("203.0.113.9")});
  EXPECT_EQ(r.applied, 1u);
  ASSERT_EQ(runner.runs.size(), 1u);
  EXPECT_THAT(argv(0), ElementsAre("/ar/bin/drop.sh", "add", "-", "203.0.113.9", "1732740000.1",
                                   "5712", "/var/log/auth.log", "-"));
  EXPECT_EQ(runner.runs[0]->spec.input, "");
  EXPECT_FALSE(runner.runs[0]->spec.keep_stdin_open);
  EXPECT_EQ(runner.runs[0]->spec.timeout_usec, 7'000'000u);
  EXPECT_EQ(runner.runs[0]->spec.label, "drop.sh add 203.0.113.9");
  // The undo is on disk before the script runs, and confirmed once it succeeded.
  ASSERT_NE(undo("drop", "203.0.113.9"), nullptr);
  EXPECT_FALSE(undo("drop", "203.0.113.9")->confirmed);
  runner.end(0);
  EXPECT_TRUE(undo("drop", "203.0.113.9")->confirmed);
  EXPECT_EQ(backend->active(), 1u);

  apply({del("203.0.113.9")});
  ASSERT_EQ(runner.runs.size(), 2u);
  EXPECT_EQ(argv(1).at(1), "delete");
  EXPECT_EQ(argv(1).at(3), "203.0.113.9");
  runner.end(1);
  EXPECT_EQ(undo("drop", "203.0.113.9"), nullptr);
  EXPECT_EQ(backend->active(), 0u);
  EXPECT_EQ(backend->counters().runs, 2u);
  EXPECT_TRUE(failures.empty());
}

TEST_F(ExecBackendTest, RepeatOfAnActiveBlockOnlyMovesItsDeadline) {
  apply({add("203.0.113.9", "drop", 60000)});
  runner.end(0);
  uint64_t first = undo("drop", "203.0.113.9")->deadline_us;
  clock.now += 10'000'000;
  EXPECT_EQ(apply({add("203.0.113.9", "drop", 60000)}).applied, 1u);
  EXPECT_EQ(runner.runs.size(), 1u) << "execd does not run a repeat's add again";
  EXPECT_EQ(undo("drop", "203.0.113.9")->deadline_us, first + 10'000'000);
}

TEST_F(ExecBackendTest, JsonAddAnswersCheckKeysAndDeleteIsTheStoredMessage) {
  apply({add("203.0.113.9", "notify")});
  ASSERT_EQ(runner.runs.size(), 1u);
  const auto& run = *runner.runs[0];
  EXPECT_THAT(argv(0), ElementsAre("/ar/bin/notify.sh"));
  EXPECT_TRUE(run.spec.keep_stdin_open) << "the add waits for check_keys";
  EXPECT_THAT(run.spec.input, HasSubstr(R"("origin":{"name":"n1","module":"rampart"},)"
                                        R"("command":"add")"));
  EXPECT_THAT(run.spec.input, HasSubstr(R"("srcip":"203.0.113.9")"));
  runner.print(0, check_keys("203.0.113.9"));
  EXPECT_EQ(reply(0), "continue");
  EXPECT_TRUE(run.stdin_closed);
  EXPECT_EQ(undo("notify", "203.0.113.9")->rkey, "notify.sh-203.0.113.9");
  runner.end(0);

  apply({del("203.0.113.9", "notify")});
  ASSERT_EQ(runner.runs.size(), 2u);
  EXPECT_THAT(runner.runs[1]->spec.input, HasSubstr(R"("command":"delete")"));
  EXPECT_FALSE(runner.runs[1]->spec.keep_stdin_open);
}

TEST_F(ExecBackendTest, CheckKeysAbortsWhenAnotherBlockHoldsTheKey) {
  // Two commands run the same program for the same address: execd's keys are per program.
  apply({add("203.0.113.9", "notify")});
  runner.print(0, check_keys("203.0.113.9"));
  runner.end(0);
  apply({add("203.0.113.9", "notify2")});
  ASSERT_EQ(runner.runs.size(), 2u);
  runner.print(1, check_keys("203.0.113.9"));
  EXPECT_EQ(reply(1), "abort");
  runner.end(1);
  EXPECT_EQ(backend->counters().aborted, 1u);
  EXPECT_EQ(backend->active(), 2u);

  // The first block's delete does not undo the action the second still holds...
  apply({del("203.0.113.9", "notify")});
  EXPECT_EQ(runner.runs.size(), 2u);
  EXPECT_EQ(undo("notify", "203.0.113.9"), nullptr);
  // ...the last one's does.
  apply({del("203.0.113.9", "notify2")});
  ASSERT_EQ(runner.runs.size(), 3u);
  EXPECT_THAT(runner.runs[2]->spec.input, HasSubstr(R"("command":"delete")"));
}

TEST_F(ExecBackendTest, AtMostConcurrencyRunsTheRestQueue) {
  apply({add("203.0.113.1"), add("203.0.113.2"), add("203.0.113.3")});
  EXPECT_EQ(runner.runs.size(), 2u);
  EXPECT_EQ(backend->running(), 2u);
  EXPECT_EQ(backend->queued(), 1u);
  runner.end(1);
  ASSERT_EQ(runner.runs.size(), 3u);
  EXPECT_EQ(argv(2).at(3), "203.0.113.3");
  EXPECT_EQ(backend->queued(), 0u);
}

TEST_F(ExecBackendTest, RunsOfOneKeyNeverOverlap) {
  apply({add("203.0.113.9")});
  apply({del("203.0.113.9")});
  EXPECT_EQ(runner.runs.size(), 1u) << "the delete waits for its add";
  EXPECT_EQ(backend->queued(), 1u);
  runner.end(0);
  ASSERT_EQ(runner.runs.size(), 2u);
  EXPECT_EQ(argv(1).at(1), "delete");
}

TEST_F(ExecBackendTest, FailedOrTimedOutAddIsAFailureNotABlock) {
  apply({add("203.0.113.1"), add("203.0.113.2")});
  runner.end(0, {.code = 3});
  runner.end(1, {.code = -1, .signal = 9, .timed_out = true});
  EXPECT_THAT(failures, ElementsAre("203.0.113.1 drop: drop.sh add exit status 3",
                                    "203.0.113.2 drop: drop.sh add killed after its 7s time limit "
                                    "(<exec_timeout>)"));
  EXPECT_EQ(backend->active(), 0u);
  EXPECT_EQ(undo("drop", "203.0.113.1"), nullptr);
  EXPECT_EQ(backend->counters().failures, 2u);
  EXPECT_EQ(backend->counters().timeouts, 1u);
}

TEST_F(ExecBackendTest, ARunnerThatCannotStartIsAFailure) {
  runner.refuse_next = Error{EACCES, "systemd refused the unit"};
  EXPECT_EQ(apply({add("203.0.113.1")}).applied, 1u);
  EXPECT_THAT(failures, ElementsAre("203.0.113.1 drop: drop.sh add systemd refused the unit"));
  EXPECT_EQ(backend->running(), 0u);
  EXPECT_EQ(undo("drop", "203.0.113.1"), nullptr);
}

TEST_F(ExecBackendTest, AnUnsafeProgramIsRejectedAtOnceAndCheckedAgainBeforeEachRun) {
  refuse_program = "drop.sh";
  auto r = apply({add("203.0.113.1")});
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].second.message, "/ar/bin/drop.sh is writable by others");
  EXPECT_TRUE(runner.runs.empty());

  refuse_program.clear();
  apply({add("203.0.113.1"), add("203.0.113.2"), add("203.0.113.3")});
  refuse_program = "drop.sh";  // changed while 203.0.113.3 waits in the queue
  runner.end(0);
  EXPECT_EQ(runner.runs.size(), 2u);
  EXPECT_THAT(failures, ElementsAre("203.0.113.3 drop: drop.sh add /ar/bin/drop.sh is writable "
                                    "by others"));
}

TEST_F(ExecBackendTest, RestoreRunsExpiredDeletesAndInterruptedAdds) {
  apply({add("203.0.113.1", "drop", 1000), add("203.0.113.2"), add("203.0.113.3")});
  runner.end(0);  // .1 done; .3 starts
  runner.end(2);  // .3 done; .2 is still running when rampartd stops
  ASSERT_TRUE(state->flush());
  backend.reset();
  state.reset();
  runner.runs.clear();

  open_state();
  clock.now += 5'000'000;  // .1's deadline passed while rampartd was down
  make_backend();
  auto blocks = backend->restore();
  std::vector<std::string> restored;
  for (const auto& b : blocks) restored.push_back(b.address.str());
  std::sort(restored.begin(), restored.end());
  EXPECT_THAT(restored, ElementsAre("203.0.113.2", "203.0.113.3"));
  std::vector<std::string> ran;
  for (size_t i = 0; i < runner.runs.size(); ++i) ran.push_back(argv(i)[1] + " " + argv(i)[3]);
  std::sort(ran.begin(), ran.end());
  EXPECT_THAT(ran, ElementsAre("add 203.0.113.2", "delete 203.0.113.1"));
}

}  // namespace
}  // namespace rampart
