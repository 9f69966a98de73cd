// What an OSSEC/Wazuh active-response script is given, in both protocols, and what it may
// answer. Pure: builds argv and stdin lines, parses the script's check_keys line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alert/alert.h"
#include "config/config.h"
namespace rampart {

// Everything needed to run a script's add, and later its delete, without the alert: this is
// what the state directory keeps for a pending undo.
struct ExecRequest {
  std::string program;  // absolute path inside <exec_directory>
  ExecProtocol protocol = ExecProtocol::Json;
  // Legacy: the arguments after "add"/"delete" (user, srcip, alertid, ruleid, location,
  // filename, extra_args...). Json: one element, the add message.
  std::vector<std::string> args;
};

// Builds the request for `alert` run by `command` (found at `program`).
ExecRequest make_exec_request(const Command& command, const std::string& program,
                              const Alert& alert, std::string_view node_name);

enum class ExecVerb : uint8_t { Add, Delete };

// The argv of a run: program, then for legacy "add"/"delete" and the arguments.
std::vector<std::string> exec_argv(const ExecRequest& request, ExecVerb verb);
// The line written on stdin (with its newline); empty for legacy.
std::string exec_stdin(const ExecRequest& request, ExecVerb verb);

// wazuh-execd's answer to a check_keys line: the add message with "command" replaced by
// "continue" or "abort" (with its newline).
std::string exec_check_keys_reply(const ExecRequest& request, bool abort);

// The keys of a check_keys line, joined as execd joins them ("-203.0.113.9"); nullopt when
// the line is not a check_keys message.
std::optional<std::string> parse_check_keys(std::string_view line);

}  // namespace rampart
