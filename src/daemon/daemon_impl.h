// rampartd's wiring, shared by daemon*.cc: daemon.cc (start-up steps, the loop),
// daemon_config.cc, daemon_backends.cc, daemon_inputs.cc, daemon_control.cc (what the D-Bus API
// may ask), daemon_metrics.cc and daemon_status.cc (stats and status).
// Private to the daemon: nothing outside src/daemon*.cc includes it.
#pragma once

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alert/alert.h"
#include "base/handles_event.h"
#include "base/log.h"
#include "bus/bus_api.h"
#include "core/clock.h"
#include "core/control.h"
#include "core/enforcer.h"
#include "daemon/daemon.h"
#include "daemon/daemon_feeds.h"
#include "exec/exec_backend.h"
#include "firewalld/firewalld_backend.h"
#include "fleet/fleet.h"
#include "hosts_deny/hosts_deny_backend.h"
#include "input/socket_input.h"
#include "journal/audit.h"
#include "journal/journal_input.h"
#include "metrics/metric_events.h"
#include "metrics/metric_set.h"
#include "nft/nft_firewall.h"
#include "state/state_store.h"
namespace rampart {

// firewalld-drop needs the firewalld backend, which only starts with the daemon.
bool binds_firewalld_drop(const Config& config);

// Hands every event to each sink: the log, the D-Bus signals.
class FanoutSink final : public EventSink {
 public:
  void add(EventSink* sink) { sinks_.push_back(sink); }
  void emit(const Event& e) override {
    for (auto* s : sinks_) s->emit(e);
  }

 private:
  std::vector<EventSink*> sinks_;
};

// --dry-run: decide and log, touch no firewall.
class DryRunBackend final : public Backend {
 public:
  std::string_view name() const override { return "dry-run"; }
  bool expires_by_itself() const override { return true; }
  ApplyResult apply(std::span<const Change> changes) override {
    for (const auto& c : changes)
      log_info("dry-run: would {} {}{}", c.op == Change::Op::Add ? "add" : "delete",
               c.address.str(),
               c.op == Change::Op::Add && c.timeout_ms ? fmt::format(" timeout {}ms", c.timeout_ms)
                                                       : std::string());
    return {changes.size(), {}};
  }
};

// What differs between two configs' fleet settings that a reload cannot change, if anything.
std::optional<std::string_view> fleet_change(const Settings& now, const Settings& next);

struct Daemon::Impl final : Control {
  explicit Impl(Options o) : options(std::move(o)), enforcer_(clock, events) {
    events.add(&audit);
    events.add(&metric_events);
  }

  Options options;
  SystemClock clock;
  Audit audit;  // the audit trail: journal records, and text lines unless stderr is the journal
  FanoutSink events;
  Enforcer enforcer_;
  std::shared_ptr<Config> config;

  EventPtr event;
  EventSourcePtr commit_source, expiry_timer, status_timer, log_flush;
  EventSourcePtr sigterm, sigint, sighup, sigusr1;
  EventSourcePtr textfile_timer;  // <metrics><textfile>
  bool textfile_failing = false;
  RateLimit textfile_log{3600 * 1000000ull, 1};

  std::unique_ptr<NftFirewall> nft;
  std::unique_ptr<DaemonFeeds> feed_lists;      // <blocklist> files in sets of their own
  std::unique_ptr<Backend> firewall;            // --dry-run
  std::unique_ptr<FirewalldBackend> firewalld;  // firewall-drop here too when it is the choice
  // Undo actions and offender counts in <state_directory>; exec scripts and hosts.deny lines.
  std::unique_ptr<StateStore> state;
  std::unique_ptr<ExecRunner> exec_runner;  // how scripts run: child processes or systemd units
  std::unique_ptr<ExecBackend> exec;
  std::unique_ptr<HostsDenyBackend> hosts_deny;
  std::unique_ptr<SocketInput> input;
  std::unique_ptr<BusApi> bus_api;  // null when no system bus is reachable
  std::unique_ptr<JournalInput> journal;
  std::unique_ptr<Fleet> fleet;  // null without <fleet>
  AlertParser parser;
  Alert alert;

  uint64_t alerts_received = 0;
  uint64_t alerts_rejected = 0;
  std::array<uint64_t, 6> alerts_by_format{};  // by AlertFormat
  MetricEvents metric_events{"", [this] { return turn_us(); }};
  RateLimit reject_log{60 * 1000000ull, 10};
  static constexpr unsigned kReasoningPerMinute = 10;
  RateLimit reasoning_log{60 * 1000000ull, kReasoningPerMinute};
  std::string last_status;

