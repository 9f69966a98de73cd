// The alert model and the parser for every alert format rampart accepts on a line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/address.h"
#include "base/error.h"
namespace rampart {

enum class AlertFormat : uint8_t {
  WazuhJson,      // Wazuh alerts.json
  OssecJson,      // OSSEC alerts.json
  SyslogDefault,  // syslog_output default format
  SyslogJson,     // syslog_output json: "ossec: {...}"
  SyslogSplunk,   // syslog_output splunk: key=value pairs
  Journal,        // structured ALERT_* journal fields
};
std::string_view to_string(AlertFormat format);

struct Alert {
  AlertFormat format = AlertFormat::WazuhJson;
  std::optional<uint32_t> rule_id;
  int level = 0;
  std::string groups;              // "g1,g2,g3," as OSSEC joins them (original case)
  std::string srcip;               // as written in the alert ("" when absent)
  std::optional<Address> address;  // srcip parsed as a single host (::ffff: unmapped)
  std::string user;
  std::string agent_id;  // "" when the alert names no agent
  std::string agent_name;
  std::string id;
  std::string location;
  std::string timestamp;
  std::string description;
  std::string filename;

  void clear();
  // The alert as a Wazuh alerts.json object (for the exec backend's JSON protocol).
  std::string to_wazuh_json() const;
};

// Parses alert lines; keeps buffers between calls so a flood does not allocate per line.
class AlertParser {
 public:
  static constexpr size_t kMaxLine = 64 * 1024;

  AlertParser();
  ~AlertParser();
  AlertParser(const AlertParser&) = delete;
  AlertParser& operator=(const AlertParser&) = delete;

  // Detects the format and fills `out`. Errors say what was wrong ("not JSON and no
  // 'ossec:' marker", "rule.level is not a number").
  Result<void> parse(std::string_view line, Alert& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart
