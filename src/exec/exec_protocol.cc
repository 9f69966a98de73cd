#include "exec/exec_protocol.h"
#include <simdjson.h>

#include "base/json.h"

namespace rampart {

namespace {

constexpr std::string_view kAddCommand = ",\"command\":\"add\",";

std::string dash_if_empty(std::string_view s) {
  return s.empty() ? "-" : std::string(s);
}

// The add message with its command word replaced. The message starts with our own
// {"version":1,"origin":{...},"command":"add", so the first top-level ,"command":"add", is
// the one to replace (inside a JSON string a quote is always escaped).
std::string with_command(const std::string& add_message, std::string_view word) {
  size_t at = add_message.find(kAddCommand);
  if (at == std::string::npos) return add_message;
  std::string out = add_message.substr(0, at);
  out += ",\"command\":\"";
  out += word;
  out += "\",";
  out.append(add_message, at + kAddCommand.size());
  return out;
}

}  // namespace

ExecRequest make_exec_request(const Command& command, const std::string& program,
                              const Alert& alert, std::string_view node_name) {
  ExecRequest r;
  r.program = program;
  r.protocol = command.protocol;
  if (command.protocol == ExecProtocol::Legacy) {
    // OSSEC's execd argv: add|delete user srcip alertid ruleid location filename.
    r.args = {dash_if_empty(alert.user),
              dash_if_empty(alert.address ? alert.address->str() : alert.srcip),
              dash_if_empty(alert.id),
              alert.rule_id ? std::to_string(*alert.rule_id) : "-",
              dash_if_empty(alert.location),
              dash_if_empty(alert.filename)};
    r.args.insert(r.args.end(), command.extra_args.begin(), command.extra_args.end());
    return r;
  }
  std::string m = "{\"version\":1,\"origin\":{\"name\":";
  append_json_string(m, node_name);
  m += ",\"module\":\"rampart\"}";
  m += kAddCommand;
  m += "\"parameters\":{\"extra_args\":[";
  for (size_t i = 0; i < command.extra_args.size(); ++i) {
    if (i) m += ',';
    append_json_string(m, command.extra_args[i]);
  }
  m += "],\"alert\":";
  m += alert.to_wazuh_json();
  m += ",\"program\":";
  append_json_string(m, program);
  m += "}}";
  r.args = {std::move(m)};
  return r;
}

std::vector<std::string> exec_argv(const ExecRequest& request, ExecVerb verb) {
  std::vector<std::string> argv{request.program};
  if (request.protocol == ExecProtocol::Legacy) {
    argv.emplace_back(verb == ExecVerb::Add ? "add" : "delete");
    argv.insert(argv.end(), request.args.begin(), request.args.end());
  }
  return argv;
}

std::string exec_stdin(const ExecRequest& request, ExecVerb verb) {
  if (request.protocol == ExecProtocol::Legacy || request.args.empty()) return {};
  std::string line =
      verb == ExecVerb::Add ? request.args[0] : with_command(request.args[0], "delete");
  line += '\n';
  return line;
}

std::string exec_check_keys_reply(const ExecRequest& request, bool abort) {
  if (request.args.empty()) return {};
  std::string line = with_command(request.args[0], abort ? "abort" : "continue");
  line += '\n';
  return line;
}

std::optional<std::string> parse_check_keys(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty() || line.front() != '{') return std::nullopt;
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(line);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return std::nullopt;
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) return std::nullopt;
  std::string_view command;
  if (root.find_field_unordered("command").get_string().get(command) || command != "check_keys")
    return std::nullopt;
  simdjson::ondemand::array keys;
  if (root.find_field_unordered("parameters").find_field_unordered("keys").get_array().get(keys))
    return std::nullopt;
  std::string joined;
  for (auto item : keys) {
    std::string_view key;
    if (item.get_string().get(key)) continue;  // execd skips what is not a string
    joined += '-';
    joined += key;
  }
  return joined;
}

}  // namespace rampart
