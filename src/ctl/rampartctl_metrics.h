// `rampartctl metrics`: rampartd's counters in the Prometheus text exposition (GetMetrics), on
// standard output; with --http, as the answer to one HTTP request on the connection
// rampart-metrics.socket accepted (rampart-metrics@.service), so that rampartd itself never
// opens a network socket.
#pragma once

namespace rampart::ctl {

// Returns the exit status.
int verb_metrics(bool http);

}  // namespace rampart::ctl
