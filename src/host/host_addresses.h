// The addresses this host owns, as the kernel reports them over rtnetlink (getifaddrs), so
// that no alert or caller can make rampart block the host's own addresses.
#pragma once

#include <vector>

#include "base/address.h"
#include "base/error.h"
namespace rampart {

// Every IPv4 and IPv6 address on every interface of the current network namespace, as hosts
// (no prefixes), sorted and without duplicates. IPv4-mapped forms are not listed.
Result<std::vector<Address>> read_host_addresses();

}  // namespace rampart
