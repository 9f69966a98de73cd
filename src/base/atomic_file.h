// Replacing a small state file so that a crash or power cut leaves the old or the new
// content, never a mix: temporary file, fsync, rename, fsync of the directory.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
namespace rampart {

// On failure the temporary file is removed and `path` is untouched.
Result<void> write_file_atomically(const std::string& path, std::string_view content);

}  // namespace rampart
