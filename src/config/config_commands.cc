// The OSSEC/Wazuh blocks that say what to run and when: <command> and <active-response>, one
// table row per child element.
#include <algorithm>
#include <climits>

#include "config/config_parse.h"
#include "config/config_text.h"
namespace rampart::config_internal {
namespace {

constexpr size_t kMaxRepeatedOffenders = 5;

// <location> words, several of which may be combined: "local,server".
using LocationWord = std::pair<std::string_view, uint8_t>;
constexpr LocationWord kLocationWords[] = {
    {"local", kLocationLocal},
    {"server", kLocationServer},
    {"as", kLocationServer},
    {"analysisd", kLocationServer},
    {"analysis-server", kLocationServer},
    {"defined-agent", kLocationDefinedAgent},
    {"all", kLocationAll},
    {"any", kLocationAll},
};

// Adds bits to `locations` for one <location> value; false on an unknown word.
bool add_locations(std::string_view value, uint8_t& locations, std::string& bad) {
  for (std::string_view word : split(value, ", \t\n")) {
    std::string w = lower(word);
    auto known = std::ranges::find(kLocationWords, w, &LocationWord::first);
    if (known == std::end(kLocationWords)) {
      bad = std::string(word);
      return false;
    }
    locations |= known->second;
  }
  return true;
}

// <expect> fields and the Command flag each one sets.
using ExpectField = std::pair<std::string_view, bool Command::*>;
constexpr ExpectField kExpectFields[] = {
    {"srcip", &Command::expect_srcip},
    {"user", &Command::expect_user},
    {"username", &Command::expect_user},
    {"filename", &Command::expect_filename},
};

constexpr Choice<ExecProtocol> kProtocols[] = {
    {"json", ExecProtocol::Json, "json (Wazuh 4.x scripts)"},
    {"legacy", ExecProtocol::Legacy, "legacy (OSSEC argv scripts)"},
};

void read_command_name(ConfigParser& p, const xmlNode* node, Command& command) {
  auto value = p.text(node);
  if (!value) return;
  if (value->empty()) {
    p.error(node, "<name> is empty; give the command a name that <active-response> can use");
    return;
  }
  command.name = *value;
}

void read_executable(ConfigParser& p, const xmlNode* node, Command& command) {
  auto value = p.text(node);
  if (!value) return;
  if (value->empty() || value->find('/') != std::string::npos ||
      value->find("..") != std::string::npos) {
    p.error(node,
            "<executable> \"{}\" must be a plain file name, without '/' or '..'; put "
            "the program in <exec_directory> and name it here",
            *value);
    return;
  }
  command.executable = *value;
}

void read_expect(ConfigParser& p, const xmlNode* node, Command& command) {
  auto value = p.text(node);
  if (!value) return;
  command.expect_srcip = command.expect_user = command.expect_filename = false;
  for (std::string_view field : split(*value, ", \t\n")) {
    std::string f = lower(field);
    auto known = std::ranges::find(kExpectFields, f, &ExpectField::first);
    if (known != std::end(kExpectFields))
      command.*(known->second) = true;
    else
      p.error(node,
              "<expect> has unknown field \"{}\"; use srcip, user or filename, "
              "separated by commas",
              field);
  }
}

void read_extra_args(ConfigParser& p, const xmlNode* node, Command& command) {
  if (auto value = p.text(node))
    for (std::string_view arg : split(*value, " \t\n")) command.extra_args.emplace_back(arg);
}

void read_ports(ConfigParser& p, const xmlNode* node, Command& command) {
  auto value = p.text(node);
  if (!value) return;
  if (auto ports = parse_ports(*value))
    command.ports = std::move(*ports);
  else
    p.error(node, "{}", ports.error().message);
}

const Block<Command> kCommandBlock{
    "command",
    {
        {"name", read_command_name},
        {"executable", read_executable},
        {"expect", read_expect},
        {"timeout_allowed", yes_no_into(&Command::timeout_allowed)},
        {"extra_args", read_extra_args, kRepeats},
        {"protocol", choice_into(&Command::protocol, kProtocols)},
        {"ports", read_ports},
    },
    kWarnTwice,
};

}  // namespace

void ConfigParser::read_command(const xmlNode* node) {
  Command command;
  command.file = file_;
  command.line = line_of(node);
  SeenElements seen = read_block(node, kCommandBlock, command);
  if (command.name.empty()) {
    if (!seen.has("name"))
      error(node,
            "<command> has no <name>; add <name>NAME</name> so <active-response> can "
            "refer to it");
    return;
  }
  if (command.executable.empty() && !seen.has("executable"))
    error(node,
          "<command> \"{}\" has no <executable>; add <executable>{}</executable> or "
          "the name of its script",
          command.name, command.name);
  command.kind = command_kind_for(command.executable);
  if (!command.ports.empty() && command.kind != CommandKind::Firewall)
    error(node,
          "<ports> is for firewall-drop commands (nftables sets); remove it from \"{}\", or "
          "block only those ports with <executable>firewall-drop</executable>",
          command.name);
  // Blocking needs an address whatever <expect> says (Wazuh 4.x configs have no <expect>).
  if (command.kind != CommandKind::Exec) command.expect_srcip = true;

  auto [it, inserted] = command_index_.try_emplace(command.name, config_.commands.size());
  if (!inserted) {
    const Command& first = config_.commands[it->second];
    error(node, "command \"{}\" is already defined at {}:{}; rename one of them or remove one",
          command.name, first.file, first.line);
    return;
  }
  config_.commands.push_back(std::move(command));
}

namespace {

using Pending = ConfigParser::PendingResponse;

void ignored(ConfigParser&, const xmlNode*, Pending&) {}

void read_response_command(ConfigParser& p, const xmlNode* node, Pending& pending) {
  auto value = p.text(node);
  if (!value) return;
  if (value->empty()) p.error(node, "<command> is empty; name one of the <command> blocks");
  pending.command = *value;
}

void read_location(ConfigParser& p, const xmlNode* node, Pending& pending) {
  auto value = p.text(node);
  if (!value) return;
  std::string bad;
  uint8_t& locations = pending.response.locations;
  locations = 0;
  if (!add_locations(*value, locations, bad))
    p.error(node,
            "<location> has unknown value \"{}\"; use local, server, defined-agent or "
            "all (several may be combined: \"local,server\")",
            bad);
  else if (locations == 0)
    p.error(node, "<location> is empty; use local, server, defined-agent or all");
}

void read_agent_id(ConfigParser& p, const xmlNode* node, Pending& pending) {
  auto value = p.text(node);
  if (!value) return;
  if (!valid_agent_id(*value))
    p.error(node, "<agent_id> must be an agent's numeric ID such as 001, not \"{}\"", *value);
  pending.response.agent_id = *value;
}

void read_level(ConfigParser& p, const xmlNode* node, Pending& pending) {
  if (auto value = p.number(node, 0, 20)) pending.response.level = static_cast<int>(*value);
}

void read_rules_id(ConfigParser& p, const xmlNode* node, Pending& pending) {
  auto value = p.text(node);
  if (!value) return;
  pending.response.rules_id.clear();
  auto ids = number_list(*value);
  if (!ids || ids->empty())
    p.error(node,
            "<rules_id> must be rule numbers separated by commas, such as "
            "\"5710, 5712\", not \"{}\"",
            *value);
  else
    pending.response.rules_id = std::move(*ids);
}

void read_rules_group(ConfigParser& p, const xmlNode* node, Pending& pending) {
  auto value = p.text(node);
  if (!value) return;
  pending.response.rules_group.clear();
  if (auto patterns = parse_group_patterns(*value))
    pending.response.rules_group = std::move(*patterns);
  else
    p.error(node,
            "<rules_group> \"{}\" has an empty alternative, which would match every "
            "alert; write groups separated by '|', such as \"sshd,|authentication_failed,\"",
            *value);
}

void read_timeout(ConfigParser& p, const xmlNode* node, Pending& pending) {
  pending.timeout_line = line_of(node);
  if (auto value = p.number(node, 1, UINT32_MAX, "seconds")) pending.response.timeout_sec = *value;
}

void read_repeated_offenders(ConfigParser& p, const xmlNode* node, Pending& pending) {
  auto value = p.text(node);
  if (!value) return;
  auto minutes = number_list(*value);
  bool positive = minutes && std::ranges::none_of(*minutes, [](uint32_t m) { return m == 0; });
  if (!minutes || minutes->empty() || !positive || minutes->size() > kMaxRepeatedOffenders)
    p.error(node,
            "<repeated_offenders> must be 1 to {} timeouts in minutes, each above 0, "
            "separated by commas, such as \"30,60,120\", not \"{}\"",
            kMaxRepeatedOffenders, *value);
  else
    pending.response.repeated_offenders_min = std::move(*minutes);
}

const Block<Pending> kResponseBlock{
    "active-response",
    {
        {"disabled", ignored},  // read first, by is_disabled()
        {"command", read_response_command},
        {"location", read_location},
        {"agent_id", read_agent_id},
        {"level", read_level},
        {"rules_id", read_rules_id},
        {"rules_group", read_rules_group},
        {"timeout", read_timeout},
        {"repeated_offenders", read_repeated_offenders},
        // For Wazuh's agent upgrades, not for rampart.
        {"ca_store", ignored, kUnlisted},
        {"ca_verification", ignored, kUnlisted},
    },
    kWarnTwice,
};

}  // namespace

bool ConfigParser::is_disabled(const xmlNode* node) {
  bool disabled = false;
  for (const xmlNode* child : child_elements(node))
    if (name_of(child) == "disabled") {
      // A bad value counts as disabled so the block adds no second wave of errors.
      auto value = yes_no(child);
      disabled = value.value_or(true);
    }
  return disabled;
}

void ConfigParser::read_active_response(const xmlNode* node) {
  if (is_disabled(node)) return;
  PendingResponse pending;
  pending.response.file = file_;
  pending.response.line = line_of(node);
  pending.response.locations = 0;
  SeenElements seen = read_block(node, kResponseBlock, pending);
  finish_response(node, pending, seen);
}

void ConfigParser::finish_response(const xmlNode* node, PendingResponse& pending,
                                   const SeenElements& seen) {
  ActiveResponse& response = pending.response;
  if (seen.has("command") && pending.command.empty()) return;  // reported above
  if (!seen.has("command")) {
    bool agent_side_only = std::ranges::all_of(child_elements(node), [](const xmlNode* c) {
      auto n = name_of(c);
      return n == "disabled" || n == "repeated_offenders" || n == "ca_store" ||
             n == "ca_verification";
    });
    // OSSEC's agent-side block: switches execd on and sets repeated offenders for all.
    if (agent_side_only) {
      if (!response.repeated_offenders_min.empty())
        default_repeated_offenders_ = response.repeated_offenders_min;
      return;
    }
    error(node,
          "<active-response> has no <command>; add <command>NAME</command> naming one "
          "of the <command> blocks, or <disabled>yes</disabled>");
    return;
  }
  if (!seen.has("location")) {
    warn(node,
         "<active-response> has no <location>; using local (add "
         "<location>local</location> to say so)");
    response.locations = kLocationLocal;
  }
  if ((response.locations & kLocationDefinedAgent) && response.agent_id.empty())
    error(node,
          "<location> defined-agent needs <agent_id>; add <agent_id>001</agent_id> with "
          "the agent's ID");
  if (!seen.has("level") && !seen.has("rules_id") && !seen.has("rules_group"))
    warn(node,
         "<active-response> for \"{}\" never fires: set <level>, <rules_id> or "
         "<rules_group>",
         pending.command);
  if (!response.repeated_offenders_min.empty() && !seen.has("timeout"))
    warn(node, "<repeated_offenders> has no effect without <timeout>; add a <timeout>");
  pending_.push_back(std::move(pending));
}

}  // namespace rampart::config_internal
