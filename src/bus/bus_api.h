// The org.rampart1.Manager D-Bus API on the system bus: reads open to everyone, changes
// authorised by polkit (bus_polkit.h), Blocked/Unblocked signals from the enforcer's events.
// An adapter: it talks to the daemon only through Control.
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/handles_bus.h"
#include "base/handles_event.h"
#include "bus/bus_names.h"
#include "bus/bus_polkit.h"
#include "core/control.h"
#include "core/events.h"
namespace rampart {

// Limits on what a caller may send, so a bad client cannot make the daemon chew on megabytes.
inline constexpr size_t kMaxAlertBytes = 64 * 1024;
inline constexpr size_t kMaxReasonBytes = 1024;
// A reply must stay well under the system bus's 32 MiB message limit: dbus-daemon drops the
// connection of whoever sends more.
inline constexpr size_t kMaxReplyBytes = 24 * 1024 * 1024;

class BusApi final : public EventSink {
 public:
  // Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS is honoured), publishes the object
  // and takes the name. Returns nullptr after one warning when no system bus is reachable, and
  // an error when the name is owned by someone else or the bus policy forbids owning it.
  static Result<std::unique_ptr<BusApi>> open(sd_event* event, Control& control);
  ~BusApi() override;

  void emit(const Event& event) override;

 private:
  BusApi(Control& control, BusPtr bus);

  struct Page {
    std::vector<BlockView> blocks;
    bool truncated = false;  // stopped early for max or size, more may follow
  };
  Page page(const std::optional<Address>& after, size_t max) const;
  int reply_blocks(sd_bus_message* call, const std::optional<Address>& after, size_t max,
                   bool whole, sd_bus_error* error);

  // Runs `then` with the caller's uid once polkit allows `action`, else replies the refusal.
  int authorized(sd_bus_message* call, const char* action, const char* what,
                 std::function<void(sd_bus_message*, uint32_t uid)> then, sd_bus_error* error);
  void schedule_properties_changed();

  static int method_list(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_list_after(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_get(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_block(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_unblock(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_flush(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_submit(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_explain(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_metrics(sd_bus_message* m, void* u, sd_bus_error* e);
  static int method_reload(sd_bus_message* m, void* u, sd_bus_error* e);
  static int property_get(sd_bus*, const char*, const char*, const char* property,
                          sd_bus_message* reply, void* u, sd_bus_error* e);
  static int on_properties_timer(sd_event_source*, uint64_t, void* u);

  static const sd_bus_vtable kVtable[];

  Control& control_;
  BusPtr bus_;
  BusSlotPtr object_slot_;
  BusSlotPtr log_control_slot_;  // org.freedesktop.LogControl1
  BusAuthorizer authorizer_;
  EventSourcePtr properties_timer_;
  uint64_t last_properties_us_ = 0;
  std::optional<size_t> announced_active_;
};

}  // namespace rampart
