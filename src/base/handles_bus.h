// sd-bus handles.
#pragma once

#include <systemd/sd-bus.h>

#include "base/handle.h"

namespace rampart {

using BusPtr = Handle<sd_bus, sd_bus_flush_close_unref>;
using BusSlotPtr = Handle<sd_bus_slot, sd_bus_slot_unref>;
using BusMessagePtr = Handle<sd_bus_message, sd_bus_message_unref>;

}  // namespace rampart
