// What the enforcer answers a request from an operator: the block as the API shows it, or why
// it was refused. The refusal is typed so that each adapter maps it to its own vocabulary (a
// D-Bus error name, an exit status) without reading text or errno.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "base/address.h"
namespace rampart {

// One active block as the API shows it.
struct BlockView {
  Address address;
  std::string command;
  uint64_t expiry_realtime_us = 0;  // 0 = no timeout
  uint32_t rule_id = 0;
  std::string reason;
  std::string backend;
  std::string scope;   // the command's <ports> ("tcp/22,udp/51820"); "" = all traffic
  std::string origin;  // the fleet node that ordered it; "" = this node decided
};

enum class Refusal : uint8_t {
  TooWide,      // a prefix wider than <max_prefix> allows
  NeverBlock,   // loopback, multicast, this network...: never blocked
  HostAddress,  // an address of this host, or a prefix that contains one
  Allowlisted,  // <white_list> covers it
  NoBackend,    // no firewall backend is running
  TooMany,      // <max_blocks> reached
  NotBlocked,   // nothing to unblock
  NoFleet,      // a fleet-wide request on a node without <fleet>
};
std::string_view to_string(Refusal why);

struct Refused {
  Refusal why;
  std::string message;  // for people: "127.0.0.1 is loopback and is never blocked"
};

template <class T = void>
using Outcome = std::expected<T, Refused>;

}  // namespace rampart
