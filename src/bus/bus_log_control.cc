#include "bus/bus_log_control.h"
#include <errno.h>

#include <string>

#include "base/log.h"
namespace rampart {
namespace {

constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";

// For the log line that records the change (sd-bus has already checked the caller).
long caller_uid(sd_bus* bus) {
  sd_bus_creds* creds = nullptr;
  uid_t uid = 0;
  sd_bus_message* m = sd_bus_get_current_message(bus);
  long out = -1;
  if (m && sd_bus_query_sender_creds(m, SD_BUS_CREDS_UID | SD_BUS_CREDS_EUID, &creds) >= 0) {
    if (sd_bus_creds_get_euid(creds, &uid) >= 0 || sd_bus_creds_get_uid(creds, &uid) >= 0)
      out = uid;
    sd_bus_creds_unref(creds);
  }
  return out;
}

int get_level(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void*,
              sd_bus_error*) {
  return sd_bus_message_append(reply, "s", std::string(log_level_name(log_max_level())).c_str());
}

int set_level(sd_bus* bus, const char*, const char*, const char*, sd_bus_message* value, void*,
              sd_bus_error* error) {
  const char* name = nullptr;
  if (int r = sd_bus_message_read(value, "s", &name); r < 0) return r;
  auto level = log_level_from_name(name);
  if (!level)
    return sd_bus_error_setf(error, kInvalidArgs,
                             "\"%s\" is not a log level; use emerg, alert, crit, err, warning, "
                             "notice, info or debug",
                             name);
  // Said before the change, at notice, so that lowering the level is on record too.
  log_notice("log level {} (was {}), set over D-Bus by uid {}", name,
             log_level_name(log_max_level()), caller_uid(bus));
  log_set_max_level(*level);
  return 0;
}

int get_target(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void*,
               sd_bus_error*) {
  return sd_bus_message_append(reply, "s", std::string(log_target_name(log_target())).c_str());
}

int set_target(sd_bus* bus, const char*, const char*, const char*, sd_bus_message* value, void*,
               sd_bus_error* error) {
  const char* name = nullptr;
  if (int r = sd_bus_message_read(value, "s", &name); r < 0) return r;
  auto target = log_target_from_name(name);
  if (target == LogTarget::Journal && !stderr_is_journal())
    return sd_bus_error_set(error, kInvalidArgs,
                            "rampartd's stderr is not connected to the journal; use auto or "
                            "console");
  if (!target)
    return sd_bus_error_setf(error, kInvalidArgs,
                             "rampartd writes its log to stderr only: \"%s\" is not a target "
                             "it has; use auto, console, journal or null",
                             name);
  log_notice("log target {} (was {}), set over D-Bus by uid {}", name,
             log_target_name(log_target()), caller_uid(bus));
  log_set_target(*target);
  return 0;
}

int get_identifier(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply, void*,
                   sd_bus_error*) {
  return sd_bus_message_append(reply, "s", program_invocation_short_name);
}

// clang-format off
const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_WRITABLE_PROPERTY("LogLevel", "s", get_level, set_level, 0, 0),
    SD_BUS_WRITABLE_PROPERTY("LogTarget", "s", get_target, set_target, 0, 0),
    SD_BUS_PROPERTY("SyslogIdentifier", "s", get_identifier, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_VTABLE_END,
};
// clang-format on

}  // namespace

Result<BusSlotPtr> add_log_control(sd_bus* bus) {
  sd_bus_slot* slot = nullptr;
  if (int r = sd_bus_add_object_vtable(bus, &slot, kLogControlPath, kLogControlInterface, kVtable,
                                       nullptr);
      r < 0)
    return fail_errno(-r, "cannot publish {} on the system bus", kLogControlPath);
  return BusSlotPtr(slot);
}

}  // namespace rampart
