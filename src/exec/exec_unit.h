// The unit runner: under systemd, each active-response program runs as a transient service
// unit that systemd starts (org.freedesktop.systemd1.Manager.StartTransientUnit), in
// rampart-exec.slice, outside rampartd's own sandbox: as root with the full file system and
// every capability, as ossec-execd runs it, because OSSEC's scripts write their log and lock
// next to themselves, run iptables and rewrite /etc/hosts.deny. The protocol pipes are handed
// to systemd as the unit's stdin and stdout; stderr goes to the journal under the unit. The
// time limit is the unit's RuntimeMaxSec (systemd kills the whole cgroup), and the result is
// the unit's ExecMainCode/ExecMainStatus, read once the unit is inactive. AddRef keeps the
// unit (and its PropertiesChanged signals) until rampart has read them; a rampartd that dies
// drops its references with its bus connection, and systemd collects the units once they end.
#pragma once

#include <systemd/sd-event.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/handles_bus.h"
#include "exec/exec_runner.h"
namespace rampart {

inline constexpr std::string_view kExecSlice = "rampart-exec.slice";

// True when systemd started this process as a service (its main process), so programs should
// run as transient units rather than inside the service's sandbox.
bool started_by_systemd();

// "rampart-exec-firewall-drop.sh-1a2b3c4d-7.service": the program's name with what a unit
// name cannot hold replaced by '_', `tag` (unique to this rampartd) and `n`.
std::string exec_unit_name(std::string_view program, std::string_view tag, uint64_t n);

// The ExecExit of an ended unit from its Result, ExecMainCode (CLD_EXITED, CLD_KILLED, ...;
// 0 = the program never ran) and ExecMainStatus.
ExecExit exec_unit_exit(std::string_view unit, std::string_view result, int main_code,
                        int main_status);

class UnitRunner final : public ExecRunner {
 public:
  // Connects to the system bus (systemd's API); an error when there is none.
  static Result<std::unique_ptr<UnitRunner>> open(sd_event* event);
  Result<std::unique_ptr<ExecRun>> start(ExecSpec spec, ExecCallbacks callbacks) override;
  std::string describe() const override;
  bool outside_sandbox() const override { return true; }

 private:
  UnitRunner() = default;
  sd_event* event_ = nullptr;
  BusPtr bus_;
  std::string tag_;
  uint64_t next_ = 0;
};

// The unit runner when started by systemd and its bus answers, else the spawn runner.
std::unique_ptr<ExecRunner> open_exec_runner(sd_event* event);

}  // namespace rampart
