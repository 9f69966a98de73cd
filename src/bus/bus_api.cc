#include "bus/bus_api.h"
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/log.h"
#include "bus/bus_log_control.h"
namespace rampart {

namespace {

constexpr const char* kInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";

// The D-Bus error for each refusal (dbus/org.rampart1.Manager.xml documents them).
const char* error_name(Refusal why) {
  switch (why) {
    case Refusal::TooWide:
      return kInvalidArgs;
    case Refusal::NeverBlock:
    case Refusal::HostAddress:
    case Refusal::Allowlisted:
      return kErrorAllowlisted;
    case Refusal::NoBackend:
      return "org.freedesktop.DBus.Error.NotSupported";
    case Refusal::TooMany:
      return kErrorTooManyBlocks;
    case Refusal::NotBlocked:
      return kErrorNotBlocked;
    case Refusal::NoFleet:
      return kErrorNoFleet;
  }
  return "org.freedesktop.DBus.Error.Failed";
}

// BlockEverywhere, UnblockEverywhere, FlushEverywhere: the same handlers, fleet scope.
bool everywhere(sd_bus_message* m) {
  const char* member = sd_bus_message_get_member(m);
  return member && std::string_view(member).ends_with("Everywhere");
}

int reply_error(sd_bus_message* call, const char* name, const std::string& message) {
  return sd_bus_reply_method_errorf(call, name, "%s", message.c_str());
}

// The Unblocked signal's "why". A block deleted behind rampart's back is reported as
// "revoked": someone revoked it, just not through us.
const char* signal_why(const Event& e) {
  if (e.type == EventType::Expired) return "expired";
  switch (e.unblock_why) {
    case UnblockWhy::Flushed:
      return "flushed";
    case UnblockWhy::Replaced:
      return "replaced";
    case UnblockWhy::Revoked:
    case UnblockWhy::External:
      break;
  }
  return "revoked";
}

// An upper bound of one record's size in a reply: alignment, lengths, terminators.
size_t record_size(const BlockView& v) {
  return 96 + v.command.size() + v.reason.size() + v.backend.size();
}

std::optional<Address> parse_address(const char* text, sd_bus_error* e) {
  auto a = Address::parse(text);
  if (a) return a;
  // The error goes back over the bus (and into clients' logs): echo a huge argument only in
  // part, cut at a UTF-8 character boundary (D-Bus strings must stay valid UTF-8).
  constexpr size_t kEcho = 64;
  std::string_view s(text);
  if (s.size() <= kEcho) {
    sd_bus_error_setf(e, kInvalidArgs, "\"%s\" is not an IPv4/IPv6 address or CIDR prefix", text);
    return a;
  }
  size_t cut = kEcho;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xc0) == 0x80) --cut;
  sd_bus_error_setf(e, kInvalidArgs,
                    "\"%.*s...\" (%zu bytes) is not an IPv4/IPv6 address or CIDR prefix",
                    static_cast<int>(cut), text, s.size());
  return a;
}

