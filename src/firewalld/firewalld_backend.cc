#include "firewalld/firewalld_backend.h"
#include <sys/stat.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "base/handles_bus.h"
#include "base/handles_event.h"
#include "base/log.h"
#include "firewalld/firewalld_rules.h"
namespace rampart {

namespace {

constexpr const char* kService = "org.fedoraproject.FirewallD1";
constexpr const char* kPath = "/org/fedoraproject/FirewallD1";
constexpr const char* kConfigPath = "/org/fedoraproject/FirewallD1/config";
constexpr const char* kIface = "org.fedoraproject.FirewallD1";
constexpr const char* kZoneIface = "org.fedoraproject.FirewallD1.zone";
constexpr const char* kIpsetIface = "org.fedoraproject.FirewallD1.ipset";
constexpr const char* kConfigIface = "org.fedoraproject.FirewallD1.config";
constexpr const char* kConfigZoneIface = "org.fedoraproject.FirewallD1.config.zone";

// firewalld handles one call at a time; this many in flight keep it busy. dbus-daemon refuses
// more than 128 pending replies per connection by default (max_replies_per_connection), so
// stay well below that.
constexpr size_t kMaxInFlight = 64;
constexpr uint64_t kCallTimeoutUs = 60 * 1000000ull;
// Deadlines are written at most once a second (and at exit).
constexpr uint64_t kStateDelayUs = 1000000;

uint64_t clock_us(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

size_t port_index(CommandKind kind) {
  return kind == CommandKind::Firewalld ? 1 : 0;
}
CommandKind port_kind(size_t i) {
  return i == 1 ? CommandKind::Firewalld : CommandKind::Firewall;
}

// "no timeout" (0) outlasts every deadline.
bool later(uint64_t a, uint64_t b) {
  return a == 0 ? b != 0 : (b != 0 && a > b);
}

// firewalld counts in seconds: deadlines closer than that are the same deadline.
bool differs(uint64_t a, uint64_t b) {
  if ((a == 0) != (b == 0)) return true;
  return (a > b ? a - b : b - a) >= 1000000;
}

// The call did not reach a live firewalld: it went away and everything is re-applied when it
// is back, so this is not the block's failure.
bool gone(const sd_bus_error* e) {
  return sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_DISCONNECTED,
                                SD_BUS_ERROR_TIMEOUT) ||
         sd_bus_error_get_errno(e) == ECONNRESET || sd_bus_error_get_errno(e) == ENOTCONN;
}

std::string error_text(const sd_bus_error* e) {
  return e->message ? e->message : (e->name ? e->name : "unknown error");
}

Result<std::vector<std::string>> read_strv(sd_bus_message* m) {
  char** strv = nullptr;
  if (int r = sd_bus_message_read_strv(m, &strv); r < 0)
    return fail_errno(r, "cannot read firewalld's reply");
  std::vector<std::string> out;
  for (char** s = strv; s && *s; ++s) {
    out.emplace_back(*s);
    free(*s);
  }
  free(strv);
  return out;
}

}  // namespace

struct FirewalldBackend::Impl {
  // An address as the two ports hold it; dropped while either does, until the later deadline.
  struct Live {
    std::array<bool, 2> held{};
    std::array<uint64_t, 2> expiry_us{};  // CLOCK_MONOTONIC; 0 = no timeout
    std::array<std::string, 2> comment;
    bool in_firewalld = false;  // known to be in firewalld's runtime now
    std::optional<uint64_t> deadline() const {
      std::optional<uint64_t> d;
      for (size_t i = 0; i < 2; ++i)
        if (held[i] && (!d || later(expiry_us[i], *d))) d = expiry_us[i];
      return d;
    }
  };
  struct Call {
    bool add = true;
    Address address;
    bool retried = false;
  };
  using Reply = std::function<void(sd_bus_message* reply, const sd_bus_error* error)>;
  struct Pending {
    Reply done;
  };

  class Port final : public Backend {
   public:
    Port(Impl& impl, size_t index) : impl_(impl), index_(index) {}
    std::string_view name() const override { return "firewalld"; }
    // Rich rules carry firewalld's own timeout; ipset entries have none, so the daemon's
    // expiry removes them.
    bool expires_by_itself() const override { return impl_.rich(); }
    ApplyResult apply(std::span<const Change> changes) override {
      return impl_.apply(index_, changes);
    }
    void failed(const Change& change, const Error& error) {
      if (on_failure_) on_failure_(change, error);
    }

   private:
    Impl& impl_;
    size_t index_;
  };

