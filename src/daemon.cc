#include "daemon.h"

#include <signal.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <unordered_set>

#include "alert.h"
#include "audit.h"
#include "bus_api.h"
#include "clock.h"
#include "control.h"
#include "enforcer.h"
#include "exec_backend.h"
#include "exec_check.h"
#include "firewalld_backend.h"
#include "handles.h"
#include "hosts_deny.h"
#include "host_addresses.h"
#include "journal_input.h"
#include "log.h"
#include "nft_backend.h"
#include "nft_monitor.h"
#include "nft_snapshot.h"
#include "socket_input.h"
#include "state_store.h"

namespace rampart {

namespace {

// Transactions this large are sent while the nftables monitor pauses (see NftMonitor): the
// kernel then builds no notification per element for it. Smaller ones are not worth the
// generation check.
constexpr size_t kQuietTransaction = 256;

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

class NftFirewall final : public Backend {
 public:
  explicit NftFirewall(NftBackend& nft) : nft_(nft) {}
  std::string_view name() const override { return "nftables"; }
  bool expires_by_itself() const override { return true; }
  ApplyResult apply(std::span<const Change> changes) override { return nft_.apply(changes); }

 private:
  NftBackend& nft_;
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

std::vector<RestoredBlock> restored_from(const std::vector<NftElement>& elements) {
  std::vector<RestoredBlock> out;
  out.reserve(elements.size());
  for (const auto& e : elements) {
    RestoredBlock r{e.address, {}, 0, e.expires_ms};
    // Our comment is "command:rule"; anything else (an admin's own element) is "unknown".
    if (auto colon = e.comment.rfind(':'); colon != std::string::npos) {
      uint32_t rule = 0;
      const char* first = e.comment.data() + colon + 1;
      const char* last = e.comment.data() + e.comment.size();
      if (std::from_chars(first, last, rule).ptr == last) {
        r.command = e.comment.substr(0, colon);
        r.rule_id = rule;
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

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
    log_notice("{} does not exist; using the embedded default configuration",
               options.config_path);
    config = parse_config(kDefaultConfigText, kDefaultConfigName);
  }
  if (!config) return std::unexpected(config.error());
  // Scripts run as root: refuse any the exec directory does not keep safe (reads the disk).
  if (auto r = check_exec_commands(*config); !r) return std::unexpected(r.error());
  if (config->settings.node_name.empty()) config->settings.node_name = hostname();
  return std::make_shared<Config>(std::move(*config));
}

struct Daemon::Impl final : Control {
  explicit Impl(Options o) : options(std::move(o)), enforcer_(clock, events) {
    events.add(&audit);
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

  std::unique_ptr<NftBackend> nft;
  std::unique_ptr<NftMonitor> nft_monitor;  // others' changes to our table
  EventSourcePtr repair_timer;
  uint64_t nft_repairs = 0;
  std::unique_ptr<Backend> firewall;
  std::unique_ptr<FirewalldBackend> firewalld;  // firewall-drop here too when it is the choice
  // Undo actions and offender counts in <state_directory>; exec scripts and hosts.deny lines.
  std::unique_ptr<StateStore> state;
  std::unique_ptr<ExecBackend> exec;
  std::unique_ptr<HostsDenyBackend> hosts_deny;
  std::unique_ptr<SocketInput> input;
  std::unique_ptr<BusApi> bus_api;  // null when no system bus is reachable
  std::unique_ptr<JournalInput> journal;
  AlertParser parser;
  Alert alert;

  uint64_t alerts_received = 0;
  uint64_t alerts_rejected = 0;
  RateLimit reject_log{60 * 1000000ull, 10};
  std::string last_status;

  Result<void> setup();
  Result<void> setup_state();
  void on_line(std::string_view line);
  void reject(std::string_view why, std::string_view sample);
  void schedule_commit();
  void commit();
  void arm_expiry();
  Result<void> reload() override;
  void log_stats();
  void read_host_addresses_now();
  void repair_ruleset();
  void verify_ruleset();
  std::optional<BlockSnapshot> take_snapshot();
  void save_snapshot();
  void elements_deleted(const std::vector<NftElement>& elements);

  // Control, for the D-Bus API.
  Enforcer& enforcer() override { return enforcer_; }
  void commit_soon() override { schedule_commit(); }
  Result<std::vector<std::pair<std::string, Address>>> submit_alert(std::string_view line) override;
  Result<std::string> explain_alert(std::string_view line) override;
  InputCounters input_counters() const override { return {alerts_received, alerts_rejected}; }
  std::vector<std::string> backends() const override {
    Backend* b = enforcer_.backend(CommandKind::Firewall);
    return {std::string(b ? b->name() : "none")};
  }
  bool dry_run() const override { return options.dry_run; }
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
  static int on_repair(sd_event_source*, uint64_t, void* u) {
    static_cast<Impl*>(u)->repair_ruleset();
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
        self->save_snapshot();
        log_info("stopping on signal {}; blocks stay in the kernel with their timeouts",
                 si->ssi_signo);
        self->log_stats();
        sd_event_exit(self->event.get(), 0);
    }
    return 0;
  }
};

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
  if (int r = sd_event_default(&e); r < 0) return fail(-r, "sd_event_default: {}", strerror(-r));
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
    auto opened = NftBackend::open(config->settings.nft_table);
    if (!opened) return std::unexpected(opened.error());
    nft = std::move(*opened);
    // Before anything of ours moves the generation on.
    std::optional<BlockSnapshot> snapshot = take_snapshot();
    if (auto r = nft->ensure_ruleset(); !r) return std::unexpected(r.error());
    firewall = std::make_unique<NftFirewall>(*nft);
    enforcer_.set_backend(CommandKind::Firewall, firewall.get());
    if (snapshot) {
      enforcer_.restore(CommandKind::Firewall, *snapshot);
    } else {
      auto elements = nft->dump();
      if (!elements) return std::unexpected(elements.error());
      enforcer_.restore(CommandKind::Firewall, restored_from(*elements));
    }
    auto monitor = NftMonitor::open(
        event.get(), nft->table(), nft->portid(),
        {[this] { repair_ruleset(); },
         [this](const std::vector<NftElement>& gone) { elements_deleted(gone); },
         [this] { verify_ruleset(); }});
    if (!monitor) return std::unexpected(monitor.error());
    nft_monitor = std::move(*monitor);
    // Subscribed: every later transaction is either notified or moves the generation on.
    if (auto gen = nft->generation()) nft_monitor->set_generation(*gen);
    nft->set_listener(nft_monitor.get(), kQuietTransaction);
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
          enforcer_.on_alert(a);
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
      return fail(-r, "cannot watch signal {}: {}", sig, strerror(-r));
    slot->reset(s);
  }

  // Commits run after the inputs have been read: everything decided in one loop turn goes to
  // the kernel as one batch.
  if (int r = sd_event_add_defer(event.get(), &s, on_commit, this); r < 0)
    return fail(-r, "sd_event_add_defer: {}", strerror(-r));
  commit_source.reset(s);
  sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IDLE);
  sd_event_source_set_enabled(s, SD_EVENT_OFF);

