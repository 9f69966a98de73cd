#include "ctl/rampartctl_client.h"
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "base/error.h"
#include "bus/bus_names.h"
namespace rampart::ctl {
namespace {

// sd_bus_error with its cleanup.
struct BusError {
  sd_bus_error e = SD_BUS_ERROR_NULL;
  ~BusError() { sd_bus_error_free(&e); }
};

// One line a person understands, and the exit status that goes with it.
int report(const sd_bus_error& e, int r) {
  if (sd_bus_error_has_name(&e, kErrorNotBlocked)) {
    fprintf(stderr, "rampartctl: %s\n", e.message);
    return kNotBlocked;
  }
  if (sd_bus_error_has_names(&e, "org.freedesktop.DBus.Error.ServiceUnknown",
                             "org.freedesktop.DBus.Error.NameHasNoOwner"))
    return fail("rampartd is not running (nobody owns %s on the system bus)", kBusName);
  if (sd_bus_error_has_name(&e, "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"))
    return fail(
        "%s; run as root, or without --no-ask-password from a terminal with a polkit "
        "agent",
        e.message);
  if (e.message) {
    // Multi-line messages (a config with several errors) are printed as they are.
    return fail("%s", e.message);
  }
  return fail("%s", errno_text(r));
}

}  // namespace

int fail(const char* format, ...) {
  fputs("rampartctl: ", stderr);
  va_list args;
  va_start(args, format);
  vfprintf(stderr, format, args);
  va_end(args);
  fputc('\n', stderr);
  return kFailed;
}

int Client::connect() {
  sd_bus* raw = nullptr;
  int r = sd_bus_open_system(&raw);
  if (r < 0) return fail("cannot connect to the system bus: %s", errno_text(r));
  bus_.reset(raw);
  sd_bus_set_allow_interactive_authorization(bus_.get(),
                                             options_.ask_password && isatty(STDIN_FILENO));
  return kOk;
}

int Client::call(const char* method, BusMessagePtr* reply, const char* types, ...) {
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus_.get(), &m, kBusName, kBusPath, kBusInterface, method);
  if (r < 0) return fail("%s", errno_text(r));
  BusMessagePtr msg(m);
  if (types) {
    va_list ap;
    va_start(ap, types);
    r = sd_bus_message_appendv(m, types, ap);
    va_end(ap);
    if (r < 0) return fail("cannot build the %s call: %s", method, errno_text(r));
  }
  BusError error;
  sd_bus_message* out = nullptr;
  // A password prompt can take a while: no timeout when polkit may ask.
  uint64_t timeout = sd_bus_get_allow_interactive_authorization(bus_.get()) > 0 ? UINT64_MAX : 0;
  r = sd_bus_call(bus_.get(), m, timeout, &error.e, &out);
  if (r < 0) return report(error.e, r);
  BusMessagePtr answer(out);
  if (reply) *reply = std::move(answer);
  return kOk;
}

int Client::get_all(BusMessagePtr* reply) {
  BusError error;
  sd_bus_message* raw = nullptr;
  int r = sd_bus_call_method(bus_.get(), kBusName, kBusPath, "org.freedesktop.DBus.Properties",
                             "GetAll", &error.e, &raw, "s", kBusInterface);
  if (r < 0) return report(error.e, r);
  reply->reset(raw);
  return kOk;
}

}  // namespace rampart::ctl
