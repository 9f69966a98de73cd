// The exec backend: OSSEC/Wazuh active-response scripts from <exec_directory>, in the legacy
// (argv) or JSON (stdin, check_keys) protocol, like wazuh-execd, but with the timeout list in
// the state directory so a restart or a crash never leaves a block behind.
//
// Blocks are keyed by (command, srcip) like execd's: a repeat of an active key only moves its
// deadline. At most <exec_concurrency> scripts run at once; the others wait in a queue, and
// runs of one key never overlap (a delete waits for its add). A failed add is reported through
// the failure handler, so the enforcer drops the block and audits the failure.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "core/backend.h"
#include "core/clock.h"
#include "exec/exec_protocol.h"
#include "exec/exec_runner.h"
namespace rampart {

class StateStore;
struct RestoredBlock;

struct ExecCounters {
  uint64_t runs = 0;
  uint64_t failures = 0;  // non-zero exit, signal, spawn failure
  uint64_t timeouts = 0;
  uint64_t aborted = 0;  // check_keys answered "abort"
};

class ExecBackend final : public Backend {
 public:
  // Whether `executable` in `directory` may run, and its path (exec_check.h); a seam for tests.
  using ProgramCheck = std::function<Result<std::string>(const std::string& directory,
                                                         const std::string& executable)>;

  ExecBackend(const Clock& clock, StateStore* state, ExecRunner& runner,
              ProgramCheck check = nullptr);
  ~ExecBackend() override;

  // The commands and <rampart> settings (directory, time limit, concurrency, node name).
  void set_config(std::shared_ptr<const Config> config);

  std::string_view name() const override { return "exec"; }
  bool expires_by_itself() const override { return false; }
  ApplyResult apply(std::span<const Change> changes) override;

  // At start, from the state store: deletes whose deadline passed while rampartd was down run
  // now; the other blocks are returned for the enforcer's table (an add a crash interrupted
  // runs again).
  std::vector<RestoredBlock> restore();

  const ExecCounters& counters() const { return counters_; }
  size_t running() const { return running_.size(); }
  size_t queued() const;
  size_t active() const { return active_.size(); }

 private:
  struct Key {
    std::string command;
    Address address;
    auto operator<=>(const Key&) const = default;
  };
  struct Active {
    ExecRequest request;
    uint64_t deadline_us = 0;  // CLOCK_REALTIME, 0 = none
    uint32_t rule_id = 0;
    std::string rkey;  // the check_keys key it holds
    uint64_t generation = 0;
    bool confirmed = false;
  };
  struct Run {
    Key key;
    ExecVerb verb = ExecVerb::Add;
    ExecRequest request;
    uint64_t generation = 0;  // the Active it adds; 0 for deletes
    std::string script;       // basename, for the log
    bool answered = false;    // check_keys got its reply
    uint64_t started_us = 0;
    std::unique_ptr<ExecRun> process;
  };

  // An add: the run of its script, nullptr for a repeat of an active block (execd moves its
  // deadline only), or why it cannot run.
  Result<std::unique_ptr<Run>> add(const Change& change, uint64_t now);
  // A delete: the run that undoes the block, or nullptr when there is nothing to undo here.
  std::unique_ptr<Run> remove(const Change& change);
  void save(const Key& key, const Active& a);
  // A block leaves its check_keys key; true when no other block holds it (run the delete).
  bool release(const std::string& rkey);
  void submit(std::unique_ptr<Run> run);
  void start_runs();
  void start(std::unique_ptr<Run> run);
  void on_line(Run& run, std::string_view line, bool is_stdout);
  void finish(Run* run, const ExecExit& exit);

  const Clock& clock_;
  StateStore* state_;
  ExecRunner& runner_;
  ProgramCheck check_;
  std::shared_ptr<const Config> config_;
  std::map<Key, Active> active_;
  std::unordered_map<std::string, size_t> rkeys_;  // check_keys key -> blocks holding it
  std::deque<std::unique_ptr<Run>> ready_;
  // Keys with a run in flight, and the runs of that key waiting for it.
  std::map<Key, std::deque<std::unique_ptr<Run>>> busy_;
  std::map<Run*, std::unique_ptr<Run>> running_;
  uint64_t generation_ = 0;
  bool starting_ = false;
  ExecCounters counters_;
};

}  // namespace rampart
