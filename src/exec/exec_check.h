// Whether a script may be run as root: rampart runs active-response programs from one
// directory only, and only files nobody but root can change.
#pragma once

#include <string>

#include "base/error.h"
#include "config/config.h"
namespace rampart {

// The program `executable` names in `directory`: it must exist, stay inside the directory
// after resolving symlinks, be a regular executable file owned by root and not writable by
// group or others; the directory itself must be owned by root and not group/other-writable.
// Returns the path to run (`directory/executable`), or what is wrong and how to fix it.
Result<std::string> check_exec_program(const std::string& directory, const std::string& executable);

// The config check for every exec command: errors (with the <command>'s file:line) for
// commands an enabled <active-response> uses, warnings (appended to config.warnings) for the
// others. Reads the file system.
Result<void> check_exec_commands(Config& config);

}  // namespace rampart
