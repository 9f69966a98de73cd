// What the daemon offers to its control adapters (the D-Bus API): a narrow seam so the bus
// code never reaches into the event loop's wiring, and tests can drive it with a fake.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/address.h"
#include "base/error.h"
#include "core/enforcer.h"
namespace rampart {

struct InputCounters {
  uint64_t alerts_received = 0;
  uint64_t alerts_rejected = 0;
};

class Control {
 public:
  virtual ~Control() = default;

  virtual Enforcer& enforcer() = 0;
  // Call after a mutating request: the change goes to the backends at the end of this turn.
  virtual void commit_soon() = 0;
  // Re-reads the configuration like SIGHUP; the error carries the config's error text.
  virtual Result<void> reload() = 0;
  // Parses one alert line (any supported format) and runs it through the full pipeline.
  virtual Result<std::vector<std::pair<std::string, Address>>> submit_alert(
      std::string_view line) = 0;
  // Parses and explains, touching nothing.
  virtual Result<std::string> explain_alert(std::string_view line) = 0;

  virtual InputCounters input_counters() const = 0;
  virtual std::vector<std::string> backends() const = 0;
  virtual bool dry_run() const = 0;
};

}  // namespace rampart