  Options options;
  std::string zone;
  bool up = false;          // firewalld is there, set up, and block calls are flowing
  bool setting_up = false;  // between firewalld appearing (or reloading) and `up`
  uint64_t generation = 0;  // bumped when firewalld loses its runtime rules
  std::unordered_map<Address, Live, AddressHash> live;
  std::vector<Address> stale;  // rampart-looking rules found at start that nobody holds
  std::deque<Call> queue;
  size_t in_flight = 0;
  FirewalldCounters counters;
  std::array<std::unique_ptr<Port>, 2> ports;
  bool state_dirty = false;

  BusPtr bus;
  BusSlotPtr owner_match, reloaded_match;
  EventSourcePtr state_timer;

  Impl() {
    ports[0] = std::make_unique<Port>(*this, 0);
    ports[1] = std::make_unique<Port>(*this, 1);
  }
  ~Impl() {
    if (state_dirty) write_state();
    state_timer.reset();
    owner_match.reset();
    reloaded_match.reset();
    bus.reset();  // flushes what is still queued on the connection; drops pending replies
  }

  bool rich() const { return options.mode == FirewalldMode::RichRule; }

  // --- asynchronous calls -------------------------------------------------------------

  template <class... Args>
  void call(const char* path, const char* iface, const char* member, Reply done,
            const char* types = nullptr, Args... args) {
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_method_call(bus.get(), &raw, kService, path, iface, member);
    BusMessagePtr m(raw);
    if (r >= 0 && types) r = sd_bus_message_append(raw, types, args...);
    auto* pending = new Pending{std::move(done)};
    sd_bus_slot* slot = nullptr;
    if (r >= 0) r = sd_bus_call_async(bus.get(), &slot, raw, on_reply, pending, kCallTimeoutUs);
    if (r < 0) {
      Reply failed = std::move(pending->done);
      delete pending;
      sd_bus_error e = SD_BUS_ERROR_NULL;
      sd_bus_error_set_errno(&e, r);
      failed(nullptr, &e);
      sd_bus_error_free(&e);
      return;
    }
    // Floating: the bus takes its own reference and drops it after the reply (or when it is
    // freed), deleting `pending` with it. The reference call_async gave us is ours to drop.
    BusSlotPtr owned(slot);
    sd_bus_slot_set_destroy_callback(slot, [](void* u) { delete static_cast<Pending*>(u); });
    sd_bus_slot_set_floating(slot, 1);
  }

  static int on_reply(sd_bus_message* m, void* u, sd_bus_error*) {
    auto* pending = static_cast<Pending*>(u);
    const sd_bus_error* e =
        sd_bus_message_is_method_error(m, nullptr) ? sd_bus_message_get_error(m) : nullptr;
    pending->done(m, e);
    return 0;
  }

  // --- block changes ---------------------------------------------------------------------

  void enqueue(bool add, const Address& address) {
    if (up) queue.push_back(Call{add, address});
  }

  ApplyResult apply(size_t index, std::span<const Change> changes) {
    uint64_t now = clock_us(CLOCK_MONOTONIC);
    for (const Change& c : changes) {
      auto it = live.find(c.address);
      std::optional<uint64_t> before;
      if (it != live.end()) before = it->second.deadline();
      if (c.op == Change::Op::Add) {
        if (it == live.end()) it = live.emplace(c.address, Live{}).first;
        Live& l = it->second;
        l.held[index] = true;
        l.expiry_us[index] = c.timeout_ms ? now + c.timeout_ms * 1000 : 0;
        l.comment[index] = c.comment;
      } else if (it != live.end()) {
        it->second.held[index] = false;
      } else {
        enqueue(false, c.address);  // unknown here: make sure it is gone
        continue;
      }
      state_dirty = true;
      std::optional<uint64_t> after = it->second.deadline();
      if (!after) {
        live.erase(it);
        enqueue(false, c.address);
      } else if (!before) {
        enqueue(true, c.address);
      } else if (rich() && differs(*before, *after)) {
        // firewalld answers ALREADY_ENABLED to a second add and keeps the first timeout:
        // replace the rule (removeRichRule also cancels firewalld's timer for it).
        enqueue(false, c.address);
        enqueue(true, c.address);
      }
    }
    schedule_state();
    pump();
    return {changes.size(), {}};
  }

  void pump() {
    uint64_t now = clock_us(CLOCK_MONOTONIC);
    while (up && in_flight < kMaxInFlight && !queue.empty()) {
      Call c = queue.front();
      queue.pop_front();
      int32_t timeout_s = 0;
      if (c.add) {
        // The remaining time is taken when the call leaves, not when it was queued.
        auto it = live.find(c.address);
        if (it == live.end()) continue;
        uint64_t d = *it->second.deadline();
        if (d) {
          if (d <= now) continue;
          timeout_s = std::max(1, firewalld_timeout_seconds((d - now + 999) / 1000));
        }
      }
      send(c, timeout_s);
    }
  }

