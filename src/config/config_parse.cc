// The OSSEC/Wazuh part of ossec.conf: <global><white_list>, <command> and <active-response>,
// and the cross-file resolution of command names.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>

#include "config/config_parse.h"
#include "config/config_text.h"
namespace rampart::config_internal {
namespace {

constexpr std::string_view kCommandElements =
    "name, executable, expect, timeout_allowed, extra_args, protocol";
constexpr std::string_view kResponseElements =
    "disabled, command, location, agent_id, level, rules_id, rules_group, timeout, "
    "repeated_offenders";
constexpr size_t kMaxRepeatedOffenders = 5;

// Adds bits to `locations` for one <location> value; false on an unknown word.
bool add_locations(std::string_view value, uint8_t& locations, std::string& bad) {
  for (std::string_view word : split(value, ", \t\n")) {
    std::string w = lower(word);
    if (w == "local") {
      locations |= kLocationLocal;
    } else if (w == "server" || w == "as" || w == "analysisd" || w == "analysis-server") {
      locations |= kLocationServer;
    } else if (w == "defined-agent") {
      locations |= kLocationDefinedAgent;
    } else if (w == "all" || w == "any") {
      locations |= kLocationAll;
    } else {
      bad = std::string(word);
      return false;
    }
  }
  return true;
}

bool is_loopback_name(std::string_view pattern) {
  std::string p = lower(pattern);
  if (p.starts_with('^')) p.erase(0, 1);
  if (p.ends_with('$')) p.pop_back();
  return p == "localhost" || p == "localhost.localdomain" || p == "localhost6" ||
         p == "localhost6.localdomain6" || p == "ip6-localhost";
}

// "10.1.2.3/24" -> "10.1.2.0/24": the fix to suggest when host bits are set.
std::optional<std::string> network_of(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return {};
  auto host = Address::parse_host(text.substr(0, slash));
  unsigned len = 0;
  auto digits = text.substr(slash + 1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
  if (!host || ec != std::errc() || ptr != digits.data() + digits.size() ||
      len > host->max_prefix())
    return {};
  for (size_t bit = len; bit < host->max_prefix(); ++bit)
    host->bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  host->prefix = static_cast<uint8_t>(len);
  return host->str();
}

// Block elements may repeat a child; OSSEC keeps the last one, and so do we, with a warning.
class SeenElements {
 public:
  bool insert(std::string_view name) {
    if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) return false;
    seen_.push_back(name);
    return true;
  }
  bool has(std::string_view name) const {
    return std::find(seen_.begin(), seen_.end(), name) != seen_.end();
  }

 private:
  std::vector<std::string_view> seen_;
};

}  // namespace

void ConfigParser::add_document(std::string_view text, const std::string& filename) {
  file_ = filename;
  sockets_given_in_file_ = false;
  config_.files.push_back(filename);
  XmlDocPtr doc = read_xml(text, filename, diag_);
  if (doc) read_root(xmlDocGetRootElement(doc.get()));
}

void ConfigParser::read_root(const xmlNode* root) {
  auto tops = child_elements(root);
  if (std::ranges::none_of(tops, [](const xmlNode* n) { return name_of(n) == "ossec_config"; }))
    diag_.warnings.push_back(fmt::format(
        "{}:1: there is no <ossec_config> section, so this file configures nothing", file_));
  for (const xmlNode* top : tops) {
    if (name_of(top) != "ossec_config") {
      warn(top, "<{}> outside <ossec_config> is ignored; move it inside <ossec_config>",
           name_of(top));
      continue;
    }
    for (const xmlNode* section : child_elements(top)) {
      std::string_view name = name_of(section);
      // Only direct children count: a <command> inside <localfile> is a log command.
      if (name == "global") {
        read_global(section);
      } else if (name == "command") {
        read_command(section);
      } else if (name == "active-response") {
        read_active_response(section);
      } else if (name == "rampart") {
        read_settings(section);
      }
      // Anything else (syscheck, rootcheck, remote, localfile, ...) is for other daemons.
    }
  }
}

void ConfigParser::read_global(const xmlNode* global) {
  for (const xmlNode* child : child_elements(global))
    if (name_of(child) == "white_list") read_white_list(child);
}

void ConfigParser::read_white_list(const xmlNode* entry) {
  auto value = text(entry);
  if (!value) return;
  if (value->empty()) {
    error(entry, "<white_list> is empty; put an address or CIDR prefix in it, or remove it");
    return;
  }
  if (auto address = Address::parse(*value)) {
    config_.allowlist.add(*address);
    return;
  }
  if (is_loopback_name(*value)) {
    warn(entry,
         "<white_list> \"{}\" is a host name; loopback is always allowed, so this entry "
         "changes nothing",
         *value);
    return;
  }
  if (auto network = network_of(*value)) {
    error(entry, "<white_list> \"{}\" has host bits set after the prefix; write {}", *value,
          *network);
    return;
  }
  error(entry,
        "<white_list> \"{}\" is not an IPv4 or IPv6 address or CIDR prefix (rampart does not "
        "resolve host names); write it like 192.0.2.10, 192.0.2.0/24 or 2001:db8::/32",
        *value);
}

void ConfigParser::read_command(const xmlNode* node) {
  Command command;
  command.file = file_;
  command.line = line_of(node);
  bool has_name = false, has_executable = false;
  SeenElements seen;
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (!seen.insert(name) && name != "extra_args")
      warn(child, "<{}> appears twice in this <command>; the last one wins", name);
    if (name == "name") {
      auto value = text(child);
      if (!value) continue;
      if (value->empty()) {
        error(child, "<name> is empty; give the command a name that <active-response> can use");
        continue;
      }
      command.name = *value;
      has_name = true;
    } else if (name == "executable") {
      auto value = text(child);
      if (!value) continue;
      if (value->empty() || value->find('/') != std::string::npos ||
          value->find("..") != std::string::npos) {
        error(child,
              "<executable> \"{}\" must be a plain file name, without '/' or '..'; put "
              "the program in <exec_directory> and name it here",
              *value);
        continue;
      }
      command.executable = *value;
      has_executable = true;
    } else if (name == "expect") {
      auto value = text(child);
      if (!value) continue;
      command.expect_srcip = command.expect_user = command.expect_filename = false;
      for (std::string_view field : split(*value, ", \t\n")) {
        std::string f = lower(field);
        if (f == "srcip") {
          command.expect_srcip = true;
        } else if (f == "user" || f == "username") {
          command.expect_user = true;
        } else if (f == "filename") {
          command.expect_filename = true;
        } else {
          error(child,
                "<expect> has unknown field \"{}\"; use srcip, user or filename, "
                "separated by commas",
                field);
        }
      }
    } else if (name == "timeout_allowed") {
      if (auto value = yes_no(child)) command.timeout_allowed = *value;
    } else if (name == "extra_args") {
      if (auto value = text(child))
        for (std::string_view arg : split(*value, " \t\n")) command.extra_args.emplace_back(arg);
    } else if (name == "protocol") {
      auto value = text(child);
      if (!value) continue;
      std::string p = lower(*value);
      if (p == "json") {
        command.protocol = ExecProtocol::Json;
      } else if (p == "legacy") {
        command.protocol = ExecProtocol::Legacy;
      } else {
        error(child,
              "<protocol> must be json (Wazuh 4.x scripts) or legacy (OSSEC argv "
              "scripts), not \"{}\"",
              *value);
      }
    } else {
      unknown_element(child, "command", kCommandElements);
    }
  }
  if (!has_name) {
    if (!seen.has("name"))
      error(node,
            "<command> has no <name>; add <name>NAME</name> so <active-response> can "
            "refer to it");
    return;
  }
  if (!has_executable && !seen.has("executable"))
    error(node,
          "<command> \"{}\" has no <executable>; add <executable>{}</executable> or "
          "the name of its script",
          command.name, command.name);
  command.kind = command_kind_for(command.executable);
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
  ActiveResponse& response = pending.response;
  response.file = file_;
  response.line = line_of(node);
  response.locations = 0;
  SeenElements seen;
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (!seen.insert(name))
      warn(child, "<{}> appears twice in this <active-response>; the last one wins", name);
    if (name == "disabled" || name == "ca_store" || name == "ca_verification") {
      // <disabled> is read above; the ca_* options are for Wazuh's agent upgrades.
    } else if (name == "command") {
      auto value = text(child);
      if (!value) continue;
      if (value->empty()) error(child, "<command> is empty; name one of the <command> blocks");
      pending.command = *value;
    } else if (name == "location") {
      auto value = text(child);
      if (!value) continue;
      std::string bad;
      response.locations = 0;
      if (!add_locations(*value, response.locations, bad))
        error(child,
              "<location> has unknown value \"{}\"; use local, server, defined-agent or "
              "all (several may be combined: \"local,server\")",
              bad);
      else if (response.locations == 0)
        error(child, "<location> is empty; use local, server, defined-agent or all");
    } else if (name == "agent_id") {
      auto value = text(child);
      if (!value) continue;
      if (!valid_agent_id(*value))
        error(child, "<agent_id> must be an agent's numeric ID such as 001, not \"{}\"", *value);
      response.agent_id = *value;
    } else if (name == "level") {
      if (auto value = number(child, 0, 20)) response.level = static_cast<int>(*value);
    } else if (name == "rules_id") {
      auto value = text(child);
      if (!value) continue;
      response.rules_id.clear();
      auto ids = number_list(*value);
      if (!ids || ids->empty())
        error(child,
              "<rules_id> must be rule numbers separated by commas, such as "
              "\"5710, 5712\", not \"{}\"",
              *value);
      else
        response.rules_id = std::move(*ids);
    } else if (name == "rules_group") {
      auto value = text(child);
      if (!value) continue;
      response.rules_group.clear();
      if (auto patterns = parse_group_patterns(*value))
        response.rules_group = std::move(*patterns);
      else
        error(child,
              "<rules_group> \"{}\" has an empty alternative, which would match every "
              "alert; write groups separated by '|', such as \"sshd,|authentication_failed,\"",
              *value);
    } else if (name == "timeout") {
      pending.timeout_line = line_of(child);
      if (auto value = number(child, 1, UINT32_MAX, "seconds")) response.timeout_sec = *value;
    } else if (name == "repeated_offenders") {
      auto value = text(child);
      if (!value) continue;
      auto minutes = number_list(*value);
      bool positive = minutes && std::ranges::none_of(*minutes, [](uint32_t m) { return m == 0; });
      if (!minutes || minutes->empty() || !positive || minutes->size() > kMaxRepeatedOffenders)
        error(child,
              "<repeated_offenders> must be 1 to {} timeouts in minutes, each above 0, "
              "separated by commas, such as \"30,60,120\", not \"{}\"",
              kMaxRepeatedOffenders, *value);
      else
        response.repeated_offenders_min = std::move(*minutes);
    } else {
      unknown_element(child, "active-response", kResponseElements);
    }
  }

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

