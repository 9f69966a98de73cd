#include "fleet/fleet_unit.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "base/address.h"

namespace rampart {

std::string_view nats_url_host(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos)
    url.remove_prefix(scheme + 3);
  url = url.substr(0, url.find('/'));
  if (auto at = url.rfind('@'); at != std::string_view::npos) url.remove_prefix(at + 1);
  if (url.starts_with('[')) return url.substr(1, url.find(']') - 1);
  return url.substr(0, url.find(':'));
}

std::string fleet_unit_dropin(const FleetSettings& fleet) {
  if (!fleet.enabled) return {};
  std::vector<std::string_view> addresses, names;
  for (const auto& url : fleet.servers) {
    std::string_view host = nats_url_host(url);
    auto& list = Address::parse_host(host) ? addresses : names;
    if (std::find(list.begin(), list.end(), host) == list.end()) list.push_back(host);
  }
  std::string out =
      "\nUnder systemd: rampart.service allows no IP traffic (RestrictAddressFamilies=AF_UNIX "
      "AF_NETLINK, IPAddressDeny=any).\n"
      "The fleet needs a drop-in: run `systemctl edit rampart`, add\n\n"
      "  [Service]\n"
      "  RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6\n";
  if (!addresses.empty()) out += fmt::format("  IPAddressAllow={}\n", fmt::join(addresses, " "));
  // IPAddressAllow= takes addresses and prefixes only.
  for (std::string_view name : names)
    out += fmt::format(
        "  IPAddressAllow=ADDRESSES  # of {} (a host name: write its addresses, and your DNS "
        "server's)\n",
        name);
  out +=
      "\nthen `systemctl restart rampart`. An example with comments: "
      "/usr/share/doc/rampart/examples/rampart.service.d/fleet.conf\n";
  return out;
}

}  // namespace rampart
