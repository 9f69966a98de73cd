// firewalld appearing, reloading and leaving; the zone and ipsets it needs; and, at start,
// what it already holds.
#include "firewalld/firewalld_impl.h"

#include <algorithm>
#include <cstring>

namespace rampart {

using namespace firewalld;

void FirewalldBackend::Impl::lost_runtime() {
  ++generation;
  up = false;
  queue.clear();
  in_flight = 0;
  for (auto& [address, l] : live) l.in_firewalld = false;
}

void FirewalldBackend::Impl::start_setup() {
  ++generation;
  up = false;
  setting_up = true;
  queue.clear();
  in_flight = 0;
  uint64_t gen = generation;
  if (!options.zone.empty()) {
    zone = options.zone;
    after_zone(gen);
    return;
  }
  call(kPath, kIface, "getDefaultZone", [this, gen](sd_bus_message* m, const sd_bus_error* e) {
    if (gen != generation) return;
    const char* z = nullptr;
    if (e) return setup_failed("getDefaultZone", error_text(e));
    if (int r = sd_bus_message_read(m, "s", &z); r < 0)
      return setup_failed("getDefaultZone", errno_text(r));
    zone = z;
    after_zone(gen);
  });
}

void FirewalldBackend::Impl::after_zone(uint64_t gen) {
  if (rich()) return become_up();
  call(kConfigPath, kConfigIface, "getIPSetNames",
       [this, gen](sd_bus_message* m, const sd_bus_error* e) {
         if (gen != generation) return;
         if (e) return setup_failed("getIPSetNames", error_text(e));
         auto names = read_strv(m);
         if (!names) return setup_failed("getIPSetNames", names.error().message);
         std::vector<bool> missing;
         for (bool v6 : {false, true})
           if (std::find(names->begin(), names->end(), firewalld_ipset_name(v6)) == names->end())
             missing.push_back(v6);
         add_ipsets(gen, std::move(missing), false);
       });
}

void FirewalldBackend::Impl::add_ipsets(uint64_t gen, std::vector<bool> missing, bool changed) {
  if (missing.empty()) return find_zone(gen, changed);
  bool v6 = missing.back();
  missing.pop_back();
  std::string name(firewalld_ipset_name(v6));
  log_notice("firewalld: creating the permanent ipset {}", name);
  Reply done = [this, gen, missing, name](sd_bus_message*, const sd_bus_error* e) mutable {
    if (gen != generation) return;
    if (e) return setup_failed("addIPSet " + name, error_text(e));
    add_ipsets(gen, std::move(missing), true);
  };
  // (version, short, description, type, options, entries)
  if (v6)
    call(kConfigPath, kConfigIface, "addIPSet", std::move(done), "s(ssssa{ss}as)", name.c_str(), "",
         "rampart", "Addresses blocked by rampartd", "hash:net", 1u, "family", "inet6", 0u);
  else
    call(kConfigPath, kConfigIface, "addIPSet", std::move(done), "s(ssssa{ss}as)", name.c_str(), "",
         "rampart", "Addresses blocked by rampartd", "hash:net", 0u, 0u);
}

void FirewalldBackend::Impl::find_zone(uint64_t gen, bool changed) {
  call(
      kConfigPath, kConfigIface, "getZoneByName",
      [this, gen, changed](sd_bus_message* m, const sd_bus_error* e) {
        if (gen != generation) return;
        const char* path = nullptr;
        if (e) return setup_failed("getZoneByName " + zone, error_text(e));
        if (int r = sd_bus_message_read(m, "o", &path); r < 0)
          return setup_failed("getZoneByName", errno_text(r));
        zone_rules(gen, path, {false, true}, changed);
      },
      "s", zone.c_str());
}

void FirewalldBackend::Impl::zone_rules(uint64_t gen, std::string path, std::vector<bool> todo,
                                        bool changed) {
  if (todo.empty()) {
    if (!changed) return become_up();
    log_notice("firewalld: reloading to activate the rampart ipsets in zone {}", zone);
    return call(kPath, kIface, "reload", [this, gen](sd_bus_message*, const sd_bus_error* e) {
      if (gen != generation) return;
      if (e) return setup_failed("reload", error_text(e));
      for (auto& [address, l] : live) l.in_firewalld = false;
      become_up();
    });
  }
  bool v6 = todo.back();
  todo.pop_back();
  std::string rule = firewalld_ipset_rule(firewalld_ipset_name(v6));
  call(
      path.c_str(), kConfigZoneIface, "queryRichRule",
      [this, gen, path, todo, changed, rule](sd_bus_message* m, const sd_bus_error* e) mutable {
        if (gen != generation) return;
        int present = 0;
        if (e) return setup_failed("queryRichRule", error_text(e));
        if (int r = sd_bus_message_read(m, "b", &present); r < 0)
          return setup_failed("queryRichRule", errno_text(r));
        if (present) return zone_rules(gen, std::move(path), std::move(todo), changed);
        log_notice("firewalld: adding the permanent rule '{}' to zone {}", rule, zone);
        call(
            path.c_str(), kConfigZoneIface, "addRichRule",
            [this, gen, path, todo](sd_bus_message*, const sd_bus_error* added) mutable {
              if (gen != generation) return;
              if (added && !firewalld_already_enabled(error_text(added)))
                return setup_failed("addRichRule (permanent)", error_text(added));
              zone_rules(gen, std::move(path), std::move(todo), true);
            },
            "s", rule.c_str());
      },
      "s", rule.c_str());
}

void FirewalldBackend::Impl::setup_failed(const std::string& what, const std::string& why) {
  setting_up = false;
  log_warning("firewalld: {} failed: {}; {} blocks wait until firewalld reloads or restarts", what,
              why, live.size());
}

void FirewalldBackend::Impl::become_up() {
  setting_up = false;
  up = true;
  ++counters.reapplies;
  reapply();
}

int FirewalldBackend::Impl::on_owner_changed(sd_bus_message* m, void* u, sd_bus_error*) {
  auto* self = static_cast<Impl*>(u);
  const char *name = nullptr, *old_owner = nullptr, *new_owner = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0) return 0;
  if (strcmp(name, kService) != 0) return 0;
  self->lost_runtime();
  if (new_owner && *new_owner) {
    log_notice("firewalld appeared on the bus; re-applying {} blocks", self->live.size());
    self->start_setup();
  } else {
    self->setting_up = false;
    log_warning("firewalld left the bus; {} blocks are kept and re-applied when it returns",
                self->live.size());
  }
  return 0;
}