Result<Config> ConfigParser::finish() {
  for (PendingResponse& pending : pending_) {
    ActiveResponse& response = pending.response;
    auto it = command_index_.find(pending.command);
    if (it == command_index_.end()) {
      std::string known;
      if (!config_.commands.empty() && config_.commands.size() <= 10) {
        known = " (defined:";
        for (const Command& c : config_.commands) known += fmt::format(" {}", c.name);
        known += ')';
      }
      diag_.errors.push_back(
          fmt::format("{}:{}: <command> \"{}\" does not name any <command> block{}; define it with "
                      "<name>{}</name> or fix the name",
                      response.file, response.line, pending.command, known, pending.command));
      continue;
    }
    response.command = it->second;
    const Command& command = config_.commands[it->second];
    if (response.timeout_sec && !command.timeout_allowed) {
      diag_.warnings.push_back(fmt::format(
          "{}:{}: command \"{}\" ({}:{}) has <timeout_allowed>no</timeout_allowed>, so this "
          "<timeout> is ignored and its blocks are permanent; set <timeout_allowed>yes"
          "</timeout_allowed> in the command or remove <timeout>",
          response.file, pending.timeout_line, command.name, command.file, command.line));
      response.timeout_sec.reset();
    }
    if (response.repeated_offenders_min.empty() && response.timeout_sec)
      response.repeated_offenders_min = default_repeated_offenders_;
    config_.responses.push_back(std::move(response));
  }
  pending_.clear();
  if (!diag_.errors.empty()) {
    std::string message;
    for (const std::string& e : diag_.errors) {
      if (!message.empty()) message += '\n';
      message += e;
    }
    return std::unexpected(Error{EINVAL, std::move(message)});
  }
  config_.warnings = std::move(diag_.warnings);
  return std::move(config_);
}

}  // namespace rampart::config_internal
