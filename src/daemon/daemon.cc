// rampartd's setup, inputs and loop (the stats line and status are in daemon_status.cc).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "daemon/daemon_impl.h"
#include "exec/exec_check.h"
#include "host/host_addresses.h"
namespace rampart {
namespace {

bool binds_firewalld_drop(const Config& config) {
  for (const auto& ar : config.responses)
    if (config.commands[ar.command].kind == CommandKind::Firewalld) return true;
  return false;
}

// <firewall_backend>: auto means firewalld when it is on the system bus at start.
bool firewall_goes_to_firewalld(const Settings& s) {
  if (s.firewall_backend == FirewallBackend::Auto) return FirewalldBackend::running();
  return s.firewall_backend == FirewallBackend::Firewalld;
}

std::string hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

Result<std::shared_ptr<Config>> load_daemon_config(const Options& options) {
  Result<Config> config = load_config(options.config_path);
  if (!config && config.error().code == ENOENT && !options.config_path_given) {
    log_notice("{} does not exist; using the embedded default configuration", options.config_path);
    config = parse_config(kDefaultConfigText, kDefaultConfigName);
  }
  if (!config) return std::unexpected(config.error());
  // Scripts run as root: refuse any the exec directory does not keep safe (reads the disk).
  if (auto r = check_exec_commands(*config); !r) return std::unexpected(r.error());
  if (config->settings.node_name.empty()) config->settings.node_name = hostname();
  return std::make_shared<Config>(std::move(*config));
}

Result<void> Daemon::Impl::setup() {
  auto loaded = load_daemon_config(options);
  if (!loaded) {
    audit.config_rejected(loaded.error(), true);
    return std::unexpected(loaded.error());
  }
  config = *loaded;
  for (const auto& w : config->warnings) log_warning("{}", w);
  enforcer_.set_config(config);
  read_host_addresses_now();
  audit.config_loaded(*config, "loaded");

  sd_event* e = nullptr;
  if (int r = sd_event_default(&e); r < 0) return fail_errno(r, "sd_event_default");
  event.reset(e);

  bool to_firewalld = !options.dry_run && firewall_goes_to_firewalld(config->settings);
  if (options.dry_run) {
    firewall = std::make_unique<DryRunBackend>();
    enforcer_.set_backend(CommandKind::Firewalld, firewall.get());
    enforcer_.set_backend(CommandKind::Exec, firewall.get());
    enforcer_.set_backend(CommandKind::HostsDeny, firewall.get());
    log_notice("dry run: decisions are logged, no firewall is touched");
  } else if (to_firewalld || binds_firewalld_drop(*config)) {
    const Settings& s = config->settings;
    auto opened = FirewalldBackend::open(
        event.get(), {s.firewalld_zone, s.firewalld_mode, s.state_directory + "/firewalld.state"});
    if (!opened) return std::unexpected(opened.error());
    firewalld = std::move(*opened);
    std::vector<CommandKind> kinds{CommandKind::Firewalld};
    if (to_firewalld) kinds.push_back(CommandKind::Firewall);
    for (CommandKind kind : kinds) {
      Backend* port = firewalld->port(kind);
      port->set_failure_handler([this, kind](const Change& change, const Error& error) {
        enforcer_.backend_failed(kind, change, error);
        arm_expiry();
      });
      enforcer_.set_backend(kind, port);
      enforcer_.restore(kind, firewalld->restored(kind));
    }
    log_info("firewalld backend: {} mode, zone {}{}",
             s.firewalld_mode == FirewalldMode::Ipset ? "ipset" : "rich-rule",
             firewalld->zone().empty() ? "<default, once firewalld runs>" : firewalld->zone(),
             to_firewalld ? "; firewall-drop goes to firewalld" : "");
  }
  if (!options.dry_run && !to_firewalld) {
    auto opened = NftFirewall::open(event.get(), enforcer_, clock,
                                    {config->settings.nft_table, config->settings.state_directory},
                                    {[this] { commit(); }, [this] { arm_expiry(); }});
    if (!opened) return std::unexpected(opened.error());
    nft = std::move(*opened);
    metric_events.set_kernel_backend(std::string(nft->name()));
  }
  if (firewall) enforcer_.set_backend(CommandKind::Firewall, firewall.get());
  if (!options.dry_run)
    if (auto r = setup_state(); !r) return std::unexpected(r.error());

  auto in = SocketInput::open(
      event.get(), config->settings.sockets, [this](std::string_view l) { on_line(l); },
      [this](std::string_view why, std::string_view sample) { reject(why, sample); });
  if (!in) return std::unexpected(in.error());
  input = std::move(*in);

  // The D-Bus API (its EventSink turns events into signals).
  auto bus = BusApi::open(event.get(), *this);
  if (!bus) return std::unexpected(bus.error());
  bus_api = std::move(*bus);
  if (bus_api) events.add(bus_api.get());

  // The journal input, when <journal> is configured.
  audit.attach(event.get());
  if (config->settings.journal.enabled) {
    auto j = JournalInput::open(
        event.get(), config->settings.journal, config->settings.state_directory,
        [this](const Alert& a) {
          ++alerts_received;
          on_alert(a);
          if (enforcer_.pending() >= 65536) commit();
          schedule_commit();
        },
        [this](std::string_view why, std::string_view sample) {
          ++alerts_received;
          reject(why, sample);
        },
        [this] { return enforcer_.has_pending(); });
    if (!j) return std::unexpected(j.error());
    journal = std::move(*j);
  }

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

  // stderr is fully buffered; write what one loop iteration logged in one go.
  if (int r = sd_event_add_post(event.get(), &s, on_flush_log, this); r < 0)
    return fail_errno(r, "sd_event_add_post");
  log_flush.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE + 100);

