#include "alert/alert.h"
#include <cerrno>
#include <charconv>
#include <cstring>

#include "alert/alert_internal.h"
#include "base/json.h"
namespace rampart {

std::string_view to_string(AlertFormat format) {
  switch (format) {
    case AlertFormat::WazuhJson:
      return "wazuh-json";
    case AlertFormat::OssecJson:
      return "ossec-json";
    case AlertFormat::SyslogDefault:
      return "syslog-default";
    case AlertFormat::SyslogJson:
      return "syslog-json";
    case AlertFormat::SyslogSplunk:
      return "syslog-splunk";
    case AlertFormat::Journal:
      return "journal";
  }
  return "unknown";
}

void Alert::clear() {
  // clear(), not assignment from {}, so a parser reusing this Alert keeps the capacity.
  format = AlertFormat::WazuhJson;
  rule_id.reset();
  level = 0;
  groups.clear();
  srcip.clear();
  address.reset();
  user.clear();
  agent_id.clear();
  agent_name.clear();
  id.clear();
  location.clear();
  timestamp.clear();
  description.clear();
  filename.clear();
}

namespace {

void append_key(std::string& out, std::string_view key, std::string_view value) {
  out += '"';
  out += key;
  out += "\":";
  append_json_string(out, value);
}

// "g1,g2," as a JSON array: ["g1","g2"].
void append_groups(std::string& out, std::string_view groups) {
  out += '[';
  bool first = true;
  while (!groups.empty()) {
    size_t comma = groups.find(',');
    std::string_view group = groups.substr(0, comma);
    groups = comma == std::string_view::npos ? std::string_view{} : groups.substr(comma + 1);
    if (group.empty()) continue;
    if (!first) out += ',';
    first = false;
    append_json_string(out, group);
  }
  out += ']';
}

}  // namespace

std::string Alert::to_wazuh_json() const {
  std::string out;
  out.reserve(256 + description.size() + groups.size() + location.size());
  out += '{';
  if (!timestamp.empty()) {
    append_key(out, "timestamp", timestamp);
    out += ',';
  }
  out += "\"rule\":{\"level\":";
  out += std::to_string(level);
  out += ',';
  append_key(out, "description", description);
  if (rule_id) {
    out += ',';
    // Wazuh writes rule ids as strings.
    append_key(out, "id", std::to_string(*rule_id));
  }
  out += ",\"groups\":";
  append_groups(out, groups);
  out += '}';
  if (!agent_id.empty() || !agent_name.empty()) {
    out += ",\"agent\":{";
    append_key(out, "id", agent_id);
    out += ',';
    append_key(out, "name", agent_name);
    out += '}';
  }
  if (!id.empty()) {
    out += ',';
    append_key(out, "id", id);
  }
  if (!location.empty()) {
    out += ',';
    append_key(out, "location", location);
  }
  if (!srcip.empty() || !user.empty()) {
    out += ",\"data\":{";
    if (!srcip.empty()) append_key(out, "srcip", srcip);
    if (!user.empty()) {
      if (!srcip.empty()) out += ',';
      append_key(out, "srcuser", user);
    }
    out += '}';
  }
  if (!filename.empty()) {
    out += ",\"syscheck\":{";
    append_key(out, "path", filename);
    out += '}';
  }
  out += '}';
  return out;
}

namespace alert_detail {

Result<int> parse_level(std::string_view text, std::string_view what) {
  int level = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), level);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    return fail(EINVAL, "{} is not a number", what);
  if (level < 0 || level > kMaxLevel)
    return fail(EINVAL, "{} {} is not 0..{}", what, level, kMaxLevel);
  return level;
}

Result<uint32_t> parse_rule_id(std::string_view text, std::string_view what) {
  uint32_t id = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
    return fail(EINVAL, "{} is not a number", what);
  return id;
}

void append_group(std::string_view group, std::string& out) {
  while (!group.empty() && (group.front() == ' ' || group.front() == '\t')) group.remove_prefix(1);
  while (!group.empty() && (group.back() == ' ' || group.back() == '\t')) group.remove_suffix(1);
  if (group.empty()) return;
  out.append(group);
  out += ',';
}

void set_groups(std::string_view text, std::string& out) {
  out.clear();
  while (!text.empty()) {
    size_t comma = text.find(',');
    append_group(text.substr(0, comma), out);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
}

namespace {

// Plain dotted quads are nearly every srcip in a flood; inet_pton costs more than the rest of
// a syslog alert. Anything unusual goes to Address::parse_host, which decides.
std::optional<Address> parse_dotted_quad(std::string_view text) {
  uint32_t ip = 0;
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
    size_t start = i;
    unsigned value = 0;
    while (i < text.size() && i - start < 3 && text[i] >= '0' && text[i] <= '9')
      value = value * 10 + static_cast<unsigned>(text[i++] - '0');
    if (i == start || value > 255 || (text[start] == '0' && i - start > 1)) return std::nullopt;
    ip = ip << 8 | value;
  }
  if (i != text.size()) return std::nullopt;
  return Address::v4(ip);
}

}  // namespace

void set_srcip(std::string_view text, Alert& out) {
  set_string(out.srcip, text);
  if (text.empty()) {
    out.address.reset();
  } else if (auto quad = parse_dotted_quad(text)) {
    out.address = quad;
  } else {
    out.address = Address::parse_host(text);
  }
}

std::string_view agent_from_location(std::string_view location) {
  if (location.size() < 3 || location.front() != '(') return {};
  size_t close = location.find(')');
  if (close == std::string_view::npos || close == 1) return {};
  // "(name) ip->file": the closing parenthesis is followed by the agent's address.
  if (close + 1 < location.size() && location[close + 1] != ' ') return {};
  return location.substr(1, close - 1);
}

}  // namespace alert_detail

struct AlertParser::Impl : alert_detail::ParserState {};

AlertParser::AlertParser() : impl_(std::make_unique<Impl>()) {
  impl_->padded_capacity = kMaxLine + simdjson::SIMDJSON_PADDING;
  impl_->padded = std::make_unique<char[]>(impl_->padded_capacity);
  // Sized for the longest line up front so a flood never reallocates; on failure iterate()
  // tries again and reports the error then.
  [[maybe_unused]] auto allocated = impl_->json.allocate(kMaxLine);
}

AlertParser::~AlertParser() = default;

namespace {

Result<void> parse_line(alert_detail::ParserState& state, std::string_view line, Alert& out) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.size() > AlertParser::kMaxLine)
    return fail(EMSGSIZE, "line longer than {} bytes", AlertParser::kMaxLine);
  size_t start = line.find_first_not_of(" \t");
  if (start == std::string_view::npos) return fail(EINVAL, "empty line");
  // No alert format carries NUL bytes; refusing them early keeps binary junk out of every
  // string we hand on.
  if (std::memchr(line.data(), '\0', line.size()) != nullptr)
    return fail(EINVAL, "not an alert: line contains a NUL byte");
  switch (line[start]) {
    case '{':
      return alert_detail::parse_json(state, line.substr(start), out, false);
    case '[':
      return fail(EINVAL, "not an alert: a JSON array, expected an object");
    default:
      return alert_detail::parse_syslog(state, line.substr(start), out);
  }
}

}  // namespace

Result<void> AlertParser::parse(std::string_view line, Alert& out) {
  out.clear();
  auto result = parse_line(*impl_, line, out);
  // A half-filled alert must never reach a caller that forgets to check the result.
  if (!result) out.clear();
  return result;
}

}  // namespace rampart