  if (int r = sd_event_add_time(event.get(), &s, CLOCK_MONOTONIC, UINT64_MAX, 1000, on_expiry,
                                this);
      r < 0)
    return fail(-r, "cannot add the expiry timer: {}", strerror(-r));
  expiry_timer.reset(s);
  arm_expiry();

  if (int r = sd_event_add_time_relative(event.get(), &s, CLOCK_MONOTONIC, 1000000, 100000,
                                         on_status, this);
      r < 0)
    return fail(-r, "cannot add the status timer: {}", strerror(-r));
  status_timer.reset(s);
  sd_event_source_set_enabled(s, SD_EVENT_ON);

  // stderr is fully buffered; write what one loop iteration logged in one go.
  if (int r = sd_event_add_post(event.get(), &s, on_flush_log, this); r < 0)
    return fail(-r, "sd_event_add_post: {}", strerror(-r));
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
  enforcer_.on_alert(alert);
  // Bound what one turn can accumulate under a flood; otherwise commit when the turn ends.
  if (enforcer_.pending() >= 65536) commit();
  schedule_commit();
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
  // The backends have what was decided: the journal cursor may move past it.
  if (journal) journal->committed();
  arm_expiry();
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
    result = fail(EINVAL, "<nftables><table>, <socket>, <state_directory> and <hosts_deny> cannot "
                          "change on reload; restart rampartd");
  } else if ((*loaded)->settings.firewall_backend != config->settings.firewall_backend ||
             (*loaded)->settings.firewalld_zone != config->settings.firewalld_zone ||
             (*loaded)->settings.firewalld_mode != config->settings.firewalld_mode ||
             (binds_firewalld_drop(**loaded) && !firewalld && !options.dry_run)) {
    result = fail(EINVAL, "<firewall_backend> and <firewalld> cannot change on reload, and "
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

Result<std::vector<std::pair<std::string, Address>>> Daemon::Impl::submit_alert(
    std::string_view line) {
  ++alerts_received;
  Alert a;
  if (auto r = parser.parse(line, a); !r) {
    ++alerts_rejected;
    return std::unexpected(r.error());
  }
  std::vector<std::pair<std::string, Address>> fired;
  enforcer_.on_alert(a, &fired);
  schedule_commit();
  return fired;
}

Result<std::string> Daemon::Impl::explain_alert(std::string_view line) {
  Alert a;
  if (auto r = parser.parse(line, a); !r) return std::unexpected(r.error());
  return enforcer_.engine().explain(a);
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

// Someone flushed the ruleset or deleted (part of) our table: rebuild it and put back every
// live block with its remaining time. Blocks whose elements survived are not sent again.
void Daemon::Impl::repair_ruleset() {
  uint64_t start = clock.monotonic_us();
  if (auto r = nft->ensure_ruleset(); !r) {
    log_error("cannot re-create table inet {}: {}; retrying in 1 s", nft->table(),
              r.error().message);
    sd_event_source* s = nullptr;
    if (sd_event_add_time_relative(event.get(), &s, CLOCK_MONOTONIC, 1000000, 0, on_repair,
                                   this) >= 0)
      repair_timer.reset(s);
    return;
  }
  std::unordered_set<Address, AddressHash> present;
  if (auto elements = nft->dump())
    for (const auto& e : *elements) present.insert(e.address);
  size_t queued = enforcer_.resync(CommandKind::Firewall,
                                   [&](const Address& a) { return present.contains(a); });
  commit();
  ++nft_repairs;
  log_warning("table inet {} was removed or changed by someone else: re-created it and re-added "
              "{} blocks in {} ms",
              nft->table(), queued, (clock.monotonic_us() - start) / 1000);
}

// The blocks saved at the last clean stop, when nothing can have changed since (see
// block_snapshot.h): a million of them load in a fraction of the time the kernel takes to dump
// them.
std::optional<BlockSnapshot> Daemon::Impl::take_snapshot() {
  const std::string path = nft_snapshot_path(config->settings.state_directory);
  auto gen = nft->generation();
  if (!gen) {
    log_warning("{}; reading the blocks from the kernel", gen.error().message);
    return std::nullopt;
  }
  auto here = nft_snapshot_origin(nft->table(), *gen);
  if (!here) {
    log_warning("{}; reading the blocks from the kernel", here.error().message);
    return std::nullopt;
  }
  std::string why;
  auto snapshot = take_nft_snapshot(path, *here, why);
  if (!snapshot) log_info("reading the blocks from the kernel: {}", why);
  return snapshot;
}

// At a clean stop, after the last commit: what the kernel holds is exactly the table.
void Daemon::Impl::save_snapshot() {
  if (!nft || !nft_monitor || !firewall) return;
  auto gen = nft_monitor->settled_generation();
  if (!gen) {
    log_info("not saving a block snapshot: nftables changes are still being handled");
    return;
  }
  auto origin = nft_snapshot_origin(nft->table(), *gen);
  if (!origin) {
    log_warning("not saving a block snapshot: {}", origin.error().message);
    return;
  }
  uint64_t start = clock.monotonic_us();
  BlockSnapshot snapshot = enforcer_.snapshot(CommandKind::Firewall);
  snapshot.origin = std::move(*origin);
  const std::string path = nft_snapshot_path(config->settings.state_directory);
  if (auto r = save_nft_snapshot(path, snapshot); !r) {
    log_warning("{}; the next start reads the blocks from the kernel", r.error().message);
    return;
  }
  log_info("saved {} blocks to {} in {} ms", snapshot.blocks.size(), path,
           (clock.monotonic_us() - start) / 1000);
}

// Someone else changed the ruleset while the monitor was not listening (during a large
// transaction of ours). Most such changes are other tables'; ours is rebuilt only if it is
// gone. An element an administrator deleted in that gap stays in rampart's view until it
// expires: finding it would take a dump of the sets, which is too slow at this scale.
void Daemon::Impl::verify_ruleset() {
  auto present = nft->ruleset_present();
  if (present && *present) return;  // counted as nft_unsure in the stats line
  repair_ruleset();
}

void Daemon::Impl::elements_deleted(const std::vector<NftElement>& elements) {
  for (const auto& e : elements) enforcer_.forget(CommandKind::Firewall, e.address);
  arm_expiry();
}

void Daemon::Impl::log_stats() {
  const auto& c = enforcer_.counters();
  std::string nft_stats;
  if (nft) {
    const auto& n = nft->counters();
    nft_stats = fmt::format(" nft_batches={} nft_messages={} nft_elements={} nft_rejected={} "
                            "nft_resends={}",
                            n.batches, n.messages, n.elements, n.rejected, n.resends);
    if (nft_monitor)
      nft_stats += fmt::format(
          " nft_repairs={} nft_external_deletes={} nft_notify_overruns={} nft_quiet={} "
          "nft_unsure={}",
          nft_repairs, nft_monitor->counters().elements_deleted, nft_monitor->counters().overruns,
          n.quiet, nft_monitor->counters().unsure);
  }
  if (firewalld) {
    const auto& f = firewalld->counters();
    nft_stats += fmt::format(" firewalld_calls={} firewalld_failures={} firewalld_reapplies={} "
                             "firewalld_stale={}",
                             f.calls, f.failures, f.reapplies, f.stale);
  }
  if (exec) {
    const auto& x = exec->counters();
    nft_stats += fmt::format(" exec_runs={} exec_failures={} exec_timeouts={} exec_aborted={} "
                             "exec_running={} exec_queued={}",
                             x.runs, x.failures, x.timeouts, x.aborted, exec->running(),
                             exec->queued());
  }
  if (hosts_deny) nft_stats += fmt::format(" hosts_deny_rewrites={}", hosts_deny->rewrites());
  if (state) nft_stats += fmt::format(" state_log_bytes={}", state->log_bytes());
  log_info("stats: active={} alerts_received={} alerts_rejected={} responses={} blocked={} "
           "refreshed={} expired={} unblocked={} skipped={} refused={} backend_failures={} "
           "commits={}{}",
           enforcer_.active(), alerts_received, alerts_rejected, c.responses, c.blocked,
           c.refreshed, c.expired, c.unblocked, c.skipped, c.refused, c.backend_failures,
           c.commits, nft_stats);
  fflush(stderr);
}

void Daemon::Impl::update_status() {
  std::string status = fmt::format("STATUS={} active blocks, {} alerts ({} rejected)",
                                   enforcer_.active(), alerts_received, alerts_rejected);
  if (status == last_status) return;
  sd_notify(0, status.c_str());
  last_status = std::move(status);
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
    log_error("event loop failed: {}", strerror(-r));
    return 1;
  }
  return 0;
}

}  // namespace rampart
