// <ports> of a <command>: which traffic its blocks drop.
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "config/service_port.h"
namespace rampart {
namespace {

struct Protocol {
  std::string_view name;
  uint8_t number;
};
// The protocols whose header starts with the two ports ("th dport" reads the destination).
constexpr Protocol kProtocols[] = {{"tcp", IPPROTO_TCP},
                                   {"udp", IPPROTO_UDP},
                                   {"sctp", IPPROTO_SCTP},
                                   {"dccp", IPPROTO_DCCP},
                                   {"udplite", IPPROTO_UDPLITE}};

std::optional<uint16_t> port_number(std::string_view text) {
  unsigned v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v == 0 || v > 65535) return {};
  return static_cast<uint16_t>(v);
}

}  // namespace

std::string ServicePort::str() const {
  std::string_view name = "?";
  for (const Protocol& p : kProtocols)
    if (p.number == proto) name = p.name;
  if (first == last) return fmt::format("{}/{}", name, first);
  return fmt::format("{}/{}-{}", name, first, last);
}

std::string ports_text(const std::vector<ServicePort>& ports) {
  std::string out;
  for (const ServicePort& p : ports) out += (out.empty() ? "" : ",") + p.str();
  return out;
}

Result<std::vector<ServicePort>> parse_ports(std::string_view text) {
  std::vector<ServicePort> out;
  while (!text.empty()) {
    size_t end = text.find_first_of(", \t\n");
    std::string_view entry = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (entry.empty()) continue;
    size_t slash = entry.find('/');
    std::string_view proto = entry.substr(0, slash);
    auto known = std::find_if(std::begin(kProtocols), std::end(kProtocols),
                              [&](const Protocol& p) { return p.name == proto; });
    if (slash == std::string_view::npos || known == std::end(kProtocols))
      return fail(EINVAL,
                  "<ports> entry \"{}\" must be PROTOCOL/PORT with a protocol of tcp, udp, "
                  "sctp, dccp or udplite, such as tcp/22",
                  entry);
    std::string_view range = entry.substr(slash + 1);
    size_t dash = range.find('-');
    auto first = port_number(range.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : port_number(range.substr(dash + 1));
    if (!first || !last || *last < *first)
      return fail(EINVAL,
                  "<ports> entry \"{}\" needs a port from 1 to 65535, or a range such as "
                  "{}/6000-6007",
                  entry, proto);
    out.push_back({known->number, *first, *last});
  }
  if (out.empty())
    return fail(EINVAL,
                "<ports> is empty; list ports such as tcp/22,udp/51820, or remove it "
                "to block all traffic");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace rampart
