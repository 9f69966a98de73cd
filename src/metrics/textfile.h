// The exposition as a file for node_exporter's textfile collector, replaced whole every
// interval: a reader sees the previous file or the next one, never a part of one.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "config/config.h"
namespace rampart {

// Writes a temporary file beside `path` (PATH.tmp: the collector reads only *.prom), makes it
// world-readable (node_exporter runs as its own user, rampartd with UMask=0077) and renames it
// over `path`. No fsync: the numbers are rewritten every interval, and a file lost in a power
// cut costs one interval, not a stall of the event loop behind the disk. On failure the
// temporary file is removed and `path` is untouched; the message says what to change.
Result<void> write_textfile(const std::string& path, std::string_view content);

}  // namespace rampart
