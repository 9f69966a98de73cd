// Every alert format: the line parser (Wazuh/OSSEC JSON, syslog default/json/splunk) and the
// journal's ALERT_* fields. The first byte picks the path.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "alert/alert.h"
#include "journal/journal_alert.h"
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static rampart::AlertParser parser;  // reused, as the daemon does
  static rampart::Alert alert;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    // Journal entry: one FIELD=value per line.
    rampart::JournalFields fields;
    while (!in.empty()) {
      size_t nl = in.find('\n');
      fields.set(in.substr(0, nl));
      if (nl == std::string_view::npos) break;
      in.remove_prefix(nl + 1);
    }
    (void)rampart::alert_from_journal(fields, parser, alert);
  } else if (auto r = parser.parse(in, alert); r) {
    // A parsed alert's address is a host and prints back to itself.
    if (alert.address && !alert.address->is_host()) __builtin_trap();
    (void)alert.to_wazuh_json();
  }
  return 0;
}
