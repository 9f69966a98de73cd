// rampart's own <rampart> section, and the value readers every section uses.
#include <climits>

#include "config/config_parse.h"
#include "config/config_text.h"
namespace rampart::config_internal {
std::optional<std::string> ConfigParser::text(const xmlNode* node) {
  std::string value;
  for (const xmlNode* c = node->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      error(c, "<{}> must hold a plain value, not a <{}> element", name_of(node), name_of(c));
      return {};
    }
    if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
      value += reinterpret_cast<const char*>(c->content);
  }
  return std::string(trim(value));
}

std::optional<bool> ConfigParser::yes_no(const xmlNode* node) {
  auto value = text(node);
  if (!value) return {};
  std::string v = lower(*value);
  if (v == "yes") return true;
  if (v == "no") return false;
  error(node, "<{}> must be yes or no, not \"{}\"", name_of(node), *value);
  return {};
}

std::optional<uint32_t> ConfigParser::number(const xmlNode* node, uint32_t min, uint32_t max,
                                             std::string_view unit) {
  auto value = text(node);
  if (!value) return {};
  auto n = parse_uint32(*value);
  if (n && *n >= min && *n <= max) return n;
  error(node, "<{}> must be a number{}{} from {} to {}, not \"{}\"", name_of(node),
        unit.empty() ? "" : " of ", unit, min, max, *value);
  return {};
}

std::optional<std::string> ConfigParser::absolute_path(const xmlNode* node) {
  auto value = text(node);
  if (!value) return {};
  if (value->starts_with('/')) return value;
  error(node, "<{}> must be an absolute path starting with '/', not \"{}\"", name_of(node), *value);
  return {};
}

void ConfigParser::unknown_element(const xmlNode* node, std::string_view parent,
                                   std::string_view known) {
  error(node, "<{}> is not an option of <{}>; remove it or use one of: {}", name_of(node), parent,
        known);
}

void ConfigParser::read_socket(const xmlNode* node, Settings& s) {
  auto path = absolute_path(node);
  if (!path) return;
  // The first <socket> of a file replaces the list from the defaults or earlier files.
  if (!sockets_given_in_file_) s.sockets.clear();
  sockets_given_in_file_ = true;
  s.sockets.push_back(*path);
}

namespace {

void read_table(ConfigParser& p, const xmlNode* node, Settings& s) {
  auto table = p.text(node);
  if (!table) return;
  if (valid_table_name(*table))
    s.nft_table = *table;
  else
    p.error(node,
            "<table> \"{}\" is not a usable nftables table name; use 1 to 32 letters, "
            "digits, '_' or '-'",
            *table);
}

void read_node_agent_id(ConfigParser& p, const xmlNode* node, Settings& s) {
  auto value = p.text(node);
  if (!value) return;
  if (valid_agent_id(*value))
    s.agent_id = *value;
  else
    p.error(node, "<agent_id> must be this node's numeric agent ID such as 000, not \"{}\"",
            *value);
}

void read_node_name(ConfigParser& p, const xmlNode* node, Settings& s) {
  if (auto value = p.text(node)) s.node_name = *value;
}

void read_zone(ConfigParser& p, const xmlNode* node, Settings& s) {
  auto value = p.text(node);
  if (!value) return;
  if (value->find_first_of(" \t\r\n") != std::string::npos)
    p.error(node, "<zone> \"{}\" must be a firewalld zone name without spaces", *value);
  else
    s.firewalld_zone = *value;
}

// <journal>: groups of <match> separated by <or/>, in order, so not a table.
void read_journal(ConfigParser& p, const xmlNode* node, Settings& s) {
  // Each <journal> replaces an earlier one: its groups only make sense together.
  JournalMatches journal;
  journal.enabled = true;
  size_t errors_before = p.error_count();
  journal.groups.emplace_back();
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (name == "or") {
      if (journal.groups.back().empty())
        p.error(child, "<or/> must stand between two groups of <match>; remove this one");
      journal.groups.emplace_back();
    } else if (name == "match") {
      auto value = p.text(child);
      if (!value) continue;
      size_t eq = value->find('=');
      std::string_view field = std::string_view(*value).substr(0, eq);
      if (eq == std::string::npos || !valid_journal_field(field)) {
        p.error(child,
                "<match> \"{}\" must be FIELD=value with an upper-case journal field name "
                "(A-Z, 0-9, '_', not starting with a digit), such as "
                "SYSLOG_IDENTIFIER=wazuh-analysisd",
                *value);
        continue;
      }
      journal.groups.back().push_back(*value);
    } else {
      p.unknown_element(child, "journal", "match, or");
    }
  }
  if (journal.groups.back().empty() && p.error_count() == errors_before) {
    if (journal.groups.size() > 1)
      p.error(node, "<journal> ends with <or/>; remove it or add <match> after it");
    else
      p.error(node,
              "<journal> has no <match>; add <match>FIELD=value</match> so rampart reads "
              "only the alerts, such as <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match>");
  }
  s.journal = std::move(journal);
}

void read_metrics_textfile(ConfigParser& p, const xmlNode* node, Settings& s) {
  auto path = p.absolute_path(node);
  if (!path) return;
  if (!path->ends_with(".prom"))
    p.warn(node,
           "<textfile> {} does not end in .prom: node_exporter's textfile collector reads "
           "only *.prom files",
           *path);
  s.metrics_textfile = *path;
}

