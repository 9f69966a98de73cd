// sd-journal handles.
#pragma once

#include <systemd/sd-journal.h>

#include "base/handle.h"

namespace rampart {

using JournalPtr = Handle<sd_journal, sd_journal_close>;

}  // namespace rampart
