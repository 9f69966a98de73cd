// The native host-deny Backend: every change of one commit is one update of the file. Blocks
// do not expire by themselves; the enforcer sends the delete. Each line's undo is in the state
// store before the line is written.
//
// Who writes the file: rampartd itself, or, under the shipped unit (whose ProtectSystem=strict
// keeps /etc read-only for rampartd), the helper rampart-hosts-deny run through the unit
// runner as a transient unit that may write the file's directory and nothing else. The file
// is then still replaced atomically (temp file + rename), so editors and `sed -i` that replace
// it too keep working; a bind mount of the file into rampartd's sandbox would not survive them.
// Updates through the helper run one at a time; what is decided meanwhile goes in the next.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "core/backend.h"
#include "core/clock.h"
#include "exec/exec_runner.h"
#include "hosts_deny/hosts_deny.h"
namespace rampart {

class StateStore;
struct RestoredBlock;

class HostsDenyBackend final : public Backend {
 public:
  // `program <path>` run through `runner`, edits on its stdin (hosts_deny.h).
  struct Helper {
    ExecRunner* runner = nullptr;
    std::string program;
  };
  HostsDenyBackend(std::string path, const Clock& clock, StateStore* state,
                   std::optional<Helper> helper = std::nullopt);
  ~HostsDenyBackend() override;

  std::string_view name() const override { return "hosts-deny"; }
  bool expires_by_itself() const override { return false; }
  ApplyResult apply(std::span<const Change> changes) override;

  // At start: lines whose deadline passed are removed, the others written again (a crash may
  // have come between the undo record and the write) and returned for the enforcer.
  Result<std::vector<RestoredBlock>> restore();
  uint64_t rewrites() const { return rewrites_; }
  bool updating() const { return run_ != nullptr; }

 private:
  // One update of the file and what depends on its outcome.
  struct Batch {
    HostsDenyEdits edits;
    std::vector<Change> adds;  // failures reported when the update fails
    std::vector<std::pair<std::string, Address>> removed;  // undo records erased when it works
    bool empty() const { return edits.empty(); }
    void merge(Batch other);
  };
  void queue(Batch batch);
  void start_helper();
  void helper_exited(const ExecExit& exit);
  void updated(const Batch& batch);
  void failed(const Batch& batch, const Error& error);

  std::string path_;
  const Clock& clock_;
  StateStore* state_;
  std::optional<Helper> helper_;
  uint64_t rewrites_ = 0;
  Batch pending_, writing_;
  std::unique_ptr<ExecRun> run_;
  std::string helper_output_;
};

}  // namespace rampart
