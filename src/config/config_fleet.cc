// <rampart><fleet>: this node's place in a fleet of rampartd nodes that send each other
// orders through NATS JetStream.
#include <algorithm>

#include "config/config_parse.h"
#include "config/config_text.h"
namespace rampart::config_internal {
namespace {

bool valid_fleet_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool valid_server_url(std::string_view url) {
  for (std::string_view scheme : {"nats://", "tls://"})
    if (url.starts_with(scheme) && url.size() > scheme.size()) return true;
  return false;
}

void read_servers(ConfigParser& p, const xmlNode* node, FleetSettings& f) {
  auto value = p.text(node);
  if (!value) return;
  f.servers.clear();
  for (std::string_view url : split(*value, ", \t\r\n")) {
    if (valid_server_url(url))
      f.servers.emplace_back(url);
    else
      p.error(node,
              "<servers>: \"{}\" is not a NATS server URL; write nats://HOST:PORT (or "
              "tls://HOST:PORT), several separated by commas",
              url);
  }
}

void read_name(ConfigParser& p, const xmlNode* node, FleetSettings& f) {
  auto value = p.text(node);
  if (!value) return;
  if (valid_fleet_name(*value))
    f.name = *value;
  else
    p.error(node,
            "<name> \"{}\" is not a usable fleet name; use 1 to 32 of a-z, 0-9, '_' or '-' "
            "(it starts every NATS subject of the fleet)",
            *value);
}

const Block<FleetSettings> kTlsBlock{
    "tls",
    {
        {"ca", path_into(&FleetSettings::tls_ca)},
        {"cert", path_into(&FleetSettings::tls_cert)},
        {"key", path_into(&FleetSettings::tls_key)},
    },
};

const Block<FleetSettings> kFleetBlock{
    "fleet",
    {
        {"servers", read_servers},
        {"credentials", path_into(&FleetSettings::credentials)},
        {"tls", block_into(kTlsBlock)},
        {"name", read_name},
        {"outbox_max", number_into(&FleetSettings::outbox_max, 1, 10000000, "orders")},
        {"retention", number_into(&FleetSettings::retention_sec, 60, 10 * 366 * 86400, "seconds")},
        {"replicas", number_into(&FleetSettings::replicas, 1, 5)},
    },
    kWarnTwice,
};

}  // namespace

void read_fleet(ConfigParser& p, const xmlNode* node, Settings& s) {
  // A <fleet> replaces an earlier one (conf.d may move a node to another fleet).
  FleetSettings f;
  f.enabled = true;
  p.read_block(node, kFleetBlock, f);
  if (f.servers.empty())
    p.error(node,
            "<fleet> needs <servers>, such as "
            "<servers>nats://nats1:4222,nats://nats2:4222</servers>; remove <fleet> to act on "
            "this node only");
  if (f.tls_cert.empty() != f.tls_key.empty())
    p.error(node, "<fleet><tls> needs both <cert> and <key>, or neither");
  s.fleet = std::move(f);
}

}  // namespace rampart::config_internal
