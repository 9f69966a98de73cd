// A command's <ports>: which traffic its blocks drop. Its own header so the backend seam can
// carry it without the whole configuration model.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
namespace rampart {

// One entry of a command's <ports>: a transport protocol and a destination port range.
struct ServicePort {
  uint8_t proto = 6;  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP, IPPROTO_DCCP, IPPROTO_UDPLITE
  uint16_t first = 0;
  uint16_t last = 0;        // == first for a single port
  std::string str() const;  // "tcp/22", "udp/6000-6007"
  auto operator<=>(const ServicePort&) const = default;
};
// "tcp/22,tcp/2222,udp/51820" (commas or spaces; "tcp/6000-6007" for a range). Error: what is
// wrong with which entry, and the fix.
Result<std::vector<ServicePort>> parse_ports(std::string_view text);
std::string ports_text(const std::vector<ServicePort>& ports);  // "" when empty

}  // namespace rampart
