// The properties of org.rampart1.Manager: their values, and PropertiesChanged coalesced.
#include <algorithm>

#include "bus/bus_api.h"
#include "bus/bus_names.h"
namespace rampart {

// At most one PropertiesChanged per 100 ms, however many blocks come and go meanwhile.
void BusApi::schedule_properties_changed() {
  int enabled = SD_EVENT_OFF;
  sd_event_source_get_enabled(properties_timer_.get(), &enabled);
  if (enabled != SD_EVENT_OFF) return;
  uint64_t now = 0;
  sd_event_now(sd_event_source_get_event(properties_timer_.get()), CLOCK_MONOTONIC, &now);
  uint64_t at = std::max(now, last_properties_us_ + 100000);
  sd_event_source_set_time(properties_timer_.get(), at);
  sd_event_source_set_enabled(properties_timer_.get(), SD_EVENT_ONESHOT);
}

int BusApi::on_properties_timer(sd_event_source*, uint64_t now, void* u) {
  auto* self = static_cast<BusApi*>(u);
  self->last_properties_us_ = now;
  size_t active = self->control_.stats().active_blocks;
  if (self->announced_active_ == active) return 0;
  self->announced_active_ = active;
  sd_bus_emit_properties_changed(self->bus_.get(), kBusPath, kBusInterface, "ActiveBlocks",
                                 nullptr);
  return 0;
}

int BusApi::property_get(sd_bus*, const char*, const char*, const char* property,
                         sd_bus_message* reply, void* u, sd_bus_error*) {
  ControlStats stats = static_cast<BusApi*>(u)->control_.stats();
  std::string_view p(property);
  if (p == "Version") return sd_bus_message_append(reply, "s", RAMPART_VERSION);
  if (p == "ActiveBlocks")
    return sd_bus_message_append(reply, "u", static_cast<uint32_t>(stats.active_blocks));
  if (p == "AlertsReceived") return sd_bus_message_append(reply, "t", stats.alerts_received);
  if (p.starts_with("Fleet")) {
    FleetStats f = stats.fleet.value_or(FleetStats{});
    if (p == "FleetState")
      return sd_bus_message_append(reply, "s", stats.fleet ? f.state.c_str() : "");
    uint64_t v = p == "FleetOrdersSent"       ? f.sent
                 : p == "FleetOrdersReceived" ? f.received
                 : p == "FleetOrdersPending"  ? f.pending
                                              : f.lag_us;
    return sd_bus_message_append(reply, "t", v);
  }
  if (p == "AlertsRejected") return sd_bus_message_append(reply, "t", stats.alerts_rejected);
  if (p == "DryRun") return sd_bus_message_append(reply, "b", stats.dry_run);
  if (p == "Backends") {
    int r = sd_bus_message_open_container(reply, 'a', "s");
    for (const auto& b : stats.backends)
      if (r >= 0) r = sd_bus_message_append(reply, "s", b.c_str());
    return r < 0 ? r : sd_bus_message_close_container(reply);
  }
  if (p == "Feeds") {
    int r = sd_bus_message_open_container(reply, 'a', "(sttts)");
    for (const FeedStatus& f : stats.feeds)
      if (r >= 0)
        r = sd_bus_message_append(reply, "(sttts)", f.name.c_str(), f.entries, f.ranges,
                                  f.last_load_us, f.last_error.c_str());
    return r < 0 ? r : sd_bus_message_close_container(reply);
  }
  return -ENOENT;
}

}  // namespace rampart
