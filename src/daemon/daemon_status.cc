// What rampartd says about itself: the stats line (SIGUSR1, and at stop) and the status
// systemd shows.
#include "daemon/daemon_impl.h"
namespace rampart {

void Daemon::Impl::log_stats() {
  const auto& c = enforcer_.counters();
  std::string nft_stats;
  if (nft) {
    const NftFirewallCounters n = nft->counters();
    nft_stats = fmt::format(
        " nft_batches={} nft_messages={} nft_elements={} nft_rejected={} "
        "nft_resends={} nft_repairs={} nft_external_deletes={} nft_notify_overruns={} "
        "nft_quiet={} nft_unsure={}",
        n.kernel.batches, n.kernel.messages, n.kernel.elements, n.kernel.rejected, n.kernel.resends,
        n.repairs, n.monitor.elements_deleted, n.monitor.overruns, n.kernel.quiet,
        n.monitor.unsure);
  }
  if (firewalld) {
    const auto& f = firewalld->counters();
    nft_stats += fmt::format(
        " firewalld_calls={} firewalld_failures={} firewalld_reapplies={} "
        "firewalld_stale={}",
        f.calls, f.failures, f.reapplies, f.stale);
  }
  if (exec) {
    const auto& x = exec->counters();
    nft_stats += fmt::format(
        " exec_runs={} exec_failures={} exec_timeouts={} exec_aborted={} "
        "exec_running={} exec_queued={}",
        x.runs, x.failures, x.timeouts, x.aborted, exec->running(), exec->queued());
  }
  if (hosts_deny) nft_stats += fmt::format(" hosts_deny_rewrites={}", hosts_deny->rewrites());
  if (state) nft_stats += fmt::format(" state_log_bytes={}", state->log_bytes());
  log_info(
      "stats: active={} alerts_received={} alerts_rejected={} responses={} blocked={} "
      "refreshed={} expired={} unblocked={} skipped={} refused={} backend_failures={} "
      "commits={}{}",
      enforcer_.active(), alerts_received, alerts_rejected, c.responses, c.blocked, c.refreshed,
      c.expired, c.unblocked, c.skipped, c.refused, c.backend_failures, c.commits, nft_stats);
  fflush(stderr);
}

void Daemon::Impl::update_status() {
  std::string status = fmt::format("STATUS={} active blocks, {} alerts ({} rejected)",
                                   enforcer_.active(), alerts_received, alerts_rejected);
  if (status == last_status) return;
  sd_notify(0, status.c_str());
  last_status = std::move(status);
}

}  // namespace rampart
