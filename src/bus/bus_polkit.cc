#include "bus/bus_polkit.h"
#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
namespace rampart {

namespace {

constexpr const char* kAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
constexpr const char* kInteractiveRequired =
    "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired";

bool polkit_absent(const sd_bus_error* e) {
  return sd_bus_error_has_names(e, "org.freedesktop.DBus.Error.ServiceUnknown",
                                "org.freedesktop.DBus.Error.NameHasNoOwner");
}

}  // namespace

int BusAuthorizer::check(sd_bus_message* call, std::string action, std::string what, Done done) {
  const char* sender = sd_bus_message_get_sender(call);
  if (!sender) return -EBADMSG;  // a peer-to-peer connection: nobody to ask about
  auto& p = pending_.emplace_back();
  p.self = std::prev(pending_.end());
  p.owner = this;
  p.call.reset(sd_bus_message_ref(call));
  p.action = std::move(action);
  p.what = std::move(what);
  p.done = std::move(done);
  // The uid first, from the bus itself: root never needs polkit.
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_call_method_async(bus_, &slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                   "org.freedesktop.DBus", "GetConnectionUnixUser", on_uid, &p, "s",
                                   sender);
  if (r < 0) {
    pending_.erase(p.self);
    return r;
  }
  p.slot.reset(slot);
  return 0;
}

int BusAuthorizer::on_uid(sd_bus_message* reply, void* userdata, sd_bus_error*) {
  auto& p = *static_cast<Pending*>(userdata);
  if (const sd_bus_error* e = sd_bus_message_get_error(reply)) {
    p.owner->finish(p, {false, UINT32_MAX, kAccessDenied,
                        fmt::format("Access denied: cannot identify the caller: {}",
                                    e->message ? e->message : e->name)});
    return 0;
  }
  uint32_t uid = UINT32_MAX;
  if (sd_bus_message_read(reply, "u", &uid) < 0) {
    p.owner->finish(
        p, {false, UINT32_MAX, kAccessDenied, "Access denied: cannot identify the caller"});
    return 0;
  }
  p.uid = uid;
  if (uid == 0) {
    p.owner->finish(p, {true, 0, {}, {}});
    return 0;
  }
  if (int r = p.owner->ask_polkit(p); r < 0)
    p.owner->finish(p, {false, uid, kAccessDenied,
                        fmt::format("Access denied: cannot ask polkit: {}", errno_text(r))});
  return 0;
}

int BusAuthorizer::ask_polkit(Pending& p) {
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_call(
      bus_, &raw, "org.freedesktop.PolicyKit1", "/org/freedesktop/PolicyKit1/Authority",
      "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
  if (r < 0) return r;
  BusMessagePtr m(raw);
  uint32_t flags = sd_bus_message_get_allow_interactive_authorization(p.call.get()) > 0 ? 1 : 0;
  r = sd_bus_message_append(m.get(), "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s",
                            sd_bus_message_get_sender(p.call.get()), p.action.c_str(), 0, flags,
                            "");
  if (r < 0) return r;
  sd_bus_slot* slot = nullptr;
  // An interactive check waits for a person to type a password: no timeout of our own.
  r = sd_bus_call_async(bus_, &slot, m.get(), on_polkit, &p, flags ? UINT64_MAX : 0);
  if (r < 0) return r;
  p.slot.reset(slot);
  return 0;
}

int BusAuthorizer::on_polkit(sd_bus_message* reply, void* userdata, sd_bus_error*) {
  auto& p = *static_cast<Pending*>(userdata);
  BusAuthorizer& self = *p.owner;
  std::string denied =
      fmt::format("Access denied: {} needs root or polkit authorisation for {}", p.what, p.action);
  if (const sd_bus_error* e = sd_bus_message_get_error(reply)) {
    if (polkit_absent(e)) {
      self.finish(p, {false, p.uid, kAccessDenied, denied + " (polkit is not running)"});
    } else {
      log_warning("polkit check of {} for uid {} failed: {}", p.action, p.uid,
                  e->message ? e->message : e->name);
      self.finish(
          p, {false, p.uid, kAccessDenied,
              fmt::format("{} (polkit failed: {})", denied, e->message ? e->message : e->name)});
    }
    return 0;
  }
  int authorized = 0, challenge = 0;
  int r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
  if (r >= 0) r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
  if (r < 0) {
    self.finish(p, {false, p.uid, kAccessDenied, denied + " (unreadable polkit reply)"});
  } else if (authorized) {
    self.finish(p, {true, p.uid, {}, {}});
  } else if (challenge) {
    self.finish(p, {false, p.uid, kInteractiveRequired,
                    fmt::format("Interactive authentication required for {}", p.action)});
  } else {
    self.finish(p, {false, p.uid, kAccessDenied, denied});
  }
  return 0;
}

void BusAuthorizer::finish(Pending& p, BusVerdict verdict) {
  // Take the entry out first: `done` may start new checks, and the slot may be released while
  // its own callback runs (sd-bus holds a reference for the duration).
  Done done = std::move(p.done);
  BusMessagePtr call = std::move(p.call);
  pending_.erase(p.self);
  done(call.get(), verdict);
}

}  // namespace rampart
