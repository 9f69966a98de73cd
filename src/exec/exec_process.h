// The spawn runner: each program is a child of rampartd, started with posix_spawn without a
// shell, with a clean environment and a session of its own; its exit is seen through a pidfd
// and the whole process group is killed when it overstays its time limit. Nothing here blocks
// the loop. It runs inside whatever sandbox rampartd runs in: the runner for rampartd started
// by hand or by tests; under systemd, UnitRunner (exec_unit.h) is used instead.
#pragma once

#include <sys/types.h>
#include <systemd/sd-event.h>

#include <memory>
#include <string>

#include "base/fd.h"
#include "base/handles_event.h"
#include "exec/exec_pipes.h"
#include "exec/exec_runner.h"
namespace rampart {

class ExecProcess final : public ExecRun {
 public:
  static Result<std::unique_ptr<ExecProcess>> spawn(sd_event* event, ExecSpec spec,
                                                    ExecCallbacks callbacks);
  ~ExecProcess() override = default;  // a program still running at shutdown finishes alone

  void write_stdin(std::string data, bool close_after) override;
  std::string id() const override { return fmt::format("pid {}", pid_); }
  pid_t pid() const { return pid_; }

 private:
  ExecProcess() = default;
  static int on_pidfd(sd_event_source*, int fd, uint32_t revents, void* userdata);
  static int on_timeout(sd_event_source*, uint64_t usec, void* userdata);

  pid_t pid_ = -1;
  Fd pidfd_;
  EventSourcePtr pid_source_, timer_;
  std::unique_ptr<ExecPipes> pipes_;
  ExecExit exit_;
  ExecCallbacks callbacks_;
};

class SpawnRunner final : public ExecRunner {
 public:
  explicit SpawnRunner(sd_event* event) : event_(event) {}
  Result<std::unique_ptr<ExecRun>> start(ExecSpec spec, ExecCallbacks callbacks) override;
  std::string describe() const override { return "child processes of rampartd"; }
  bool outside_sandbox() const override { return false; }

 private:
  sd_event* event_;
};

}  // namespace rampart