  void send(const Call& c, int32_t timeout_s) {
    ++in_flight;
    ++counters.calls;
    uint64_t gen = generation;
    Reply done = [this, c, gen](sd_bus_message*, const sd_bus_error* e) {
      on_block_reply(c, gen, e);
    };
    if (rich()) {
      std::string rule = firewalld_rich_rule(c.address);
      if (c.add)
        call(kPath, kZoneIface, "addRichRule", std::move(done), "ssi", zone.c_str(), rule.c_str(),
             timeout_s);
      else
        call(kPath, kZoneIface, "removeRichRule", std::move(done), "ss", zone.c_str(),
             rule.c_str());
    } else {
      std::string entry = c.address.str();
      std::string set(firewalld_ipset_name(!c.address.is_v4()));
      call(kPath, kIpsetIface, c.add ? "addEntry" : "removeEntry", std::move(done), "ss",
           set.c_str(), entry.c_str());
    }
  }

  void on_block_reply(const Call& c, uint64_t gen, const sd_bus_error* e) {
    if (gen != generation) return;  // sent before a reload or restart: re-applied since
    --in_flight;
    auto it = live.find(c.address);
    if (!e || (!c.add && firewalld_not_enabled(error_text(e)))) {
      if (c.add && it != live.end()) it->second.in_firewalld = true;
    } else if (gone(e)) {
      // firewalld went away; its NameOwnerChanged brings everything back when it returns.
    } else if (sd_bus_error_has_name(e, SD_BUS_ERROR_LIMITS_EXCEEDED)) {
      queue.push_front(c);  // the bus's own limit, not firewalld's answer: send it again
    } else if (c.add && firewalld_already_enabled(error_text(e))) {
      if (rich() && !c.retried) {
        // A rule of an earlier run, or one whose firewalld timer has not fired yet: replace
        // it so the timeout is ours.
        queue.push_front(Call{true, c.address, true});
        queue.push_front(Call{false, c.address});
      } else if (it != live.end()) {
        it->second.in_firewalld = true;
      }
    } else {
      ++counters.failures;
      Error error{EIO,
                  fmt::format("firewalld refused to {} {} in {}: {}", c.add ? "block" : "unblock",
                              c.address.str(), rich() ? "zone " + zone : std::string("its ipset"),
                              error_text(e))};
      log_warning("{}", error.message);
      if (c.add && it != live.end()) {
        Live l = std::move(it->second);
        live.erase(it);
        state_dirty = true;
        schedule_state();
        Change change{Change::Op::Add, c.address, 0, {}};
        for (size_t i = 0; i < 2; ++i)
          if (l.held[i]) ports[i]->failed(change, error);
      }
    }
    pump();
  }

  // Sends every live block firewalld does not have, and removes what was found stale.
  void reapply() {
    uint64_t now = clock_us(CLOCK_MONOTONIC);
    size_t sent = 0;
    for (auto it = live.begin(); it != live.end();) {
      uint64_t d = *it->second.deadline();
      if (d && d <= now && rich()) {
        it = live.erase(it);  // firewalld's timer has dropped it, or would have
        state_dirty = true;
        continue;
      }
      if (!it->second.in_firewalld && (!d || d > now)) {
        queue.push_back(Call{true, it->first});
        ++sent;
      }
      ++it;
    }
    for (const Address& a : stale) queue.push_back(Call{false, a});
    if (!stale.empty())
      log_info("firewalld: removing {} rules of an earlier run that no block holds", stale.size());
    stale.clear();
    if (sent) log_info("firewalld: applying {} blocks in zone {}", sent, zone);
    schedule_state();
    pump();
  }

  // --- firewalld appearing, reloading, leaving ---------------------------------------------

  void lost_runtime() {
    ++generation;
    up = false;
    queue.clear();
    in_flight = 0;
    for (auto& [address, l] : live) l.in_firewalld = false;
  }

  void start_setup() {
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

  void after_zone(uint64_t gen) {
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

  // Creates the permanent ipsets that are missing, one after the other.
  void add_ipsets(uint64_t gen, std::vector<bool> missing, bool changed) {
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
      call(kConfigPath, kConfigIface, "addIPSet", std::move(done), "s(ssssa{ss}as)", name.c_str(),
           "", "rampart", "Addresses blocked by rampartd", "hash:net", 1u, "family", "inet6", 0u);
    else
      call(kConfigPath, kConfigIface, "addIPSet", std::move(done), "s(ssssa{ss}as)", name.c_str(),
           "", "rampart", "Addresses blocked by rampartd", "hash:net", 0u, 0u);
  }

  void find_zone(uint64_t gen, bool changed) {
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

  // Makes sure the zone's permanent config drops both ipsets, then reloads if anything changed.
  void zone_rules(uint64_t gen, std::string path, std::vector<bool> todo, bool changed) {
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
              [this, gen, path, todo](sd_bus_message*, const sd_bus_error* e) mutable {
                if (gen != generation) return;
                if (e && !firewalld_already_enabled(error_text(e)))
                  return setup_failed("addRichRule (permanent)", error_text(e));
                zone_rules(gen, std::move(path), std::move(todo), true);
              },
              "s", rule.c_str());
        },
        "s", rule.c_str());
  }

