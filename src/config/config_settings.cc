// rampart's own <rampart> section, and the value readers every section uses.
#include <climits>

#include "config/config_parse.h"
#include "config/config_text.h"
namespace rampart::config_internal {
namespace {

constexpr std::string_view kSettingsElements =
    "socket, state_directory, nftables, node, max_blocks, max_prefix, allow_link_local, "
    "journal, exec_directory, exec_timeout, exec_concurrency, hosts_deny, firewall_backend, "
    "firewalld, repeated_offenders_reset";

}  // namespace

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

void ConfigParser::read_settings(const xmlNode* node) {
  Settings& s = config_.settings;
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (name == "socket") {
      auto path = absolute_path(child);
      if (!path) continue;
      // The first <socket> of a file replaces the list from the defaults or earlier files.
      if (!sockets_given_in_file_) s.sockets.clear();
      sockets_given_in_file_ = true;
      s.sockets.push_back(*path);
    } else if (name == "state_directory") {
      if (auto path = absolute_path(child)) s.state_directory = *path;
    } else if (name == "nftables") {
      for (const xmlNode* n : child_elements(child)) {
        if (name_of(n) != "table") {
          unknown_element(n, "nftables", "table");
          continue;
        }
        auto table = text(n);
        if (!table) continue;
        if (valid_table_name(*table))
          s.nft_table = *table;
        else
          error(n,
                "<table> \"{}\" is not a usable nftables table name; use 1 to 32 letters, "
                "digits, '_' or '-'",
                *table);
      }
    } else if (name == "node") {
      read_node_settings(child);
    } else if (name == "max_blocks") {
      if (auto n = number(child, 1, UINT32_MAX)) s.max_blocks = *n;
    } else if (name == "max_prefix") {
      read_max_prefix(child);
    } else if (name == "allow_link_local") {
      if (auto v = yes_no(child)) s.allow_link_local = *v;
    } else if (name == "journal") {
      read_journal(child);
    } else if (name == "exec_directory") {
      if (auto path = absolute_path(child)) s.exec_directory = *path;
    } else if (name == "exec_timeout") {
      if (auto n = number(child, 1, 86400, "seconds")) s.exec_timeout_sec = *n;
    } else if (name == "exec_concurrency") {
      if (auto n = number(child, 1, 1024)) s.exec_concurrency = *n;
    } else if (name == "hosts_deny") {
      if (auto path = absolute_path(child)) s.hosts_deny = *path;
    } else if (name == "firewall_backend") {
      auto value = text(child);
      if (!value) continue;
      std::string v = lower(*value);
      if (v == "auto") {
        s.firewall_backend = FirewallBackend::Auto;
      } else if (v == "nftables") {
        s.firewall_backend = FirewallBackend::Nftables;
      } else if (v == "firewalld") {
        s.firewall_backend = FirewallBackend::Firewalld;
      } else {
        error(child, "<firewall_backend> must be nftables, firewalld or auto, not \"{}\"", *value);
      }
    } else if (name == "firewalld") {
      read_firewalld(child);
    } else if (name == "repeated_offenders_reset") {
      if (auto n = number(child, 1, UINT32_MAX, "seconds")) s.repeated_offenders_reset_sec = *n;
    } else {
      unknown_element(child, "rampart", kSettingsElements);
    }
  }
}

void ConfigParser::read_node_settings(const xmlNode* node) {
  Settings& s = config_.settings;
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (name == "name") {
      if (auto value = text(child)) s.node_name = *value;
    } else if (name == "agent_id") {
      auto value = text(child);
      if (!value) continue;
      if (valid_agent_id(*value))
        s.agent_id = *value;
      else
        error(child, "<agent_id> must be this node's numeric agent ID such as 000, not \"{}\"",
              *value);
    } else if (name == "server") {
      if (auto v = yes_no(child)) s.server = *v;
    } else {
      unknown_element(child, "node", "name, agent_id, server");
    }
  }
}

void ConfigParser::read_max_prefix(const xmlNode* node) {
  Settings& s = config_.settings;
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (name == "ipv4") {
      if (auto n = number(child, 1, 32)) s.max_prefix4 = static_cast<uint8_t>(*n);
    } else if (name == "ipv6") {
      if (auto n = number(child, 1, 128)) s.max_prefix6 = static_cast<uint8_t>(*n);
    } else {
      unknown_element(child, "max_prefix", "ipv4, ipv6");
    }
  }
}

void ConfigParser::read_journal(const xmlNode* node) {
  // Each <journal> replaces an earlier one: its groups only make sense together.
  JournalMatches journal;
  journal.enabled = true;
  size_t errors_before = diag_.errors.size();
  journal.groups.emplace_back();
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (name == "or") {
      if (journal.groups.back().empty())
        error(child, "<or/> must stand between two groups of <match>; remove this one");
      journal.groups.emplace_back();
    } else if (name == "match") {
      auto value = text(child);
      if (!value) continue;
      size_t eq = value->find('=');
      std::string_view field = std::string_view(*value).substr(0, eq);
      if (eq == std::string::npos || !valid_journal_field(field)) {
        error(child,
              "<match> \"{}\" must be FIELD=value with an upper-case journal field name "
              "(A-Z, 0-9, '_', not starting with a digit), such as "
              "SYSLOG_IDENTIFIER=wazuh-analysisd",
              *value);
        continue;
      }
      journal.groups.back().push_back(*value);
    } else {
      unknown_element(child, "journal", "match, or");
    }
  }
  if (journal.groups.back().empty() && diag_.errors.size() == errors_before) {
    if (journal.groups.size() > 1)
      error(node, "<journal> ends with <or/>; remove it or add <match> after it");
    else
      error(node,
            "<journal> has no <match>; add <match>FIELD=value</match> so rampart reads "
            "only the alerts, such as <match>SYSLOG_IDENTIFIER=wazuh-analysisd</match>");
  }
  config_.settings.journal = std::move(journal);
}

void ConfigParser::read_firewalld(const xmlNode* node) {
  Settings& s = config_.settings;
  for (const xmlNode* child : child_elements(node)) {
    std::string_view name = name_of(child);
    if (name == "zone") {
      auto value = text(child);
      if (!value) continue;
      if (value->find_first_of(" \t\r\n") != std::string::npos)
        error(child, "<zone> \"{}\" must be a firewalld zone name without spaces", *value);
      else
        s.firewalld_zone = *value;
    } else if (name == "mode") {
      auto value = text(child);
      if (!value) continue;
      std::string v = lower(*value);
      if (v == "rich-rule") {
        s.firewalld_mode = FirewalldMode::RichRule;
      } else if (v == "ipset") {
        s.firewalld_mode = FirewalldMode::Ipset;
      } else {
        error(child, "<mode> must be rich-rule or ipset, not \"{}\"", *value);
      }
    } else {
      unknown_element(child, "firewalld", "zone, mode");
    }
  }
}

}  // namespace rampart::config_internal
