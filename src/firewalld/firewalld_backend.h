// firewalld over D-Bus: runtime rich rules with firewalld's own timeouts (rich-rule mode), or
// entries of a permanent ipset per family (ipset mode). Calls are asynchronous and pipelined
// on rampart's own system-bus connection; blocks are re-applied whenever firewalld reloads or
// comes back.
#pragma once

#include <systemd/sd-event.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "config/config.h"
#include "core/backend.h"
#include "core/enforcer.h"
namespace rampart {

struct FirewalldCounters {
  uint64_t calls = 0;      // D-Bus method calls sent for blocks (adds, removes)
  uint64_t failures = 0;   // calls firewalld refused (other than ALREADY/NOT_ENABLED)
  uint64_t reapplies = 0;  // times every block was sent again (reload, restart)
  uint64_t stale = 0;      // rampart-looking rules removed at start
};

class FirewalldBackend {
 public:
  struct Options {
    std::string zone;  // empty: firewalld's default zone, asked again at every reload
    FirewalldMode mode = FirewalldMode::RichRule;
    std::string state_path;  // where deadlines are kept across restarts
  };

  // True when org.fedoraproject.FirewallD1 has an owner on the system bus (for auto).
  static bool running();

  // Connects to the system bus and attaches to `event`. When firewalld is there, reads what
  // is live (blocking calls: only here, before the loop runs) and reconciles it with the state
  // file; otherwise everything waits until firewalld appears.
  static Result<std::unique_ptr<FirewalldBackend>> open(sd_event* event, Options options);
  ~FirewalldBackend();
  FirewalldBackend(const FirewalldBackend&) = delete;
  FirewalldBackend& operator=(const FirewalldBackend&) = delete;

  // The Backend for blocks of `kind` (Firewall or Firewalld). Both share the rules: an
  // address is dropped while either holds it, until the later deadline.
  Backend* port(CommandKind kind);
  // The blocks of `kind` that are live from a previous run, for Enforcer::restore().
  std::vector<RestoredBlock> restored(CommandKind kind) const;

  bool connected() const;  // firewalld is there and the blocks are being applied
  const std::string& zone() const;
  const FirewalldCounters& counters() const;

  struct Impl;

 private:
  explicit FirewalldBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