// Alerts and reasons come from people's files: cap their size, drop one trailing newline.
std::optional<std::string_view> checked_text(const char* text, size_t max, const char* what,
                                             sd_bus_error* e) {
  std::string_view s(text);
  if (s.size() > max) {
    sd_bus_error_setf(e, kInvalidArgs, "the %s is %zu bytes; at most %zu are accepted", what,
                      s.size(), max);
    return std::nullopt;
  }
  if (s.ends_with('\n')) s.remove_suffix(1);
  if (s.ends_with('\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

// clang-format off
const sd_bus_vtable BusApi::kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("ActiveBlocks", "u", property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_PROPERTY("AlertsReceived", "t", property_get, 0, 0),
    SD_BUS_PROPERTY("AlertsRejected", "t", property_get, 0, 0),
    SD_BUS_PROPERTY("Backends", "as", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("DryRun", "b", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("FleetState", "s", property_get, 0, 0),
    SD_BUS_PROPERTY("FleetOrdersSent", "t", property_get, 0, 0),
    SD_BUS_PROPERTY("FleetOrdersReceived", "t", property_get, 0, 0),
    SD_BUS_PROPERTY("FleetOrdersPending", "t", property_get, 0, 0),
    SD_BUS_PROPERTY("FleetLagUSec", "t", property_get, 0, 0),
    SD_BUS_PROPERTY("Feeds", "a(sttts)", property_get, 0, 0),
    SD_BUS_METHOD_WITH_ARGS("ListBlocks", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sstussss)", blocks),
                            method_list, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ListBlocksAfter", SD_BUS_ARGS("s", address, "u", max),
                            SD_BUS_RESULT("a(sstussss)", blocks), method_list_after,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetBlock", SD_BUS_ARGS("s", address),
                            SD_BUS_RESULT("(sstussss)", block), method_get,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Block", SD_BUS_ARGS("s", address, "t", timeout_usec, "s", reason),
                            SD_BUS_NO_RESULT, method_block, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Unblock", SD_BUS_ARGS("s", address), SD_BUS_NO_RESULT,
                            method_unblock, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Flush", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", count), method_flush,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("BlockEverywhere",
                            SD_BUS_ARGS("s", address, "t", timeout_usec, "s", reason),
                            SD_BUS_NO_RESULT, method_block, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("UnblockEverywhere", SD_BUS_ARGS("s", address), SD_BUS_NO_RESULT,
                            method_unblock, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("FlushEverywhere", SD_BUS_NO_ARGS, SD_BUS_RESULT("u", count),
                            method_flush, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("SubmitAlert", SD_BUS_ARGS("s", alert),
                            SD_BUS_RESULT("a(ss)", responses), method_submit,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ExplainAlert", SD_BUS_ARGS("s", alert),
                            SD_BUS_RESULT("s", explanation), method_explain,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetMetrics", SD_BUS_NO_ARGS, SD_BUS_RESULT("s", exposition),
                            method_metrics, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_reload,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_SIGNAL_WITH_ARGS("Blocked",
                            SD_BUS_ARGS("s", address, "t", expiry_usec, "s", command,
                                        "u", rule_id, "s", reason), 0),
    SD_BUS_SIGNAL_WITH_ARGS("Unblocked", SD_BUS_ARGS("s", address, "s", why), 0),
    SD_BUS_VTABLE_END,
};
// clang-format on

BusApi::BusApi(Control& control, BusPtr bus)
    : control_(control), bus_(std::move(bus)), authorizer_(bus_.get()) {}

BusApi::~BusApi() = default;

Result<std::unique_ptr<BusApi>> BusApi::open(sd_event* event, Control& control) {
  sd_bus* raw = nullptr;
  if (int r = sd_bus_open_system(&raw); r < 0) {
    log_warning("the system bus is not reachable ({}); running without the D-Bus API",
                errno_text(r));
    return nullptr;
  }
  BusPtr bus(raw);
  sd_bus_set_description(bus.get(), "rampartd");
  std::unique_ptr<BusApi> api(new BusApi(control, std::move(bus)));
  sd_bus* b = api->bus_.get();

  sd_bus_slot* slot = nullptr;
  if (int r = sd_bus_add_object_vtable(b, &slot, kBusPath, kBusInterface, kVtable, api.get());
      r < 0)
    return fail_errno(r, "cannot publish {} on the system bus", kBusPath);
  api->object_slot_.reset(slot);
  auto log_control = add_log_control(b);
  if (!log_control) return std::unexpected(log_control.error());
  api->log_control_slot_ = std::move(*log_control);
  if (int r = sd_bus_attach_event(b, event, SD_EVENT_PRIORITY_NORMAL); r < 0)
    return fail_errno(r, "cannot attach the system bus to the event loop");

  sd_event_source* s = nullptr;
  if (int r = sd_event_add_time(event, &s, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_properties_timer,
                                api.get());
      r < 0)
    return fail_errno(r, "cannot add the D-Bus properties timer");
  api->properties_timer_.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);
  api->announced_active_ = control.stats().active_blocks;

  if (int r = sd_bus_request_name(b, kBusName, 0); r < 0) {
    if (r == -EEXIST)
      return fail(EEXIST, "{} is already owned on the system bus: is another rampartd running?",
                  kBusName);
    if (r == -EACCES || r == -EPERM)
      return fail(EACCES,
                  "the system bus does not allow this process to own {}: is {} "
                  "installed in /usr/share/dbus-1/system.d and is rampartd running as root?",
                  kBusName, "org.rampart1.conf");
    log_warning("the system bus is not usable ({}); running without the D-Bus API", errno_text(r));
    return nullptr;
  }
  log_info("D-Bus API ready: {} on the system bus", kBusName);
  return api;
}

void BusApi::emit(const Event& e) {
  switch (e.type) {
    case EventType::Blocked:
    case EventType::Refreshed:
      if (e.address)
        sd_bus_emit_signal(bus_.get(), kBusPath, kBusInterface, "Blocked", "stsus",
                           e.address->str().c_str(), e.expiry_realtime_us,
                           std::string(e.command).c_str(), e.rule_id,
                           std::string(e.reason).c_str());
      break;
    case EventType::Expired:
    case EventType::Unblocked:
      if (e.address)
        sd_bus_emit_signal(bus_.get(), kBusPath, kBusInterface, "Unblocked", "ss",
                           e.address->str().c_str(), signal_why(e));
      break;
    case EventType::BackendFailure:
    case EventType::Restored:
      break;
    case EventType::Skipped:
    case EventType::Refused:
    case EventType::OrderSent:
    case EventType::OrderReceived:
    case EventType::OrderApplied:
    case EventType::OrderRefused:
      return;  // the number of blocks did not change
  }
  schedule_properties_changed();
}

int BusApi::authorized(sd_bus_message* call, const char* action, const char* what,
                       std::function<void(sd_bus_message*, uint32_t)> then, sd_bus_error* error) {
  int r = authorizer_.check(call, action, what,
                            [then = std::move(then)](sd_bus_message* m, const BusVerdict& v) {
                              if (!v.allowed) {
                                reply_error(m, v.error_name.c_str(), v.error_message);
                                return;
                              }
                              then(m, v.uid);
                            });
  if (r < 0)
    return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.AccessDenied",
                             "Access denied: cannot check authorisation: %s", errno_text(r));
  return 1;  // answered once polkit has spoken
}

BusApi::Page BusApi::page(const std::optional<Address>& after, size_t max) const {
  constexpr size_t kChunk = 4096;
  Page out;
  size_t bytes = 0;
  std::optional<Address> cursor = after;
  while (true) {
    std::vector<BlockView> chunk = control_.list(cursor, kChunk);
    bool more = chunk.size() == kChunk;
    if (more) {
      // list() resumes after a whole address: end each chunk on an address boundary.
      size_t keep = chunk.size();
      while (keep > 0 && chunk[keep - 1].address == chunk.back().address) --keep;
      if (keep > 0) chunk.resize(keep);
    }
    for (BlockView& v : chunk) {
      size_t size = record_size(v);
      bool full = (max && out.blocks.size() >= max) || bytes + size > kMaxReplyBytes;
      if (full) {
        // Never split one address's blocks across pages: the next page starts after it.
        bool split = !out.blocks.empty() && out.blocks.back().address == v.address;
        if (split && out.blocks.front().address == v.address) {
          out.blocks.push_back(std::move(v));  // one address larger than a page: keep it whole
          continue;
        }
        while (split && out.blocks.back().address == v.address) out.blocks.pop_back();
        out.truncated = true;
        return out;
      }
      bytes += size;
      out.blocks.push_back(std::move(v));
    }
    if (!more || out.blocks.empty()) return out;
    cursor = out.blocks.back().address;
  }
}

int BusApi::reply_blocks(sd_bus_message* call, const std::optional<Address>& after, size_t max,
                         bool whole, sd_bus_error* error) {
  Page p = page(after, max);
  if (whole && p.truncated)
    return sd_bus_error_setf(error, "org.freedesktop.DBus.Error.LimitsExceeded",
                             "%zu active blocks do not fit in one reply; page with "
                             "ListBlocksAfter (rampartctl list does)",
                             control_.stats().active_blocks);
  sd_bus_message* raw = nullptr;
  int r = sd_bus_message_new_method_return(call, &raw);
  if (r < 0) return r;
  BusMessagePtr reply(raw);
  r = sd_bus_message_open_container(raw, 'a', "(sstussss)");
  for (size_t i = 0; r >= 0 && i < p.blocks.size(); ++i) {
    const BlockView& v = p.blocks[i];
    r = sd_bus_message_append(raw, "(sstussss)", v.address.str().c_str(), v.command.c_str(),
                              v.expiry_realtime_us, v.rule_id, v.reason.c_str(), v.backend.c_str(),
                              v.scope.c_str(), v.origin.c_str());
  }
  if (r >= 0) r = sd_bus_message_close_container(raw);
  if (r >= 0) r = sd_bus_message_send(raw);
  return r;
}

int BusApi::method_list(sd_bus_message* m, void* u, sd_bus_error* e) {
  return static_cast<BusApi*>(u)->reply_blocks(m, std::nullopt, 0, true, e);
}

int BusApi::method_list_after(sd_bus_message* m, void* u, sd_bus_error* e) {
  const char* after = nullptr;
  uint32_t max = 0;
  if (int r = sd_bus_message_read(m, "su", &after, &max); r < 0) return r;
  std::optional<Address> cursor;
  if (*after && !(cursor = parse_address(after, e))) return -EINVAL;
  return static_cast<BusApi*>(u)->reply_blocks(m, cursor, max, false, e);
}

int BusApi::method_get(sd_bus_message* m, void* u, sd_bus_error* e) {
  const char* text = nullptr;
  if (int r = sd_bus_message_read(m, "s", &text); r < 0) return r;
  auto address = parse_address(text, e);
  if (!address) return -EINVAL;
  auto v = static_cast<BusApi*>(u)->control_.get(*address);
  if (!v)
    return sd_bus_error_setf(e, kErrorNotBlocked, "%s is not blocked", address->str().c_str());
  return sd_bus_reply_method_return(m, "(sstussss)", v->address.str().c_str(), v->command.c_str(),
                                    v->expiry_realtime_us, v->rule_id, v->reason.c_str(),
                                    v->backend.c_str(), v->scope.c_str(), v->origin.c_str());
}

int BusApi::method_block(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<BusApi*>(u);
  const char *text = nullptr, *reason_text = nullptr;
  uint64_t timeout = 0;
  if (int r = sd_bus_message_read(m, "sts", &text, &timeout, &reason_text); r < 0) return r;
  auto address = parse_address(text, e);
  if (!address) return -EINVAL;
  auto reason = checked_text(reason_text, kMaxReasonBytes, "reason", e);
  if (!reason) return -EINVAL;
  for (char c : *reason)
    if (static_cast<unsigned char>(c) < 0x20)
      return sd_bus_error_set(e, kInvalidArgs, "the reason must be one line of printable text");
  // Beyond ten years a timeout is a typo; 0 is the way to say "no timeout".
  constexpr uint64_t kMaxTimeout = 10ull * 366 * 24 * 3600 * 1000000;
  if (timeout > kMaxTimeout)
    return sd_bus_error_set(e, kInvalidArgs,
                            "the timeout is longer than ten years; use 0 for no timeout");
  return self->authorized(
      m, kActionManageBlocks, "blocking addresses",
      [self, a = *address, timeout, why = std::string(*reason), all = everywhere(m)](
          sd_bus_message* call, uint32_t uid) {
        auto r = self->control_.block(a, timeout, why, uid);
        if (!r) {
          reply_error(call, error_name(r.error().why), r.error().message);
          return;
        }
        if (all)
          if (auto o = self->control_.order_everywhere(FleetOp::Block, a, timeout, why, uid); !o) {
            reply_error(call, error_name(o.error().why), o.error().message);
            return;
          }
        self->control_.when_committed([self, a, call = BusMessagePtr(sd_bus_message_ref(call))] {
          // The kernel may have refused what the table accepted (the log says why).
          if (!self->control_.get(a))
            reply_error(call.get(), kErrorBackendFailed,
                        fmt::format("the firewall backend refused to block {}; see rampartd's log",
                                    a.str()));
          else
            sd_bus_reply_method_return(call.get(), "");
        });
      },
      e);
}

int BusApi::method_unblock(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<BusApi*>(u);
  const char* text = nullptr;
  if (int r = sd_bus_message_read(m, "s", &text); r < 0) return r;
  auto address = parse_address(text, e);
  if (!address) return -EINVAL;
  return self->authorized(
      m, kActionManageBlocks, "unblocking addresses",
      [self, a = *address, all = everywhere(m)](sd_bus_message* call, uint32_t uid) {
        auto r = self->control_.unblock(a, uid);
        // Everywhere: other nodes may hold it when this one does not.
        if (!r && !(all && r.error().why == Refusal::NotBlocked)) {
          reply_error(call, error_name(r.error().why), r.error().message);
          return;
        }
        if (all)
          if (auto o = self->control_.order_everywhere(FleetOp::Unblock, a, 0, {}, uid); !o) {
            reply_error(call, error_name(o.error().why), o.error().message);
            return;
          }
        self->control_.when_committed([call = BusMessagePtr(sd_bus_message_ref(call))] {
          sd_bus_reply_method_return(call.get(), "");
        });
      },
      e);
}

int BusApi::method_flush(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<BusApi*>(u);
  return self->authorized(
      m, kActionManageBlocks, "flushing all blocks",
      [self, all = everywhere(m)](sd_bus_message* call, uint32_t uid) {
        if (all)
          if (auto o = self->control_.order_everywhere(FleetOp::Flush, {}, 0, {}, uid); !o) {
            reply_error(call, error_name(o.error().why), o.error().message);
            return;
          }
        auto n = static_cast<uint32_t>(self->control_.flush(uid));
        self->control_.when_committed([n, call = BusMessagePtr(sd_bus_message_ref(call))] {
          sd_bus_reply_method_return(call.get(), "u", n);
        });
      },
      e);
}

int BusApi::method_submit(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<BusApi*>(u);
  const char* text = nullptr;
  if (int r = sd_bus_message_read(m, "s", &text); r < 0) return r;
  auto alert = checked_text(text, kMaxAlertBytes, "alert", e);
  if (!alert) return -EINVAL;
  return self->authorized(
      m, kActionSubmitAlerts, "submitting alerts",
      [self, line = std::string(*alert)](sd_bus_message* call, uint32_t) {
        auto fired = self->control_.submit(line);
        if (!fired) {
          reply_error(call, kInvalidArgs, fired.error().message);
          return;
        }
        self->control_.when_committed([f = std::move(*fired),
                                       call = BusMessagePtr(sd_bus_message_ref(call))] {
          sd_bus_message* raw = nullptr;
          if (sd_bus_message_new_method_return(call.get(), &raw) < 0) return;
          BusMessagePtr reply(raw);
          int r = sd_bus_message_open_container(raw, 'a', "(ss)");
          for (size_t i = 0; r >= 0 && i < f.size(); ++i)
            r = sd_bus_message_append(raw, "(ss)", f[i].first.c_str(), f[i].second.str().c_str());
          if (r >= 0) r = sd_bus_message_close_container(raw);
          if (r >= 0) sd_bus_message_send(raw);
        });
      },
      e);
}

// Open to everyone like the other reads: rampart-metrics@.service calls it as a dynamic user.
int BusApi::method_metrics(sd_bus_message* m, void* u, sd_bus_error*) {
  return sd_bus_reply_method_return(m, "s", static_cast<BusApi*>(u)->control_.metrics().c_str());
}

int BusApi::method_explain(sd_bus_message* m, void* u, sd_bus_error* e) {
  const char* text = nullptr;
  if (int r = sd_bus_message_read(m, "s", &text); r < 0) return r;
  auto alert = checked_text(text, kMaxAlertBytes, "alert", e);
  if (!alert) return -EINVAL;
  auto explained = static_cast<BusApi*>(u)->control_.explain(*alert);
  if (!explained) return sd_bus_error_set(e, kInvalidArgs, explained.error().message.c_str());
  return sd_bus_reply_method_return(m, "s", explained->c_str());
}

int BusApi::method_reload(sd_bus_message* m, void* u, sd_bus_error* e) {
  auto* self = static_cast<BusApi*>(u);
  return self->authorized(
      m, kActionReload, "reloading the configuration",
      [self](sd_bus_message* call, uint32_t uid) {
        log_info("reload requested over D-Bus by uid {}", uid);
        if (auto r = self->control_.reload(); !r) {
          reply_error(call, kErrorInvalidConfig, r.error().message);
          return;
        }
        sd_bus_reply_method_return(call, "");
      },
      e);
}

}  // namespace rampart
