// ossec.conf as a whole: the sections of <ossec_config>, <global><white_list>, and the
// cross-file resolution of command names. <command> and <active-response> are read in
// config_commands.cc, rampart's own <rampart> in config_settings.cc.
#include <algorithm>
#include <cerrno>
#include <charconv>

#include "config/config_parse.h"
#include "config/config_text.h"
namespace rampart::config_internal {
namespace {

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

// Only direct children of <ossec_config> count: a <command> inside <localfile> is a log
// command. Anything else (syscheck, rootcheck, remote, localfile, ...) is for other daemons.
const Block<Config> kGlobalBlock{
    "global",
    {{"white_list", reader<Config>(&ConfigParser::read_white_list)}},
    kIgnoreUnknown,
};
const Block<Config> kSectionsBlock{
    "ossec_config",
    {
        {"global", block_into(kGlobalBlock)},
        {"command", reader<Config>(&ConfigParser::read_command)},
        {"active-response", reader<Config>(&ConfigParser::read_active_response)},
        {"rampart", reader<Config>(&ConfigParser::read_settings)},
    },
    kIgnoreUnknown,
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
    read_block(top, kSectionsBlock, config_);
  }
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
