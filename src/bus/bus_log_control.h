// org.freedesktop.LogControl1 on rampartd's bus connection, at /org/freedesktop/LogControl1:
// the interface systemd's own daemons offer, so that `systemctl service-log-level rampart
// debug` (the unit says BusName=org.rampart1) changes the level at run time, and
// `systemctl service-log-target` the target. Reads are open; writes are checked by sd-bus
// (the caller must be root or hold CAP_SYS_ADMIN, as for systemd's daemons).
#pragma once

#include <systemd/sd-bus.h>

#include "base/error.h"
#include "base/handles_bus.h"
namespace rampart {

inline constexpr const char* kLogControlPath = "/org/freedesktop/LogControl1";
inline constexpr const char* kLogControlInterface = "org.freedesktop.LogControl1";

// Publishes the object; it lives as long as the returned slot.
Result<BusSlotPtr> add_log_control(sd_bus* bus);

}  // namespace rampart
