// Authorises D-Bus callers for a polkit action without blocking the event loop: the caller's
// uid and polkit's verdict are both asked for asynchronously, and the method call is answered
// later by whoever asked. Root passes without asking polkit; when polkit is not on the bus,
// only root passes.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <functional>
#include <list>
#include <string>

#include "base/handles_bus.h"
namespace rampart {

struct BusVerdict {
  bool allowed = false;
  uint32_t uid = UINT32_MAX;  // the caller's uid, when it could be found
  std::string error_name;     // a D-Bus error name when !allowed
  std::string error_message;
};

class BusAuthorizer {
 public:
  using Done = std::function<void(sd_bus_message* call, const BusVerdict& verdict)>;

  explicit BusAuthorizer(sd_bus* bus) : bus_(bus) {}
  BusAuthorizer(const BusAuthorizer&) = delete;
  BusAuthorizer& operator=(const BusAuthorizer&) = delete;

  // Starts the check for the sender of `call` and polkit action `action`; `done` runs later
  // from the event loop, never from inside check(). `what` completes "Access denied: ..." for
  // the caller ("blocking and unblocking addresses"). Returns a negative errno when the check
  // could not even be started.
  int check(sd_bus_message* call, std::string action, std::string what, Done done);

  size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    BusMessagePtr call;
    std::string action, what;
    Done done;
    BusSlotPtr slot;
    uint32_t uid = UINT32_MAX;
    BusAuthorizer* owner = nullptr;
    std::list<Pending>::iterator self;
  };

  static int on_uid(sd_bus_message* reply, void* userdata, sd_bus_error* error);
  static int on_polkit(sd_bus_message* reply, void* userdata, sd_bus_error* error);
  int ask_polkit(Pending& p);
  void finish(Pending& p, BusVerdict verdict);

  sd_bus* bus_;
  std::list<Pending> pending_;
};

}  // namespace rampart
