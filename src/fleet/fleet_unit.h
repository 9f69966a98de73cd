// What a fleet node needs from the shipped unit: rampart.service allows no IP traffic
// (RestrictAddressFamilies=AF_UNIX AF_NETLINK, IPAddressDeny=any), so NATS needs a drop-in.
// rampartd --check-config prints it for the configured <servers>.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace rampart {

// The host of a NATS URL: "nats://user:pw@[2001:db8::1]:4222" -> "2001:db8::1".
std::string_view nats_url_host(std::string_view url);

// The drop-in for `fleet`, with how to install it ("" without a fleet). Servers given by host
// name are named: IPAddressAllow= takes addresses only.
std::string fleet_unit_dropin(const FleetSettings& fleet);

}  // namespace rampart