  sd_event_set_watchdog(event.get(), true);
  return {};
}

// Opens the state directory, puts offender counts back, and starts the exec and hosts.deny
// backends with what they must undo: deadlines that passed while rampartd was down run their
// delete now, the other blocks go back into the table with their remaining time.
Result<void> Daemon::Impl::setup_state() {
  const Settings& s = config->settings;
  auto opened = StateStore::open(s.state_directory);
  if (!opened) return std::unexpected(opened.error());
  state = std::move(*opened);
  state->set_offence_ttl(s.repeated_offenders_reset_sec);
  state->attach(event.get());
  state->for_each_offence(
      [this](std::string_view command, const Address& a, const OffenceRecord& o) {
        enforcer_.restore_offence(command, a, o.count, o.last_sec);
      });
  enforcer_.set_offence_observer(
      [this](std::string_view command, const Address& a, uint32_t count, uint64_t last_sec) {
        state->put_offence(command, a, {count, last_sec});
      });

  exec = std::make_unique<ExecBackend>(event.get(), clock, state.get());
  exec->set_config(config);
  hosts_deny = std::make_unique<HostsDenyBackend>(s.hosts_deny, clock, state.get());
  for (auto [kind, backend] : {std::pair<CommandKind, Backend*>{CommandKind::Exec, exec.get()},
                               {CommandKind::HostsDeny, hosts_deny.get()}}) {
    backend->set_failure_handler([this, kind](const Change& change, const Error& error) {
      enforcer_.backend_failed(kind, change, error);
      arm_expiry();
    });
    enforcer_.set_backend(kind, backend);
  }
  if (auto blocks = exec->restore(); !blocks.empty()) enforcer_.restore(CommandKind::Exec, blocks);
  auto denied = hosts_deny->restore();
  if (!denied)
    log_error("hosts.deny: cannot restore blocks: {}", denied.error().message);
  else if (!denied->empty())
    enforcer_.restore(CommandKind::HostsDeny, *denied);
  if (state->offence_count() || state->undo_count())
    log_info("state {}: {} pending undo actions, {} repeated-offender counts", s.state_directory,
             state->undo_count(), state->offence_count());
  return {};
}

void Daemon::Impl::on_line(std::string_view line) {
  if (line.empty() || line == "\r") return;
  ++alerts_received;
  if (auto r = parser.parse(line, alert); !r) {
    reject(r.error().message, line.substr(0, 80));
    return;
  }
  on_alert(alert);
  // Bound what one turn can accumulate under a flood; otherwise commit when the turn ends.
  if (enforcer_.pending() >= 65536) commit();
  schedule_commit();
}

void Daemon::Impl::on_alert(const Alert& a, std::vector<std::pair<std::string, Address>>* fired) {
  ++alerts_by_format[static_cast<size_t>(a.format)];
  if (log_enabled(LogLevel::Debug)) log_reasoning(a);
  enforcer_.on_alert(a, fired);
}

// At debug level (systemctl service-log-level rampart debug), what ExplainAlert would say of
// each alert, binding by binding; rate-limited like the rejected-alert records, since a flood
// at debug level must not become a flood of the journal.
void Daemon::Impl::log_reasoning(const Alert& a) {
  uint64_t suppressed = 0;
  if (!reasoning_log.allow(clock.monotonic_us(), &suppressed)) return;
  std::string id = a.id.empty() ? std::string("(no id)") : a.id;
  if (suppressed)
    log_debug("alert {}: the reasoning for {} earlier alerts was not logged (at most {} a minute)",
              id, suppressed, kReasoningPerMinute);
  std::string text = enforcer_.engine().explain(a);
  for (std::string_view rest = text; !rest.empty();) {
    size_t end = rest.find('\n');
    log_debug("alert {}: {}", id, rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  }
}

// When the current loop turn began: the time its alerts were read.
uint64_t Daemon::Impl::turn_us() const {
  uint64_t now = 0;
  if (event && sd_event_now(event.get(), CLOCK_MONOTONIC, &now) >= 0) return now;
  return clock.monotonic_us();  // before the loop's first turn
}

void Daemon::Impl::reject(std::string_view why, std::string_view sample) {
  ++alerts_rejected;
  uint64_t suppressed = 0;
  if (!reject_log.allow(clock.monotonic_us(), &suppressed)) return;
  std::string printable;
  for (char c : sample) printable += (c >= 0x20 && c < 0x7f) ? c : '?';
  audit.alert_rejected(why, printable, suppressed);
}

void Daemon::Impl::schedule_commit() {
  if (enforcer_.has_pending()) sd_event_source_set_enabled(commit_source.get(), SD_EVENT_ONESHOT);
}

void Daemon::Impl::commit() {
  enforcer_.commit();
  metric_events.committed(clock.monotonic_us());
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

Result<void> Daemon::Impl::reload() {
  sd_notify(0, "RELOADING=1");
  Result<void> result;
  auto loaded = load_daemon_config(options);
  if (!loaded) {
    result = std::unexpected(loaded.error());
  } else if ((*loaded)->settings.nft_table != config->settings.nft_table ||
             (*loaded)->settings.sockets != config->settings.sockets ||
             (*loaded)->settings.state_directory != config->settings.state_directory ||
             (*loaded)->settings.hosts_deny != config->settings.hosts_deny) {
    result = fail(EINVAL,
                  "<nftables><table>, <socket>, <state_directory> and <hosts_deny> cannot "
                  "change on reload; restart rampartd");
  } else if ((*loaded)->settings.firewall_backend != config->settings.firewall_backend ||
             (*loaded)->settings.firewalld_zone != config->settings.firewalld_zone ||
             (*loaded)->settings.firewalld_mode != config->settings.firewalld_mode ||
             (binds_firewalld_drop(**loaded) && !firewalld && !options.dry_run)) {
    result = fail(EINVAL,
                  "<firewall_backend> and <firewalld> cannot change on reload, and "
                  "firewalld-drop needs the firewalld backend from the start; restart "
                  "rampartd");
  } else {
    commit();  // decisions made under the old config go out first
    config = *loaded;
    for (const auto& w : config->warnings) log_warning("{}", w);
    enforcer_.set_config(config);
    if (exec) exec->set_config(config);
    if (state) state->set_offence_ttl(config->settings.repeated_offenders_reset_sec);
    read_host_addresses_now();
    audit.config_loaded(*config, "reloaded");
  }
  if (!result) audit.config_rejected(result.error(), false);
  sd_notify(0, "READY=1");
  return result;
}

void Daemon::Impl::read_host_addresses_now() {
  auto own = read_host_addresses();
  if (!own) {
    log_warning("{}; only loopback and the allowlist protect this host's addresses",
                own.error().message);
    return;
  }
  std::string text;
  for (const Address& a : *own) text += (text.empty() ? "" : ", ") + a.str();
  if (!own->empty()) log_info("never blocking this host's addresses: {}", text);
  enforcer_.set_host_addresses(std::move(*own));
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
