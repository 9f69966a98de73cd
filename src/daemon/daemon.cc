// rampartd's start-up as a list of steps, and the loop: signals, timers, commits. The steps
// that need more than a screen have files of their own: daemon_config.cc (the config and
// reload), daemon_backends.cc, daemon_inputs.cc (the socket and the journal, and what happens
// to an alert); daemon_control.cc is what the D-Bus API may ask.
#include "daemon/daemon_impl.h"
namespace rampart {

// In the order they depend on each other: the backends need the config and the loop; the
// inputs and the bus hand work to the enforcer once its backends are there; signals and
// timers drive the loop.
Result<void> Daemon::Impl::setup() {
  for (auto step : {&Impl::setup_config, &Impl::setup_loop, &Impl::setup_backends,
                    &Impl::setup_feeds, &Impl::setup_fleet, &Impl::setup_inputs, &Impl::setup_bus,
                    &Impl::setup_signals, &Impl::setup_timers})
    if (auto r = (this->*step)(); !r) return r;
  return {};
}

Result<void> Daemon::Impl::setup_loop() {
  sd_event* e = nullptr;
  if (int r = sd_event_default(&e); r < 0) return fail_errno(r, "sd_event_default");
  event.reset(e);
  return {};
}

// The D-Bus API; its EventSink turns events into signals. No system bus is not an error.
Result<void> Daemon::Impl::setup_bus() {
  auto bus = BusApi::open(event.get(), *this);
  if (!bus) return std::unexpected(bus.error());
  bus_api = std::move(*bus);
  if (bus_api) events.add(bus_api.get());
  return {};
}

Result<void> Daemon::Impl::setup_signals() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sd_event_source* s = nullptr;
  for (auto [sig, slot] : {std::pair{SIGTERM, &sigterm}, std::pair{SIGINT, &sigint},
                           std::pair{SIGHUP, &sighup}, std::pair{SIGUSR1, &sigusr1}}) {
    if (int r = sd_event_add_signal(event.get(), &s, sig, on_signal, this); r < 0)
      return fail_errno(r, "cannot watch signal {}", sig);
    slot->reset(s);
  }
  return {};
}

Result<void> Daemon::Impl::setup_timers() {
  sd_event_source* s = nullptr;
  // Commits run after the inputs have been read: everything decided in one loop turn goes to
  // the kernel as one batch.
  if (int r = sd_event_add_defer(event.get(), &s, on_commit, this); r < 0)
    return fail_errno(r, "sd_event_add_defer");
  commit_source.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);

  if (int r =
          sd_event_add_time(event.get(), &s, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_expiry, this);
      r < 0)
    return fail_errno(r, "cannot add the expiry timer");
  expiry_timer.reset(s);
  arm_expiry();

  if (int r = sd_event_add_time_relative(event.get(), &s, CLOCK_MONOTONIC, 1000000, 100000,
                                         on_status, this);
      r < 0)
    return fail_errno(r, "cannot add the status timer");
  status_timer.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_ON);
  if (auto r = setup_textfile(); !r) return r;

  // stderr is fully buffered; write what one loop iteration logged in one go.
  if (int r = sd_event_add_post(event.get(), &s, on_flush_log, this); r < 0)
    return fail_errno(r, "sd_event_add_post");
  log_flush.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE + 100);

  sd_event_set_watchdog(event.get(), true);
  return {};
}

void Daemon::Impl::schedule_commit() {
  if (enforcer_.has_pending()) sd_event_source_set_enabled(commit_source.get(), SD_EVENT_ONESHOT);
}

void Daemon::Impl::commit() {
  enforcer_.commit();
  metric_events.committed(clock.monotonic_us());
  // The backends have the orders applied this turn: JetStream may forget them.
  if (fleet) fleet->committed();
  // The backends have what was decided: the journal cursor may move past it.
  if (journal) journal->committed();
  arm_expiry();
  for (auto& then : std::exchange(after_commit, {})) then();
  fflush(stderr);
}

void Daemon::Impl::arm_expiry() {
  auto next = enforcer_.next_expiry();
  if (!next) {
    sd_event_source_set_enabled(expiry_timer.get(), SD_EVENT_OFF);
    return;
  }
  sd_event_source_set_time(expiry_timer.get(), *next);
  sd_event_source_set_enabled(expiry_timer.get(), SD_EVENT_ONESHOT);
}

Daemon::Daemon(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Daemon::~Daemon() = default;

int Daemon::run() {
  if (auto r = impl_->setup(); !r) {
    log_error("{}", r.error().message);
    return 1;
  }
  for (const auto& name : impl_->input->describe()) log_info("listening for alerts on {}", name);
  if (impl_->journal) log_info("reading alerts from {}", impl_->journal->describe());
  log_info("rampartd {} ready: {} active blocks, table inet {}", RAMPART_VERSION,
           impl_->enforcer_.active(), impl_->config->settings.nft_table);
  impl_->update_status();
  sd_notify(0, "READY=1");
  fflush(stderr);
  int r = sd_event_loop(impl_->event.get());
  if (r < 0) {
    log_error_errno(r, "event loop failed");
    return 1;
  }
  return 0;
}

}  // namespace rampart
