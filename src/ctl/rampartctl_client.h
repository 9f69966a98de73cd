// rampartctl's side of the bus: the call to rampartd, and errors as a person reads them with
// the exit status that goes with them.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <optional>
#include <string>

#include "base/handles_bus.h"
namespace rampart::ctl {

// Exit statuses (rampartctl(1)).
inline constexpr int kOk = 0, kFailed = 1, kUsage = 2, kNotBlocked = 3;

struct Options {
  bool json = false;
  bool legend = true;
  bool ask_password = true;
  bool help = false;
  std::optional<uint64_t> timeout_usec;
  std::optional<std::string> reason;
  bool http = false;        // metrics --http
  bool everywhere = false;  // block, unblock, flush: on every node of the fleet
};

// Prints "rampartctl: <message>" on stderr; returns kFailed.
__attribute__((format(printf, 1, 2))) int fail(const char* format, ...);

class Client {
 public:
  explicit Client(const Options& o) : options_(o) {}

  int connect();
  // Calls `method` of org.rampart1.Manager; on failure prints the error and returns the exit
  // status.
  int call(const char* method, BusMessagePtr* reply, const char* types = nullptr, ...);
  // Reads every property of org.rampart1.Manager.
  int get_all(BusMessagePtr* reply);

 private:
  const Options& options_;
  BusPtr bus_;
};

}  // namespace rampart::ctl
