// Whether <hosts_deny> can be written, for --check-config, start and reload (reads the file
// system), and what writing it takes under the shipped unit.
#pragma once

#include <string>

#include "base/error.h"
#include "config/config.h"
namespace rampart {

// Errors (with the file:line of the first bound host-deny <command>) when a response uses the
// native host-deny and the file cannot be replaced atomically: its directory is missing, or
// it is a symbolic link (the rename would replace the link) or not a regular file.
Result<void> check_hosts_deny(const Config& config);

// The directory rampart-hosts-deny may write under systemd: the file's own.
std::string hosts_deny_directory(const std::string& path);

}  // namespace rampart
