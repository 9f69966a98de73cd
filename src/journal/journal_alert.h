// One journal entry as an alert: structured ALERT_* fields when the entry has them (so that
// `logger --journald` or any sd_journal_send() caller can raise one), else MESSAGE in any
// format the alert socket accepts. Pure: the reading of entries is in journal_input.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "alert/alert.h"
#include "base/error.h"
namespace rampart {

// The fields of one entry that rampart reads. Reused between entries so that a backlog does
// not allocate per entry.
struct JournalFields {
  enum Field : uint8_t {
    kMessage,
    kRuleId,
    kLevel,
    kGroups,
    kSrcip,
    kUser,
    kAgentId,
    kAgentName,
    kId,
    kDescription,
    kCount,
  };
  std::string value[kCount];
  uint16_t present = 0;      // bit per Field
  uint64_t realtime_us = 0;  // the entry's timestamp

  bool has(Field f) const { return present & (1u << f); }
  // Any ALERT_* field: the entry is a structured alert.
  bool structured() const { return present & ~(1u << kMessage); }
  void clear() {
    present = 0;
    realtime_us = 0;
  }
  // Stores `data` ("FIELD=value", as sd_journal_enumerate_data returns it) when FIELD is one
  // rampart reads; returns false for every other field.
  bool set(std::string_view data);
  void set(Field f, std::string_view v);
};

// Fills `out` from `fields`. Errors name the field ("ALERT_LEVEL 99 is not 0..16") or repeat
// the parser's reason for MESSAGE.
Result<void> alert_from_journal(const JournalFields& fields, AlertParser& parser, Alert& out);

}  // namespace rampart
