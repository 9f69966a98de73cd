// Where a command's blocks go, on its own so the block table can name it without the whole
// configuration model.
#pragma once

#include <cstdint>
#include <string_view>

namespace rampart {

// Decided from the executable name at load time.
enum class CommandKind : uint8_t {
  Firewall,   // firewall-drop, firewall-drop.sh, nftables-drop.sh: the chosen firewall backend
  Firewalld,  // firewalld-drop, firewalld-drop.sh: always firewalld
  HostsDeny,  // host-deny, host-deny.sh: the native hosts.deny writer
  Exec,       // anything else: a script in <exec_directory>
};
std::string_view to_string(CommandKind kind);
CommandKind command_kind_for(std::string_view executable);

}  // namespace rampart
