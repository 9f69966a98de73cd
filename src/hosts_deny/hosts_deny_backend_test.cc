#include "hosts_deny/hosts_deny_backend.h"
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/capability.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/enforcer.h"
#include "core/enforcer_fakes.h"
#include "exec/exec_runner_fake.h"
#include "state/state_store.h"
#include "testing/temp_dir.h"
namespace rampart {
namespace {

using fakes::FakeClock;
using ::testing::ElementsAre;

Address A(std::string_view s) {
  return *Address::parse(s);
}

TEST(HostsDenyBackend, TenThousandBlocksAreOneRewrite) {
  test::TempDir dir;
  std::string path = dir.path() + "/hosts.deny";
  { std::ofstream(path) << "# admin line\nsshd: 192.0.2.1\n"; }
  FakeClock clock;
  auto state = StateStore::open(dir.path() + "/state");
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
  std::string content = test::read_file(path);
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
  content = test::read_file(path);
  EXPECT_EQ(std::count(content.begin(), content.end(), '\n'), 5002);
  EXPECT_EQ(content.find("ALL:10.0.0.0\n"), std::string::npos);
  EXPECT_NE(content.find("ALL:10.0.0.1\n"), std::string::npos);
  EXPECT_EQ((*state)->undo_count(), 5000u);
}

TEST(HostsDenyBackend, RestoreRemovesExpiredAndKeepsTheRest) {
  test::TempDir dir;
  std::string path = dir.path() + "/hosts.deny";
  FakeClock clock;
  {
    auto state = StateStore::open(dir.path() + "/state");
    ASSERT_TRUE(state);
    HostsDenyBackend backend(path, clock, state->get());
    Change a{.address = A("198.51.100.1"), .timeout_ms = 5000, .comment = "host-deny:1"};
    a.command = "host-deny";
    Change b{.address = A("2001:db8::5"), .timeout_ms = 60000, .comment = "host-deny:2"};
    b.command = "host-deny";
    std::vector<Change> changes{a, b};
    backend.apply(changes);
  }
  EXPECT_EQ(test::read_file(path), "ALL:198.51.100.1\nALL:[2001:db8::5]\n");
  clock.now += 10'000'000;  // 10 s later: the first one is due
  auto state = StateStore::open(dir.path() + "/state");
  ASSERT_TRUE(state);
  HostsDenyBackend backend(path, clock, state->get());
  auto blocks = backend.restore();
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].address, A("2001:db8::5"));
  EXPECT_EQ((*blocks)[0].command, "host-deny");
  EXPECT_EQ((*blocks)[0].rule_id, 2u);
  EXPECT_NEAR(double((*blocks)[0].remaining_ms), 50000.0, 10.0);
  EXPECT_EQ(test::read_file(path), "ALL:[2001:db8::5]\n");
  EXPECT_EQ((*state)->undo_count(), 1u);
}

// Under the unit: every update goes through the helper, one at a time.
class HostsDenyHelperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.path() + "/hosts.deny";
    { std::ofstream(path) << "# admin line\n"; }
    auto s = StateStore::open(dir.path() + "/state");
    ASSERT_TRUE(s) << s.error().message;
    state = std::move(*s);
    backend = std::make_unique<HostsDenyBackend>(
        path, clock, state.get(),
        HostsDenyBackend::Helper{.runner = &runner, .program = "/usr/libexec/rampart/helper"});
    backend->set_failure_handler([this](const Change& c, const Error& e) {
      failures.push_back(c.address.str() + ": " + e.message);
    });
  }
  Change add(std::string_view address) {
    Change c{.address = A(address), .timeout_ms = 60000, .comment = "host-deny:5712"};
    c.command = "host-deny";
    return c;
  }
  Change del(std::string_view address) {
    Change c{.op = Change::Op::Delete, .address = A(address)};
    c.command = "host-deny";
    return c;
  }
  ApplyResult apply(std::vector<Change> changes) { return backend->apply(changes); }
  // Does what rampart-hosts-deny does with run i's input, then ends the run.
  void help(size_t i) {
    auto edits = parse_hosts_deny_edits(runner.runs.at(i)->spec.input);
    ASSERT_TRUE(edits) << edits.error().message;
    ASSERT_TRUE(update_hosts_deny(path, *edits));
    runner.end(i);
  }
  bool has_undo(std::string_view address) {
    return state->find(CommandKind::HostsDeny, "host-deny", A(address)) != nullptr;
  }

  test::TempDir dir;
  std::string path;
  FakeClock clock;
  fakes::FakeRunner runner;
  std::unique_ptr<StateStore> state;
  std::unique_ptr<HostsDenyBackend> backend;
  std::vector<std::string> failures;
};

