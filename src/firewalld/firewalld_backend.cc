#include "firewalld/firewalld_impl.h"

#include <charconv>

namespace rampart {

using namespace firewalld;

bool FirewalldBackend::running() {
  sd_bus* raw = nullptr;
  if (sd_bus_open_system(&raw) < 0) return false;
  BusPtr bus(raw);
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  int r = sd_bus_call_method(raw, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                             "org.freedesktop.DBus", "NameHasOwner", &e, &reply, "s", kService);
  sd_bus_error_free(&e);
  BusMessagePtr m(reply);
  int has = 0;
  return r >= 0 && sd_bus_message_read(reply, "b", &has) >= 0 && has;
}

Result<std::unique_ptr<FirewalldBackend>> FirewalldBackend::open(sd_event* event, Options options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->zone = impl->options.zone;

  sd_bus* raw = nullptr;
  if (int r = sd_bus_open_system(&raw); r < 0)
    return fail_errno(r, "firewalld backend: cannot connect to the system bus");
  impl->bus.reset(raw);
  sd_bus_set_description(raw, "firewalld");
  if (int r = sd_bus_attach_event(raw, event, SD_EVENT_PRIORITY_NORMAL); r < 0)
    return fail_errno(r, "firewalld backend: cannot attach to the event loop");

  // Watch before looking, so nothing happens unseen in between.
  sd_bus_slot* slot = nullptr;
  int r = sd_bus_add_match(raw, &slot,
                           "type='signal',sender='org.freedesktop.DBus',"
                           "path='/org/freedesktop/DBus',interface='org.freedesktop.DBus',"
                           "member='NameOwnerChanged',arg0='org.fedoraproject.FirewallD1'",
                           Impl::on_owner_changed, impl.get());
  if (r < 0) return fail_errno(r, "firewalld backend: cannot watch the bus");
  impl->owner_match.reset(slot);
  r = sd_bus_add_match(raw, &slot,
                       "type='signal',path='/org/fedoraproject/FirewallD1',"
                       "interface='org.fedoraproject.FirewallD1',member='Reloaded'",
                       Impl::on_reloaded, impl.get());
  if (r < 0) return fail_errno(r, "firewalld backend: cannot watch firewalld");
  impl->reloaded_match.reset(slot);

  sd_event_source* s = nullptr;
  r = sd_event_add_time(event, &s, CLOCK_MONOTONIC, UINT64_MAX, 100000, Impl::on_state_timer,
                        impl.get());
  if (r < 0) return fail_errno(r, "firewalld backend: cannot add a timer");
  impl->state_timer.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);

  impl->read_state();
  if (running()) {
    if (auto rc = impl->reconcile(); !rc) return std::unexpected(rc.error());
    impl->start_setup();
  } else {
    log_warning("firewalld is not running; {} blocks wait until it appears on the bus",
                impl->live.size());
  }
  return std::unique_ptr<FirewalldBackend>(new FirewalldBackend(std::move(impl)));
}

FirewalldBackend::FirewalldBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FirewalldBackend::~FirewalldBackend() = default;

Backend* FirewalldBackend::port(CommandKind kind) {
  return impl_->ports[port_index(kind)].get();
}

std::vector<RestoredBlock> FirewalldBackend::restored(CommandKind kind) const {
  size_t i = port_index(kind);
  uint64_t now = clock_us(CLOCK_MONOTONIC);
  std::vector<RestoredBlock> out;
  for (const auto& [address, l] : impl_->live) {
    if (!l.held[i]) continue;
    RestoredBlock b{address, {}, 0, 0};
    if (uint64_t e = l.expiry_us[i])
      b.remaining_ms = e > now ? std::max<uint64_t>(1, (e - now) / 1000) : 1;
    // "command:rule", as the nftables backend keeps it in element comments.
    const std::string& c = l.comment[i];
    if (auto colon = c.rfind(':'); colon != std::string::npos) {
      uint32_t rule = 0;
      const char* first = c.data() + colon + 1;
      const char* last = c.data() + c.size();
      if (std::from_chars(first, last, rule).ptr == last) {
        b.command = c.substr(0, colon);
        b.rule_id = rule;
      }
    }
    out.push_back(std::move(b));
  }
  return out;
}

bool FirewalldBackend::connected() const {
  return impl_->up;
}
const std::string& FirewalldBackend::zone() const {
  return impl_->zone;
}
const FirewalldCounters& FirewalldBackend::counters() const {
  return impl_->counters;
}

}  // namespace rampart
