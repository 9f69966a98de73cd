// rampartd: the sd-event loop that wires inputs, the enforcer, backends and the audit trail.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "config/config.h"
namespace rampart {

struct Options {
  std::string config_path = "/etc/rampart/rampart.conf";
  bool config_path_given = false;  // an explicit --config must exist
  bool dry_run = false;
};

// Loads the config the daemon would run with: the file, or the embedded default when the
// default path does not exist. Also refuses commands this build cannot run.
Result<std::shared_ptr<Config>> load_daemon_config(const Options& options);

// For --check-config: what the backends this config uses do outside rampartd's own sandbox
// when systemd runs it (the shipped unit keeps the file system read-only for rampartd).
std::string describe_outside_sandbox(const Config& config);

class Daemon {
 public:
  explicit Daemon(Options options);
  ~Daemon();
  // Sets everything up (ruleset, sockets, restored blocks) and runs until SIGTERM.
  // Returns the process exit status.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