const Block<Settings> kBlockPrefixBlock{
    "block_prefix",
    {
        {"ipv4", number_into(&Settings::block_prefix4, 8, 32)},
        {"ipv6", number_into(&Settings::block_prefix6, 16, 128)},
    },
};

void read_blocklist_name(ConfigParser& p, const xmlNode* node, Blocklist& list) {
  auto value = p.text(node);
  if (!value) return;
  if (valid_table_name(*value))
    list.name = *value;
  else
    p.error(node,
            "<name> \"{}\" must be 1 to 32 letters, digits, '_' or '-' (the sets are "
            "feed_<name>4 and feed_<name>6)",
            *value);
}

const Block<Blocklist> kBlocklistBlock{
    "blocklist",
    {
        {"name", read_blocklist_name},
        {"file", path_into(&Blocklist::file)},
        {"max_entries", number_into(&Blocklist::max_entries, 1, 16000000)},
    },
};

// <blocklist>, repeatable: one more list, whose name no earlier one has.
void read_blocklist(ConfigParser& p, const xmlNode* node, Settings& s) {
  Blocklist list;
  list.where = p.where(node);
  size_t errors_before = p.error_count();
  p.read_block(node, kBlocklistBlock, list);
  if (p.error_count() != errors_before) return;
  if (list.name.empty() || list.file.empty()) {
    p.error(node,
            "<blocklist> needs a <name> and a <file>, such as <name>spamhaus-drop</name>"
            "<file>/var/lib/rampart-feeds/spamhaus-drop.txt</file>");
    return;
  }
  for (const Blocklist& other : s.blocklists)
    if (other.name == list.name) {
      p.error(node, "<blocklist> \"{}\" is already defined at {}; give each list its own <name>",
              list.name, other.where);
      return;
    }
  s.blocklists.push_back(std::move(list));
}

constexpr Choice<FirewallBackend> kFirewallBackends[] = {
    {"nftables", FirewallBackend::Nftables},
    {"firewalld", FirewallBackend::Firewalld},
    {"auto", FirewallBackend::Auto},
};
constexpr Choice<FirewalldMode> kFirewalldModes[] = {
    {"rich-rule", FirewalldMode::RichRule},
    {"ipset", FirewalldMode::Ipset},
};

const Block<Settings> kNftablesBlock{"nftables", {{"table", read_table}}};
const Block<Settings> kNodeBlock{
    "node",
    {
        {"name", read_node_name},
        {"agent_id", read_node_agent_id},
        {"server", yes_no_into(&Settings::server)},
    },
};
const Block<Settings> kMaxPrefixBlock{
    "max_prefix",
    {
        {"ipv4", number_into(&Settings::max_prefix4, 1, 32)},
        {"ipv6", number_into(&Settings::max_prefix6, 1, 128)},
    },
};
const Block<Settings> kFirewalldBlock{
    "firewalld",
    {
        {"zone", read_zone},
        {"mode", choice_into(&Settings::firewalld_mode, kFirewalldModes)},
    },
};

const Block<Settings> kMetricsBlock{
    "metrics",
    {
        {"textfile", read_metrics_textfile},
        {"interval", number_into(&Settings::metrics_interval_sec, 1, 3600, "seconds")},
    },
};

// <rampart>: one row per option, in the order the hint for an unknown one lists them.
const Block<Settings> kSettingsBlock{
    "rampart",
    {
        {"socket", [](ConfigParser& p, const xmlNode* n, Settings& s) { p.read_socket(n, s); }},
        {"state_directory", path_into(&Settings::state_directory)},
        {"nftables", block_into(kNftablesBlock)},
        {"node", block_into(kNodeBlock)},
        {"max_blocks", number_into(&Settings::max_blocks, 1, UINT32_MAX)},
        {"max_prefix", block_into(kMaxPrefixBlock)},
        {"allow_link_local", yes_no_into(&Settings::allow_link_local)},
        {"journal", read_journal},
        {"exec_directory", path_into(&Settings::exec_directory)},
        {"exec_timeout", number_into(&Settings::exec_timeout_sec, 1, 86400, "seconds")},
        {"exec_concurrency", number_into(&Settings::exec_concurrency, 1, 1024)},
        {"hosts_deny", path_into(&Settings::hosts_deny)},
        {"firewall_backend", choice_into(&Settings::firewall_backend, kFirewallBackends)},
        {"firewalld", block_into(kFirewalldBlock)},
        {"repeated_offenders_reset",
         number_into(&Settings::repeated_offenders_reset_sec, 1, UINT32_MAX, "seconds")},
        {"metrics", block_into(kMetricsBlock)},
        {"block_prefix", block_into(kBlockPrefixBlock)},
        {"timeout_jitter", number_into(&Settings::timeout_jitter_percent, 0, 50, "percent")},
        {"blocklist", read_blocklist, kRepeats},
        {"fleet", read_fleet},
    },
};

}  // namespace

void ConfigParser::read_settings(const xmlNode* node) {
  read_block(node, kSettingsBlock, config_.settings);
}

}  // namespace rampart::config_internal
