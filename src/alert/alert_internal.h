// Shared between the alert parser's files (alert.cc, alert_json.cc, alert_syslog.cc); not a
// public interface.
#pragma once

#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>

#include "alert/alert.h"
namespace rampart {

namespace alert_detail {

// What AlertParser::Impl holds; a base of its own so the free functions below can name it.
struct ParserState {
  simdjson::ondemand::parser json;
  // One line, copied once, with the zeroed tail simdjson reads past the end.
  std::unique_ptr<char[]> padded;
  size_t padded_capacity = 0;
};

// OSSEC and Wazuh refuse rule levels outside 0..16, so anything else is a broken alert.
inline constexpr int kMaxLevel = 16;

// `json` starts with '{'. `in_syslog` marks the "ossec: {...}" syslog_output json format.
Result<void> parse_json(ParserState& state, std::string_view json, Alert& out, bool in_syslog);
// A syslog_output line: an optional syslog header, then "ossec:" or "wazuh:", then the alert.
Result<void> parse_syslog(ParserState& state, std::string_view line, Alert& out);

// assign() goes through the general replace path with its aliasing checks; this is the cheap
// way to reuse a string's capacity, and it shows in the per-alert profile.
inline void set_string(std::string& s, std::string_view value) {
  s.clear();
  s.append(value.data(), value.size());
}

Result<int> parse_level(std::string_view text, std::string_view what);
Result<uint32_t> parse_rule_id(std::string_view text, std::string_view what);
// Stores "g1, g2 ,g3" or " g1,g2," as OSSEC joins them: "g1,g2,g3,".
void set_groups(std::string_view text, std::string& out);
void append_group(std::string_view group, std::string& out);
void set_srcip(std::string_view text, Alert& out);
// "(agent1) 192.168.1.10->/var/log/secure" names agent1; other locations name no agent.
std::string_view agent_from_location(std::string_view location);

}  // namespace alert_detail
}  // namespace rampart