int FirewalldBackend::Impl::on_reloaded(sd_bus_message*, void* u, sd_bus_error*) {
  auto* self = static_cast<Impl*>(u);
  if (self->setting_up) return 0;  // our own reload while creating the ipsets
  log_notice("firewalld reloaded; re-applying {} blocks", self->live.size());
  self->lost_runtime();
  self->start_setup();
  return 0;
}

Result<void> FirewalldBackend::Impl::reconcile() {
  if (zone.empty()) {
    auto reply = call_sync(kPath, kIface, "getDefaultZone", nullptr);
    if (!reply) return fail(EIO, "firewalld: getDefaultZone: {}", reply.error().message);
    const char* z = nullptr;
    if (sd_bus_message_read(reply->get(), "s", &z) < 0) return fail(EIO, "getDefaultZone");
    zone = z;
  }
  std::vector<Address> found;
  if (rich()) {
    auto reply = call_sync(kPath, kZoneIface, "getRichRules", "s", zone.c_str());
    if (!reply)
      return fail(EINVAL, "firewalld: cannot read the rich rules of zone {}: {}", zone,
                  reply.error().message);
    auto rules = read_strv(reply->get());
    if (!rules) return std::unexpected(rules.error());
    for (const auto& text : *rules)
      if (auto a = parse_firewalld_rich_rule(text)) found.push_back(*a);
  } else {
    for (bool v6 : {false, true}) {
      std::string set(firewalld_ipset_name(v6));
      auto reply = call_sync(kPath, kIpsetIface, "getEntries", "s", set.c_str());
      if (!reply) continue;  // not created yet
      auto entries = read_strv(reply->get());
      if (!entries) return std::unexpected(entries.error());
      for (const auto& text : *entries)
        if (auto a = Address::parse(text)) found.push_back(*a);
    }
  }
  for (const Address& a : found) {
    if (auto it = live.find(a); it != live.end()) {
      it->second.in_firewalld = true;
    } else {
      stale.push_back(a);
      ++counters.stale;
    }
  }
  return {};
}

}  // namespace rampart
