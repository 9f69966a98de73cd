// The backends the config asks for: nftables or firewalld for firewall-drop, firewalld for
// firewalld-drop, exec scripts and hosts.deny with their durable state; or --dry-run's logger.
#include <unistd.h>

#include <cerrno>

#include "daemon/daemon_impl.h"
#include "exec/exec_unit.h"
namespace rampart {
namespace {

// <firewall_backend>: auto means firewalld when it is on the system bus at start.
bool firewall_goes_to_firewalld(const Settings& s) {
  if (s.firewall_backend == FirewallBackend::Auto) return FirewalldBackend::running();
  return s.firewall_backend == FirewallBackend::Firewalld;
}

// Under systemd, hosts.deny is written by rampart-hosts-deny in a transient unit that may
// write its directory: rampartd's own sandbox keeps /etc read-only.
std::optional<HostsDenyBackend::Helper> hosts_deny_helper(ExecRunner& runner) {
  if (!runner.outside_sandbox()) return std::nullopt;
  if (access(RAMPART_HOSTS_DENY_HELPER, X_OK) != 0) {
    log_warning(
        "hosts.deny: {} is missing ({}); rampartd writes the file itself, which its "
        "sandbox may not allow; reinstall the package",
        RAMPART_HOSTS_DENY_HELPER, errno_text(errno));
    return std::nullopt;
  }
  return HostsDenyBackend::Helper{.runner = &runner, .program = RAMPART_HOSTS_DENY_HELPER};
}

}  // namespace

Result<void> Daemon::Impl::setup_backends() {
  if (options.dry_run) {
    firewall = std::make_unique<DryRunBackend>();
    for (CommandKind kind :
         {CommandKind::Firewall, CommandKind::Firewalld, CommandKind::Exec, CommandKind::HostsDeny})
      enforcer_.set_backend(kind, firewall.get());
    log_notice("dry run: decisions are logged, no firewall is touched");
    return {};
  }
  bool to_firewalld = firewall_goes_to_firewalld(config->settings);
  if (to_firewalld || binds_firewalld_drop(*config))
    if (auto r = setup_firewalld(to_firewalld); !r) return r;
  if (!to_firewalld)
    if (auto r = setup_nft(); !r) return r;
  return setup_state();
}

// A backend that fails later (asynchronously) takes the block back out of the table.
Backend::FailureHandler Daemon::Impl::failure_handler(CommandKind kind) {
  return [this, kind](const Change& change, const Error& error) {
    enforcer_.backend_failed(kind, change, error);
    arm_expiry();
  };
}

Result<void> Daemon::Impl::setup_firewalld(bool firewall_drop_too) {
  const Settings& s = config->settings;
  auto opened = FirewalldBackend::open(
      event.get(), {s.firewalld_zone, s.firewalld_mode, s.state_directory + "/firewalld.state"});
  if (!opened) return std::unexpected(opened.error());
  firewalld = std::move(*opened);
  std::vector<CommandKind> kinds{CommandKind::Firewalld};
  if (firewall_drop_too) kinds.push_back(CommandKind::Firewall);
  for (CommandKind kind : kinds) {
    Backend* port = firewalld->port(kind);
    port->set_failure_handler(failure_handler(kind));
    enforcer_.set_backend(kind, port);
    enforcer_.restore(kind, firewalld->restored(kind));
  }
  log_info("firewalld backend: {} mode, zone {}{}",
           s.firewalld_mode == FirewalldMode::Ipset ? "ipset" : "rich-rule",
           firewalld->zone().empty() ? "<default, once firewalld runs>" : firewalld->zone(),
           firewall_drop_too ? "; firewall-drop goes to firewalld" : "");
  return {};
}

// The nftables facade sets itself as the enforcer's firewall backend and restores its blocks.
Result<void> Daemon::Impl::setup_nft() {
  auto opened = NftFirewall::open(event.get(), enforcer_, clock,
                                  {config->settings.nft_table, config->settings.state_directory},
                                  {[this] { commit(); }, [this] { arm_expiry(); },
                                   [this] {
                                     if (feed_lists) feed_lists->restore();
                                   }});
  if (!opened) return std::unexpected(opened.error());
  nft = std::move(*opened);
  metric_events.set_kernel_backend(std::string(nft->name()));
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

  exec_runner = open_exec_runner(event.get());
  log_info("exec: scripts run as {}", exec_runner->describe());
  exec = std::make_unique<ExecBackend>(clock, state.get(), *exec_runner);
  exec->set_config(config);
  hosts_deny = std::make_unique<HostsDenyBackend>(s.hosts_deny, clock, state.get(),
                                                  hosts_deny_helper(*exec_runner));
  for (auto [kind, backend] : {std::pair<CommandKind, Backend*>{CommandKind::Exec, exec.get()},
                               {CommandKind::HostsDeny, hosts_deny.get()}}) {
    backend->set_failure_handler(failure_handler(kind));
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

// Blocklist feeds live in the nftables table; without it (firewalld, --dry-run) each
// configured list reports why it cannot load.
Result<void> Daemon::Impl::setup_feeds() {
  feed_lists = std::make_unique<DaemonFeeds>(event.get(), nft.get(), audit, clock);
  feed_lists->configure(*config, enforcer_.host_addresses());
  return {};
}

}  // namespace rampart
