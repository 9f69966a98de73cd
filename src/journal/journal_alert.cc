#include "journal/journal_alert.h"
#include <time.h>

#include <array>
#include <cerrno>

#include "alert/alert_internal.h"
namespace rampart {

namespace {

constexpr std::array<std::pair<std::string_view, JournalFields::Field>, JournalFields::kCount>
    kFields{{
        {"MESSAGE", JournalFields::kMessage},
        {"ALERT_RULE_ID", JournalFields::kRuleId},
        {"ALERT_LEVEL", JournalFields::kLevel},
        {"ALERT_GROUPS", JournalFields::kGroups},
        {"ALERT_SRCIP", JournalFields::kSrcip},
        {"ALERT_USER", JournalFields::kUser},
        {"ALERT_AGENT_ID", JournalFields::kAgentId},
        {"ALERT_AGENT_NAME", JournalFields::kAgentName},
        {"ALERT_ID", JournalFields::kId},
        {"ALERT_DESCRIPTION", JournalFields::kDescription},
    }};

// The entry's time the way Wazuh writes it: "2026-11-27T20:58:22.123+0000".
std::string format_timestamp(uint64_t realtime_us) {
  if (realtime_us == 0) return {};
  time_t sec = static_cast<time_t>(realtime_us / 1000000);
  struct tm tm;
  if (!gmtime_r(&sec, &tm)) return {};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (realtime_us / 1000) % 1000);
}

}  // namespace

void JournalFields::set(Field f, std::string_view v) {
  value[f].assign(v);
  present |= uint16_t(1u << f);
}

bool JournalFields::set(std::string_view data) {
  size_t eq = data.find('=');
  if (eq == std::string_view::npos) return false;
  std::string_view name = data.substr(0, eq);
  if (name != "MESSAGE" && !name.starts_with("ALERT_")) return false;
  for (const auto& [field, f] : kFields) {
    if (field != name) continue;
    set(f, data.substr(eq + 1));
    return true;
  }
  return false;
}

Result<void> alert_from_journal(const JournalFields& fields, AlertParser& parser, Alert& out) {
  using F = JournalFields;
  if (!fields.structured()) {
    if (!fields.has(F::kMessage))
      return fail(EINVAL, "the entry has no MESSAGE and no ALERT_* field");
    return parser.parse(fields.value[F::kMessage], out);
  }
  namespace d = alert_detail;
  out.clear();
  out.format = AlertFormat::Journal;
  if (fields.has(F::kRuleId)) {
    auto id = d::parse_rule_id(fields.value[F::kRuleId], "ALERT_RULE_ID");
    if (!id) return std::unexpected(id.error());
    out.rule_id = *id;
  }
  if (fields.has(F::kLevel)) {
    auto level = d::parse_level(fields.value[F::kLevel], "ALERT_LEVEL");
    if (!level) return std::unexpected(level.error());
    out.level = *level;
  }
  if (fields.has(F::kGroups)) d::set_groups(fields.value[F::kGroups], out.groups);
  // Like the socket's formats: a srcip that is not a host address leaves `address` empty and
  // the engine reports the response as skipped.
  if (fields.has(F::kSrcip)) d::set_srcip(fields.value[F::kSrcip], out);
  if (fields.has(F::kUser)) out.user = fields.value[F::kUser];
  if (fields.has(F::kAgentId)) out.agent_id = fields.value[F::kAgentId];
  if (fields.has(F::kAgentName)) out.agent_name = fields.value[F::kAgentName];
  if (fields.has(F::kId)) out.id = fields.value[F::kId];
  if (fields.has(F::kDescription))
    out.description = fields.value[F::kDescription];
  else if (fields.has(F::kMessage))
    out.description = fields.value[F::kMessage];
  out.location = "journal";
  out.timestamp = format_timestamp(fields.realtime_us);
  return {};
}

}  // namespace rampart