TEST_F(HostsDenyHelperTest, UpdatesRunOneAtATimeAndMergeWhatCameMeanwhile) {
  EXPECT_EQ(apply({add("203.0.113.1")}).applied, 1u);
  ASSERT_EQ(runner.runs.size(), 1u);
  const ExecSpec& spec = runner.runs[0]->spec;
  EXPECT_THAT(spec.argv, ElementsAre("/usr/libexec/rampart/helper", path));
  EXPECT_EQ(spec.input, "+203.0.113.1\n");
  ASSERT_TRUE(spec.sandbox);
  EXPECT_THAT(spec.sandbox->writable, ElementsAre(dir.path()));
  EXPECT_EQ(spec.sandbox->capabilities, (1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE));
  EXPECT_TRUE(has_undo("203.0.113.1")) << "the undo is on disk before the helper runs";

  apply({add("203.0.113.2")});
  apply({add("203.0.113.3")});
  EXPECT_EQ(runner.runs.size(), 1u) << "one update at a time";
  help(0);
  ASSERT_EQ(runner.runs.size(), 2u);
  auto second = parse_hosts_deny_edits(runner.runs[1]->spec.input);
  EXPECT_EQ(second->size(), 2u) << "what came meanwhile is one update";
  help(1);
  EXPECT_EQ(test::read_file(path),
            "# admin line\nALL:203.0.113.1\nALL:203.0.113.2\nALL:203.0.113.3\n");
  EXPECT_EQ(backend->rewrites(), 2u);
  EXPECT_FALSE(backend->updating());

  apply({del("203.0.113.2")});
  help(2);
  EXPECT_EQ(test::read_file(path), "# admin line\nALL:203.0.113.1\nALL:203.0.113.3\n");
  EXPECT_FALSE(has_undo("203.0.113.2"));
  EXPECT_TRUE(failures.empty());
}

TEST_F(HostsDenyHelperTest, AFailedUpdateFailsItsAddsAndKeepsTheUndoOfItsDeletes) {
  apply({add("203.0.113.1")});
  help(0);
  apply({add("203.0.113.2"), del("203.0.113.1")});
  runner.print(1, "cannot open /x/hosts.deny: Read-only file system");
  runner.end(1, {.code = 1});
  EXPECT_THAT(failures,
              ElementsAre("203.0.113.2: cannot open /x/hosts.deny: Read-only file system"));
  EXPECT_FALSE(has_undo("203.0.113.2"));
  EXPECT_TRUE(has_undo("203.0.113.1")) << "the next start removes the line";
}

TEST_F(HostsDenyHelperTest, AHelperThatCannotStartIsAFailure) {
  runner.refuse_next = Error{ENOENT, "no such helper"};
  EXPECT_EQ(apply({add("203.0.113.1")}).applied, 1u);
  EXPECT_THAT(failures, ElementsAre("203.0.113.1: no such helper"));
  EXPECT_FALSE(backend->updating());
}

TEST_F(HostsDenyHelperTest, AnAddWhileItsDeleteIsWrittenKeepsItsUndo) {
  apply({add("203.0.113.1")});
  help(0);
  apply({del("203.0.113.1")});
  apply({add("203.0.113.1")});  // blocked again while the delete is being written
  help(1);
  EXPECT_TRUE(has_undo("203.0.113.1"));
  help(2);
  EXPECT_EQ(test::read_file(path), "# admin line\nALL:203.0.113.1\n");
}

TEST_F(HostsDenyHelperTest, RestoreGoesThroughTheHelperToo) {
  apply({add("203.0.113.1"), add("203.0.113.2")});
  help(0);
  // As a crash would leave it: .1's deadline passes, .2's line is lost.
  ASSERT_TRUE(update_hosts_deny(path, {{A("203.0.113.2"), false}}));
  clock.now += 120'000'000;
  apply({add("203.0.113.2")});  // a fresh deadline for .2 only
  help(1);
  ASSERT_TRUE(update_hosts_deny(path, {{A("203.0.113.2"), false}}));
  auto blocks = backend->restore();
  ASSERT_TRUE(blocks);
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ((*blocks)[0].address, A("203.0.113.2"));
  help(2);
  EXPECT_EQ(test::read_file(path), "# admin line\nALL:203.0.113.2\n");
  EXPECT_FALSE(has_undo("203.0.113.1"));
}

}  // namespace
}  // namespace rampart
