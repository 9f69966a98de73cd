// The firewalld backend's private state, shared by the files that make it up:
// firewalld_backend.cc (the public side), firewalld_calls.cc (block changes as rich rules or
// ipset entries, pipelined), firewalld_setup.cc (firewalld appearing, reloading and leaving;
// what it holds at start) and firewalld_state.cc (deadlines across restarts). Nothing else
// includes it.
#pragma once

#include <systemd/sd-bus.h>
#include <time.h>

#include <array>
#include <cerrno>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/handles_bus.h"
#include "base/handles_event.h"
#include "base/log.h"
#include "firewalld/firewalld_backend.h"
#include "firewalld/firewalld_rules.h"
namespace rampart {
namespace firewalld {

inline constexpr const char* kService = "org.fedoraproject.FirewallD1";
inline constexpr const char* kPath = "/org/fedoraproject/FirewallD1";
inline constexpr const char* kConfigPath = "/org/fedoraproject/FirewallD1/config";
inline constexpr const char* kIface = "org.fedoraproject.FirewallD1";
inline constexpr const char* kZoneIface = "org.fedoraproject.FirewallD1.zone";
inline constexpr const char* kIpsetIface = "org.fedoraproject.FirewallD1.ipset";
inline constexpr const char* kConfigIface = "org.fedoraproject.FirewallD1.config";
inline constexpr const char* kConfigZoneIface = "org.fedoraproject.FirewallD1.config.zone";

// firewalld handles one call at a time; this many in flight keep it busy. dbus-daemon refuses
// more than 128 pending replies per connection by default (max_replies_per_connection), so
// stay well below that.
inline constexpr size_t kMaxInFlight = 64;
inline constexpr uint64_t kCallTimeoutUs = 60 * 1000000ull;
// Deadlines are written at most once a second (and at exit).
inline constexpr uint64_t kStateDelayUs = 1000000;

inline uint64_t clock_us(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1000000 + uint64_t(ts.tv_nsec) / 1000;
}

inline size_t port_index(CommandKind kind) {
  return kind == CommandKind::Firewalld ? 1 : 0;
}
inline CommandKind port_kind(size_t i) {
  return i == 1 ? CommandKind::Firewalld : CommandKind::Firewall;
}

// "no timeout" (0) outlasts every deadline.
inline bool later(uint64_t a, uint64_t b) {
  return a == 0 ? b != 0 : (b != 0 && a > b);
}

// firewalld counts in seconds: deadlines closer than that are the same deadline.
inline bool differs(uint64_t a, uint64_t b) {
  if ((a == 0) != (b == 0)) return true;
  return (a > b ? a - b : b - a) >= 1000000;
}

// The call did not reach a live firewalld: it went away and everything is re-applied when it
// is back, so this is not the block's failure.
inline bool gone(const sd_bus_error* e) {
  return sd_bus_error_has_names(e, SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_SERVICE_UNKNOWN,
                                SD_BUS_ERROR_NAME_HAS_NO_OWNER, SD_BUS_ERROR_DISCONNECTED,
                                SD_BUS_ERROR_TIMEOUT) ||
         sd_bus_error_get_errno(e) == ECONNRESET || sd_bus_error_get_errno(e) == ENOTCONN;
}

inline std::string error_text(const sd_bus_error* e) {
  return e->message ? e->message : (e->name ? e->name : "unknown error");
}

inline Result<std::vector<std::string>> read_strv(sd_bus_message* m) {
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

}  // namespace firewalld

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
        if (held[i] && (!d || firewalld::later(expiry_us[i], *d))) d = expiry_us[i];
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
    int r =
        sd_bus_message_new_method_call(bus.get(), &raw, firewalld::kService, path, iface, member);
    BusMessagePtr m(raw);
    if (r >= 0 && types) r = sd_bus_message_append(raw, types, args...);
    auto* pending = new Pending{std::move(done)};
    sd_bus_slot* slot = nullptr;
    if (r >= 0)
      r = sd_bus_call_async(bus.get(), &slot, raw, on_reply, pending, firewalld::kCallTimeoutUs);
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

  static int on_reply(sd_bus_message* m, void* u, sd_bus_error*);

  // --- block changes ---------------------------------------------------------------------

  void enqueue(bool add, const Address& address) {
    if (up) queue.push_back(Call{add, address});
  }

  ApplyResult apply(size_t index, std::span<const Change> changes);
  void pump();
  void send(const Call& c, int32_t timeout_s);
  void on_block_reply(const Call& c, uint64_t gen, const sd_bus_error* e);

  // Sends every live block firewalld does not have, and removes what was found stale.
  void reapply();

  // --- firewalld appearing, reloading, leaving ---------------------------------------------

  void lost_runtime();
  void start_setup();
  void after_zone(uint64_t gen);

  // Creates the permanent ipsets that are missing, one after the other.
  void add_ipsets(uint64_t gen, std::vector<bool> missing, bool changed);
  void find_zone(uint64_t gen, bool changed);

  // Makes sure the zone's permanent config drops both ipsets, then reloads if anything changed.
  void zone_rules(uint64_t gen, std::string path, std::vector<bool> todo, bool changed);
  void setup_failed(const std::string& what, const std::string& why);
  void become_up();
  static int on_owner_changed(sd_bus_message* m, void* u, sd_bus_error*);
  static int on_reloaded(sd_bus_message*, void* u, sd_bus_error*);

  // --- deadlines across restarts ---------------------------------------------------------

  void schedule_state();
  static int on_state_timer(sd_event_source*, uint64_t, void* u);
  void write_state();
  void read_state();

  // --- start -------------------------------------------------------------------------------

  template <class... Args>
  Result<BusMessagePtr> call_sync(const char* path, const char* iface, const char* member,
                                  const char* types, Args... args) {
    sd_bus_error e = SD_BUS_ERROR_NULL;
    sd_bus_message* reply = nullptr;
    int r = sd_bus_call_method(bus.get(), firewalld::kService, path, iface, member, &e, &reply,
                               types, args...);
    if (r < 0) {
      Error error{-r, firewalld::error_text(&e)};
      sd_bus_error_free(&e);
      return std::unexpected(error);
    }
    return BusMessagePtr(reply);
  }

  // What rampart-looking rules (or ipset entries) firewalld has now, matched against the
  // state file: held ones are not added twice, the others are removed.
  Result<void> reconcile();
};

}  // namespace rampart
