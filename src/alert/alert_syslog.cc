// OSSEC/Wazuh syslog_output lines (csyslogd): the default, json and splunk formats behind an
// optional syslog header.
#include <cctype>
#include <cerrno>

#include "alert/alert_internal.h"
namespace rampart::alert_detail {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view skip_spaces(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = skip_spaces(s);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

std::string_view next_token(std::string_view& s) {
  s = skip_spaces(s);
  size_t end = 0;
  while (end < s.size() && !is_space(s[end])) ++end;
  auto token = s.substr(0, end);
  s.remove_prefix(end);
  return token;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "Nov 27 20:58:22" and "Nov  7 20:58:22".
bool is_rfc3164_time(std::string_view s) {
  if (s.size() < 15) return false;
  auto alpha = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  return alpha(s[0]) && alpha(s[1]) && alpha(s[2]) && s[3] == ' ' &&
         (s[4] == ' ' || is_digit(s[4])) && is_digit(s[5]) && s[6] == ' ' && is_digit(s[7]) &&
         is_digit(s[8]) && s[9] == ':' && s[12] == ':' && is_digit(s[14]) &&
         (s.size() == 15 || s[15] == ' ');
}

struct SyslogHeader {
  std::string_view timestamp;
  std::string_view body;  // after the marker and its spaces
  std::string_view marker;
};

// Only the syslog header may precede the marker: "<pri>", an RFC 3164 or ISO 8601 timestamp,
// the host and one "tag[pid]:". A marker deeper in the line belongs to some other program's
// message, and trusting it would let anyone who can write a log line forge an alert.
std::optional<SyslogHeader> split_header(std::string_view line) {
  SyslogHeader h;
  std::string_view s = skip_spaces(line);
  if (consume(s, "<")) {
    size_t n = 0;
    while (n < s.size() && n < 3 && is_digit(s[n])) ++n;
    if (n == 0 || n >= s.size() || s[n] != '>') return std::nullopt;
    s.remove_prefix(n + 1);
    // RFC 5424 puts a version after the priority.
    if (s.size() > 2 && is_digit(s[0]) && s[1] == ' ') s.remove_prefix(2);
  }
  s = skip_spaces(s);
  if (is_rfc3164_time(s)) {
    h.timestamp = s.substr(0, 15);
    s.remove_prefix(15);
  } else if (!s.empty() && is_digit(s[0])) {
    std::string_view rest = s;
    std::string_view token = next_token(rest);
    if (token.find(':') != std::string_view::npos && token.find('-') != std::string_view::npos) {
      h.timestamp = token;
      s = rest;
    }
  }
  bool after_tag = false;
  for (int i = 0; i < 3; ++i) {
    std::string_view token = next_token(s);
    if (token.empty()) break;
    if (token == "ossec:" || token == "wazuh:") {
      h.marker = token;
      h.body = skip_spaces(s);
      return h;
    }
    // A tag ends the header; only the marker may follow it.
    if (after_tag) break;
    after_tag = token.back() == ':';
  }
  return std::nullopt;
}

// csyslogd's default format writes its fields in this order after "Location: ...;", then the
// log line. Accepting a field only in order (and once) stops text from a later field, or the
// attacker-controlled log, from overriding srcip.
constexpr std::string_view kDefaultFields[] = {
    "classification: ", "srcip: ",        "srccity: ",         "dstcity: ",
    "dstip: ",          "user: ",         "Previous MD5: ",    "Current MD5: ",
    "Previous SHA1: ",  "Current SHA1: ", "Previous SHA256: ", "Current SHA256: ",
};

Result<void> parse_default(std::string_view s, Alert& out) {
  out.format = AlertFormat::SyslogDefault;
  if (!consume(s, "Alert Level:")) return fail(EINVAL, "not an alert: no 'Alert Level:'");
  size_t semi = s.find(';');
  if (semi == std::string_view::npos) return fail(EINVAL, "syslog alert: no ';' after the level");
  auto level = parse_level(trim(s.substr(0, semi)), "Alert Level");
  if (!level) return std::unexpected(level.error());
  out.level = *level;
  s = skip_spaces(s.substr(semi + 1));
  if (!consume(s, "Rule:")) return fail(EINVAL, "syslog alert: no 'Rule:' after the level");
  s = skip_spaces(s);
  size_t digits = 0;
  while (digits < s.size() && is_digit(s[digits])) ++digits;
  auto rule_id = parse_rule_id(s.substr(0, digits), "Rule");
  if (!rule_id) return std::unexpected(rule_id.error());
  out.rule_id = *rule_id;
  s = skip_spaces(s.substr(digits));
  if (consume(s, "-")) consume(s, " ");
  // The description may itself contain "; ", so it ends at the first "; Location:".
  size_t loc = s.find("; Location:");
  if (loc == std::string_view::npos) return fail(EINVAL, "syslog alert: no 'Location:'");
  set_string(out.description, s.substr(0, loc));
  s = skip_spaces(s.substr(loc + 11));
  size_t end = s.find(';');
  set_string(out.location, trim(s.substr(0, end)));
  set_string(out.agent_name, agent_from_location(out.location));
  s = end == std::string_view::npos ? std::string_view{} : s.substr(end + 1);

  size_t next_field = 0;
  while (!s.empty()) {
    std::string_view rest = s;
    consume(rest, " ");
    size_t i = next_field;
    while (i < std::size(kDefaultFields) && !rest.starts_with(kDefaultFields[i])) ++i;
    if (i == std::size(kDefaultFields)) break;  // the log line
    rest.remove_prefix(kDefaultFields[i].size());
    end = rest.find(';');
    std::string_view value = trim(rest.substr(0, end));
    if (i == 0) set_groups(value, out.groups);
    if (i == 1) set_srcip(value, out);
    if (i == 5) set_string(out.user, value);
    next_field = i + 1;
    s = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
  return {};
}

// A quoted splunk value ends at a '"' followed by the end, or by [,] [spaces] key=. csyslogd
// does not escape quotes inside values, so this is the best guess there is.
size_t closing_quote(std::string_view s) {
  for (size_t q = s.find('"'); q != std::string_view::npos; q = s.find('"', q + 1)) {
    std::string_view after = s.substr(q + 1);
    consume(after, ",");
    if (after.empty()) return q;
    if (!is_space(after.front())) continue;
    after = skip_spaces(after);
    if (after.empty()) return q;
    size_t k = 0;
    while (k < after.size() &&
           (std::isalnum(static_cast<unsigned char>(after[k])) || after[k] == '_'))
      ++k;
    if (k > 0 && k < after.size() && after[k] == '=') return q;
  }
  return std::string_view::npos;
}

// csyslogd's splunk key order; keys out of order are ignored for the reason given at
// kDefaultFields. "user" is what some forwarders write instead of "acct".
int splunk_rank(std::string_view key) {
  static constexpr std::string_view kOrder[] = {
      "crit",     "id",       "description", "component",  "classification", "src_ip", "src_port",
      "src_city", "dst_city", "dst_ip",      "dst_port",   "file",           "acct",   "md5_old",
      "md5_new",  "sha1_old", "sha1_new",    "sha256_old", "sha256_new",     "message"};
  if (key == "user") key = "acct";
  for (size_t i = 0; i < std::size(kOrder); ++i)
    if (kOrder[i] == key) return static_cast<int>(i);
  return -1;
}

Result<void> parse_splunk(std::string_view s, Alert& out) {
  out.format = AlertFormat::SyslogSplunk;
  bool has_crit = false;
  int last_rank = -1;
  while (true) {
    while (!s.empty() && (is_space(s.front()) || s.front() == ',')) s.remove_prefix(1);
    size_t eq = s.find('=');
    if (s.empty() || eq == std::string_view::npos) break;
    std::string_view key = s.substr(0, eq);
    s.remove_prefix(eq + 1);
    std::string_view value;
    if (consume(s, "\"")) {
      size_t q = closing_quote(s);
      // csyslogd truncates long messages, losing the closing quote.
      value = s.substr(0, q);
      s = q == std::string_view::npos ? std::string_view{} : s.substr(q + 1);
    } else {
      size_t end = 0;
      while (end < s.size() && !is_space(s[end])) ++end;
      value = s.substr(0, end);
      s.remove_prefix(end);
      if (value.ends_with(',')) value.remove_suffix(1);
    }
    int rank = splunk_rank(key);
    if (rank <= last_rank) continue;
    last_rank = rank;
    if (key == "crit") {
      auto level = parse_level(value, "crit");
      if (!level) return std::unexpected(level.error());
      out.level = *level;
      has_crit = true;
    } else if (key == "id") {
      auto id = parse_rule_id(value, "id");
      if (!id) return std::unexpected(id.error());
      out.rule_id = *id;
    } else if (key == "description") {
      set_string(out.description, value);
    } else if (key == "component") {
      set_string(out.location, value);
      set_string(out.agent_name, agent_from_location(value));
    } else if (key == "classification") {
      set_groups(value, out.groups);
    } else if (key == "src_ip") {
      set_srcip(value, out);
    } else if (key == "file") {
      set_string(out.filename, value);
    } else if (key == "acct" || key == "user") {
      set_string(out.user, value);
    } else if (key == "message") {
      break;  // the log line is last and attacker-controlled: nothing after it counts
    }
  }
  if (!has_crit) return fail(EINVAL, "syslog splunk alert has no crit=");
  return {};
}

}  // namespace

Result<void> parse_syslog(ParserState& state, std::string_view line, Alert& out) {
  auto header = split_header(line);
  if (!header) return fail(EINVAL, "not an alert: no JSON object and no 'ossec:'/'wazuh:' marker");
  std::string_view body = header->body;
  Result<void> result;
  if (body.starts_with('{')) {
    result = parse_json(state, body, out, true);
  } else if (body.starts_with("Alert Level:")) {
    result = parse_default(body, out);
  } else if (body.starts_with("crit=")) {
    result = parse_splunk(body, out);
  } else {
    return fail(EINVAL,
                "not an alert: '{}' is followed by neither JSON, 'Alert Level:' nor 'crit='",
                header->marker);
  }
  if (result && out.timestamp.empty()) set_string(out.timestamp, header->timestamp);
  return result;
}

}  // namespace rampart::alert_detail