  // Start-up (daemon.cc), one step per concern.
  Result<void> setup();
  Result<void> setup_config();  // daemon_config.cc
  Result<void> setup_loop();
  Result<void> setup_backends();  // daemon_backends.cc
  Result<void> setup_firewalld(bool firewall_drop_too);
  Result<void> setup_nft();
  Result<void> setup_feeds();
  Result<void> setup_state();
  Backend::FailureHandler failure_handler(CommandKind kind);
  Result<void> setup_inputs();  // daemon_inputs.cc
  Result<void> setup_bus();
  Result<void> setup_signals();
  Result<void> setup_timers();

  Result<void> setup_fleet();  // daemon_fleet.cc
  void on_line(std::string_view line);
  // Every parsed alert goes through here, whichever input it came from.
  void on_alert(const Alert& a, std::vector<std::pair<std::string, Address>>* fired = nullptr);
  uint64_t turn_us() const;
  void log_reasoning(const Alert& a);
  void reject(std::string_view why, std::string_view sample);
  void schedule_commit();
  void commit();
  void arm_expiry();
  Result<void> reload() override;
  void log_stats();
  MetricSet collect() const;
  void collect_core(MetricSet& m) const;
  void collect_backends(MetricSet& m) const;
  void collect_exec(MetricSet& m) const;
  Result<void> setup_textfile();
  void arm_textfile();
  void write_textfile_now();
  void collect_fleet(MetricSet& m) const;  // daemon_fleet.cc
  std::optional<FleetStats> fleet_stats() const;
  void read_host_addresses_now();

  // Control, for the D-Bus API (daemon_control.cc).
  std::vector<BlockView> list(const std::optional<Address>& after, size_t max) const override;
  std::optional<BlockView> get(const Address& address) const override;
  ControlStats stats() const override;
  std::string metrics() const override { return collect().exposition(); }
  Result<std::string> explain(std::string_view line) override;
  Outcome<BlockView> block(const Address& address, uint64_t timeout_usec, std::string_view reason,
                           uint32_t uid) override;
  Outcome<void> unblock(const Address& address, uint32_t uid) override;
  size_t flush(uint32_t uid) override;
  Outcome<void> order_everywhere(FleetOp op, const Address& address, uint64_t timeout_usec,
                                 std::string_view reason,
                                 uint32_t uid) override;  // daemon_fleet.cc
  Result<std::vector<FiredResponse>> submit(std::string_view line) override;
  void when_committed(std::move_only_function<void()> then) override;
  std::vector<std::move_only_function<void()>> after_commit;  // from when_committed()
  void update_status();

  static int on_flush_log(sd_event_source*, void*) {
    fflush(stderr);
    return 0;
  }
  static int on_commit(sd_event_source*, void* u) {
    static_cast<Impl*>(u)->commit();
    return 0;
  }
  static int on_expiry(sd_event_source*, uint64_t, void* u) {
    auto* self = static_cast<Impl*>(u);
    self->enforcer_.expire();
    self->commit();
    return 0;
  }
  static int on_textfile(sd_event_source* s, uint64_t, void* u) {
    auto* self = static_cast<Impl*>(u);
    self->write_textfile_now();
    // From now, not from when it was due: a late turn must not be followed by a burst.
    sd_event_source_set_time(
        s, self->turn_us() + self->config->settings.metrics_interval_sec * 1000000ull);
    return 0;
  }
  static int on_status(sd_event_source* s, uint64_t usec, void* u) {
    static_cast<Impl*>(u)->update_status();
    sd_event_source_set_time(s, usec + 1000000);
    return 0;
  }
  static int on_signal(sd_event_source*, const struct signalfd_siginfo* si, void* u) {
    auto* self = static_cast<Impl*>(u);
    switch (si->ssi_signo) {
      case SIGHUP:
        (void)self->reload();
        break;
      case SIGUSR1:
        self->log_stats();
        break;
      default:
        sd_notify(0, "STOPPING=1");
        self->commit();
        if (self->nft) self->nft->stop();
        log_info("stopping on signal {}; blocks stay in the kernel with their timeouts",
                 si->ssi_signo);
        self->log_stats();
        sd_event_exit(self->event.get(), 0);
    }
    return 0;
  }
};

}  // namespace rampart
