// Every number rampartd keeps, in one list: the "stats:" line (SIGUSR1, and at stop) and the
// Prometheus exposition (GetMetrics, the node_exporter textfile) are both printed from it, so
// neither can miss a counter the other has. A scrape reads these counters and nothing else: it
// never asks the kernel, a backend or the block table for more than a size.
//
// Adding a number is one line in the right function below:
//   m.counter("rampart_<thing>_total", "Help text.", value, {{"label", "x"}}, "stats_key");
// (m.gauge for levels; labels and the stats key are optional; m.stat("key", n) for the stats
// line alone). Counter names end in _total; the unit suite's promtool check shows the rules.
#include "daemon/daemon_impl.h"
#include "metrics/textfile.h"
namespace rampart {
namespace {

constexpr std::string_view kBlockEvents =
    "Block events: new blocks, extended ones, timeouts, revocations, matching responses that "
    "did not block (allowlist, never-block, no srcip) and blocks refused (max_blocks, manual "
    "requests).";

constexpr AlertFormat kFormats[] = {AlertFormat::WazuhJson,     AlertFormat::OssecJson,
                                    AlertFormat::SyslogDefault, AlertFormat::SyslogJson,
                                    AlertFormat::SyslogSplunk,  AlertFormat::Journal};

}  // namespace

void Daemon::Impl::collect_core(MetricSet& m) const {
  const EnforcerCounters& c = enforcer_.counters();
  m.gauge("rampart_build_info", "rampartd's version, as a label; the value is always 1.", 1,
          {{"version", RAMPART_VERSION}});
  m.stat("active", enforcer_.active());
  for (CommandKind kind :
       {CommandKind::Firewall, CommandKind::Firewalld, CommandKind::HostsDeny, CommandKind::Exec}) {
    const Backend* b = enforcer_.backend(kind);
    if (!b) continue;
    for (bool v6 : {false, true})
      m.gauge("rampart_blocks_active", "Active blocks, by backend and address family.",
              static_cast<double>(enforcer_.table().count(kind, v6)),
              {{"backend", b->name()}, {"family", v6 ? "ipv6" : "ipv4"}});
  }
  m.gauge("rampart_blocks_max", "The most active blocks rampartd keeps (<max_blocks>).",
          static_cast<double>(config->settings.max_blocks));
  m.stat("alerts_received", alerts_received);
  for (AlertFormat f : kFormats)
    m.counter("rampart_alerts_total",
              "Alerts read and parsed (socket, journal, SubmitAlert), by format.",
              alerts_by_format[static_cast<size_t>(f)], {{"format", to_string(f)}});
  m.counter("rampart_alerts_rejected_total",
            "Alert lines that could not be parsed (counted and logged, never fatal).",
            alerts_rejected, {}, "alerts_rejected");
  m.counter("rampart_responses_total", "Active responses whose conditions an alert met.",
            c.responses, {}, "responses");
  for (auto [what, n] : {std::pair{"blocked", c.blocked},
                         {"refreshed", c.refreshed},
                         {"expired", c.expired},
                         {"unblocked", c.unblocked},
                         {"skipped", c.skipped},
                         {"refused", c.refused}})
    m.counter("rampart_blocks_total", kBlockEvents, n, {{"event", what}}, what);
  for (CommandKind kind :
       {CommandKind::Firewall, CommandKind::Firewalld, CommandKind::HostsDeny, CommandKind::Exec})
    if (const Backend* b = enforcer_.backend(kind))  // a zero for every backend in use
      m.counter("rampart_backend_failures_total", MetricEvents::kFailuresHelp, 0,
                {{"backend", b->name()}});
  metric_events.collect(m);
  m.stat("backend_failures", c.backend_failures);
  m.counter("rampart_commits_total", "Batches handed to backends (one per backend and loop turn).",
            c.commits, {}, "commits");
}

void Daemon::Impl::collect_backends(MetricSet& m) const {
  if (nft) {
    const NftFirewallCounters n = nft->counters();
    m.counter("rampart_nft_batches_total", "nftables transactions sent over netlink.",
              n.kernel.batches, {}, "nft_batches");
    m.counter("rampart_nft_messages_total", "Set element messages inside those transactions.",
              n.kernel.messages, {}, "nft_messages");
    m.counter("rampart_nft_elements_total", "Set elements carried by those messages.",
              n.kernel.elements, {}, "nft_elements");
    m.counter("rampart_nft_rejected_total", "Changes dropped after the kernel refused them.",
              n.kernel.rejected, {}, "nft_rejected");
    m.counter("rampart_nft_resends_total", "Transactions sent again without refused changes.",
              n.kernel.resends, {}, "nft_resends");
    m.counter("rampart_nft_repairs_total", "Times the table was rebuilt after someone removed it.",
              n.repairs, {}, "nft_repairs");
    m.counter("rampart_nft_external_deletes_total",
              "Elements deleted from rampart's sets by someone else.", n.monitor.elements_deleted,
              {}, "nft_external_deletes");
    m.counter("rampart_nft_notify_overruns_total",
              "Times the nftables notification socket overflowed.", n.monitor.overruns, {},
              "nft_notify_overruns");
    m.counter("rampart_nft_quiet_transactions_total",
              "Large transactions sent while not listening to notifications.", n.kernel.quiet, {},
              "nft_quiet");
    m.counter("rampart_nft_unsure_total",
              "Quiet transactions during which someone else may have changed the ruleset.",
              n.monitor.unsure, {}, "nft_unsure");
  }
  if (firewalld) {
    const auto& f = firewalld->counters();
    m.counter("rampart_firewalld_calls_total", "D-Bus calls to firewalld for blocks.", f.calls, {},
              "firewalld_calls");
    m.counter("rampart_firewalld_call_failures_total", "Calls firewalld refused.", f.failures, {},
              "firewalld_failures");
    m.counter("rampart_firewalld_reapplies_total",
              "Times every block was sent again (firewalld reloaded or restarted).", f.reapplies,
              {}, "firewalld_reapplies");
    m.counter("rampart_firewalld_stale_rules_total", "Leftover rampart rules removed at start.",
              f.stale, {}, "firewalld_stale");
  }
  if (exec) collect_exec(m);
  if (fleet) collect_fleet(m);
  if (hosts_deny)
    m.counter("rampart_hosts_deny_rewrites_total", "Times hosts.deny was rewritten.",
              hosts_deny->rewrites(), {}, "hosts_deny_rewrites");
  if (state)
    m.gauge("rampart_state_log_bytes", "Size of the state store's log.",
            static_cast<double>(state->log_bytes()), {}, "state_log_bytes");
}

void Daemon::Impl::collect_exec(MetricSet& m) const {
  const ExecCounters& x = exec->counters();
  size_t running = exec->running();
  // Every started run has finished (well or not) or is still running; timeouts are failures.
  uint64_t finished = x.runs > running ? x.runs - running : 0;
  uint64_t ok = finished > x.failures ? finished - x.failures : 0;
  constexpr std::string_view kRuns = "Finished runs of active-response scripts, by result.";
  m.stat("exec_runs", x.runs);
  m.counter("rampart_exec_runs_total", kRuns, ok, {{"result", "ok"}});
  m.counter("rampart_exec_runs_total", kRuns, x.failures - std::min(x.timeouts, x.failures),
            {{"result", "failed"}});
  m.counter("rampart_exec_runs_total", kRuns, x.timeouts, {{"result", "timeout"}});
  m.stat("exec_failures", x.failures);
  m.stat("exec_timeouts", x.timeouts);
  m.counter("rampart_exec_aborted_total", "Runs whose check_keys answer was abort.", x.aborted, {},
            "exec_aborted");
  m.gauge("rampart_exec_running", "Scripts running now.", static_cast<double>(running), {},
          "exec_running");
  m.gauge("rampart_exec_queued", "Script runs waiting for a free slot.",
          static_cast<double>(exec->queued()), {}, "exec_queued");
}

MetricSet Daemon::Impl::collect() const {
  MetricSet m;
  collect_core(m);
  collect_backends(m);
  return m;
}

// <metrics><textfile>: the exposition for node_exporter's textfile collector, written at start
// (and after a reload) and then every <interval>.
Result<void> Daemon::Impl::setup_textfile() {
  sd_event_source* s = nullptr;
  if (int r = sd_event_add_time(event.get(), &s, CLOCK_MONOTONIC, 0, 100000, on_textfile, this);
      r < 0)
    return fail_errno(-r, "cannot add the metrics textfile timer");
  textfile_timer.reset(s);
  arm_textfile();
  return {};
}

void Daemon::Impl::arm_textfile() {
  if (config->settings.metrics_textfile.empty()) {
    sd_event_source_set_enabled(textfile_timer.get(), SD_EVENT_OFF);
    return;
  }
  sd_event_source_set_time(textfile_timer.get(), turn_us());  // now
  sd_event_source_set_enabled(textfile_timer.get(), SD_EVENT_ON);
}

void Daemon::Impl::write_textfile_now() {
  const std::string& path = config->settings.metrics_textfile;
  auto written = write_textfile(path, metrics());
  if (!written) {
    // Said once, then once an hour while it lasts: the fix is the admin's.
    if (!textfile_failing || textfile_log.allow(clock.monotonic_us(), nullptr))
      log_warning("{}", written.error().message);
    textfile_failing = true;
    return;
  }
  if (textfile_failing) log_info("metrics textfile: {} is written again", path);
  textfile_failing = false;
}

void Daemon::Impl::log_stats() {
  log_info("stats: {}", collect().stats_line());
  fflush(stderr);
}

}  // namespace rampart
