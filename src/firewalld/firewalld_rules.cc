#include "firewalld/firewalld_rules.h"
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>

namespace rampart {

namespace {

// Consumes `literal` from the front of `s`.
bool eat(std::string_view& s, std::string_view literal) {
  if (!s.starts_with(literal)) return false;
  s.remove_prefix(literal.size());
  return true;
}

// Consumes `"value"` and returns value.
std::optional<std::string_view> eat_quoted(std::string_view& s) {
  if (!eat(s, "\"")) return std::nullopt;
  size_t end = s.find('"');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view value = s.substr(0, end);
  s.remove_prefix(end + 1);
  return value;
}

std::optional<CommandKind> kind_from(std::string_view text) {
  if (text == to_string(CommandKind::Firewall)) return CommandKind::Firewall;
  if (text == to_string(CommandKind::Firewalld)) return CommandKind::Firewalld;
  return std::nullopt;
}

}  // namespace

std::string firewalld_rich_rule(const Address& address) {
  return fmt::format(R"(rule family="{}" source address="{}" drop)",
                     address.is_v4() ? "ipv4" : "ipv6", address.str());
}

std::optional<Address> parse_firewalld_rich_rule(std::string_view rule) {
  std::string_view s = rule;
  if (!eat(s, "rule family=")) return std::nullopt;
  auto family = eat_quoted(s);
  if (!family || (*family != "ipv4" && *family != "ipv6")) return std::nullopt;
  if (!eat(s, " source address=")) return std::nullopt;
  auto text = eat_quoted(s);
  if (!text || s != " drop") return std::nullopt;
  // firewalld keeps the text it was given; "2001:db8:0::1/128" is still one host.
  std::string_view host = *text;
  std::optional<uint8_t> prefix;
  if (size_t slash = host.find('/'); slash != std::string_view::npos) {
    uint8_t len = 0;
    auto tail = host.substr(slash + 1);
    if (std::from_chars(tail.data(), tail.data() + tail.size(), len).ptr !=
        tail.data() + tail.size())
      return std::nullopt;
    prefix = len;
    host = host.substr(0, slash);
  }
  auto address = Address::parse_host(host);
  if (!address || address->is_v4() != (*family == "ipv4")) return std::nullopt;
  if (prefix && *prefix != address->max_prefix()) {
    address = Address::parse(fmt::format("{}/{}", host, *prefix));
    if (!address) return std::nullopt;
  }
  return address;
}

std::string_view firewalld_ipset_name(bool v6) {
  return v6 ? "rampart6" : "rampart4";
}

std::string firewalld_ipset_rule(std::string_view ipset) {
  return fmt::format(R"(rule source ipset="{}" drop)", ipset);
}

int32_t firewalld_timeout_seconds(uint64_t timeout_ms) {
  uint64_t s = timeout_ms / 1000 + (timeout_ms % 1000 ? 1 : 0);
  return static_cast<int32_t>(std::min<uint64_t>(s, INT32_MAX));
}

bool firewalld_already_enabled(std::string_view message) {
  return message.starts_with("ALREADY_ENABLED");
}

bool firewalld_not_enabled(std::string_view message) {
  return message.starts_with("NOT_ENABLED");
}

std::string format_firewalld_state(const std::vector<FirewalldStateEntry>& entries) {
  std::string out = "# rampartd: address kind expiry(realtime s, 0 = none) command:rule\n";
  for (const auto& e : entries)
    out += fmt::format("{} {} {} {}\n", e.address.str(), to_string(e.kind), e.expiry_realtime_s,
                       e.comment.empty() ? "-" : e.comment);
  return out;
}

std::vector<FirewalldStateEntry> parse_firewalld_state(std::string_view text) {
  std::vector<FirewalldStateEntry> out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    // Three fields, then the comment as the rest of the line.
    std::string_view fields[4];
    size_t n = 0;
    while (n < 3 && !line.empty()) {
      size_t sp = line.find(' ');
      fields[n++] = line.substr(0, sp);
      line.remove_prefix(sp == std::string_view::npos ? line.size() : sp + 1);
    }
    fields[3] = line;
    if (n != 3 || line.empty()) continue;
    auto address = Address::parse(fields[0]);
    auto kind = kind_from(fields[1]);
    uint64_t expiry = 0;
    auto f = fields[2];
    if (!address || !kind ||
        std::from_chars(f.data(), f.data() + f.size(), expiry).ptr != f.data() + f.size())
      continue;
    out.push_back({*address, *kind, expiry, fields[3] == "-" ? "" : std::string(fields[3])});
  }
  return out;
}

}  // namespace rampart
