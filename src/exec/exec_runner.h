// How an active-response program is run: the seam between ExecBackend (what to run, when, and
// what its result means) and the ways of running it. SpawnRunner (exec_process.h) starts a
// child of rampartd; UnitRunner (exec_unit.h) asks systemd for a transient unit, so that a
// script runs outside rampartd's sandbox as ossec-execd runs it; tests use a plain fake.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
namespace rampart {

struct ExecExit {
  int code = -1;   // exit status, or -1 when killed by a signal or never run
  int signal = 0;  // the signal that ended it
  bool timed_out = false;
  std::string error;  // it could not be started, or its end was not seen
  bool ok() const { return code == 0 && !timed_out && error.empty(); }
  std::string describe(uint64_t timeout_sec) const;
};

struct ExecSpec {
  std::vector<std::string> argv;  // argv[0]: the absolute path of the program
  std::string input;              // written to stdin
  // stdin stays open after `input` (the JSON protocol's add waits for its check_keys reply).
  bool keep_stdin_open = false;
  uint64_t timeout_usec = 0;
  std::string label;  // "firewall-drop.sh add 203.0.113.9", for names and descriptions
  // For rampart's own helpers, not for scripts: the unit runner runs the program with a
  // read-only file system but for `writable`, no network and only `capabilities` (a mask of
  // CAP_* bits). The spawn runner has nothing to add to rampartd's own sandbox.
  struct Sandbox {
    std::vector<std::string> writable;
    uint64_t capabilities = 0;
  };
  std::optional<Sandbox> sandbox;
};

struct ExecCallbacks {
  std::function<void(std::string_view line)> on_stdout;
  std::function<void(std::string_view line)> on_stderr;  // a unit's stderr is in the journal
  // Called once, last, never from inside ExecRunner::start(); the callee may destroy the run.
  std::function<void(const ExecExit& exit)> on_exit;
};

// One program being run. Destroying it abandons the program, which finishes alone.
class ExecRun {
 public:
  virtual ~ExecRun() = default;
  // Queues more input; closes stdin once it is written when `close_after`.
  virtual void write_stdin(std::string data, bool close_after) = 0;
  // How the admin finds it: "pid 1234", or the transient unit's name.
  virtual std::string id() const = 0;
};

class ExecRunner {
 public:
  virtual ~ExecRunner() = default;
  // Starts the program; an error here means nothing runs. A failure found later (systemd
  // refused the unit) arrives through on_exit.
  virtual Result<std::unique_ptr<ExecRun>> start(ExecSpec spec, ExecCallbacks callbacks) = 0;
  // For the log: "child processes", "transient units in rampart-exec.slice".
  virtual std::string describe() const = 0;
  // True when programs run outside rampartd's sandbox (and may write what rampartd may not).
  virtual bool outside_sandbox() const = 0;
};

// A line of output longer than this is passed on in pieces.
inline constexpr size_t kMaxExecLine = 4096;

// Splits `buffer` into lines for `emit`, keeping an unfinished last line unless `final` or it
// outgrew kMaxExecLine.
void emit_exec_lines(std::string& buffer, bool final,
                     const std::function<void(std::string_view)>& emit);

}  // namespace rampart
