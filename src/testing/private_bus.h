// A real dbus-daemon for tests, private to them (ENVIRONMENT.md): never the host's bus.
#pragma once

#include <sys/types.h>

#include <string>

#include "testing/temp_dir.h"
namespace rampart::test {

// A private dbus-daemon of type "system" listening on a socket in its own temporary
// directory. The constructor exports DBUS_SYSTEM_BUS_ADDRESS, so sd_bus_open_system() and
// busctl in this process (and its children) talk to it; env() is the same for a child.
class PrivateBus {
 public:
  // A policy that lets everyone own and call everything, for tests not about policy.
  static const std::string kAllowAll;
  // `policy` is the part of the bus configuration after <auth>: <policy> and <include>
  // elements.
  explicit PrivateBus(const std::string& policy = kAllowAll);
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  bool ok() const { return pid_ > 0; }
  const std::string& address() const { return address_; }
  std::string env() const { return "DBUS_SYSTEM_BUS_ADDRESS=" + address_; }

 private:
  TempDir dir_;
  std::string address_;
  pid_t pid_ = -1;
};

}  // namespace rampart::test