  void setup_failed(const std::string& what, const std::string& why) {
    setting_up = false;
    log_warning("firewalld: {} failed: {}; {} blocks wait until firewalld reloads or restarts",
                what, why, live.size());
  }

  void become_up() {
    setting_up = false;
    up = true;
    ++counters.reapplies;
    reapply();
  }

  static int on_owner_changed(sd_bus_message* m, void* u, sd_bus_error*) {
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

  static int on_reloaded(sd_bus_message*, void* u, sd_bus_error*) {
    auto* self = static_cast<Impl*>(u);
    if (self->setting_up) return 0;  // our own reload while creating the ipsets
    log_notice("firewalld reloaded; re-applying {} blocks", self->live.size());
    self->lost_runtime();
    self->start_setup();
    return 0;
  }

  // --- deadlines across restarts ---------------------------------------------------------

  void schedule_state() {
    if (!state_dirty || !state_timer || options.state_path.empty()) return;
    int enabled = SD_EVENT_OFF;
    sd_event_source_get_enabled(state_timer.get(), &enabled);
    if (enabled != SD_EVENT_OFF) return;
    sd_event_source_set_time_relative(state_timer.get(), kStateDelayUs);
    sd_event_source_set_enabled(state_timer.get(), SD_EVENT_ONESHOT);
  }

  static int on_state_timer(sd_event_source*, uint64_t, void* u) {
    static_cast<Impl*>(u)->write_state();
    return 0;
  }

  void write_state() {
    if (options.state_path.empty()) return;
    uint64_t mono = clock_us(CLOCK_MONOTONIC), real = clock_us(CLOCK_REALTIME);
    std::vector<FirewalldStateEntry> entries;
    for (const auto& [address, l] : live)
      for (size_t i = 0; i < 2; ++i) {
        if (!l.held[i]) continue;
        uint64_t e = l.expiry_us[i];
        if (e && e <= mono) continue;
        uint64_t expiry_s = e ? (real + (e - mono) + 999999) / 1000000 : 0;
        entries.push_back({address, port_kind(i), expiry_s, l.comment[i]});
      }
    std::string dir = options.state_path.substr(0, options.state_path.rfind('/'));
    if (!dir.empty()) mkdir(dir.c_str(), 0700);
    std::string tmp = options.state_path + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << format_firewalld_state(entries);
      if (!out.flush()) {
        log_warning_errno(errno, "cannot write {}", tmp);
        return;
      }
    }
    if (rename(tmp.c_str(), options.state_path.c_str()) != 0) {
      log_warning_errno(errno, "cannot write {}", options.state_path);
      return;
    }
    state_dirty = false;
  }

  void read_state() {
    std::ifstream in(options.state_path);
    if (!in) return;
    std::stringstream text;
    text << in.rdbuf();
    uint64_t mono = clock_us(CLOCK_MONOTONIC), real_s = clock_us(CLOCK_REALTIME) / 1000000;
    for (const auto& e : parse_firewalld_state(text.str())) {
      if (e.expiry_realtime_s && e.expiry_realtime_s <= real_s) continue;
      Live& l = live[e.address];
      size_t i = port_index(e.kind);
      l.held[i] = true;
      l.expiry_us[i] = e.expiry_realtime_s ? mono + (e.expiry_realtime_s - real_s) * 1000000 : 0;
      l.comment[i] = e.comment;
    }
  }

  // --- start -------------------------------------------------------------------------------

  template <class... Args>
  Result<BusMessagePtr> call_sync(const char* path, const char* iface, const char* member,
                                  const char* types, Args... args) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r =
        sd_bus_call_method(bus.get(), kService, path, iface, member, &e, &reply, types, args...);
    if (r < 0) {
      Error error{-r, error_text(&e)};
      sd_bus_error_free(&e);
      return std::unexpected(error);
    }
    return BusMessagePtr(reply);
  }

  // What rampart-looking rules (or ipset entries) firewalld has now, matched against the
  // state file: held ones are not added twice, the others are removed.
  Result<void> reconcile() {
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
};

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
