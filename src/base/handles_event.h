// sd-event handles.
#pragma once

#include <systemd/sd-event.h>

#include "base/handle.h"

namespace rampart {

using EventPtr = Handle<sd_event, sd_event_unref>;
using EventSourcePtr = Handle<sd_event_source, sd_event_source_disable_unref>;

}  // namespace rampart
