// The status line systemd shows (the stats line and metrics are in daemon_metrics.cc).
#include "daemon/daemon_impl.h"
namespace rampart {

void Daemon::Impl::update_status() {
  std::string status = fmt::format("STATUS={} active blocks, {} alerts ({} rejected)",
                                   enforcer_.active(), alerts_received, alerts_rejected);
  if (status == last_status) return;
  sd_notify(0, status.c_str());
  last_status = std::move(status);
}

}  // namespace rampart
